/**
 * The states `--wait` waits for, as checks on the VM: Running after start and create, Stopped
 * after stop, and after restart Running again with a new VMI. A status older than the spec, or
 * one with state change requests the controller has not consumed yet, does not count.
 */
import type { VirtualMachine } from '../api/types.js';
import { isVirtualMachine } from '../api/types.js';
import { runStrategyOf } from '../api/lifecycle.js';
import { hasCondition } from '../api/conditions.js';
import { CONDITION_TYPES } from '../api/names.js';
import { statusIsCurrent, type Evaluation } from './wait-for.js';

export type VmGoal = Readonly<
  { kind: 'running' } | { kind: 'agent' } | { kind: 'stopped' } | { kind: 'restarted'; oldVmiUid: string | undefined }
>;

function settled(vm: VirtualMachine): boolean {
  return statusIsCurrent(vm) && (vm.status?.stateChangeRequests ?? []).length === 0;
}

/** What a progress line or a timeout message says about the VM. */
export function describeSeen(vm: VirtualMachine | undefined): string {
  if (vm === undefined) return 'VM not found';
  const status = vm.status?.printableStatus ?? 'no status yet';
  const failure = vm.status?.conditions?.find((c) => c.type === 'Failure' && c.status === 'True');
  return failure?.message === undefined ? status : `${status}: ${failure.message}`;
}

/** The controller copies the VMI's AgentConnected onto the VM. */
const agentConnected = (vm: VirtualMachine): boolean =>
  hasCondition(vm.status?.conditions, CONDITION_TYPES.agentConnected, 'True');

function goalMet(goal: VmGoal, vm: VirtualMachine, vmiUid: string | undefined): boolean {
  if (!settled(vm)) return false;
  const status = vm.status?.printableStatus;
  switch (goal.kind) {
    case 'running':
      return status === 'Running';
    case 'agent':
      return status === 'Running' && agentConnected(vm);
    case 'stopped':
      return status === 'Stopped';
    case 'restarted':
      return status === 'Running' && vmiUid !== undefined && vmiUid !== goal.oldVmiUid;
    default:
      return goal satisfies never;
  }
}

/** Checks a VM against a goal; `vmiUid` is the current VMI's uid, for restarts. */
export function checkVmGoal(goal: VmGoal, o: unknown, vmiUid: string | undefined): Evaluation {
  const vm = isVirtualMachine(o) ? o : undefined;
  return { met: vm !== undefined && goalMet(goal, vm, vmiUid), seen: describeSeen(vm) };
}

/** The goal of `create --wait`: Running when the run strategy starts the VM, else Stopped. */
export function goalAfterCreate(vm: VirtualMachine): VmGoal {
  const s = runStrategyOf(vm);
  return s === 'Always' || s === 'RerunOnFailure' || s === 'Once' ? { kind: 'running' } : { kind: 'stopped' };
}
