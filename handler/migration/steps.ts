/**
 * The migration steps of ../migration/decide.ts, done: the target defines its domain and reports
 * ready; the source starts, aborts, and reports the end of its `virsh migrate` job (./jobs.ts).
 * Every report is one merge patch of the VMI's status with the resourceVersion that was read,
 * remembered as the handler's own write, as steps/status.ts does.
 */
import { execFile } from 'node:child_process';
import { COMPONENTS, REASONS } from '../../api/names.js';
import { LAUNCHER_EXIT_CODES } from '../../api/launcher-protocol.js';
import type { MigrationLimits } from '../../api/cluster-config.js';
import { rfc3339 } from '../../api/conditions.js';
import type {
  VirtualMachineInstance,
  VirtualMachineInstanceMigrationState,
  VirtualMachineInstanceStatus,
} from '../../api/types.js';
import type { QueueOutcome } from '../../kube/workqueue.js';
import { unpinHostFiles } from '../host-paths/node-paths.js';
import type { Observation } from '../observe.js';
import { prepareAndDefine, NO_NODE_DISKS } from '../start-domain.js';
import { type StepContext, vmiFields } from '../steps/context.js';
import type { MigrationStep } from './decide.js';
import type { MigrationJobs } from './jobs.js';

/** What the migration steps reach beyond the ordinary steps' context. */
export type MigrationContext = Readonly<{
  jobs: Pick<MigrationJobs, 'start' | 'abort' | 'forget'>;
  /** This handler's own libvirt URI (the source side of virsh migrate). */
  libvirtUri: string;
  /** What this node publishes as a target (handler/flags.ts MigrationFlags). */
  targetLibvirtUri: string;
  targetAddress: string;
  limits: () => MigrationLimits;
}>;

/** The retry when an older domain of this name still goes away on the target. */
const BUSY_MS = 250;

function patchStatus(
  ctx: StepContext,
  uid: string,
  vmi: VirtualMachineInstance,
  status: VirtualMachineInstanceStatus,
): Promise<void> {
  const ref = { namespace: vmi.metadata.namespace ?? '', name: vmi.metadata.name ?? '' };
  const patch = { metadata: { resourceVersion: vmi.metadata.resourceVersion }, status };
  return ctx.vmiClient
    .patchStatus(ref, { type: 'merge', patch }, { fieldManager: COMPONENTS.handler })
    .then((updated) => ctx.ownWrites.wrote(uid, vmi, updated));
}

/** A merge patch of migrationState: the fields named change, the others stay. */
const stateChange = (change: VirtualMachineInstanceMigrationState): VirtualMachineInstanceStatus => ({
  migrationState: change,
});

/** One migration step's inputs. */
type Pass = Readonly<{ ctx: StepContext; m: MigrationContext; uid: string; observed: Observation }>;

/** virsh on another URI (the target's libvirtd): its stdout, or a thrown Error with its stderr. */
function virshOn(uri: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('virsh', ['-c', uri, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      err === null ? resolve(String(stdout)) : reject(new Error(String(stderr).trim() || err.message)),
    ),
  );
}

async function prepareTarget({ ctx, m, uid }: Pass, vmi: VirtualMachineInstance): Promise<QueueOutcome | undefined> {
  const options = { node: ctx.nodeName, hostPaths: ctx.hostPaths, disks: NO_NODE_DISKS };
  const result = await prepareAndDefine(vmi, ctx.host, ctx.libvirt, options);
  const fields = vmiFields(uid, vmi);
  switch (result.kind) {
    case 'started':
      await patchStatus(
        ctx,
        uid,
        vmi,
        stateChange({
          targetNodeDomainReadyTimestamp: rfc3339(new Date(ctx.now())),
          targetLibvirtUri: m.targetLibvirtUri,
          targetNodeAddress: m.targetAddress,
        }),
      );
      ctx.log.info(fields, 'Defined the migration target domain');
      return undefined;
    case 'busy':
      return { kind: 'requeueAfter', ms: BUSY_MS } as const;
    case 'failed':
    case 'pull-failed': {
      const why = result.kind === 'failed' ? result.verdict.message : result.message;
      await patchStatus(
        ctx,
        uid,
        vmi,
        stateChange({
          failed: true,
          failureReason: `node ${ctx.nodeName} could not prepare the target domain: ${why}`,
          endTimestamp: rfc3339(new Date(ctx.now())),
        }),
      );
      ctx.log.warn({ ...fields, cause: why }, 'Could not prepare the migration target');
      return undefined;
    }
    default:
      return result satisfies never;
  }
}

async function startMigration({ ctx, m, uid, observed }: Pass): Promise<void> {
  const vmi = observed.view.vmi;
  const state = vmi?.status?.migrationState;
  const domain = observed.name;
  if (vmi === undefined || state?.targetLibvirtUri === undefined || domain === undefined) return;
  // The target's own definition: its paths (run folder, serial socket and log, pinned files).
  const targetXml = await virshOn(state.targetLibvirtUri, ['dumpxml', '--inactive', '--migratable', domain]);
  await patchStatus(ctx, uid, vmi, stateChange({ startTimestamp: rfc3339(new Date(ctx.now())) }));
  await m.jobs.start(uid, {
    sourceUri: m.libvirtUri,
    targetUri: state.targetLibvirtUri,
    domain,
    migrateUri: `tcp://${state.targetNodeAddress ?? '127.0.0.1'}`,
    targetXml,
    bandwidthBytesPerSecond: m.limits().bandwidthBytesPerSecond,
  });
  ctx.log.info({ ...vmiFields(uid, vmi), targetNode: state.targetNode }, 'Started the live migration');
}

async function completeMigration({ ctx, m, uid, observed }: Pass, ms: number): Promise<void> {
  const vmi = observed.view.vmi;
  const state = vmi?.status?.migrationState;
  if (vmi === undefined || state === undefined) return;
  // One write hands the VMI over: the target's handler selects it on nodeName from now on.
  await patchStatus(ctx, uid, vmi, {
    ...(state.targetNode === undefined ? {} : { nodeName: state.targetNode }),
    ...(state.targetPod === undefined ? {} : { launcherPodName: state.targetPod }),
    migrationState: { completed: true, endTimestamp: rfc3339(new Date(ctx.now())) },
  });
  m.jobs.forget(uid);
  // The source launcher's Pod ends Succeeded: its guest lives on elsewhere.
  ctx.launchers.send(uid, {
    type: 'exit',
    code: LAUNCHER_EXIT_CODES.succeeded,
    reason: REASONS.migrated,
    message: `The guest migrated to node ${state.targetNode ?? ''}`,
  });
  await unpinHostFiles(await ctx.hostPaths(), uid);
  ctx.log.info({ ...vmiFields(uid, vmi), targetNode: state.targetNode, ms }, 'Migrated the domain');
}

async function failMigration(
  { ctx, m, uid, observed }: Pass,
  step: Extract<MigrationStep, { kind: 'migration-fail' }>,
): Promise<void> {
  m.jobs.forget(uid);
  const vmi = observed.view.vmi;
  if (vmi === undefined) return;
  await patchStatus(
    ctx,
    uid,
    vmi,
    stateChange({
      failed: true,
      failureReason: step.message,
      endTimestamp: rfc3339(new Date(ctx.now())),
      ...(step.aborted ? { abortStatus: 'Succeeded' } : {}),
    }),
  );
  ctx.log.warn({ ...vmiFields(uid, vmi), cause: step.message }, 'The live migration failed; the guest runs on here');
}

export async function executeMigrationStep(
  ctx: StepContext,
  uid: string,
  observed: Observation,
  step: MigrationStep,
): Promise<QueueOutcome | undefined> {
  const m = ctx.migration;
  const vmi = observed.view.vmi;
  if (m === undefined || vmi === undefined) return { kind: 'done' };
  const pass: Pass = { ctx, m, uid, observed };
  switch (step.kind) {
    case 'migration-prepare-target':
      return prepareTarget(pass, vmi);
    case 'migration-start':
      await startMigration(pass);
      return undefined;
    case 'migration-abort':
      await m.jobs.abort(uid);
      ctx.log.info({ ...vmiFields(uid, vmi), why: step.why }, 'Aborted the live migration');
      return undefined;
    case 'migration-complete':
      await completeMigration(pass, step.ms);
      return undefined;
    case 'migration-fail':
      await failMigration(pass, step);
      return undefined;
    default:
      return step satisfies never;
  }
}
