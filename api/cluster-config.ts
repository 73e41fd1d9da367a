/**
 * tsvirt's cluster configuration: one ConfigMap, `tsvirt-system/tsvirt-config`, that virt-handler
 * reads (informer) and the ValidatingAdmissionPolicy `tsvirt-host-paths` reads at admission time
 * (paramRef). It plays the part of KubeVirt's `KubeVirt` CR `spec.configuration`
 * (developerConfiguration.featureGates). A ConfigMap holds strings only, so each field is one key
 * with a documented string form; later fields (insecure registries, migration limits) are new keys
 * parsed here, nowhere else (docs/api.md, "Cluster configuration").
 */
import { DEFAULT_CPU_ALLOCATION_RATIO } from './defaults.js';
import { SYSTEM_NAMESPACE } from './names.js';
import { parseQuantity, QuantityError } from './quantity.js';

/** The ConfigMap's name; it lives in {@link SYSTEM_NAMESPACE}. */
export const CLUSTER_CONFIG_NAME = 'tsvirt-config';
export const CLUSTER_CONFIG_NAMESPACE = SYSTEM_NAMESPACE;

/** The ConfigMap's keys. Lists are comma-separated; blanks around items are ignored. */
export const CLUSTER_CONFIG_KEYS = {
  /** Feature gates that are on, e.g. `HostDisk`. Off unless listed (KubeVirt's featureGates). */
  featureGates: 'featureGates',
  /** Absolute folders a hostDisk path must lie in (the admission check; each node enforces its own roots). */
  hostDiskRoots: 'hostDiskRoots',
  /** Absolute folders kernelBoot.kernelPath and initrdPath must lie in. */
  bootRoots: 'bootRoots',
  /** vCPUs per requested CPU of a launcher Pod, a number above 0 (KubeVirt's cpuAllocationRatio, default 10). */
  cpuAllocationRatio: 'cpuAllocationRatio',
  /**
   * Live migration limits, KubeVirt's migrations configuration: bandwidthPerMigration (a quantity per
   * second, e.g. 64Mi; 0 = unlimited) and completionTimeoutPerGiB (seconds per GiB of guest memory,
   * at least 1 GiB counted, before the migration is aborted; default 150) and progressTimeout
   * (seconds without the data left to copy going down before it is aborted; default 150).
   */
  bandwidthPerMigration: 'bandwidthPerMigration',
  completionTimeoutPerGiB: 'completionTimeoutPerGiB',
  progressTimeout: 'progressTimeout',
} as const;

/** Feature gate names, KubeVirt's words. */
export const FEATURE_GATES = {
  /** hostDisk volumes: off by default, as in KubeVirt, since a host file is the node's, not the tenant's. */
  hostDisk: 'HostDisk',
} as const;
export type FeatureGate = (typeof FEATURE_GATES)[keyof typeof FEATURE_GATES];

/** Where host disks live on a node unless its handler says otherwise (`--host-disk-root`). */
export const DEFAULT_HOST_DISK_ROOT = '/var/lib/tsvirt/disks';
/** Where kernels and initrds live (`--boot-root`); test/e2e/guest/build.sh installs the tiny guest here. */
export const DEFAULT_BOOT_ROOT = '/var/lib/tsvirt/guest';

/** The ValidatingAdmissionPolicy (and its binding) that refuses at create what needs no node. */
export const HOST_PATH_POLICY_NAME = 'tsvirt-host-paths';

export interface ClusterConfig {
  readonly featureGates: ReadonlyArray<string>;
  readonly hostDiskRoots: ReadonlyArray<string>;
  readonly bootRoots: ReadonlyArray<string>;
  readonly cpuAllocationRatio: number;
  readonly migrations: MigrationLimits;
}

/** How fast and how long one live migration may run. */
export interface MigrationLimits {
  /** Bytes per second one migration may use; 0 = unlimited (KubeVirt's default). */
  readonly bandwidthBytesPerSecond: number;
  /** Seconds per GiB of guest memory before an unfinished migration is aborted (KubeVirt's 150). */
  readonly completionTimeoutPerGiB: number;
  /** Seconds the data left to copy may stay above its lowest before the migration is aborted (KubeVirt's 150). */
  readonly progressTimeoutSeconds: number;
}

export const DEFAULT_MIGRATION_LIMITS: MigrationLimits = {
  bandwidthBytesPerSecond: 0,
  completionTimeoutPerGiB: 150,
  progressTimeoutSeconds: 150,
};

/** The configuration of a cluster with no tsvirt-config (or an empty one): every gate off, default roots. */
export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = {
  featureGates: [],
  hostDiskRoots: [DEFAULT_HOST_DISK_ROOT],
  bootRoots: [DEFAULT_BOOT_ROOT],
  cpuAllocationRatio: DEFAULT_CPU_ALLOCATION_RATIO,
  migrations: DEFAULT_MIGRATION_LIMITS,
};

function list(value: string | undefined): ReadonlyArray<string> | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The configuration a ConfigMap's `data` says; a missing key takes its default. Never throws:
 * a root that is not absolute is dropped (it could never contain an absolute path), and a
 * cpuAllocationRatio that is not a number above 0 takes the default.
 */
export function parseClusterConfig(data: Readonly<Record<string, string>> | undefined): ClusterConfig {
  const d = data ?? {};
  const roots = (key: string, fallback: ReadonlyArray<string>): ReadonlyArray<string> =>
    (list(d[key]) ?? fallback).filter((r) => r.startsWith('/'));
  return {
    featureGates: list(d[CLUSTER_CONFIG_KEYS.featureGates]) ?? [],
    hostDiskRoots: roots(CLUSTER_CONFIG_KEYS.hostDiskRoots, DEFAULT_CLUSTER_CONFIG.hostDiskRoots),
    bootRoots: roots(CLUSTER_CONFIG_KEYS.bootRoots, DEFAULT_CLUSTER_CONFIG.bootRoots),
    cpuAllocationRatio: ratio(d[CLUSTER_CONFIG_KEYS.cpuAllocationRatio]),
    migrations: {
      bandwidthBytesPerSecond: bandwidth(d[CLUSTER_CONFIG_KEYS.bandwidthPerMigration]),
      completionTimeoutPerGiB: positiveInteger(
        d[CLUSTER_CONFIG_KEYS.completionTimeoutPerGiB],
        DEFAULT_MIGRATION_LIMITS.completionTimeoutPerGiB,
      ),
      progressTimeoutSeconds: positiveInteger(
        d[CLUSTER_CONFIG_KEYS.progressTimeout],
        DEFAULT_MIGRATION_LIMITS.progressTimeoutSeconds,
      ),
    },
  };
}

/** A quantity of bytes per second; what is not a quantity of at least 0 takes the default (unlimited). */
function bandwidth(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_MIGRATION_LIMITS.bandwidthBytesPerSecond;
  try {
    const bytes = parseQuantity(value.trim());
    return bytes >= 0n ? Number(bytes) : DEFAULT_MIGRATION_LIMITS.bandwidthBytesPerSecond;
  } catch (e) {
    if (e instanceof QuantityError) return DEFAULT_MIGRATION_LIMITS.bandwidthBytesPerSecond;
    throw e;
  }
}

function positiveInteger(value: string | undefined, fallback: number): number {
  const n = Number(value?.trim() ?? '');
  return value !== undefined && /^\s*\d+\s*$/.test(value) && n > 0 ? n : fallback;
}

function ratio(value: string | undefined): number {
  const n = Number(value?.trim() ?? '');
  return value !== undefined && value.trim() !== '' && Number.isFinite(n) && n > 0 ? n : DEFAULT_CPU_ALLOCATION_RATIO;
}

export function gateEnabled(config: ClusterConfig, gate: FeatureGate): boolean {
  return config.featureGates.includes(gate);
}

/** The ConfigMap object for a configuration (manifests/, the local cluster). */
export function clusterConfigMap(config: ClusterConfig): Readonly<Record<string, unknown>> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: CLUSTER_CONFIG_NAME,
      namespace: CLUSTER_CONFIG_NAMESPACE,
      labels: { 'app.kubernetes.io/part-of': 'tsvirt' },
    },
    data: {
      [CLUSTER_CONFIG_KEYS.featureGates]: config.featureGates.join(','),
      [CLUSTER_CONFIG_KEYS.hostDiskRoots]: config.hostDiskRoots.join(','),
      [CLUSTER_CONFIG_KEYS.bootRoots]: config.bootRoots.join(','),
      [CLUSTER_CONFIG_KEYS.cpuAllocationRatio]: String(config.cpuAllocationRatio),
      [CLUSTER_CONFIG_KEYS.bandwidthPerMigration]: String(config.migrations.bandwidthBytesPerSecond),
      [CLUSTER_CONFIG_KEYS.completionTimeoutPerGiB]: String(config.migrations.completionTimeoutPerGiB),
      [CLUSTER_CONFIG_KEYS.progressTimeout]: String(config.migrations.progressTimeoutSeconds),
    },
  };
}
