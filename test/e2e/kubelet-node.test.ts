// `cluster/up.sh --kubelet`: a real node (containerd + kubelet built from their Go modules) beside
// the tier's shared cluster, in its own temporary folder. The node must become Ready, run Pods on
// the Pod network and on the host network, and leave the machine as it found it once stopped.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { adminAccess, runKubectl, type AdminAccess } from '../../cluster/cluster-api.js';
import { nodeBridge, nodeIp, PAUSE_IMAGE } from '../../cluster/kubelet-layout.js';
import { REPO_ROOT, startCluster, stopCluster, type ClusterInfo } from '../../cluster/local-cluster.js';
import { hostState, nodeRangeAddresses, type HostState } from '../harness/host-state.js';
import { clusterFromEnv, waitFor } from '../harness/index.js';

const run = promisify(execFile);

let stateDir: string;
let info: ClusterInfo;
let access: AdminAccess;
let before: HostState;

// A cold build of kubelet and containerd takes minutes on 2 cores; cached, milliseconds.
const BUILD_TIMEOUT_MS = 20 * 60_000;

beforeAll(async () => {
  const { stdout } = await run(join(REPO_ROOT, 'cluster', 'kubelet', 'build.sh'), [], { maxBuffer: 1 << 24 });
  const kubeletBinDir = stdout.trim().split('\n').pop() ?? '';
  stateDir = await mkdtemp('/tmp/tsvirt-kubelet-test-');
  before = await hostState(stateDir);
  info = await startCluster({ stateDir, binDir: clusterFromEnv().info.binDir, nodes: 1, kubeletBinDir });
  access = await adminAccess(info.server, join(stateDir, 'pki'), info.binDir, info.kubeconfig);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await stopCluster(stateDir);
  await rm(stateDir, { recursive: true, force: true });
});

const kubectl = async (args: readonly string[], input?: string): Promise<string> => {
  const res = await runKubectl(access, args, input);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
};

const pod = (name: string, hostNetwork: boolean): unknown => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    hostNetwork,
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'pause', image: PAUSE_IMAGE, imagePullPolicy: 'Never' }],
  },
});

describe('a real kubelet node', () => {
  it('registers Ready with containerd as its runtime and its own node IP', async () => {
    const node = JSON.parse(await kubectl(['get', 'node', 'node-1', '-o', 'json'])) as {
      status: { addresses: { type: string; address: string }[]; nodeInfo: { containerRuntimeVersion: string } };
    };
    const kubelet = info.nodes[0]?.kubelet;
    if (kubelet === undefined) throw new Error('node-1 has no kubelet settings in cluster.json');

    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/2\./);
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: nodeIp(kubelet.index) });
  });

  it('runs a Pod on the Pod network and one on the host network', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('bridged', false), pod('host', true)] }),
    );
    await kubectl(['wait', '--for=condition=Ready', 'pod/bridged', 'pod/host', '-n', 'default', '--timeout=90s']);

    const ips = JSON.parse(await kubectl(['get', 'pods', '-n', 'default', '-o', 'json'])) as {
      items: { metadata: { name: string }; status: { podIP: string } }[];
    };
    const ipOf = (n: string): string => ips.items.find((p) => p.metadata.name === n)?.status.podIP ?? '';
    const index = info.nodes[0]?.kubelet?.index ?? 0;
    expect(ipOf('host')).toBe(nodeIp(index));
    expect(ipOf('bridged')).toMatch(new RegExp(`^10\\.213\\.${index}\\.(\\d+)$`));
    expect(ipOf('bridged')).not.toBe(nodeIp(index));
  });

  it('puts back processes, mounts, cgroups, links, iptables and sysctls when stopped', async () => {
    const index = info.nodes[0]?.kubelet?.index ?? 0;
    const during = await hostState(stateDir);
    // The node really changed the machine, or the comparison below would prove nothing.
    expect(during.links).toContain(nodeBridge(index));
    expect(during.cgroups.length).toBeGreaterThan(0);
    expect(during.mounts.length).toBeGreaterThan(0);
    expect(during.processes.length).toBeGreaterThan(0);

    const report = await stopCluster(stateDir);

    expect(report.strays).toEqual([]);
    await waitFor(
      async (seen) => {
        const after = await hostState(stateDir);
        seen({ before, after });
        return JSON.stringify(after) === JSON.stringify(before);
      },
      { timeoutMs: 10_000, describe: 'the machine to look as it did before the node started' },
    );
    expect((await nodeRangeAddresses()).filter((l) => l.includes(` ${nodeIp(index)}/`))).toEqual([]);
  });
});
