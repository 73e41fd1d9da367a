/**
 * status.printableStatus, KubeVirt's words from an ordered table, first match wins (vm.go
 * setPrintableStatus). ErrImagePull and ImagePullBackOff come from the VMI's Synchronized condition,
 * which virt-handler sets while a containerDisk cannot be pulled (KubeVirt reads them off the
 * launcher Pod's container). Migrating while the VMI has a migration in progress. Kubevirt's PvcNotFound, DataVolumeError, WaitingForVolumeBinding
 * and WaitingForReceiver have nothing to match in tsvirt and are left out; so is
 * Provisioning, which KubeVirt shows while DataVolumes import and tsvirt has no import step for.
 * Pure.
 */
import { CONDITION_TYPES, REASONS } from '../../api/names.js';
import type { PrintableStatus, RunStrategy, VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import { hasCondition } from '../../api/conditions.js';
import { isBeingDeleted, isFinal, runStrategyOf } from '../../api/lifecycle.js';
import { activeMigration } from '../../api/migration.js';
import { hasStopRequestFor } from './state-change.js';
import type { StartFailure } from './start-failure.js';

/** What the rules look at: the VM, its VMI after this pass's action, and the crash-loop record. */
export type VmView = Readonly<{
  vm: VirtualMachine;
  vmi: VirtualMachineInstance | undefined;
  startFailure: StartFailure | undefined;
}>;

const CRASH_LOOPING_STRATEGIES: ReadonlySet<RunStrategy> = new Set(['Always', 'RerunOnFailure', 'Once']);

const isTerminating = (v: VmView): boolean => isBeingDeleted(v.vm);

/** A live VMI that is going away: being deleted, or the VM no longer wants it. */
function isStopping(v: VmView): boolean {
  if (v.vmi === undefined || isFinal(v.vmi)) return false;
  if (isBeingDeleted(v.vmi) || runStrategyOf(v.vm) === 'Halted') return true;
  return hasStopRequestFor(v.vm.status?.stateChangeRequests ?? [], v.vmi);
}

const isPausedVmi = (vmi: VirtualMachineInstance): boolean =>
  hasCondition(vmi.status?.conditions, CONDITION_TYPES.paused, 'True');
const isPaused = (v: VmView): boolean => v.vmi?.status?.phase === 'Running' && isPausedVmi(v.vmi);
const isMigrating = (v: VmView): boolean => v.vmi?.status?.phase === 'Running' && activeMigration(v.vmi) !== undefined;
const isRunning = (v: VmView): boolean => v.vmi?.status?.phase === 'Running' && !isPausedVmi(v.vmi);

const isUnschedulable = (v: VmView): boolean =>
  hasCondition(v.vmi?.status?.conditions, CONDITION_TYPES.podScheduled, 'False', REASONS.unschedulable);

const isPullFailing =
  (reason: string) =>
  (v: VmView): boolean =>
    v.vmi !== undefined &&
    !isFinal(v.vmi) &&
    hasCondition(v.vmi.status?.conditions, CONDITION_TYPES.synchronized, 'False', reason);

function isStarting(v: VmView): boolean {
  const phase = v.vmi?.status?.phase;
  return (
    v.vmi !== undefined &&
    (phase === undefined || phase === 'Pending' || phase === 'Scheduling' || phase === 'Scheduled')
  );
}

function isCrashLooping(v: VmView): boolean {
  if (v.vmi !== undefined && !isFinal(v.vmi)) return false;
  return (v.startFailure?.consecutiveFailCount ?? 0) > 0 && CRASH_LOOPING_STRATEGIES.has(runStrategyOf(v.vm));
}

const isStopped = (v: VmView): boolean => v.vmi === undefined || isFinal(v.vmi);

const RULES: ReadonlyArray<readonly [PrintableStatus, (v: VmView) => boolean]> = [
  ['Terminating', isTerminating],
  ['Stopping', isStopping],
  ['Paused', isPaused],
  ['Migrating', isMigrating],
  ['Running', isRunning],
  ['ErrorUnschedulable', isUnschedulable],
  ['ErrImagePull', isPullFailing(REASONS.errImagePull)],
  ['ImagePullBackOff', isPullFailing(REASONS.imagePullBackOff)],
  ['Starting', isStarting],
  ['CrashLoopBackOff', isCrashLooping],
  ['Stopped', isStopped],
];

export const printableStatus = (v: VmView): PrintableStatus =>
  RULES.find(([, matches]) => matches(v))?.[0] ?? 'Unknown';
