/**
 * What `start`, `stop` and `restart` write, decided from the VM and its VMI as KubeVirt's virt-api
 * decides it (pkg/virt-api/rest/subresource.go): ONE JSON patch each, either the run strategy
 * (with a `test` of the current value, so a concurrent change fails instead of being overwritten)
 * or a state change request on the status subresource, which the controller consumes. Refusals use
 * virtctl's words ("VM is already running", "VM is not running").
 */
import type { StateChangeRequest, VirtualMachine, VirtualMachineInstance } from './types.js';
import { isFinal, runStrategyOf } from './lifecycle.js';

export type JsonPatchOp = Readonly<{ op: 'test' | 'add' | 'replace'; path: string; value: unknown }>;

export type StatePlan =
  | Readonly<{ kind: 'patch'; status: boolean; ops: readonly JsonPatchOp[] }>
  | Readonly<{ kind: 'refuse'; message: string }>;

export const MESSAGES = {
  alreadyRunning: 'VM is already running',
  notRunning: 'VM is not running',
  underway: 'unable to complete request: stop/start already underway',
} as const;

const refuse = (message: string): StatePlan => ({ kind: 'refuse', message });

/** A VMI that exists and has not finished. */
function hasLiveVmi(vmi: VirtualMachineInstance | undefined): vmi is VirtualMachineInstance {
  return vmi !== undefined && !isFinal(vmi);
}

/** Replaces the run strategy, testing the old value first (or spec.running, for old-style VMs). */
function strategyPatch(vm: VirtualMachine, to: 'Always' | 'Halted'): StatePlan {
  if (vm.spec.runStrategy === undefined && vm.spec.running !== undefined) {
    return {
      kind: 'patch',
      status: false,
      ops: [
        { op: 'test', path: '/spec/running', value: vm.spec.running },
        { op: 'replace', path: '/spec/running', value: to === 'Always' },
      ],
    };
  }
  const test: JsonPatchOp[] =
    vm.spec.runStrategy === undefined ? [] : [{ op: 'test', path: '/spec/runStrategy', value: vm.spec.runStrategy }];
  return {
    kind: 'patch',
    status: false,
    ops: [...test, { op: vm.spec.runStrategy === undefined ? 'add' : 'replace', path: '/spec/runStrategy', value: to }],
  };
}

/** KubeVirt's getChangeRequestJson: add the requests; a lone Stop replaces pending ones. */
export function changeRequestPlan(vm: VirtualMachine, changes: readonly StateChangeRequest[]): StatePlan {
  if (vm.status === undefined || Object.keys(vm.status).length === 0) {
    return {
      kind: 'patch',
      status: true,
      ops: [{ op: 'add', path: '/status', value: { stateChangeRequests: changes } }],
    };
  }
  const pending = (vm.status.stateChangeRequests ?? []).length > 0;
  const loneStop = changes.length === 1 && changes[0]?.action === 'Stop';
  if (pending && !loneStop) return refuse(MESSAGES.underway);
  return {
    kind: 'patch',
    status: true,
    ops: [{ op: pending ? 'replace' : 'add', path: '/status/stateChangeRequests', value: changes }],
  };
}

const stopOf = (vmi: VirtualMachineInstance): StateChangeRequest =>
  vmi.metadata.uid === undefined ? { action: 'Stop' } : { action: 'Stop', uid: vmi.metadata.uid };

/** Started already: a VMI that has not finished and has a phase other than Unknown. */
function isRunning(vmi: VirtualMachineInstance | undefined): boolean {
  // An unset or Unknown phase is not "running" yet: KubeVirt lets start through then too.
  const phase = vmi?.status?.phase;
  return hasLiveVmi(vmi) && phase !== undefined && phase !== 'Unknown';
}

function startByRequest(
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  strategy: 'Manual' | 'RerunOnFailure',
): StatePlan {
  if (strategy === 'RerunOnFailure' && vmi?.status?.phase === 'Failed')
    return refuse(`${strategy} does not support manual start requests`);
  // A finished VMI is still there: stop it (by uid) first, so the controller makes a fresh one.
  const restart = vmi !== undefined && isFinal(vmi);
  return changeRequestPlan(vm, restart ? [stopOf(vmi), { action: 'Start' }] : [{ action: 'Start' }]);
}

export function planStart(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): StatePlan {
  if (isRunning(vmi)) return refuse(MESSAGES.alreadyRunning);
  const strategy = runStrategyOf(vm);
  switch (strategy) {
    case 'Halted':
      return strategyPatch(vm, 'Always');
    case 'Manual':
    case 'RerunOnFailure':
      return startByRequest(vm, vmi, strategy);
    case 'Always':
    case 'Once':
      return refuse(`${strategy} does not support manual start requests`);
    default:
      return strategy satisfies never;
  }
}

export function planStop(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, force: boolean): StatePlan {
  const strategy = runStrategyOf(vm);
  switch (strategy) {
    case 'Halted':
      if (!hasLiveVmi(vmi)) return refuse(MESSAGES.notRunning);
      // Already Halted and still running: only a forced, shorter grace period adds anything.
      if (!force)
        return refuse(
          'Halted only supports manual stop requests with a shorter grace period (use --force --grace-period)',
        );
      return changeRequestPlan(vm, [stopOf(vmi)]);
    case 'Manual':
      return hasLiveVmi(vmi) ? changeRequestPlan(vm, [stopOf(vmi)]) : refuse(MESSAGES.notRunning);
    case 'Always':
    case 'RerunOnFailure':
    case 'Once':
      return strategyPatch(vm, 'Halted');
    default:
      return strategy satisfies never;
  }
}

export function planRestart(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): StatePlan {
  const strategy = runStrategyOf(vm);
  if (strategy === 'Halted') return refuse('Halted does not support manual restart requests');
  if (!hasLiveVmi(vmi)) return refuse(MESSAGES.notRunning);
  return changeRequestPlan(vm, [stopOf(vmi), { action: 'Start' }]);
}
