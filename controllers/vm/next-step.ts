/**
 * What the VM reconciler does next, from the VM and its VMI as the cache shows them: KubeVirt's
 * run strategies (vm.go syncRunStrategy), one action per pass. Level-based: the same inputs always
 * give the same step, whatever happened before. Pure: no I/O, the clock handed in.
 *
 * - Always: a VMI always exists; a finished one is deleted and a new one created (crash-loop
 *   back-off applies to VMIs that failed before running).
 * - RerunOnFailure: recreated only after Failed; Succeeded stays stopped.
 * - Manual: a VMI is created or deleted only on a Start or Stop request.
 * - Halted: no VMI.
 * - Once: one VMI, never recreated.
 * A Stop request naming the VMI's uid deletes it under every strategy except Once (restart is
 * [Stop uid, Start]).
 */
import type { RunStrategy, VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import { isBeingDeleted, isFinal, runStrategyOf } from '../../api/lifecycle.js';
import { hasStartRequest, hasStopRequestFor, trimStateChangeRequests } from './state-change.js';
import { backoffRemainingMs, failureNotYetRecorded, type StartFailure } from './start-failure.js';

/** Why a VMI is deleted; shown in logs and the Stopped Event. */
export type DeleteReason = 'VmDeleted' | 'StopRequested' | 'RunStrategyHalted' | 'Finished' | 'RestartRequested';

export type VmStep = Readonly<
  | { kind: 'createVmi' }
  | { kind: 'deleteVmi'; uid: string; reason: DeleteReason }
  /** Crash-loop back-off: come back after `ms`. */
  | { kind: 'waitBackoff'; ms: number }
  /**
   * The finished VMI must first be recorded in the VM's status (start-failure count, RerunOnFailure's
   * Start request): deleting it first would lose that record if the status write then failed.
   */
  | { kind: 'recordStatus' }
  | { kind: 'none' }
>;

const NONE: VmStep = { kind: 'none' };
const CREATE: VmStep = { kind: 'createVmi' };

function deleteStep(vmi: VirtualMachineInstance, reason: DeleteReason): VmStep {
  return { kind: 'deleteVmi', uid: vmi.metadata.uid ?? '', reason };
}

function createUnlessBackingOff(startFailure: StartFailure | undefined, now: Date): VmStep {
  const ms = backoffRemainingMs(startFailure, now);
  return ms > 0 ? { kind: 'waitBackoff', ms } : CREATE;
}

type Ctx = Readonly<{
  vm: VirtualMachine;
  vmi: VirtualMachineInstance;
  startRequested: boolean;
  stopRequested: boolean;
}>;

function withAlways(c: Ctx): VmStep {
  if (c.stopRequested) return deleteStep(c.vmi, 'RestartRequested');
  if (!isFinal(c.vmi)) return NONE;
  return failureNotYetRecorded(c.vm, c.vmi) ? { kind: 'recordStatus' } : deleteStep(c.vmi, 'Finished');
}

function withRerunOnFailure(c: Ctx): VmStep {
  if (c.stopRequested) return deleteStep(c.vmi, 'StopRequested');
  const phase = c.vmi.status?.phase;
  const recorded = c.vm.status?.runStrategy === 'RerunOnFailure';
  if (phase === 'Failed') {
    const ready = recorded && c.startRequested && !failureNotYetRecorded(c.vm, c.vmi);
    return ready ? deleteStep(c.vmi, 'Finished') : { kind: 'recordStatus' };
  }
  if (phase === 'Succeeded') return recorded ? deleteStep(c.vmi, 'Finished') : { kind: 'recordStatus' };
  return NONE;
}

function withManual(c: Ctx): VmStep {
  if (c.stopRequested) return deleteStep(c.vmi, 'StopRequested');
  // A Start for a finished VMI: clear the old incarnation out of the way, then create.
  if (c.startRequested && isFinal(c.vmi)) return deleteStep(c.vmi, 'RestartRequested');
  return NONE;
}

function withVmi(strategy: RunStrategy, c: Ctx): VmStep {
  switch (strategy) {
    case 'Always':
      return withAlways(c);
    case 'RerunOnFailure':
      return withRerunOnFailure(c);
    case 'Manual':
      return withManual(c);
    case 'Halted':
      return deleteStep(c.vmi, 'RunStrategyHalted');
    case 'Once':
      return NONE;
    default:
      return NONE;
  }
}

type WithoutVmi = (status: VirtualMachine['status'], startRequested: boolean, now: Date) => VmStep;

const WITHOUT_VMI: Readonly<Record<RunStrategy, WithoutVmi>> = {
  Always: (status, _start, now) => createUnlessBackingOff(status?.startFailure, now),
  // Without a VMI, RerunOnFailure starts on a Start request (queued when a VMI failed) or when it
  // has never acted on this VM (a new VM, or one just switched to RerunOnFailure).
  RerunOnFailure: (status, start, now) =>
    !start && status?.runStrategy === 'RerunOnFailure' ? NONE : createUnlessBackingOff(status?.startFailure, now),
  Manual: (_status, start) => (start ? CREATE : NONE),
  Halted: () => NONE,
  Once: () => CREATE,
};

/**
 * The next step for `vm`, given its VMI (same name, owned by it) as the cache shows it.
 * The crash-loop record is read from the VM's status.startFailure.
 */
export function nextVmStep(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, now: Date): VmStep {
  if (vmi !== undefined && isBeingDeleted(vmi)) return NONE; // wait for it to go
  if (isBeingDeleted(vm)) return vmi === undefined ? NONE : deleteStep(vmi, 'VmDeleted');
  const requests = trimStateChangeRequests(vm.status?.stateChangeRequests, vmi);
  const strategy = runStrategyOf(vm);
  const startRequested = hasStartRequest(requests);
  if (vmi === undefined) return (WITHOUT_VMI[strategy] ?? ((): VmStep => NONE))(vm.status, startRequested, now);
  const stopRequested = strategy !== 'Once' && hasStopRequestFor(requests, vmi);
  return withVmi(strategy, { vm, vmi, startRequested, stopRequested });
}
