/**
 * Reading a VM's run strategy and its VMI's lifecycle, as kubevirt's VirtualMachine.RunStrategy()
 * and VirtualMachineInstance.IsFinal() do. Pure.
 */
import type { RunStrategy, VirtualMachine, VirtualMachineInstance, VmiPhase } from '../../api/types.js';

/** spec.runStrategy, else the deprecated spec.running (true = Always), else Halted. */
export function runStrategyOf(vm: VirtualMachine): RunStrategy {
  if (vm.spec.runStrategy !== undefined) return vm.spec.runStrategy;
  return vm.spec.running === true ? 'Always' : 'Halted';
}

export function isFinalPhase(phase: VmiPhase | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isFinal(vmi: VirtualMachineInstance): boolean {
  return isFinalPhase(vmi.status?.phase);
}

export function isBeingDeleted(o: { readonly metadata: { readonly deletionTimestamp?: string } }): boolean {
  return o.metadata.deletionTimestamp !== undefined;
}

/** True when the VMI ever reached Running (kubevirt's wasVMIInRunningPhase). */
export function wasRunning(vmi: VirtualMachineInstance): boolean {
  if (vmi.status?.phase === 'Running') return true;
  return (vmi.status?.phaseTransitionTimestamps ?? []).some((t) => t.phase === 'Running');
}
