/**
 * The migration reconciler: the shell around ./decide.ts. Per VirtualMachineInstanceMigration key it
 * reads the migration, its VMI and its target Pod from the caches, asks for the next step, does it
 * with the resourceVersion it read, and repeats until the answer is to wait for a cache to move.
 * VMI and Pod events re-queue the migrations of that VMI (index by spec.vmiName).
 */
import type { Logger } from 'pino';
import { FINALIZERS, LABELS } from '../../api/names.js';
import { migrationStateOf } from '../../api/migration.js';
import { migrationTargetPodName } from '../../api/object-names.js';
import { rfc3339 } from '../../api/conditions.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/types.js';
import type { Pod } from '../../kube/core.js';
import { isAlreadyExists, isConflict, isNotFound, toApiError } from '../../kube/errors.js';
import type { Informer } from '../../kube/informer.js';
import type { MigrationClient } from '../../kube/migrations.js';
import { objectKey, type ResourceClient } from '../../kube/resources.js';
import type { WorkQueue } from '../../kube/workqueue.js';
import type { EventSink } from '../events.js';
import { Expectations, enqueueFrom } from '../expectations.js';
import { DONE, fromApiFailure, requeueAfter, type Result } from '../result.js';
import type { LauncherConfig } from '../vmi/launcher-pod.js';
import { type MigrationOutcome, type MigrationStep, type MigrationView, nextMigrationStep } from './decide.js';
import { migrationTargetPodFor } from './target-pod.js';
import { type HandOverNodes, migrationStatusFor } from './status.js';

/** The index of the migration informer by `<namespace>/<spec.vmiName>`. */
export const MIGRATION_VMI_INDEX = 'vmi';
export const migrationVmiIndex = (m: VirtualMachineInstanceMigration): readonly string[] => [
  `${m.metadata.namespace ?? ''}/${m.spec.vmiName}`,
];

export type MigrationReconcilerDeps = Readonly<{
  vmims: MigrationClient;
  vmis: ResourceClient<VirtualMachineInstance>;
  pods: ResourceClient<Pod>;
  vmimCache: Informer<VirtualMachineInstanceMigration>;
  vmiCache: Informer<VirtualMachineInstance>;
  podCache: Informer<Pod>;
  events: EventSink;
  launcher: LauncherConfig;
  now?: () => Date;
}>;

/** Steps in one pass; each write's watch event brings another pass anyway. */
const MAX_STEPS = 8;

/** What a failed write means for the pass: a Result to end it with, or `again` (it was done already). */
function stepFailure(err: unknown, step: MigrationStep, log: Logger): Result | 'again' {
  if (isNotFound(err)) return DONE;
  if (isAlreadyExists(err)) return 'again';
  // A write over a stale read: the fresh cache brings the next pass (docs/conventions.md §2).
  if (isConflict(err)) return { kind: 'retry', cause: toApiError(err) };
  log.warn({ err: toApiError(err), step: step.kind }, 'Could not advance the migration');
  return fromApiFailure(err);
}

export class MigrationReconciler {
  /** One per kind of object a pass writes, all keyed by the migration's key. */
  private readonly expectations = new Expectations();
  private readonly vmiExpectations = new Expectations();
  private readonly podExpectations = new Expectations();
  private readonly now: () => Date;

  constructor(private readonly deps: MigrationReconcilerDeps) {
    this.now = deps.now ?? ((): Date => new Date());
  }

  connect(queue: WorkQueue): void {
    enqueueFrom(this.deps.vmimCache, queue, objectKey, this.expectations);
    const byVmi = (vmiKey: string, o: Pod | VirtualMachineInstance, deleted: boolean, e: Expectations): void => {
      for (const m of this.deps.vmimCache.byIndex(MIGRATION_VMI_INDEX, vmiKey)) {
        e.observe(objectKey(m), o, deleted);
        queue.add(objectKey(m));
      }
    };
    const fromVmi = (v: VirtualMachineInstance, deleted: boolean): void =>
      byVmi(objectKey(v), v, deleted, this.vmiExpectations);
    this.deps.vmiCache.addHandlers({
      add: (v) => fromVmi(v, false),
      update: (_o, v) => fromVmi(v, false),
      delete: (v) => fromVmi(v, true),
    });
    const fromPod = (p: Pod, deleted: boolean): void => {
      const vmi = p.metadata?.labels?.[LABELS.vmiName];
      if (p.metadata?.labels?.[LABELS.migrationUid] !== undefined && vmi !== undefined)
        byVmi(`${p.metadata?.namespace ?? ''}/${vmi}`, p, deleted, this.podExpectations);
    };
    this.deps.podCache.addHandlers({
      add: (p) => fromPod(p, false),
      update: (_o, p) => fromPod(p, false),
      delete: (p) => fromPod(p, true),
    });
  }

  private waitMs(key: string): number {
    return Math.max(this.expectations.waitMs(key), this.vmiExpectations.waitMs(key), this.podExpectations.waitMs(key));
  }

  async reconcile(key: string, log: Logger): Promise<Result> {
    const wait = this.waitMs(key);
    if (wait > 0) return requeueAfter(wait);
    for (let i = 0; i < MAX_STEPS; i++) {
      const view = this.view(key);
      if (view === undefined) {
        for (const e of [this.expectations, this.vmiExpectations, this.podExpectations]) e.forget(key);
        return DONE;
      }
      const step = nextMigrationStep(view);
      if (step.kind === 'wait') return DONE;
      const failed = await this.execute(view, step, log).then(
        () => undefined,
        (err: unknown) => stepFailure(err, step, log),
      );
      if (failed === 'again') continue;
      if (failed !== undefined) return failed;
      if (this.waitMs(key) > 0) return DONE; // the cache brings the next pass
    }
    return DONE;
  }

  private view(key: string): MigrationView | undefined {
    const vmim = this.deps.vmimCache.getByKey(key);
    if (vmim === undefined) return undefined;
    const ns = vmim.metadata.namespace ?? '';
    const vmi = this.deps.vmiCache.get(ns, vmim.spec.vmiName);
    const podName = migrationTargetPodName(vmim.spec.vmiName, vmim.metadata.uid ?? '');
    const pod = this.deps.podCache.get(ns, podName);
    const mine = pod?.metadata?.labels?.[LABELS.migrationUid] === vmim.metadata.uid ? pod : undefined;
    return { vmim, vmi, targetPod: mine };
  }

  // One case per step kind; each is one write (complexity is the switch's, not nesting).
  // eslint-disable-next-line complexity
  private async execute(view: MigrationView, step: MigrationStep, log: Logger): Promise<void> {
    const { vmim } = view;
    const key = objectKey(vmim);
    switch (step.kind) {
      case 'add-finalizer':
        return this.patchVmimMeta(vmim, {
          finalizers: [...(vmim.metadata.finalizers ?? []), FINALIZERS.migrationCleanup],
        });
      case 'remove-finalizer':
        return this.patchVmimMeta(vmim, {
          finalizers: (vmim.metadata.finalizers ?? []).filter((f) => f !== FINALIZERS.migrationCleanup),
        });
      case 'create-target-pod': {
        if (view.vmi === undefined) return;
        const created = await this.deps.pods.create(migrationTargetPodFor(view.vmi, vmim, this.deps.launcher));
        this.podExpectations.expectObject(key, created);
        log.info({ pod: created.metadata?.name, vmi: vmim.spec.vmiName }, 'Created the migration target Pod');
        this.deps.events.record(
          vmim,
          'Normal',
          'SuccessfulCreate',
          `Created target pod ${created.metadata?.name ?? ''}`,
        );
        return this.setPhase(view, { phase: 'Scheduling' }, log);
      }
      case 'hand-over':
        await this.handOver(view, step.sourceNode, step.targetNode, log);
        return this.setPhase(view, { phase: 'Scheduled' }, log, {
          sourceNode: step.sourceNode,
          targetNode: step.targetNode,
        });
      case 'fail-state':
        return this.patchState(view, { failed: true, failureReason: step.reason, endTimestamp: rfc3339(this.now()) });
      case 'request-abort':
        log.info({ vmi: vmim.spec.vmiName }, 'Requested the abort of a cancelled migration');
        return this.patchState(view, { abortRequested: true });
      case 'delete-target-pod': {
        const pod = view.targetPod;
        if (pod === undefined) return;
        const uid = pod.metadata?.uid;
        await this.deps.pods.delete(
          { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' },
          uid === undefined ? {} : { preconditions: { uid } },
        );
        this.podExpectations.expectDeletion(key, uid);
        log.info({ pod: pod.metadata?.name }, 'Deleted the migration target Pod');
        return;
      }
      case 'clear-target-label':
        return this.patchVmiLabel(view, null);
      case 'set-phase':
        return this.setPhase(view, step.outcome, log);
      case 'wait':
        return;
      default:
        return step satisfies never;
    }
  }

  private async patchVmimMeta(vmim: VirtualMachineInstanceMigration, meta: Record<string, unknown>): Promise<void> {
    const patched = await this.deps.vmims.patch(
      { namespace: vmim.metadata.namespace ?? '', name: vmim.metadata.name ?? '' },
      { type: 'merge', patch: { metadata: { ...meta, resourceVersion: vmim.metadata.resourceVersion } } },
    );
    this.expectations.expectObject(objectKey(vmim), patched);
  }

  /** The VMI's migrationState for this migration starts, then its target node's handler is told by label. */
  private async handOver(view: MigrationView, sourceNode: string, targetNode: string, log: Logger): Promise<void> {
    const { vmi, vmim } = view;
    if (vmi === undefined) return;
    const migrationState = {
      migrationUid: vmim.metadata.uid ?? '',
      sourceNode,
      targetNode,
      targetPod: view.targetPod?.metadata?.name ?? '',
    };
    const updated = await this.deps.vmis.updateStatus({ ...vmi, status: { ...vmi.status, migrationState } });
    this.vmiExpectations.expectObject(objectKey(vmim), updated);
    await this.patchVmiLabel({ ...view, vmi: updated }, targetNode);
    log.info({ vmi: vmi.metadata.name, sourceNode, targetNode }, 'Handed the migration to the handlers');
  }

  private async patchState(view: MigrationView, change: Readonly<Record<string, unknown>>): Promise<void> {
    const { vmi } = view;
    const state = migrationStateOf(vmi, view.vmim.metadata.uid);
    if (vmi === undefined || state === undefined) return;
    const updated = await this.deps.vmis.updateStatus({
      ...vmi,
      status: { ...vmi.status, migrationState: { ...state, ...change } },
    });
    this.vmiExpectations.expectObject(objectKey(view.vmim), updated);
  }

  private async patchVmiLabel(view: MigrationView, node: string | null): Promise<void> {
    const vmi = view.vmi;
    if (vmi === undefined) return;
    const patched = await this.deps.vmis.patch(
      { namespace: vmi.metadata.namespace ?? '', name: vmi.metadata.name ?? '' },
      {
        type: 'merge',
        patch: {
          metadata: { labels: { [LABELS.migrationTargetNode]: node }, resourceVersion: vmi.metadata.resourceVersion },
        },
      },
    );
    this.vmiExpectations.expectObject(objectKey(view.vmim), patched);
  }

  private async setPhase(
    view: MigrationView,
    outcome: MigrationOutcome,
    log: Logger,
    nodes: HandOverNodes = {},
  ): Promise<void> {
    const { vmim } = view;
    const from = vmim.status?.phase;
    const status = migrationStatusFor(view, outcome, nodes, this.now());
    const updated = await this.deps.vmims.updateStatus({ ...vmim, status });
    this.expectations.expectObject(objectKey(vmim), updated);
    if (from === outcome.phase) return;
    log.info(
      { phase: outcome.phase, from, reason: outcome.reason, cause: outcome.message },
      'Moved VirtualMachineInstanceMigration to a new phase',
    );
    this.recordOutcome(view, outcome, status.targetNode);
  }

  private recordOutcome(view: MigrationView, outcome: MigrationOutcome, targetNode: string | undefined): void {
    if (outcome.phase === 'Failed')
      this.deps.events.record(view.vmim, 'Warning', outcome.reason ?? 'Failed', outcome.message ?? 'Migration failed');
    if (outcome.phase === 'Succeeded' && view.vmi !== undefined)
      this.deps.events.record(view.vmi, 'Normal', 'Migrated', `Migrated to node ${targetNode ?? ''}`);
  }
}
