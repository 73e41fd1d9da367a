import { INITIAL_KEEPER_STATE, microTime, nextStep, type LeaseTiming } from '../../../kube/lease-keeper.js';

// client-go's election timing: renew every 2 s, give up after 10 s without a renewal, jitter 1.2.
const election: LeaseTiming = { renewPeriodMs: 2000, retryPeriodMs: 2000, renewDeadlineMs: 10_000, jitter: 1.2 };
const heartbeat: LeaseTiming = { renewPeriodMs: 10_000, retryPeriodMs: 2000, renewDeadlineMs: Infinity, jitter: 0.2 };

describe('nextStep', () => {
  it('acquires on the first write and then renews after the renew period', () => {
    const first = nextStep(INITIAL_KEEPER_STATE, { outcome: 'written', now: 1000, random: 0 }, election);
    expect(first).toEqual({ kind: 'acquired', waitMs: 2000, state: { holding: true, lastWriteAt: 1000, failures: 0 } });
    const second = nextStep(first.state, { outcome: 'written', now: 3000, random: 0 }, election);
    expect(second).toEqual({ kind: 'renewed', waitMs: 2000, state: { holding: true, lastWriteAt: 3000, failures: 0 } });
  });

  it('retries a refused acquire after the retry period plus up to jitter times it', () => {
    expect(nextStep(INITIAL_KEEPER_STATE, { outcome: 'held', now: 0, random: 0 }, election)).toMatchObject({
      kind: 'retry',
      waitMs: 2000,
    });
    expect(nextStep(INITIAL_KEEPER_STATE, { outcome: 'held', now: 0, random: 1 }, election)).toMatchObject({
      kind: 'retry',
      waitMs: 2000 * 2.2,
    });
  });

  it('counts failures in a row and forgets them after a write', () => {
    let state = INITIAL_KEEPER_STATE;
    for (const now of [0, 2000, 4000]) state = nextStep(state, { outcome: 'failed', now, random: 0 }, election).state;
    expect(state.failures).toBe(3);
    expect(nextStep(state, { outcome: 'written', now: 6000, random: 0 }, election).state.failures).toBe(0);
  });

  it('keeps a held lease through failures shorter than the renew deadline, measured from the last write', () => {
    const held = nextStep(INITIAL_KEEPER_STATE, { outcome: 'written', now: 0, random: 0 }, election).state;
    expect(nextStep(held, { outcome: 'failed', now: 9999, random: 0 }, election)).toMatchObject({
      kind: 'retry',
      state: { holding: true, lastWriteAt: 0, failures: 1 },
    });
    // Someone else's write in between (a 'held' answer) does not reset the clock either.
    expect(nextStep(held, { outcome: 'held', now: 9999, random: 0 }, election).kind).toBe('retry');
  });

  it('loses a held lease once no write succeeded for the renew deadline', () => {
    const held = nextStep(INITIAL_KEEPER_STATE, { outcome: 'written', now: 0, random: 0 }, election).state;
    expect(nextStep(held, { outcome: 'failed', now: 10_000, random: 0 }, election)).toEqual({
      kind: 'lost',
      waitMs: 0,
      state: { holding: false, lastWriteAt: 0, failures: 1 },
    });
    expect(nextStep(held, { outcome: 'held', now: 10_000, random: 0 }, election).kind).toBe('lost');
  });

  it('never loses a heartbeat Lease, however long the API server is away', () => {
    const held = nextStep(INITIAL_KEEPER_STATE, { outcome: 'written', now: 0, random: 0 }, heartbeat).state;
    const later = nextStep(held, { outcome: 'failed', now: 86_400_000, random: 0 }, heartbeat);
    expect(later).toMatchObject({ kind: 'retry', waitMs: 2000, state: { holding: true } });
  });

  it('renews a heartbeat every interval without jitter, so its renewTime is predictable', () => {
    const held = nextStep(INITIAL_KEEPER_STATE, { outcome: 'written', now: 0, random: 1 }, heartbeat);
    expect(held.waitMs).toBe(10_000);
  });
});

describe('microTime', () => {
  it('writes six fractional digits, as metav1.MicroTime serialises', () => {
    expect(microTime(Date.UTC(2026, 10, 25, 14, 0, 0, 123))).toBe('2026-11-25T14:00:00.123000Z');
  });
});
