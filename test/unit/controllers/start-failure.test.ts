import { backoffRemainingMs, crashLoopDelayMs, nextStartFailure } from '../../../controllers/vm/start-failure.js';
import { NOW, VMI_UID, vm, vmi } from './fixtures.js';

describe('crashLoopDelayMs', () => {
  it.each([
    [0, 10_000],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [4, 80_000],
    [5, 160_000],
    [6, 300_000],
    [50, 300_000],
  ])('after %i failures waits %i ms', (count, ms) => {
    expect(crashLoopDelayMs(count)).toBe(ms);
  });
});

describe('nextStartFailure', () => {
  it('counts consecutive early failures of different VMIs, doubling the wait', () => {
    const first = nextStartFailure(vm('Always'), vmi('Failed', { uid: 'a' }), NOW);
    const second = nextStartFailure(
      vm('Always', first === undefined ? {} : { startFailure: first }),
      vmi('Failed', { uid: 'b' }),
      NOW,
    );
    expect(second).toEqual({
      consecutiveFailCount: 2,
      lastFailedVMIUID: 'b',
      retryAfterTimestamp: '2026-11-25T14:00:20Z',
    });
  });

  it.each(['Manual', 'Halted'] as const)('keeps no record under %s, which never restarts on its own', (strategy) => {
    expect(nextStartFailure(vm(strategy), vmi('Failed'), NOW)).toBeUndefined();
  });

  it('keeps the record while no VMI exists', () => {
    const sf = { consecutiveFailCount: 1, lastFailedVMIUID: VMI_UID, retryAfterTimestamp: '2026-11-25T14:00:10Z' };
    expect(nextStartFailure(vm('Always', { startFailure: sf }), undefined, NOW)).toEqual(sf);
  });
});

describe('backoffRemainingMs', () => {
  it('is the time to retryAfterTimestamp, never negative', () => {
    expect(backoffRemainingMs({ consecutiveFailCount: 1, retryAfterTimestamp: '2026-11-25T14:00:10Z' }, NOW)).toBe(
      10_000,
    );
    expect(backoffRemainingMs({ consecutiveFailCount: 1, retryAfterTimestamp: '2026-11-25T13:00:00Z' }, NOW)).toBe(0);
    expect(backoffRemainingMs(undefined, NOW)).toBe(0);
  });
});
