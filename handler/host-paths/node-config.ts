/**
 * Where the handler's host-path policy comes from: its own flags (the roots, per node) and the
 * cluster configuration (the HostDisk gate, from ConfigMap tsvirt-system/tsvirt-config, watched).
 */
import {
  CLUSTER_CONFIG_NAME,
  CLUSTER_CONFIG_NAMESPACE,
  FEATURE_GATES,
  gateEnabled,
  parseClusterConfig,
} from '../../api/cluster-config.js';
import type { ConfigMap } from '../../kube/core.js';
import type { Informer } from '../../kube/informer.js';
import { resolveRoots } from './node-paths.js';
import type { NodePathPolicy } from './policy.js';

export interface NodeRoots {
  readonly hostDiskRoots: ReadonlyArray<string>;
  readonly bootRoots: ReadonlyArray<string>;
}

/** How long a start waits for the cluster configuration before taking the gate as off. */
const CONFIG_SYNC_TIMEOUT_MS = 10_000;

/** The gate as the cached ConfigMap says; off while there is none (KubeVirt's default). */
export function hostDiskGate(config: Informer<ConfigMap>): () => Promise<boolean> {
  return async () => {
    await config.waitForSync(AbortSignal.timeout(CONFIG_SYNC_TIMEOUT_MS));
    const cm = config.get(CLUSTER_CONFIG_NAMESPACE, CLUSTER_CONFIG_NAME);
    return gateEnabled(parseClusterConfig(cm?.data), FEATURE_GATES.hostDisk);
  };
}

/** The policy now: roots resolved at each call (a root made after the handler started counts), the gate read. */
export function nodePathPolicy(roots: NodeRoots, gate: () => Promise<boolean>): () => Promise<NodePathPolicy> {
  return async () => ({
    hostDiskRoots: await resolveRoots(roots.hostDiskRoots),
    bootRoots: await resolveRoots(roots.bootRoots),
    hostDiskGate: await gate(),
  });
}
