/**
 * The evacuation reconciler: the shell around ./decide.ts, keyed by VMI. It keeps each LiveMigrate
 * VMI's PodDisruptionBudget and creates the VirtualMachineInstanceMigration that moves the VMI off a
 * cordoned node. VMI, Node, migration and budget events queue the VMIs they concern.
 */
import type { Logger } from 'pino';
import { API_VERSION, COMPONENTS, LABELS, VMI_KIND, VMIM_KIND } from '../../api/names.js';
import { isMigrationPhaseFinal } from '../../api/migration.js';
import { evictionBudgetName } from '../../api/object-names.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/types.js';
import type { Node } from '../../kube/core.js';
import { isAlreadyExists, isConflict, isNotFound, toApiError } from '../../kube/errors.js';
import type { Informer } from '../../kube/informer.js';
import type { MigrationClient } from '../../kube/migrations.js';
import type { PodDisruptionBudget } from '../../kube/pdbs.js';
import { objectKey, type ResourceClient } from '../../kube/resources.js';
import type { WorkQueue } from '../../kube/workqueue.js';
import type { EventSink } from '../events.js';
import { Expectations } from '../expectations.js';
import { DONE, fromApiFailure, requeueAfter, type Result } from '../result.js';
import { MIGRATION_VMI_INDEX } from '../migration/reconciler.js';
import { type EvacuationStep, nextEvacuationStep } from './decide.js';

/** The index of the VMI informer by status.nodeName. */
export const VMI_NODE_INDEX = 'node';
export const vmiNodeIndex = (v: VirtualMachineInstance): readonly string[] =>
  v.status?.nodeName === undefined ? [] : [v.status.nodeName];

export type EvacuationDeps = Readonly<{
  vmiCache: Informer<VirtualMachineInstance>;
  nodeCache: Informer<Node>;
  vmimCache: Informer<VirtualMachineInstanceMigration>;
  budgetCache: Informer<PodDisruptionBudget>;
  vmims: MigrationClient;
  budgets: ResourceClient<PodDisruptionBudget>;
  events: EventSink;
  now?: () => number;
}>;

function lastFailure(ms: readonly VirtualMachineInstanceMigration[]): number | undefined {
  const times = ms
    .filter((m) => m.status?.phase === 'Failed')
    .map((m) => Date.parse(m.status?.phaseTransitionTimestamps?.at(-1)?.phaseTransitionTimestamp ?? ''))
    .filter((t) => Number.isFinite(t));
  return times.length === 0 ? undefined : Math.max(...times);
}

function budgetFor(vmi: VirtualMachineInstance, minAvailable: number): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: evictionBudgetName(vmi),
      namespace: vmi.metadata.namespace ?? '',
      labels: { [LABELS.vmiName]: vmi.metadata.name ?? '', [LABELS.component]: COMPONENTS.controller },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: VMI_KIND,
          name: vmi.metadata.name ?? '',
          uid: vmi.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { minAvailable, selector: { matchLabels: { [LABELS.createdBy]: vmi.metadata.uid ?? '' } } },
  };
}

export class EvacuationReconciler {
  /** Migrations it created, keyed by the VMI's key: the next pass waits until the cache shows them. */
  private readonly created = new Expectations();
  private readonly now: () => number;

  constructor(private readonly deps: EvacuationDeps) {
    this.now = deps.now ?? Date.now;
  }

  connect(queue: WorkQueue): void {
    const vmi = (v: VirtualMachineInstance): void => queue.add(objectKey(v));
    this.deps.vmiCache.addHandlers({ add: vmi, update: (_o, v) => vmi(v), delete: vmi });
    const node = (n: Node): void => {
      for (const v of this.deps.vmiCache.byIndex(VMI_NODE_INDEX, n.metadata?.name ?? '')) queue.add(objectKey(v));
    };
    this.deps.nodeCache.addHandlers({ add: node, update: (_o, n) => node(n), delete: node });
    const migration = (m: VirtualMachineInstanceMigration, deleted: boolean): void => {
      const key = `${m.metadata.namespace ?? ''}/${m.spec.vmiName}`;
      this.created.observe(key, m, deleted);
      queue.add(key);
    };
    this.deps.vmimCache.addHandlers({
      add: (m) => migration(m, false),
      update: (_o, m) => migration(m, false),
      delete: (m) => migration(m, true),
    });
    const budget = (b: PodDisruptionBudget): void => {
      const owner = b.metadata?.ownerReferences?.find((r) => r.kind === VMI_KIND);
      if (owner !== undefined) queue.add(`${b.metadata?.namespace ?? ''}/${owner.name}`);
    };
    this.deps.budgetCache.addHandlers({ add: budget, update: (_o, b) => budget(b), delete: budget });
  }

  async reconcile(key: string, log: Logger): Promise<Result> {
    const vmi = this.deps.vmiCache.getByKey(key);
    if (vmi === undefined) {
      this.created.forget(key);
      return DONE;
    }
    const wait = this.created.waitMs(key);
    if (wait > 0) return requeueAfter(wait);
    const migrations = this.deps.vmimCache.byIndex(MIGRATION_VMI_INDEX, key);
    const step = nextEvacuationStep({
      vmi,
      node: this.deps.nodeCache.get('', vmi.status?.nodeName ?? ''),
      budget: this.deps.budgetCache.get(vmi.metadata.namespace ?? '', evictionBudgetName(vmi)),
      migrating: migrations.some((m) => !isMigrationPhaseFinal(m.status?.phase)),
      lastFailedAt: lastFailure(migrations),
      now: this.now(),
    });
    try {
      return await this.execute(vmi, step, log);
    } catch (err) {
      if (isNotFound(err) || isAlreadyExists(err)) return DONE;
      if (isConflict(err)) return { kind: 'retry', cause: toApiError(err) };
      log.warn({ err: toApiError(err), step: step.kind }, 'Could not keep the VMI evictable by migration');
      return fromApiFailure(err);
    }
  }

  private async execute(vmi: VirtualMachineInstance, step: EvacuationStep, log: Logger): Promise<Result> {
    const ref = { namespace: vmi.metadata.namespace ?? '', name: evictionBudgetName(vmi) };
    switch (step.kind) {
      case 'none':
        return DONE;
      case 'retry-after':
        return requeueAfter(step.ms);
      case 'create-budget':
        await this.deps.budgets.create(budgetFor(vmi, step.minAvailable));
        log.info({ budget: ref.name, minAvailable: step.minAvailable }, 'Created the PodDisruptionBudget');
        return DONE;
      case 'set-budget':
        await this.deps.budgets.patch(ref, { type: 'merge', patch: { spec: { minAvailable: step.minAvailable } } });
        return DONE;
      case 'migrate':
        return this.migrate(vmi, log);
      default:
        return step satisfies never;
    }
  }

  private async migrate(vmi: VirtualMachineInstance, log: Logger): Promise<Result> {
    const name = vmi.metadata.name ?? '';
    const created = await this.deps.vmims.create({
      apiVersion: API_VERSION,
      kind: VMIM_KIND,
      metadata: { generateName: `${name}-evacuation-`, namespace: vmi.metadata.namespace ?? '' },
      spec: { vmiName: name },
    });
    this.created.expectObject(objectKey(vmi), created);
    const node = vmi.status?.nodeName ?? '';
    log.info({ migration: created.metadata.name, node }, 'Created a migration to evacuate a cordoned node');
    this.deps.events.record(vmi, 'Normal', 'EvacuationStarted', `Node ${node} is cordoned: migrating to another node`);
    return DONE;
  }
}
