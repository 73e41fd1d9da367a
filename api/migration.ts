/**
 * What a live migration's fields mean, written once (docs/conventions.md §2): which migration a VMI
 * is in, whether it has ended, whether a VMI can move at all, and how long it may take. The
 * controller, both handlers and the CLI call these. Pure.
 */
import type { MigrationLimits } from './cluster-config.js';
import type {
  MigrationPhase,
  VirtualMachineInstance,
  VirtualMachineInstanceMigrationState,
} from './generated/types.js';
import { guestMemoryBytes } from './sizing.js';

/** Succeeded and Failed are the phases a migration never leaves. */
export function isMigrationPhaseFinal(phase: MigrationPhase | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The state has an outcome: the guest moved, or the migration failed (it runs on on the source). */
export function hasMigrationEnded(state: VirtualMachineInstanceMigrationState | undefined): boolean {
  return state?.completed === true || state?.failed === true;
}

/** The VMI's migration in progress (one at a time), else undefined. */
export function activeMigration(vmi: VirtualMachineInstance): VirtualMachineInstanceMigrationState | undefined {
  const state = vmi.status?.migrationState;
  return state === undefined || hasMigrationEnded(state) ? undefined : state;
}

/** The VMI's migration state when it is about the migration with `uid`. */
export function migrationStateOf(
  vmi: VirtualMachineInstance | undefined,
  uid: string | undefined,
): VirtualMachineInstanceMigrationState | undefined {
  const state = vmi?.status?.migrationState;
  return uid !== undefined && state?.migrationUid === uid ? state : undefined;
}

/**
 * Why the VMI cannot be live-migrated now, for a person, or undefined when it can. A VMI must be
 * Running on a node. Every volume tsvirt has lives on the node that runs the VMI (containerDisk and
 * emptyDisk overlays, cloud-init ISOs, host disks): moving them needs block migration, which tsvirt
 * does not do yet, so such a VMI is refused rather than moved without its disks (docs/api.md).
 */
export function notMigratableReason(vmi: VirtualMachineInstance): string | undefined {
  const name = vmi.metadata.name ?? '';
  const phase = vmi.status?.phase ?? 'Pending';
  const node = vmi.status?.nodeName;
  if (phase !== 'Running' || node === undefined)
    return `VirtualMachineInstance ${name} is ${phase}, not Running: only a running VMI can migrate`;
  if (vmi.metadata.deletionTimestamp !== undefined) return `VirtualMachineInstance ${name} is being deleted`;
  return volumesReason(vmi, node);
}

function volumesReason(vmi: VirtualMachineInstance, node: string): string | undefined {
  const volumes = (vmi.spec.volumes ?? []).map((v) => v.name);
  if (volumes.length === 0) return undefined;
  return `volumes ${volumes.join(', ')} live on node ${node} only and block migration is not supported yet; a VMI with volumes cannot migrate`;
}

/** Seconds an unfinished migration may run before it is aborted: per GiB of guest memory, 1 GiB at least. */
export function completionTimeoutSeconds(vmi: VirtualMachineInstance, limits: MigrationLimits): number {
  const gib = Math.max(1, Math.ceil(guestMemoryBytes(vmi) / 2 ** 30));
  return gib * limits.completionTimeoutPerGiB;
}
