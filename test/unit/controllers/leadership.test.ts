import { leaseDecision } from '../../../controllers/leadership.js';

const NOW = new Date('2026-11-25T14:00:00Z');
const lease = (holder: string, renewed: string, duration = 15) => ({
  spec: { holderIdentity: holder, renewTime: renewed, leaseDurationSeconds: duration },
});

describe('leaseDecision', () => {
  it('acquires a missing or released lease', () => {
    expect(leaseDecision(undefined, 'me', NOW)).toEqual({ kind: 'acquire' });
    expect(leaseDecision(lease('', '2026-11-25T13:59:59.000000Z'), 'me', NOW)).toEqual({ kind: 'acquire' });
  });

  it('renews its own lease', () => {
    expect(leaseDecision(lease('me', '2026-11-25T13:00:00.000000Z'), 'me', NOW)).toEqual({ kind: 'renew' });
  });

  it('waits while another holder renewed within the lease duration', () => {
    expect(leaseDecision(lease('other', '2026-11-25T13:59:50.000000Z'), 'me', NOW)).toEqual({
      kind: 'wait',
      holder: 'other',
    });
  });

  it('takes over a lease its holder let run out', () => {
    expect(leaseDecision(lease('other', '2026-11-25T13:59:45.000000Z'), 'me', NOW)).toEqual({ kind: 'acquire' });
  });
});
