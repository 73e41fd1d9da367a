import { Backoff, WORKQUEUE_BACKOFF, backoffDelay } from '../../../kube/backoff.js';

describe('backoffDelay', () => {
  it('doubles from the base delay', () => {
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(WORKQUEUE_BACKOFF, a))).toEqual([5, 10, 20, 40, 80]);
  });

  it('never exceeds the cap, even for huge attempt numbers', () => {
    expect(backoffDelay(WORKQUEUE_BACKOFF, 30)).toBe(1_000_000);
    expect(backoffDelay(WORKQUEUE_BACKOFF, 5000)).toBe(1_000_000);
    expect(backoffDelay({ baseMs: 100, capMs: 1000, jitter: 1 }, 50, () => 0.99)).toBe(1000);
  });

  it('adds at most the jitter fraction on top', () => {
    const policy = { baseMs: 100, capMs: 10_000, jitter: 0.2 };
    expect(backoffDelay(policy, 0, () => 0)).toBe(100);
    expect(backoffDelay(policy, 0, () => 0.5)).toBeCloseTo(110, 9);
    expect(backoffDelay(policy, 1, () => 1)).toBeCloseTo(240, 9);
  });

  it('uses the given growth factor', () => {
    expect(backoffDelay({ baseMs: 10, capMs: 1000, factor: 3 }, 2)).toBe(90);
  });
});

describe('Backoff', () => {
  it('grows with each next() and starts over after reset()', () => {
    const b = new Backoff({ baseMs: 1, capMs: 100 });
    expect([b.next(), b.next(), b.next()]).toEqual([1, 2, 4]);
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.next()).toBe(1);
  });
});
