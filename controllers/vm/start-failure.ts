/**
 * Crash-loop back-off, kept durable in the VM's status.startFailure as kubevirt's
 * VirtualMachineStartFailure is: a VMI that fails before ever reaching Running counts as a start
 * failure; the next VMI is created only after 10 s, 20 s, 40 s ... capped at 5 min; a VMI that
 * reaches Running, or a run strategy that does not restart, clears the count (vm.go
 * syncStartFailureStatus). Kubevirt squares the count and adds jitter; we double, without jitter,
 * so the schedule is predictable and testable. Pure.
 */
import type { RunStrategy, VirtualMachine, VirtualMachineInstance, VirtualMachineStatus } from '../../api/types.js';
import { rfc3339 } from '../../api/conditions.js';
import { defined } from '../defined.js';
import { runStrategyOf, wasRunning } from '../../api/lifecycle.js';

/** status.startFailure, with kubevirt's field names (api/crds/vm.ts). */
export type StartFailure = NonNullable<VirtualMachineStatus['startFailure']>;

export const CRASH_LOOP_BASE_DELAY_MS = 10_000;
export const CRASH_LOOP_MAX_DELAY_MS = 300_000;

/** 10 s for the first failure, doubling, never more than 5 min. */
export function crashLoopDelayMs(consecutiveFailCount: number): number {
  const n = Math.max(1, consecutiveFailCount);
  // 2^30 is far beyond the cap; clamping the exponent keeps the number finite.
  return Math.min(CRASH_LOOP_MAX_DELAY_MS, CRASH_LOOP_BASE_DELAY_MS * 2 ** Math.min(n - 1, 30));
}

export function startFailureOf(vm: VirtualMachine): StartFailure | undefined {
  return vm.status?.startFailure;
}

const RESTARTING: ReadonlySet<RunStrategy> = new Set(['Always', 'RerunOnFailure', 'Once']);

/** A VMI that ended without ever running. */
export function failedEarly(vmi: VirtualMachineInstance): boolean {
  return vmi.status?.phase === 'Failed' && !wasRunning(vmi);
}

/** True when this finished VMI still has to be counted in status.startFailure. */
export function failureNotYetRecorded(vm: VirtualMachine, vmi: VirtualMachineInstance): boolean {
  if (!RESTARTING.has(runStrategyOf(vm))) return false;
  return failedEarly(vmi) && startFailureOf(vm)?.lastFailedVMIUID !== vmi.metadata.uid;
}

/** The new status.startFailure after seeing `vmi` (undefined: none). */
export function nextStartFailure(
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  now: Date,
): StartFailure | undefined {
  const current = startFailureOf(vm);
  if ((vmi !== undefined && wasRunning(vmi)) || !RESTARTING.has(runStrategyOf(vm))) return undefined;
  if (vmi === undefined || !failureNotYetRecorded(vm, vmi)) return current;
  return recordFailure(current, vmi, now);
}

function recordFailure(current: StartFailure | undefined, vmi: VirtualMachineInstance, now: Date): StartFailure {
  const count = (current?.consecutiveFailCount ?? 0) + 1;
  // Rounded up to the second the timestamp can hold, so the VMI is never created early.
  const retryAt = new Date(Math.ceil((now.getTime() + crashLoopDelayMs(count)) / 1000) * 1000);
  return {
    consecutiveFailCount: count,
    ...defined({ lastFailedVMIUID: vmi.metadata.uid }),
    retryAfterTimestamp: rfc3339(retryAt),
  };
}

/** Milliseconds left before the next VMI may be created; 0 when it may be created now. */
export function backoffRemainingMs(startFailure: StartFailure | undefined, now: Date): number {
  if (startFailure?.retryAfterTimestamp === undefined) return 0;
  const at = Date.parse(startFailure.retryAfterTimestamp);
  return Number.isNaN(at) ? 0 : Math.max(0, at - now.getTime());
}
