/**
 * The tsvirt.io/v1alpha1 API types, with KubeVirt's field names (kubevirt.io/api core/v1 types.go).
 * The types themselves are generated from the CRD schemas (api/crds/, `npm run generate`), so what
 * TypeScript accepts and what the API server accepts cannot drift apart; this module is the one
 * place to import them from. Everything is readonly: objects from an informer cache are shared.
 */
import { API_VERSION, VM_KIND, VMI_KIND, VMIM_KIND } from './names.js';
import type { VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration } from './generated/types.js';

export type {
  Condition,
  ConditionStatus,
  CloudInitNoCloud,
  ContainerDisk,
  CPU,
  Devices,
  Disk,
  DiskBus,
  DiskTarget,
  DomainSpec,
  EmptyDisk,
  EvictionStrategy,
  Firmware,
  HostDisk,
  HostDiskType,
  Interface,
  KernelBoot,
  Machine,
  Memory,
  MigrationPhase,
  MigrationPhaseTransitionTimestamp,
  Network,
  PhaseTransitionTimestamp,
  PodNetwork,
  PrintableStatus,
  PullPolicy,
  Quantity,
  ResourceList,
  ResourceRequirements,
  RunStrategy,
  StateChangeAction,
  StateChangeRequest,
  TemplateMeta,
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachineInstanceGuestOSInfo,
  VirtualMachineInstanceMigration,
  VirtualMachineInstanceMigrationSpec,
  VirtualMachineInstanceMigrationState,
  VirtualMachineInstanceMigrationStatus,
  VirtualMachineInstanceNetworkInterface,
  VirtualMachineInstanceSpec,
  VirtualMachineInstanceStatus,
  VirtualMachineInstanceTemplateSpec,
  VirtualMachineSpec,
  VirtualMachineStatus,
  VmiPhase,
  Volume,
} from './generated/types.js';
export type { ObjectMeta, OwnerReference } from './meta.js';
export {
  CONDITION_STATUSES,
  DISK_BUSES,
  EVICTION_STRATEGIES,
  HOST_DISK_TYPES,
  IMAGE_PULL_POLICIES,
  MIGRATION_PHASES,
  PRINTABLE_STATUSES,
  RUN_STRATEGIES,
  STATE_CHANGE_ACTIONS,
  VMI_PHASES,
} from './enums.js';

type Json = Readonly<Record<string, unknown>>;

function isRecord(u: unknown): u is Json {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

function isEnvelope(u: unknown, kind: string): u is Json & { readonly metadata: Json; readonly spec: Json } {
  return (
    isRecord(u) &&
    u['apiVersion'] === API_VERSION &&
    u['kind'] === kind &&
    isRecord(u['metadata']) &&
    isRecord(u['spec'])
  );
}

/**
 * True when `u` is a tsvirt.io/v1alpha1 VirtualMachine as the API server returns it: apiVersion,
 * kind, metadata and spec.template.spec.domain present. It checks the envelope, not every field;
 * the CRD schema validated the rest before the object was stored. Never throws.
 */
export function isVirtualMachine(u: unknown): u is VirtualMachine {
  if (!isEnvelope(u, VM_KIND)) return false;
  const template = u.spec['template'];
  return isRecord(template) && isRecord(template['spec']) && isRecord(template['spec']['domain']);
}

/** True when `u` is a tsvirt.io/v1alpha1 VirtualMachineInstance (envelope and spec.domain present). Never throws. */
export function isVirtualMachineInstance(u: unknown): u is VirtualMachineInstance {
  return isEnvelope(u, VMI_KIND) && isRecord(u.spec['domain']);
}

/** True when `u` is a tsvirt.io/v1alpha1 VirtualMachineInstanceMigration (envelope and spec.vmiName). Never throws. */
export function isVirtualMachineInstanceMigration(u: unknown): u is VirtualMachineInstanceMigration {
  return isEnvelope(u, VMIM_KIND) && typeof u.spec['vmiName'] === 'string';
}
