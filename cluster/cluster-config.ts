// The cluster configuration of the local cluster (cluster/up.sh, the integration and e2e tiers):
// the HostDisk gate on, since its tests and examples run host disks, and the default roots, which
// are also virt-handler's defaults (handler/main.ts --host-disk-root, --boot-root).
import { type ClusterConfig, clusterConfigMap, DEFAULT_CLUSTER_CONFIG, FEATURE_GATES } from '../api/cluster-config.js';

export const LOCAL_CLUSTER_CONFIG: ClusterConfig = {
  ...DEFAULT_CLUSTER_CONFIG,
  featureGates: [FEATURE_GATES.hostDisk],
};

export function localClusterConfig(): Readonly<Record<string, unknown>> {
  return clusterConfigMap(LOCAL_CLUSTER_CONFIG);
}
