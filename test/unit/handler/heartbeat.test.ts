import { SYSTEM_NAMESPACE } from '../../../api/names.js';
import { HEARTBEAT_LEASE_SECONDS, heartbeatLease } from '../../../handler/heartbeat.js';
import { handlerLeaseName } from '../../../api/object-names.js';

const T0 = new Date('2026-11-25T14:00:00.123Z');
const T1 = new Date('2026-11-25T14:00:10.456Z');

describe('heartbeatLease', () => {
  it('names one Lease per node in the system namespace', () => {
    const lease = heartbeatLease('node-1', T0, undefined);
    expect(lease.metadata).toMatchObject({ name: handlerLeaseName('node-1'), namespace: SYSTEM_NAMESPACE });
    expect(lease.metadata?.name).toBe('virt-handler-node-1');
    expect(lease.spec).toEqual({
      holderIdentity: 'node-1',
      leaseDurationSeconds: HEARTBEAT_LEASE_SECONDS,
      acquireTime: '2026-11-25T14:00:00.123000Z',
      renewTime: '2026-11-25T14:00:00.123000Z',
      leaseTransitions: 0,
    });
  });

  it('moves only renewTime on a renewal and keeps the resourceVersion for a safe update', () => {
    const first = {
      ...heartbeatLease('node-1', T0, undefined),
      metadata: { name: 'virt-handler-node-1', namespace: SYSTEM_NAMESPACE, resourceVersion: '42' },
    };
    const renewed = heartbeatLease('node-1', T1, first);
    expect(renewed.metadata?.resourceVersion).toBe('42');
    expect(renewed.spec?.acquireTime).toBe('2026-11-25T14:00:00.123000Z');
    expect(renewed.spec?.renewTime).toBe('2026-11-25T14:00:10.456000Z');
    expect(renewed.spec?.leaseTransitions).toBe(0);
  });

  it('counts a transition when another holder had the Lease', () => {
    const other = heartbeatLease('node-x', T0, undefined);
    const taken = heartbeatLease('node-1', T1, other);
    expect(taken.spec).toMatchObject({
      holderIdentity: 'node-1',
      acquireTime: '2026-11-25T14:00:10.456000Z',
      leaseTransitions: 1,
    });
  });
});
