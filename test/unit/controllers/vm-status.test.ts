import type {
  Condition,
  PrintableStatus,
  RunStrategy,
  VirtualMachineInstance,
  VirtualMachineStatus,
} from '../../../api/types.js';
import { computeVmStatus } from '../../../controllers/vm/status.js';
import { NOW, VMI_UID, start, stop, vm, vmi, wasRunningStatus } from './fixtures.js';

const unschedulable: Condition = {
  type: 'PodScheduled',
  status: 'False',
  reason: 'Unschedulable',
  message: '0/1 nodes are available: 1 Insufficient cpu.',
  lastTransitionTime: '2026-11-25T13:58:00Z',
};
const pullFailing = (reason: string): Condition => ({
  type: 'Synchronized',
  status: 'False',
  reason,
  message: 'reading manifest 12 in 127.0.0.1:5000/tsvirt/nope: manifest unknown',
  lastTransitionTime: '2026-11-25T13:58:00Z',
});
const paused: Condition = { type: 'Paused', status: 'True', lastTransitionTime: '2026-11-25T13:58:00Z' };
const readyTrue: Condition = { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-25T13:58:00Z' };
const crashLoop: VirtualMachineStatus = {
  startFailure: { consecutiveFailCount: 2, lastFailedVMIUID: VMI_UID, retryAfterTimestamp: '2026-11-25T14:00:20Z' },
};

type Row = [
  string,
  RunStrategy,
  VirtualMachineStatus,
  VirtualMachineInstance | undefined,
  PrintableStatus,
  { deleting?: boolean },
];

describe('computeVmStatus printableStatus', () => {
  const rows: Row[] = [
    [
      'a VM being deleted is Terminating, before all else',
      'Always',
      {},
      vmi('Running'),
      'Terminating',
      { deleting: true },
    ],
    ['a VMI being deleted is Stopping', 'Always', {}, vmi('Running', { deleting: true }), 'Stopping', {}],
    ['a live VMI under Halted is Stopping', 'Halted', {}, vmi('Running'), 'Stopping', {}],
    [
      'a live VMI named by a Stop request is Stopping',
      'Manual',
      { stateChangeRequests: [stop()] },
      vmi('Scheduled'),
      'Stopping',
      {},
    ],
    [
      'a running VMI with Paused=True is Paused',
      'Always',
      {},
      vmi('Running', { status: { conditions: [paused] } }),
      'Paused',
      {},
    ],
    ['a running VMI is Running', 'Always', {}, vmi('Running'), 'Running', {}],
    [
      'an unschedulable Pod is ErrorUnschedulable',
      'Always',
      {},
      vmi('Scheduling', { status: { conditions: [unschedulable] } }),
      'ErrorUnschedulable',
      {},
    ],
    [
      'a VMI whose containerDisk failed to pull is ErrImagePull',
      'Always',
      {},
      vmi('Scheduled', { status: { conditions: [pullFailing('ErrImagePull')] } }),
      'ErrImagePull',
      {},
    ],
    [
      'a VMI waiting to pull again is ImagePullBackOff',
      'Always',
      {},
      vmi('Scheduled', { status: { conditions: [pullFailing('ImagePullBackOff')] } }),
      'ImagePullBackOff',
      {},
    ],
    ['a new VMI is Starting', 'Always', {}, vmi(undefined), 'Starting', {}],
    ['a Pending VMI is Starting', 'Always', {}, vmi('Pending'), 'Starting', {}],
    ['a Scheduling VMI is Starting', 'RerunOnFailure', {}, vmi('Scheduling'), 'Starting', {}],
    ['a Scheduled VMI is Starting', 'Once', {}, vmi('Scheduled'), 'Starting', {}],
    ['no VMI while backing off is CrashLoopBackOff', 'Always', crashLoop, undefined, 'CrashLoopBackOff', {}],
    [
      'a failed VMI with a failure count is CrashLoopBackOff',
      'RerunOnFailure',
      crashLoop,
      vmi('Failed'),
      'CrashLoopBackOff',
      {},
    ],
    ['Manual never crash-loops', 'Manual', crashLoop, undefined, 'Stopped', {}],
    ['no VMI is Stopped', 'Halted', {}, undefined, 'Stopped', {}],
    ['a succeeded VMI is Stopped', 'Once', {}, vmi('Succeeded', { status: wasRunningStatus }), 'Stopped', {}],
    ['a failed VMI under Manual is Stopped', 'Manual', {}, vmi('Failed'), 'Stopped', {}],
    ['a VMI in phase Unknown is Unknown', 'Always', {}, vmi('Unknown'), 'Unknown', {}],
  ];
  it.each(rows)('%s', (...[, strategy, status, current, expected, extra]: Row) => {
    expect(computeVmStatus(vm(strategy, status, extra), current, NOW).printableStatus).toBe(expected);
  });
});

describe('computeVmStatus', () => {
  it('says created, ready and observedGeneration from the VMI and the VM', () => {
    const s = computeVmStatus(vm('Always'), vmi('Running', { status: { conditions: [readyTrue] } }), NOW);
    expect(s).toMatchObject({ created: true, ready: true, observedGeneration: 3, runStrategy: 'Always' });
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
  });

  it('sets Ready=False VMINotExists without a VMI, and no runStrategy for a VM that never ran', () => {
    const s = computeVmStatus(vm('Halted'), undefined, NOW);
    expect(s).toMatchObject({ created: false, ready: false, printableStatus: 'Stopped' });
    expect(s.runStrategy).toBeUndefined();
    expect(s.conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'VMINotExists',
        message: 'VMI does not exist',
        lastTransitionTime: '2026-11-25T14:00:00Z',
      },
    ]);
  });

  it("copies the VMI's PodScheduled condition with the scheduler's message, and drops it with the VMI", () => {
    const withVmi = computeVmStatus(vm('Always'), vmi('Scheduling', { status: { conditions: [unschedulable] } }), NOW);
    expect(withVmi.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: '0/1 nodes are available: 1 Insufficient cpu.',
    });
    const gone = computeVmStatus(vm('Halted', withVmi), undefined, NOW);
    expect(gone.conditions?.some((c) => c.type === 'PodScheduled')).toBe(false);
  });

  it('moves lastTransitionTime only when a condition flips', () => {
    const first = computeVmStatus(vm('Halted'), undefined, NOW);
    const later = new Date(NOW.getTime() + 60_000);
    const same = computeVmStatus(vm('Halted', first), undefined, later);
    expect(same).toEqual(first);
    const flipped = computeVmStatus(
      vm('Always', first),
      vmi('Running', { status: { conditions: [readyTrue] } }),
      later,
    );
    expect(flipped.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2026-11-25T14:01:00Z');
  });

  it('sets and clears the Failure condition from the sync error', () => {
    const failed = computeVmStatus(vm('Always'), undefined, NOW, { reason: 'FailedCreate', message: 'quota exceeded' });
    expect(failed.conditions?.find((c) => c.type === 'Failure')).toMatchObject({
      status: 'True',
      reason: 'FailedCreate',
      message: 'quota exceeded',
    });
    expect(computeVmStatus(vm('Always', failed), undefined, NOW).conditions?.some((c) => c.type === 'Failure')).toBe(
      false,
    );
  });

  it('drops done state-change requests: restart done once a new VMI lives', () => {
    const s = computeVmStatus(vm('Always', { stateChangeRequests: [stop('old'), start] }), vmi(undefined), NOW);
    expect(s.stateChangeRequests).toBeUndefined();
  });

  it('keeps a restart queued while the old VMI is going away', () => {
    const s = computeVmStatus(
      vm('Always', { stateChangeRequests: [stop(), start] }),
      vmi('Running', { deleting: true }),
      NOW,
    );
    expect(s.stateChangeRequests).toEqual([stop(), start]);
  });

  it('queues a Start for a failed VMI under RerunOnFailure, once', () => {
    const s = computeVmStatus(vm('RerunOnFailure'), vmi('Failed', { status: wasRunningStatus }), NOW);
    expect(s.stateChangeRequests).toEqual([start]);
    expect(
      computeVmStatus(vm('RerunOnFailure', s), vmi('Failed', { status: wasRunningStatus }), NOW).stateChangeRequests,
    ).toEqual([start]);
  });

  it('counts a VMI that failed before running once, with a 10 s back-off', () => {
    const s = computeVmStatus(vm('Always'), vmi('Failed'), NOW);
    expect(s.startFailure).toEqual({
      consecutiveFailCount: 1,
      lastFailedVMIUID: VMI_UID,
      retryAfterTimestamp: '2026-11-25T14:00:10Z',
    });
    expect(computeVmStatus(vm('Always', s), vmi('Failed'), new Date(NOW.getTime() + 5000)).startFailure).toEqual(
      s.startFailure,
    );
  });

  it('clears the crash-loop record once a VMI runs', () => {
    const s = computeVmStatus(vm('Always', crashLoop), vmi('Running', { uid: 'new', status: wasRunningStatus }), NOW);
    expect(s.startFailure).toBeUndefined();
  });

  it('writes nothing new when nothing changed (the same status twice)', () => {
    const once = computeVmStatus(vm('Always'), vmi('Scheduled'), NOW);
    expect(computeVmStatus(vm('Always', once), vmi('Scheduled'), new Date(NOW.getTime() + 1000))).toEqual(once);
  });
});

describe('computeVmStatus for a VMI just created', () => {
  it('says GuestNotRunning before the VMI has a Ready condition, as the VMI will a moment later', () => {
    const s = computeVmStatus(vm('Always'), vmi(undefined), NOW);
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'GuestNotRunning' });
  });

  it('does not copy PodScheduled=True: a placed Pod is no news on a VM', () => {
    const scheduled: Condition = { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-25T13:58:00Z' };
    const s = computeVmStatus(vm('Always'), vmi('Scheduled', { status: { conditions: [scheduled] } }), NOW);
    expect(s.conditions?.some((c) => c.type === 'PodScheduled')).toBe(false);
  });
});
