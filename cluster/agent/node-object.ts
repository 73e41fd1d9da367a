// The Node and Lease a kubelet would keep for this simulated node. Pure.
import type { Lease, Node } from '../../kube/core.js';
import { microTime } from '../../kube/leader.js';
import { apiTime } from './pod-status.js';
import { LOCAL_IP } from './pod-env.js';

export type NodeResources = Readonly<{ cpu: string; memory: string; pods: string }>;
type NodeStatus = NonNullable<Node['status']>;
type NodeCondition = NonNullable<NodeStatus['conditions']>[number];

/** The namespace kubelets keep their heartbeat Leases in. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** client-go/kubelet default: the node-lifecycle controller marks the node NotReady after this. */
export const NODE_LEASE_DURATION_SECONDS = 40;
export const AGENT_VERSION = 'v0.1.0-tsvirt-node-agent';

const ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };

/** Labels a kubelet puts on its Node. */
export function nodeLabels(nodeName: string, arch: string = process.arch): Record<string, string> {
  return { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': ARCH[arch] ?? arch };
}

function readyConditions(existing: Node | undefined, now: string): NodeCondition[] {
  const wanted: readonly [string, 'True' | 'False', string, string][] = [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'The node agent has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'The node agent has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'The node agent has sufficient PID available'],
    ['Ready', 'True', 'KubeletReady', 'The tsvirt node agent is posting ready status'],
  ];
  return wanted.map(([type, status, reason, message]) => {
    const old = existing?.status?.conditions?.find((c) => c.type === type);
    const since = old?.status === status && old.lastTransitionTime !== undefined ? old.lastTransitionTime : now;
    return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: since };
  });
}

/** The Node's status at `now`: capacity = allocatable = the flags, Ready with a fresh heartbeat. */
export function nodeStatus(res: NodeResources, existing: Node | undefined, now: number): NodeStatus {
  const capacity = { cpu: res.cpu, memory: res.memory, pods: res.pods };
  return {
    capacity,
    allocatable: capacity,
    conditions: readyConditions(existing, apiTime(now)),
    addresses: [
      { type: 'InternalIP', address: LOCAL_IP },
      { type: 'Hostname', address: existing?.metadata?.name ?? '' },
    ],
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: '',
      osImage: 'tsvirt local node',
      containerRuntimeVersion: 'tsvirt-agent://0.1.0',
      kubeletVersion: AGENT_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: ARCH[process.arch] ?? process.arch,
    },
  };
}

/** The Node to create on first registration (status included, as a kubelet registers). */
export function newNode(nodeName: string, res: NodeResources, now: number): Node {
  const node: Node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: nodeName, labels: nodeLabels(nodeName) },
    spec: {},
  };
  const status = nodeStatus(res, node, now);
  return {
    ...node,
    status: {
      ...status,
      addresses: [
        { type: 'InternalIP', address: LOCAL_IP },
        { type: 'Hostname', address: nodeName },
      ],
    },
  };
}

/** The node's heartbeat Lease, owned by its Node so it goes when the Node goes. */
export function nodeLease(
  nodeName: string,
  nodeUid: string | undefined,
  existing: Lease | undefined,
  now: number,
): Lease {
  const owner =
    nodeUid === undefined
      ? {}
      : { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] };
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...existing?.metadata, name: nodeName, namespace: NODE_LEASE_NAMESPACE, ...owner },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime: microTime(now) },
  };
}
