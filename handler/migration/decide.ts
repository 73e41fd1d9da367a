/**
 * The handler's half of a live migration, pure: given a VMI uid's view and this node's name, the
 * migration step this node owes, or undefined when the ordinary sync (../sync/decide.ts) applies.
 *
 * - Target (status.migrationState.targetNode is this node, the VMI still on its source): once its
 *   launcher (the target Pod's) said hello, define the domain with this node's own paths, inactive,
 *   and report it ready. Nothing else: the guest arrives from the source.
 * - Source (the VMI's node, and the state's sourceNode): once the target is ready, run the live
 *   migration; abort it when cancelled or past its completion timeout; report completed (moving
 *   status.nodeName and launcherPodName to the target) or failed (the guest runs on here, untouched).
 * - A VMI whose status.nodeName is another node and that this node no longer serves in a migration
 *   is not this node's: the ordinary sync sees it as absent (a moved-away source forgets it, a
 *   failed target's domain is cleaned up as an orphan).
 */
import type { VirtualMachineInstance, VirtualMachineInstanceMigrationState } from '../../api/types.js';
import { hasMigrationEnded } from '../../api/migration.js';
import { type DomainObservation, isActive } from '../domain/state.js';
import type { JobView } from './jobs.js';

/** What a sync view carries for migrations. */
export type MigrationView = Readonly<{
  /** This node's name. */
  node: string;
  /** The source's job for this uid, if one ran since the handler started. */
  job?: JobView;
  /** Milliseconds an unfinished migration may run (api/migration.ts completionTimeoutSeconds). */
  timeoutMs: number;
  /** Milliseconds it may go without progress (the cluster's progressTimeout). */
  progressTimeoutMs: number;
}>;

export type MigrationStep = Readonly<
  | { kind: 'migration-prepare-target' }
  | { kind: 'migration-start' }
  | { kind: 'migration-abort'; why: string }
  | { kind: 'migration-complete'; ms: number }
  | { kind: 'migration-fail'; message: string; aborted: boolean }
>;

const MIGRATION_STEP_KINDS: ReadonlySet<string> = new Set<MigrationStep['kind']>([
  'migration-prepare-target',
  'migration-start',
  'migration-abort',
  'migration-complete',
  'migration-fail',
]);

/** True for the steps ./steps.ts executes. */
export function isMigrationStep<S extends Readonly<{ kind: string }>>(step: S | MigrationStep): step is MigrationStep {
  return MIGRATION_STEP_KINDS.has(step.kind);
}

export type MigrationRole = 'source' | 'target' | 'elsewhere' | undefined;

/** This node's part in the VMI's migration: source, target, elsewhere (not this node's VMI), or none. */
export function migrationRole(vmi: VirtualMachineInstance | undefined, node: string): MigrationRole {
  if (vmi === undefined) return undefined;
  const here = vmi.status?.nodeName === node;
  const state = vmi.status?.migrationState;
  if (state === undefined || hasMigrationEnded(state)) return here ? undefined : 'elsewhere';
  if (here) return state.sourceNode === node ? 'source' : undefined;
  return state.targetNode === node ? 'target' : 'elsewhere';
}

type Inputs = Readonly<{
  vmi: VirtualMachineInstance | undefined;
  domain: DomainObservation;
  launcherConnected: boolean;
  /** The VMI is being stopped here (deleted, final, its launcher asked, a shutdown was sent). */
  stopping: boolean;
  now: number;
  migration: MigrationView;
}>;

function targetStep(state: VirtualMachineInstanceMigrationState, v: Inputs): MigrationStep | 'idle' {
  if (state.abortRequested === true || !v.launcherConnected) return 'idle';
  if (v.domain.kind === 'missing' || state.targetNodeDomainReadyTimestamp === undefined)
    return v.domain.kind === 'present' && isActive(v.domain.state) ? 'idle' : { kind: 'migration-prepare-target' };
  return 'idle';
}

function runningJob(state: VirtualMachineInstanceMigrationState, job: JobView, v: Inputs): MigrationStep | 'wait' {
  if (job.abortSent) return 'wait';
  if (state.abortRequested === true) return { kind: 'migration-abort', why: 'the migration was cancelled' };
  const secs = (ms: number): number => Math.round(ms / 1000);
  if (v.now - job.startedAt > v.migration.timeoutMs)
    return {
      kind: 'migration-abort',
      why: `the migration did not complete within ${secs(v.migration.timeoutMs)}s (completionTimeoutPerGiB)`,
    };
  if (v.now - job.progressAt > v.migration.progressTimeoutMs)
    return {
      kind: 'migration-abort',
      why: `the migration made no progress for ${secs(v.migration.progressTimeoutMs)}s (progressTimeout)`,
    };
  return 'wait';
}

/** The job's outcome, once virsh exited. */
function jobEnded(state: VirtualMachineInstanceMigrationState, job: JobView | undefined): MigrationStep | undefined {
  const result = job?.result;
  if (result === undefined) return undefined;
  if (result.ok) return { kind: 'migration-complete', ms: result.ms };
  return { kind: 'migration-fail', message: result.message, aborted: state.abortRequested === true };
}

/** Before a job: why not to start one (a cancel, a stop, a job lost to a restart), else undefined. */
function notToStart(
  state: VirtualMachineInstanceMigrationState,
  v: Inputs,
  active: boolean,
): MigrationStep | undefined {
  if (state.abortRequested === true)
    return { kind: 'migration-fail', message: 'the migration was cancelled before it started', aborted: true };
  if (v.stopping) return { kind: 'migration-fail', message: 'the VMI is stopping', aborted: false };
  if (state.startTimestamp !== undefined && active)
    return { kind: 'migration-fail', message: 'virt-handler restarted while the migration ran', aborted: false };
  return undefined;
}

function sourceStep(state: VirtualMachineInstanceMigrationState, v: Inputs): MigrationStep | 'wait' | undefined {
  const job = v.migration.job;
  const ended = jobEnded(state, job);
  if (ended !== undefined) return ended;
  if (job !== undefined) return runningJob(state, job, v);
  const active = v.domain.kind === 'present' && isActive(v.domain.state);
  const refused = notToStart(state, v, active);
  if (refused !== undefined) return refused;
  const ready = state.targetNodeDomainReadyTimestamp !== undefined && state.targetLibvirtUri !== undefined;
  return ready && active && state.startTimestamp === undefined ? { kind: 'migration-start' } : undefined;
}

/**
 * The migration step for this uid: a step, `idle`/`wait` (the migration holds the uid, nothing else
 * runs), `elsewhere` (treat the VMI as absent), or undefined (the ordinary sync decides).
 */
export function migrationStep(v: Inputs): MigrationStep | 'idle' | 'wait' | 'elsewhere' | undefined {
  const role = migrationRole(v.vmi, v.migration.node);
  const state = v.vmi?.status?.migrationState;
  if (role === undefined || role === 'elsewhere') return role;
  if (state === undefined) return undefined;
  switch (role) {
    case 'target':
      return targetStep(state, v);
    case 'source':
      return sourceStep(state, v);
    default:
      return role satisfies never;
  }
}
