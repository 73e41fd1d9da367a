/**
 * The closed vocabularies of the API, as const arrays. The CRD schema's `enum`s are built from these
 * arrays and the generated types' unions from that schema, so a word added here reaches both.
 */

export const RUN_STRATEGIES = ['Always', 'RerunOnFailure', 'Manual', 'Halted', 'Once'] as const;

export const VMI_PHASES = ['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

/** KubeVirt's words for `kubectl get vm`'s STATUS column (kubevirt.io/api core/v1 types.go). */
export const PRINTABLE_STATUSES = [
  'Stopped',
  'Provisioning',
  'Starting',
  'Running',
  'Paused',
  'Stopping',
  'Terminating',
  'ErrorUnschedulable',
  'ErrImagePull',
  'ImagePullBackOff',
  'CrashLoopBackOff',
  'Migrating',
  'Unknown',
] as const;

/** A VirtualMachineInstanceMigration's phases, KubeVirt's words, in the order a migration passes them. */
export const MIGRATION_PHASES = [
  'Pending',
  'Scheduling',
  'Scheduled',
  'PreparingTarget',
  'TargetReady',
  'Running',
  'Succeeded',
  'Failed',
] as const;

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

export const STATE_CHANGE_ACTIONS = ['Start', 'Stop'] as const;

export const DISK_BUSES = ['virtio', 'sata', 'scsi', 'usb'] as const;

export const HOST_DISK_TYPES = ['Disk', 'DiskOrCreate'] as const;

export const IMAGE_PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;

/** What a node drain does to a VMI (KubeVirt's evictionStrategy): None stops it, LiveMigrate moves it. */
export const EVICTION_STRATEGIES = ['None', 'LiveMigrate'] as const;
