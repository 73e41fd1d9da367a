/**
 * The migration controller's decision, pure (kubevirt pkg/virt-controller/watch/migration, much
 * reduced): from a VirtualMachineInstanceMigration, its VMI and its target launcher Pod as the caches
 * show them, the one next step. The handlers do the moving; this side creates the target Pod, hands
 * source and target to their handlers through the VMI's status.migrationState, mirrors what they
 * report into the migration's phase, and aborts a cancelled (deleted) migration.
 *
 *   Pending ─target Pod created─► Scheduling ─bound─► Scheduled ─state handed over─► PreparingTarget
 *     ─target domain defined─► TargetReady ─source started─► Running ─► Succeeded | Failed
 *
 * A migration that fails at any point leaves the VMI running on its source, untouched: only the
 * source handler's libvirt call could have moved it, and it reports completed or failed itself.
 */
import { FINALIZERS, LABELS, REASONS } from '../../api/names.js';
import {
  activeMigration,
  hasMigrationEnded,
  isMigrationPhaseFinal,
  migrationStateOf,
  notMigratableReason,
} from '../../api/migration.js';
import { isFinal } from '../../api/lifecycle.js';
import type {
  MigrationPhase,
  VirtualMachineInstance,
  VirtualMachineInstanceMigration,
  VirtualMachineInstanceMigrationState,
} from '../../api/types.js';
import type { Pod } from '../../kube/core.js';
import { podBoundNode, podEnded } from '../vmi/phase.js';

export type MigrationView = Readonly<{
  vmim: VirtualMachineInstanceMigration;
  /** The VMI named by spec.vmiName, in the migration's namespace. */
  vmi: VirtualMachineInstance | undefined;
  /** The migration's target launcher Pod (api/object-names.ts migrationTargetPodName). */
  targetPod: Pod | undefined;
}>;

/** A phase and, for Failed, why. */
export type MigrationOutcome = Readonly<{ phase: MigrationPhase; reason?: string; message?: string }>;

export type MigrationStep = Readonly<
  | { kind: 'add-finalizer' }
  | { kind: 'create-target-pod' }
  /** The VMI's status.migrationState starts (nodes, target Pod) and the target node's label goes on. */
  | { kind: 'hand-over'; sourceNode: string; targetNode: string }
  /** The VMI's migrationState is marked failed by the controller (the target Pod ended before it moved). */
  | { kind: 'fail-state'; reason: string }
  | { kind: 'request-abort' }
  | { kind: 'delete-target-pod' }
  | { kind: 'clear-target-label' }
  | { kind: 'remove-finalizer' }
  | { kind: 'set-phase'; outcome: MigrationOutcome }
  /** Nothing to do until a cache moves (a handler reports, the scheduler binds). */
  | { kind: 'wait' }
>;

const WAIT: MigrationStep = { kind: 'wait' };

const failedWith = (reason: string, message: string): MigrationStep => ({
  kind: 'set-phase',
  outcome: { phase: 'Failed', reason, message },
});

function podUnschedulable(pod: Pod): string | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (c?.status !== 'False' || c.reason !== REASONS.unschedulable) return undefined;
  return c.message ?? 'the scheduler found no node for the target Pod';
}

const targetLabelled = (v: MigrationView): boolean =>
  v.vmi?.metadata.labels?.[LABELS.migrationTargetNode] !== undefined &&
  migrationStateOf(v.vmi, v.vmim.metadata.uid) !== undefined;

const podAlive = (pod: Pod | undefined): boolean =>
  pod !== undefined && !podEnded(pod) && pod.metadata?.deletionTimestamp === undefined;

/** The target Pod holds the guest now (or once held it): it is the VMI's, never the migration's to delete. */
const podHoldsVmi = (v: MigrationView): boolean =>
  v.targetPod !== undefined && v.vmi?.status?.launcherPodName === v.targetPod.metadata?.name;

/**
 * Once over: the target Pod goes when the guest did not move to it, and the label comes off. A
 * later migration's state replaces this one's on the VMI, so what decides is the Pod itself.
 */
function cleanUp(v: MigrationView, state: VirtualMachineInstanceMigrationState | undefined): MigrationStep | undefined {
  const moved = state?.completed === true || v.vmim.status?.phase === 'Succeeded' || podHoldsVmi(v);
  if (!moved && podAlive(v.targetPod)) return { kind: 'delete-target-pod' };
  if (targetLabelled(v)) return { kind: 'clear-target-label' };
  return undefined;
}

function whenDeleted(v: MigrationView, state: VirtualMachineInstanceMigrationState | undefined): MigrationStep {
  const hasFinalizer = (v.vmim.metadata.finalizers ?? []).includes(FINALIZERS.migrationCleanup);
  if (!hasFinalizer) return WAIT;
  if (state !== undefined && !hasMigrationEnded(state) && v.vmi !== undefined && !isFinal(v.vmi)) {
    // The source handler answers: failed with abortStatus Succeeded, or completed (too late to stop).
    return state.abortRequested === true ? WAIT : { kind: 'request-abort' };
  }
  return cleanUp(v, state) ?? { kind: 'remove-finalizer' };
}

const phaseOf = (v: MigrationView): MigrationPhase => v.vmim.status?.phase ?? 'Pending';

/** Before the hand-over: the VMI must be able to move, and the target Pod placed. */
function beforeHandOver(v: MigrationView): MigrationStep {
  const { vmi } = v;
  if (vmi === undefined)
    return failedWith(REASONS.notMigratable, `VirtualMachineInstance ${v.vmim.spec.vmiName} does not exist`);
  return refusal(v, vmi) ?? placeTarget(v, vmi);
}

function refusal(v: MigrationView, vmi: VirtualMachineInstance): MigrationStep | undefined {
  const why = notMigratableReason(vmi);
  if (why !== undefined) return failedWith(REASONS.notMigratable, why);
  if (activeMigration(vmi) === undefined) return undefined;
  // One migration per VMI at a time: this one waits its turn, as KubeVirt's do.
  return phaseOf(v) === 'Pending'
    ? setPhase(v, 'Pending')
    : failedWith(REASONS.notMigratable, 'another migration of this VMI started');
}

function placeTarget(v: MigrationView, vmi: VirtualMachineInstance): MigrationStep {
  const pod = v.targetPod;
  if (pod === undefined)
    return phaseOf(v) === 'Pending'
      ? { kind: 'create-target-pod' }
      : failedWith(REASONS.targetPodFailed, 'the target virt-launcher Pod vanished');
  if (!podAlive(pod)) return failedWith(REASONS.targetPodFailed, `target Pod ${pod.metadata?.name ?? ''} ended`);
  const unschedulable = podUnschedulable(pod);
  if (unschedulable !== undefined) return failedWith(REASONS.unschedulable, unschedulable);
  const targetNode = podBoundNode(pod);
  if (targetNode === undefined) return setPhase(v, 'Scheduling');
  return { kind: 'hand-over', sourceNode: vmi.status?.nodeName ?? '', targetNode };
}

function setPhase(v: MigrationView, phase: MigrationPhase): MigrationStep {
  return v.vmim.status?.phase === phase ? WAIT : { kind: 'set-phase', outcome: { phase } };
}

/** The handlers' verdict, or the VMI's end, once there is one. */
function ended(v: MigrationView, state: VirtualMachineInstanceMigrationState): MigrationStep | undefined {
  if (state.completed === true) return setPhase(v, 'Succeeded');
  if (state.failed === true) {
    const aborted = state.abortRequested === true;
    const fallback = aborted ? 'the migration was cancelled' : 'the migration failed';
    return failedWith(aborted ? REASONS.migrationAborted : REASONS.migrationFailed, state.failureReason ?? fallback);
  }
  if (v.vmi !== undefined && isFinal(v.vmi))
    return failedWith(REASONS.notMigratable, `VirtualMachineInstance ended (${v.vmi.status?.phase ?? ''})`);
  return undefined;
}

function progress(state: VirtualMachineInstanceMigrationState): MigrationPhase {
  if (state.startTimestamp !== undefined) return 'Running';
  return state.targetNodeDomainReadyTimestamp === undefined ? 'PreparingTarget' : 'TargetReady';
}

/** After the hand-over: mirror what the handlers report. */
function afterHandOver(v: MigrationView, state: VirtualMachineInstanceMigrationState): MigrationStep {
  const verdict = ended(v, state);
  if (verdict !== undefined) return verdict;
  // A target that ends before the source started has nothing to receive; once started, libvirt says.
  if (state.startTimestamp === undefined && !podAlive(v.targetPod))
    return { kind: 'fail-state', reason: 'the target virt-launcher Pod ended before the migration started' };
  return setPhase(v, progress(state));
}

/** The next step for one migration. */
export function nextMigrationStep(v: MigrationView): MigrationStep {
  const state = migrationStateOf(v.vmi, v.vmim.metadata.uid);
  if (v.vmim.metadata.deletionTimestamp !== undefined) return whenDeleted(v, state);
  if (isMigrationPhaseFinal(v.vmim.status?.phase)) return cleanUp(v, state) ?? WAIT;
  if (!(v.vmim.metadata.finalizers ?? []).includes(FINALIZERS.migrationCleanup)) return { kind: 'add-finalizer' };
  if (state === undefined) return beforeHandOver(v);
  return afterHandOver(v, state);
}
