/**
 * A VM's status from the VM and its VMI as they are after this pass's action (kubevirt vm.go
 * updateStatus): printableStatus (./printable-status.ts), ready, created, observedGeneration,
 * the Ready condition (the VMI's, or False when there is none), the VMI's other conditions
 * (PodScheduled with the scheduler's message, Paused, ...), Failure when this pass could not do
 * what the run strategy asks, the state-change queue with done requests dropped, the crash-loop
 * record, and the run strategy acted on. Pure.
 */
import { CONDITION_TYPES } from '../../api/names.js';
import type {
  Condition,
  StateChangeRequest,
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachineStatus,
} from '../../api/types.js';
import { GUEST_NOT_RUNNING } from '../vmi/status.js';
import { findCondition, removeCondition, setCondition, type ConditionInput } from '../../api/conditions.js';
import { defined } from '../defined.js';
import { printableStatus } from './printable-status.js';
import { isBeingDeleted, runStrategyOf } from '../../api/lifecycle.js';
import { nextStartFailure } from './start-failure.js';
import { trimStateChangeRequests } from './state-change.js';

/** Why this pass could not do its step; shown as the Failure condition. */
export type SyncError = Readonly<{ reason: string; message: string }>;

/** VM conditions kept by the VM itself, never copied from or removed with the VMI's. */
const OWN_CONDITIONS: ReadonlySet<string> = new Set([
  CONDITION_TYPES.ready,
  CONDITION_TYPES.failure,
  CONDITION_TYPES.restartRequired,
]);

function readyInput(vmi: VirtualMachineInstance | undefined): ConditionInput {
  if (vmi === undefined)
    return { type: CONDITION_TYPES.ready, status: 'False', reason: 'VMINotExists', message: 'VMI does not exist' };
  const c = findCondition(vmi.status?.conditions, CONDITION_TYPES.ready);
  // A VMI too new to say: its guest is not running yet. Kubevirt says VMIConditionMissing here;
  // saying what the VMI will say a moment later spares a status write per start.
  if (c === undefined) return GUEST_NOT_RUNNING;
  return asInput(c);
}

function asInput(c: Condition): ConditionInput {
  return { type: c.type, status: c.status, ...defined({ reason: c.reason, message: c.message }) };
}

function copyVmiConditions(
  vmConds: ReadonlyArray<Condition>,
  vmi: VirtualMachineInstance | undefined,
  now: Date,
): ReadonlyArray<Condition> {
  // PodScheduled=True is no news on a VM (it is Starting or Running); only trouble is copied.
  const vmiConds = (vmi?.status?.conditions ?? []).filter(
    (c) => !OWN_CONDITIONS.has(c.type) && !(c.type === CONDITION_TYPES.podScheduled && c.status === 'True'),
  );
  let out: ReadonlyArray<Condition> = vmConds.filter(
    (c) => OWN_CONDITIONS.has(c.type) || vmiConds.some((v) => v.type === c.type),
  );
  for (const c of vmiConds) {
    out = setCondition(out, asInput(c), now);
  }
  return out;
}

function conditionsFor(
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  now: Date,
  syncError: SyncError | undefined,
): ReadonlyArray<Condition> {
  let conds = setCondition(vm.status?.conditions, readyInput(vmi), now);
  conds = copyVmiConditions(conds, vmi, now);
  if (syncError === undefined) return removeCondition(conds, CONDITION_TYPES.failure);
  return setCondition(
    conds,
    { type: CONDITION_TYPES.failure, status: 'True', reason: syncError.reason, message: syncError.message },
    now,
  );
}

/**
 * The state-change queue after this pass: done requests dropped and, under RerunOnFailure, a Start
 * queued for a failed VMI (kubevirt's addStartRequest), which is what later tells the controller
 * to create the next one.
 */
function requestsFor(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): ReadonlyArray<StateChangeRequest> {
  const trimmed = trimStateChangeRequests(vm.status?.stateChangeRequests, vmi);
  const rerun = runStrategyOf(vm) === 'RerunOnFailure' && vmi?.status?.phase === 'Failed' && !isBeingDeleted(vmi);
  return rerun && !trimmed.some((r) => r.action === 'Start') ? [...trimmed, { action: 'Start' }] : trimmed;
}

/**
 * The VM's status. `vmi` is the VMI as it is after this pass (the one just created, or the one
 * just marked for deletion), so the status says what was done without waiting for the cache.
 */
export function computeVmStatus(
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  now: Date,
  syncError?: SyncError,
): VirtualMachineStatus {
  const old: VirtualMachineStatus = vm.status ?? {};
  const requests = requestsFor(vm, vmi);
  const startFailure = nextStartFailure(vm, vmi, now);
  const created = vmi !== undefined;
  const runStrategy = old.runStrategy !== undefined || created ? runStrategyOf(vm) : undefined;
  const viewVm: VirtualMachine = { ...vm, status: { ...old, stateChangeRequests: requests } };
  const { startFailure: _sf, runStrategy: _rs, stateChangeRequests: _scr, ...rest } = old;
  return {
    ...rest,
    printableStatus: printableStatus({ vm: viewVm, vmi, startFailure }),
    ready: findCondition(vmi?.status?.conditions, CONDITION_TYPES.ready)?.status === 'True',
    created,
    conditions: conditionsFor(vm, vmi, now, syncError),
    ...defined({
      observedGeneration: vm.metadata.generation,
      stateChangeRequests: requests.length === 0 ? undefined : requests,
      startFailure,
      runStrategy,
    }),
  };
}
