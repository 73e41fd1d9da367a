/**
 * The tsvirt.io/v1alpha1 API types, with KubeVirt's field names (kubevirt.io/api core/v1 types.go).
 * Everything is readonly: objects from the API server or an informer cache are shared, copy to edit.
 */
import { API_VERSION, VM_KIND, VMI_KIND } from './names.js';

/** A Kubernetes quantity: `128Mi`, `1G`, `2`, `500m` (strings), or a plain number. */
export type Quantity = string | number;

export const RUN_STRATEGIES = ['Always', 'RerunOnFailure', 'Manual', 'Halted', 'Once'] as const;
export type RunStrategy = (typeof RUN_STRATEGIES)[number];

export const VMI_PHASES = ['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
export type VmiPhase = (typeof VMI_PHASES)[number];

export const PRINTABLE_STATUSES = [
  'Stopped',
  'Provisioning',
  'Starting',
  'Running',
  'Paused',
  'Stopping',
  'Terminating',
  'ErrorUnschedulable',
  'CrashLoopBackOff',
  'Unknown',
] as const;
export type PrintableStatus = (typeof PRINTABLE_STATUSES)[number];

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

export const STATE_CHANGE_ACTIONS = ['Start', 'Stop'] as const;
export type StateChangeAction = (typeof STATE_CHANGE_ACTIONS)[number];

export const DISK_BUSES = ['virtio', 'sata', 'scsi', 'usb'] as const;
export type DiskBus = (typeof DISK_BUSES)[number];

export const HOST_DISK_TYPES = ['Disk', 'DiskOrCreate'] as const;
export type HostDiskType = (typeof HOST_DISK_TYPES)[number];

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

/** The part of Kubernetes' ObjectMeta that tsvirt reads or writes. */
export interface ObjectMeta {
  readonly name?: string;
  readonly generateName?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly deletionGracePeriodSeconds?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly finalizers?: ReadonlyArray<string>;
  readonly ownerReferences?: ReadonlyArray<OwnerReference>;
}

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
  readonly lastProbeTime?: string;
}

export interface CPU {
  readonly cores?: number;
  readonly sockets?: number;
  readonly threads?: number;
}

export interface Memory {
  readonly guest?: Quantity;
}

export interface ResourceList {
  readonly cpu?: Quantity;
  readonly memory?: Quantity;
}

export interface ResourceRequirements {
  readonly requests?: ResourceList;
  readonly limits?: ResourceList;
}

export interface DiskTarget {
  readonly bus?: DiskBus;
  readonly readonly?: boolean;
}

export interface Disk {
  readonly name: string;
  readonly disk?: DiskTarget;
  readonly bootOrder?: number;
  readonly serial?: string;
}

export interface Interface {
  readonly name: string;
  readonly model?: string;
  readonly macAddress?: string;
  readonly masquerade?: Readonly<Record<string, never>>;
  readonly bridge?: Readonly<Record<string, never>>;
}

export interface Devices {
  readonly disks?: ReadonlyArray<Disk>;
  readonly interfaces?: ReadonlyArray<Interface>;
}

/** Direct kernel boot. Host paths here, where KubeVirt takes them from a container image. */
export interface KernelBoot {
  readonly kernelPath?: string;
  readonly initrdPath?: string;
  readonly kernelArgs?: string;
}

export interface Firmware {
  readonly kernelBoot?: KernelBoot;
}

export interface Machine {
  readonly type?: string;
}

export interface DomainSpec {
  readonly cpu?: CPU;
  readonly memory?: Memory;
  readonly resources?: ResourceRequirements;
  readonly devices: Devices;
  readonly firmware?: Firmware;
  readonly machine?: Machine;
}

export interface HostDisk {
  readonly path: string;
  readonly type: HostDiskType;
  readonly capacity?: Quantity;
}

export interface EmptyDisk {
  readonly capacity: Quantity;
}

export interface ContainerDisk {
  readonly image: string;
  readonly path?: string;
  readonly imagePullPolicy?: string;
}

export interface CloudInitNoCloud {
  readonly userData?: string;
  readonly userDataBase64?: string;
  readonly networkData?: string;
  readonly networkDataBase64?: string;
}

export interface Volume {
  readonly name: string;
  readonly hostDisk?: HostDisk;
  readonly emptyDisk?: EmptyDisk;
  readonly containerDisk?: ContainerDisk;
  readonly cloudInitNoCloud?: CloudInitNoCloud;
}

export interface Network {
  readonly name: string;
  readonly pod?: { readonly vmNetworkCIDR?: string };
}

export interface VirtualMachineInstanceSpec {
  readonly domain: DomainSpec;
  readonly volumes?: ReadonlyArray<Volume>;
  readonly networks?: ReadonlyArray<Network>;
  readonly terminationGracePeriodSeconds?: number;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly hostname?: string;
}

export interface VirtualMachineInstanceNetworkInterface {
  readonly name?: string;
  readonly ipAddress?: string;
  readonly ipAddresses?: ReadonlyArray<string>;
  readonly mac?: string;
}

export interface PhaseTransitionTimestamp {
  readonly phase: VmiPhase;
  readonly phaseTransitionTimestamp: string;
}

export interface VirtualMachineInstanceStatus {
  readonly phase?: VmiPhase;
  readonly nodeName?: string;
  readonly reason?: string;
  readonly conditions?: ReadonlyArray<Condition>;
  readonly interfaces?: ReadonlyArray<VirtualMachineInstanceNetworkInterface>;
  readonly phaseTransitionTimestamps?: ReadonlyArray<PhaseTransitionTimestamp>;
  readonly launcherPodName?: string;
}

export interface VirtualMachineInstance {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: typeof VMI_KIND;
  readonly metadata: ObjectMeta;
  readonly spec: VirtualMachineInstanceSpec;
  readonly status?: VirtualMachineInstanceStatus;
}

/** Metadata a VM's template may carry into its VMI: labels and annotations only. */
export interface TemplateMeta {
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface VirtualMachineInstanceTemplateSpec {
  readonly metadata?: TemplateMeta;
  readonly spec: VirtualMachineInstanceSpec;
}

export interface VirtualMachineSpec {
  readonly runStrategy?: RunStrategy;
  /** Deprecated in KubeVirt, accepted so its examples apply: true = Always, false = Halted. */
  readonly running?: boolean;
  readonly template: VirtualMachineInstanceTemplateSpec;
}

/** A request to the controller to start or stop the VMI; restart is [Stop with the VMI's uid, Start]. */
export interface StateChangeRequest {
  readonly action: StateChangeAction;
  readonly uid?: string;
  readonly data?: Readonly<Record<string, string>>;
}

export interface VirtualMachineStatus {
  readonly printableStatus?: PrintableStatus;
  readonly ready?: boolean;
  readonly created?: boolean;
  readonly conditions?: ReadonlyArray<Condition>;
  readonly observedGeneration?: number;
  readonly stateChangeRequests?: ReadonlyArray<StateChangeRequest>;
}

export interface VirtualMachine {
  readonly apiVersion: typeof API_VERSION;
  readonly kind: typeof VM_KIND;
  readonly metadata: ObjectMeta;
  readonly spec: VirtualMachineSpec;
  readonly status?: VirtualMachineStatus;
}

function isRecord(u: unknown): u is Readonly<Record<string, unknown>> {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

function hasKindAndSpec(u: unknown, kind: string): u is Readonly<Record<string, unknown>> {
  return isRecord(u) && u['apiVersion'] === API_VERSION && u['kind'] === kind && isRecord(u['metadata']) && isRecord(u['spec']);
}

/**
 * True when `u` is a tsvirt.io/v1alpha1 VirtualMachine as the API server returns it (apiVersion,
 * kind, metadata and spec.template.spec.domain present). It checks the envelope, not every field:
 * the CRD schema already validated the rest before the object was stored.
 */
export function isVirtualMachine(u: unknown): u is VirtualMachine {
  if (!hasKindAndSpec(u, VM_KIND)) return false;
  const template = (u['spec'] as Readonly<Record<string, unknown>>)['template'];
  return isRecord(template) && isRecord(template['spec']) && isRecord(template['spec']['domain']);
}

/** True when `u` is a tsvirt.io/v1alpha1 VirtualMachineInstance (envelope and spec.domain present). */
export function isVirtualMachineInstance(u: unknown): u is VirtualMachineInstance {
  return hasKindAndSpec(u, VMI_KIND) && isRecord((u['spec'] as Readonly<Record<string, unknown>>)['domain']);
}
