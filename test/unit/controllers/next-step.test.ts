import type { RunStrategy, VirtualMachineStatus } from '../../../api/types.js';
import { nextVmStep, type VmStep } from '../../../controllers/vm/next-step.js';
import { NOW, VMI_UID, start, stop, vm, vmi, wasRunningStatus } from './fixtures.js';

const CREATE: VmStep = { kind: 'createVmi' };
const NONE: VmStep = { kind: 'none' };
const RECORD: VmStep = { kind: 'recordStatus' };
const del = (reason: string): VmStep => ({ kind: 'deleteVmi', uid: VMI_UID, reason }) as VmStep;

const recorded = (
  count = 1,
  retryAfter = '2026-11-25T13:59:00Z',
): NonNullable<VirtualMachineStatus['startFailure']> => ({
  consecutiveFailCount: count,
  lastFailedVMIUID: VMI_UID,
  retryAfterTimestamp: retryAfter,
});

type Row = [string, RunStrategy, VirtualMachineStatus, ReturnType<typeof vmi> | undefined, VmStep];

describe('nextVmStep', () => {
  const rows: Row[] = [
    // Always: one VMI always; a finished one is replaced, after recording early failures.
    ['Always, no VMI: creates one', 'Always', {}, undefined, CREATE],
    ['Always, VMI scheduling: nothing', 'Always', {}, vmi('Scheduling'), NONE],
    ['Always, VMI running: nothing', 'Always', {}, vmi('Running'), NONE],
    [
      'Always, VMI succeeded after running: deletes it to recreate',
      'Always',
      {},
      vmi('Succeeded', { status: wasRunningStatus }),
      del('Finished'),
    ],
    ['Always, VMI failed early, not yet counted: records first', 'Always', {}, vmi('Failed'), RECORD],
    [
      'Always, VMI failed early, counted: deletes it',
      'Always',
      { startFailure: recorded() },
      vmi('Failed'),
      del('Finished'),
    ],
    [
      'Always, no VMI, back-off over: creates',
      'Always',
      { startFailure: recorded(1, '2026-11-25T13:59:59Z') },
      undefined,
      CREATE,
    ],
    [
      'Always, Stop request for the VMI (restart): deletes it',
      'Always',
      { stateChangeRequests: [stop(), start] },
      vmi('Running'),
      del('RestartRequested'),
    ],
    [
      'Always, Stop request for another VMI: nothing',
      'Always',
      { stateChangeRequests: [stop('old')] },
      vmi('Running'),
      NONE,
    ],
    [
      'Always, restart with the old VMI gone: creates',
      'Always',
      { stateChangeRequests: [stop(), start] },
      undefined,
      CREATE,
    ],
    // RerunOnFailure: recreated only after Failed.
    ['RerunOnFailure, new VM: creates', 'RerunOnFailure', {}, undefined, CREATE],
    [
      'RerunOnFailure, no VMI after a success: nothing',
      'RerunOnFailure',
      { runStrategy: 'RerunOnFailure' },
      undefined,
      NONE,
    ],
    [
      'RerunOnFailure, no VMI with a Start request: creates',
      'RerunOnFailure',
      { runStrategy: 'RerunOnFailure', stateChangeRequests: [start] },
      undefined,
      CREATE,
    ],
    ['RerunOnFailure, switched from Halted: creates', 'RerunOnFailure', { runStrategy: 'Halted' }, undefined, CREATE],
    ['RerunOnFailure, VMI running: nothing', 'RerunOnFailure', { runStrategy: 'RerunOnFailure' }, vmi('Running'), NONE],
    [
      'RerunOnFailure, VMI failed, no Start queued yet: records first',
      'RerunOnFailure',
      { runStrategy: 'RerunOnFailure', startFailure: recorded() },
      vmi('Failed'),
      RECORD,
    ],
    [
      'RerunOnFailure, VMI failed, Start queued and failure counted: deletes it',
      'RerunOnFailure',
      { runStrategy: 'RerunOnFailure', startFailure: recorded(), stateChangeRequests: [start] },
      vmi('Failed'),
      del('Finished'),
    ],
    [
      'RerunOnFailure, VMI succeeded: deletes it (stays stopped)',
      'RerunOnFailure',
      { runStrategy: 'RerunOnFailure' },
      vmi('Succeeded', { status: wasRunningStatus }),
      del('Finished'),
    ],
    [
      'RerunOnFailure, VMI succeeded, strategy not yet recorded: records first',
      'RerunOnFailure',
      {},
      vmi('Succeeded', { status: wasRunningStatus }),
      RECORD,
    ],
    [
      'RerunOnFailure, Stop request: deletes',
      'RerunOnFailure',
      { runStrategy: 'RerunOnFailure', stateChangeRequests: [stop()] },
      vmi('Running'),
      del('StopRequested'),
    ],
    // Manual: only on requests.
    ['Manual, no VMI, no request: nothing', 'Manual', {}, undefined, NONE],
    ['Manual, no VMI, Start request: creates', 'Manual', { stateChangeRequests: [start] }, undefined, CREATE],
    [
      'Manual, VMI running, Start request: nothing (done)',
      'Manual',
      { stateChangeRequests: [start] },
      vmi('Running'),
      NONE,
    ],
    [
      'Manual, VMI running, Stop request: deletes',
      'Manual',
      { stateChangeRequests: [stop()] },
      vmi('Running'),
      del('StopRequested'),
    ],
    ['Manual, VMI failed, no request: nothing', 'Manual', {}, vmi('Failed'), NONE],
    [
      'Manual, VMI succeeded, Start request: clears it away to start again',
      'Manual',
      { stateChangeRequests: [start] },
      vmi('Succeeded'),
      del('RestartRequested'),
    ],
    [
      'Manual, no VMI, back-off recorded: creates anyway',
      'Manual',
      { stateChangeRequests: [start], startFailure: recorded(3, '2026-11-25T15:00:00Z') },
      undefined,
      CREATE,
    ],
    // Halted: none.
    ['Halted, no VMI: nothing', 'Halted', {}, undefined, NONE],
    [
      'Halted, no VMI, Start request: nothing (clients start with runStrategy)',
      'Halted',
      { stateChangeRequests: [start] },
      undefined,
      NONE,
    ],
    ['Halted, VMI running: deletes it', 'Halted', {}, vmi('Running'), del('RunStrategyHalted')],
    ['Halted, VMI succeeded: deletes it', 'Halted', {}, vmi('Succeeded'), del('RunStrategyHalted')],
    // Once: never recreated.
    ['Once, no VMI: creates', 'Once', {}, undefined, CREATE],
    ['Once, VMI running: nothing', 'Once', {}, vmi('Running'), NONE],
    ['Once, VMI failed: nothing', 'Once', {}, vmi('Failed'), NONE],
    ['Once, VMI succeeded: nothing', 'Once', {}, vmi('Succeeded', { status: wasRunningStatus }), NONE],
    ['Once, Stop request: ignored', 'Once', { stateChangeRequests: [stop()] }, vmi('Running'), NONE],
  ];

  it.each(rows)('%s', (...[, strategy, status, current, expected]: Row) => {
    expect(nextVmStep(vm(strategy, status), current, NOW)).toEqual(expected);
  });

  it.each(['Always', 'RerunOnFailure', 'Manual', 'Halted', 'Once'] as const)(
    'waits while the VMI is being deleted, whatever the strategy (%s)',
    (strategy) => {
      expect(
        nextVmStep(vm(strategy, { stateChangeRequests: [stop(), start] }), vmi('Running', { deleting: true }), NOW),
      ).toEqual(NONE);
    },
  );

  it.each(['Always', 'RerunOnFailure', 'Manual', 'Halted', 'Once'] as const)(
    'deletes the VMI of a VM being deleted (%s)',
    (strategy) => {
      expect(nextVmStep(vm(strategy, {}, { deleting: true }), vmi('Running'), NOW)).toEqual(del('VmDeleted'));
      expect(nextVmStep(vm(strategy, {}, { deleting: true }), undefined, NOW)).toEqual(NONE);
    },
  );

  it.each(['Always', 'RerunOnFailure'] as const)('backs off for the time left in the crash loop (%s)', (strategy) => {
    const status: VirtualMachineStatus = { runStrategy: 'Halted', startFailure: recorded(2, '2026-11-25T14:00:20Z') };
    expect(nextVmStep(vm(strategy, status), undefined, NOW)).toEqual({ kind: 'waitBackoff', ms: 20_000 });
  });

  it('reads the deprecated spec.running: true as Always', () => {
    const v = vm('Always');
    const legacy = { ...v, spec: { template: v.spec.template, running: true } };
    expect(nextVmStep(legacy, undefined, NOW)).toEqual(CREATE);
    expect(nextVmStep({ ...legacy, spec: { template: v.spec.template, running: false } }, undefined, NOW)).toEqual(
      NONE,
    );
  });
});
