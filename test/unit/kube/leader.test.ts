import { decideLease, microTime, observe, type LeaseObservation } from '../../../kube/leader.js';
import type { Lease } from '../../../kube/core.js';

const ctx = (identity: string, now: number) => ({
  namespace: 'tsvirt-system',
  name: 'virt-controller',
  identity,
  leaseDurationMs: 15_000,
  now,
});
const held = (holder: string, renewMs: number, transitions = 0): Lease => ({
  metadata: { name: 'virt-controller', namespace: 'tsvirt-system', resourceVersion: '7' },
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: microTime(0),
    renewTime: microTime(renewMs),
    leaseTransitions: transitions,
  },
});

describe('microTime', () => {
  it('writes six fractional digits, as MicroTime needs', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});

describe('decideLease', () => {
  it('creates the lease when there is none', () => {
    const d = decideLease(undefined, undefined, ctx('a', 1000));
    expect(d).toMatchObject({
      kind: 'create',
      lease: { spec: { holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 } },
    });
  });

  it('waits while another holder renewed within the lease duration of local observation', () => {
    const lease = held('b', 0);
    const seen = observe(undefined, lease, 10_000);
    expect(decideLease(lease, seen, ctx('a', 24_999))).toEqual({ kind: 'held', holder: 'b' });
  });

  it('takes over after the lease duration without a change, bumping leaseTransitions and acquireTime', () => {
    const lease = held('b', 0, 2);
    const seen = observe(undefined, lease, 10_000);
    const d = decideLease(lease, seen, ctx('a', 25_000));
    expect(d.kind).toBe('update');
    if (d.kind !== 'update') return;
    expect(d.lease.spec).toMatchObject({
      holderIdentity: 'a',
      leaseTransitions: 3,
      acquireTime: microTime(25_000),
      renewTime: microTime(25_000),
    });
    expect(d.lease.metadata?.resourceVersion).toBe('7'); // the write is conditional on what was read
  });

  it('renews its own lease keeping acquireTime and transitions', () => {
    const lease = held('a', 1000, 4);
    const d = decideLease(lease, observe(undefined, lease, 1000), ctx('a', 3000));
    expect(d).toMatchObject({
      kind: 'update',
      lease: {
        spec: { holderIdentity: 'a', leaseTransitions: 4, acquireTime: microTime(0), renewTime: microTime(3000) },
      },
    });
  });

  it('takes a released lease (empty holder) at once', () => {
    const lease = held('', 1000, 1);
    expect(decideLease(lease, observe(undefined, lease, 1000), ctx('a', 1001)).kind).toBe('update');
  });
});

describe('observe', () => {
  it('keeps the observation time while the record does not change, and moves it when it does', () => {
    const first: LeaseObservation | undefined = observe(undefined, held('b', 0), 100);
    expect(observe(first, held('b', 0), 5000)?.observedAt).toBe(100);
    expect(observe(first, held('b', 2000), 5000)?.observedAt).toBe(5000);
  });
});
