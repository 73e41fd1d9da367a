/**
 * What a VM's run strategy and a VMI's lifecycle fields mean, as kubevirt's VirtualMachine.RunStrategy()
 * and VirtualMachineInstance.IsFinal() read them. Written once here; controller, handler, virt-api
 * and CLI all call these. Pure.
 */
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from './defaults.js';
import type { RunStrategy, VirtualMachine, VirtualMachineInstance, VmiPhase } from './types.js';

/** spec.runStrategy, else the deprecated spec.running (true = Always), else Halted. */
export function runStrategyOf(vm: VirtualMachine): RunStrategy {
  if (vm.spec.runStrategy !== undefined) return vm.spec.runStrategy;
  return vm.spec.running === true ? 'Always' : 'Halted';
}

/** Succeeded and Failed are the phases a VMI never leaves. */
export function isFinalPhase(phase: VmiPhase | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isFinal(vmi: VirtualMachineInstance): boolean {
  return isFinalPhase(vmi.status?.phase);
}

/** The VMI when it exists and has not finished, else undefined: the one a VM's listing describes. */
export function liveVmi(vmi: VirtualMachineInstance | undefined): VirtualMachineInstance | undefined {
  return vmi === undefined || isFinal(vmi) ? undefined : vmi;
}

/**
 * Seconds the guest gets to shut down before it is destroyed. The API server stores the CRD's
 * default (180 s, KubeVirt's) on create, so the fallback matters only for objects built in code.
 */
export function gracePeriodSecondsOf(vmi: VirtualMachineInstance): number {
  return vmi.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
}

export function isBeingDeleted(o: { readonly metadata: { readonly deletionTimestamp?: string } }): boolean {
  return o.metadata.deletionTimestamp !== undefined;
}

/** True when the VMI ever reached Running (kubevirt's wasVMIInRunningPhase). */
export function wasRunning(vmi: VirtualMachineInstance): boolean {
  if (vmi.status?.phase === 'Running') return true;
  return (vmi.status?.phaseTransitionTimestamps ?? []).some((t) => t.phase === 'Running');
}
