/**
 * evictionStrategy: LiveMigrate, pure (kubevirt pkg/virt-controller/watch/drain, reduced). A
 * LiveMigrate VMI keeps a PodDisruptionBudget over its launcher Pods (label tsvirt.io/created-by),
 * minAvailable 1, or 2 while a migration of it is open (both Pods then run, and the source must not
 * be evicted before the guest left it), so a `kubectl drain` waits at the eviction of the launcher
 * Pod. When the VMI's node is cordoned (`spec.unschedulable`, drain's first step), the VMI is
 * migrated away; once it moved, its old launcher Pod has ended and drain evicts it at once.
 */
import { isBeingDeleted, isFinal } from '../../api/lifecycle.js';
import type { VirtualMachineInstance } from '../../api/types.js';
import type { Node } from '../../kube/core.js';
import type { PodDisruptionBudget } from '../../kube/pdbs.js';

/** A failed evacuation is tried again after this long (the target may need a node to free up). */
export const EVACUATION_RETRY_MS = 10_000;

export type EvacuationView = Readonly<{
  vmi: VirtualMachineInstance;
  /** The VMI's node (status.nodeName), from the cache. */
  node: Node | undefined;
  budget: PodDisruptionBudget | undefined;
  /** A migration of this VMI has not ended (any VirtualMachineInstanceMigration not Succeeded or Failed). */
  migrating: boolean;
  /** When its last migration failed (ms since epoch), if the last one did. */
  lastFailedAt: number | undefined;
  now: number;
}>;

export type EvacuationStep = Readonly<
  | { kind: 'create-budget'; minAvailable: number }
  | { kind: 'set-budget'; minAvailable: number }
  | { kind: 'migrate' }
  | { kind: 'retry-after'; ms: number }
  | { kind: 'none' }
>;

const NONE: EvacuationStep = { kind: 'none' };

const wantsBudget = (vmi: VirtualMachineInstance): boolean =>
  vmi.spec.evictionStrategy === 'LiveMigrate' && !isFinal(vmi) && !isBeingDeleted(vmi);

/** Running on a cordoned node, not moving yet: to be migrated away. */
const toEvacuate = (v: EvacuationView): boolean =>
  v.vmi.status?.phase === 'Running' && v.node?.spec?.unschedulable === true && !v.migrating;

function budgetStep(v: EvacuationView): EvacuationStep | undefined {
  const minAvailable = v.migrating ? 2 : 1;
  if (v.budget === undefined) return { kind: 'create-budget', minAvailable };
  return v.budget.spec?.minAvailable === minAvailable ? undefined : { kind: 'set-budget', minAvailable };
}

/** The one next step for a VMI. */
export function nextEvacuationStep(v: EvacuationView): EvacuationStep {
  if (!wantsBudget(v.vmi)) return NONE;
  const budget = budgetStep(v);
  if (budget !== undefined) return budget;
  if (!toEvacuate(v)) return NONE;
  const waited = v.lastFailedAt === undefined ? EVACUATION_RETRY_MS : v.now - v.lastFailedAt;
  return waited < EVACUATION_RETRY_MS ? { kind: 'retry-after', ms: EVACUATION_RETRY_MS - waited } : { kind: 'migrate' };
}
