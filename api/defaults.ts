/**
 * The defaults of the API, written once. The CRD schemas (api/crds) store them on create, and the
 * code that reads a field falls back to the same value for objects built in code, so the two can
 * never drift (test/unit/api/defaults.test.ts walks the CRD and fails when they do). Kept free of
 * imports so every bundle can take it without the schemas.
 */

/** A VMI's grace period: KubeVirt's (kubevirt.io/api core/v1 DefaultGracePeriodSeconds). */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 180;
/** A disk's bus when `disk.bus` is unset. */
export const DEFAULT_DISK_BUS = 'virtio';
/** An interface's device model when `model` is unset. */
export const DEFAULT_INTERFACE_MODEL = 'virtio';
/**
 * Guest memory when the VMI names none in memory.guest or resources (KubeVirt has no default and
 * refuses such a VMI; ours keeps tiny test VMs tiny). Not stored by the CRD: it is computed.
 */
export const DEFAULT_GUEST_MEMORY_BYTES = 128 * 2 ** 20;
/**
 * vCPUs per physical CPU the scheduler counts a launcher Pod for (KubeVirt's cpuAllocationRatio
 * default 10: a 1-vCPU VM requests 100m). Cluster configuration key `cpuAllocationRatio`.
 */
export const DEFAULT_CPU_ALLOCATION_RATIO = 10;
