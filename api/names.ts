/**
 * Every name that crosses a process or API boundary, written once (docs/conventions.md §1).
 * Labels, annotations and finalizers live under the tsvirt.io group so they never collide with
 * KubeVirt's own kubevirt.io names on a cluster that runs both.
 */

export const GROUP = 'tsvirt.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** The aggregated API group that serves start/stop/restart and console. */
export const SUBRESOURCES_GROUP = 'subresources.tsvirt.io';

export const VM_KIND = 'VirtualMachine';
export const VM_PLURAL = 'virtualmachines';
export const VM_SINGULAR = 'virtualmachine';
export const VM_SHORT_NAMES = ['vm', 'vms'] as const;
export const VMI_KIND = 'VirtualMachineInstance';
export const VMI_PLURAL = 'virtualmachineinstances';
export const VMI_SINGULAR = 'virtualmachineinstance';
export const VMI_SHORT_NAMES = ['vmi', 'vmis'] as const;
export const VMIM_KIND = 'VirtualMachineInstanceMigration';
export const VMIM_PLURAL = 'virtualmachineinstancemigrations';
export const VMIM_SINGULAR = 'virtualmachineinstancemigration';
export const VMIM_SHORT_NAMES = ['vmim', 'vmims'] as const;

/** The image name that marks a Pod as a virt-launcher Pod; the local node agent runs only these. */
export const LAUNCHER_IMAGE = 'tsvirt.io/virt-launcher:v1alpha1';
export const LAUNCHER_CONTAINER_NAME = 'compute';

export const LABELS = {
  /** On launcher Pods: the UID of the VMI the Pod stands for. */
  createdBy: 'tsvirt.io/created-by',
  /** On launcher Pods and VMIs: the name of the VMI (Pods) or of the owning VM (VMIs). */
  vmiName: 'tsvirt.io/vmi-name',
  vmName: 'tsvirt.io/vm-name',
  /** On launcher Pods: which component created it. */
  component: 'tsvirt.io/component',
  /** On Nodes: set by virt-handler when it serves that node. */
  schedulable: 'tsvirt.io/schedulable',
  /**
   * On a VMI while it migrates: the node of its migration target, so that node's virt-handler (which
   * selects VMIs on status.nodeName, still the source) sees it too (KubeVirt's migrationTargetNodeName).
   */
  migrationTargetNode: 'tsvirt.io/migration-target-node',
  /** On a migration's target launcher Pod: the uid of the VirtualMachineInstanceMigration it serves. */
  migrationUid: 'tsvirt.io/migration-uid',
} as const;

/**
 * The VMI field a virt-handler selects its node's VMIs on (a CRD selectable field): the node is in
 * the status the controller writes when the launcher Pod is bound, so no second write of a label is
 * needed to hand the VMI over, and the handler sees it exactly when it is Scheduled.
 */
export const VMI_NODE_FIELD = 'status.nodeName';

export const FINALIZERS = {
  /** On a VMI: the launcher Pod and the domain are gone before the VMI is. */
  vmiCleanup: 'tsvirt.io/virtualMachineInstance-cleanup',
  /** On a VM: the VMI is stopped gracefully before the VM is gone. */
  vmCleanup: 'tsvirt.io/virtualMachine-cleanup',
  /** On a VirtualMachineInstanceMigration: a deleted (cancelled) migration is aborted before it goes. */
  migrationCleanup: 'tsvirt.io/migration-cleanup',
} as const;

/** Condition types, KubeVirt's words (kubevirt.io/api core/v1 types.go). */
export const CONDITION_TYPES = {
  ready: 'Ready',
  failure: 'Failure',
  paused: 'Paused',
  restartRequired: 'RestartRequired',
  podScheduled: 'PodScheduled',
  synchronized: 'Synchronized',
  softwareEmulation: 'SoftwareEmulation',
  /** The guest agent answers on its virtio-serial channel (KubeVirt's AgentConnected). */
  agentConnected: 'AgentConnected',
} as const;

/** Condition and status reasons (CamelCase), shown by `kubectl virt describe`. */
export const REASONS = {
  unschedulable: 'Unschedulable',
  podNotExists: 'PodNotExists',
  podFailed: 'PodFailed',
  podTerminating: 'PodTerminating',
  guestNotRunning: 'GuestNotRunning',
  domainRunning: 'DomainRunning',
  guestShutdown: 'GuestShutdown',
  domainCrashed: 'DomainCrashed',
  domainNotFound: 'DomainNotFound',
  launcherExited: 'LauncherExited',
  failedCreate: 'FailedCreate',
  failedDefine: 'FailedDefine',
  invalidSpec: 'InvalidSpec',
  /** A host path the node's policy refuses (outside its roots, not a regular file, gate off...). */
  hostPathNotAllowed: 'HostPathNotAllowed',
  kvmUnavailable: 'KVMUnavailable',
  crashLoopBackOff: 'CrashLoopBackOff',
  handlerUnresponsive: 'HandlerUnresponsive',
  /** A containerDisk could not be pulled (the registry's message follows); retried with back-off. */
  errImagePull: 'ErrImagePull',
  /** Waiting before the next pull attempt after ErrImagePull. */
  imagePullBackOff: 'ImagePullBackOff',
  /** A migration's VMI does not exist, is not Running, or cannot move (see api/migration.ts). */
  notMigratable: 'NotMigratable',
  /** The migration's target launcher Pod failed or vanished before the guest moved. */
  targetPodFailed: 'TargetPodFailed',
  /** libvirt's migration failed (its message follows); the guest runs on on the source. */
  migrationFailed: 'MigrationFailed',
  /** The migration was cancelled (deleted) or timed out before the guest moved. */
  migrationAborted: 'MigrationAborted',
  /** The source launcher's exit reason once its guest moved to another node. */
  migrated: 'Migrated',
} as const;

/**
 * Node flags every long-running tsvirt service (virt-controller, virt-handler, virt-api) starts with,
 * wherever it runs (manifests/, cluster/components.ts, the test harness, bench/). V8's young
 * generation grows to 16 MiB semi-spaces by default, memory a service that mostly waits on watches
 * keeps resident; 1 MiB costs a few more, cheap scavenges. Measured with 200 VMs defined:
 * virt-controller RSS 105 → 87 MiB (bench/, `npm run bench -- --only idle`).
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** Kubernetes component names used as field managers and Event sources. */
export const COMPONENTS = {
  controller: 'virt-controller',
  handler: 'virt-handler',
  launcher: 'virt-launcher',
  api: 'virt-api',
  cli: 'kubectl-virt',
  nodeAgent: 'tsvirt-node-agent',
} as const;

/** The namespace tsvirt's own components and Leases live in. */
export const SYSTEM_NAMESPACE = 'tsvirt-system';
export const CONTROLLER_LEASE_NAME = 'virt-controller';

/** tsvirt's release, stamped on the CRDs as `app.kubernetes.io/version` (`kubectl virt version` reads it). */
export const RELEASE_VERSION = 'v0.1.0';
export const VERSION_LABEL = 'app.kubernetes.io/version';
