import { parse } from 'yaml';
import {
  PAUSE_IMAGE,
  cniConfig,
  containerdConfig,
  kubeletCommand,
  kubeletConfig,
  kubeletPaths,
  nodeBridge,
  nodeCgroupRoot,
  nodeIp,
  registryHostsToml,
  type KubeletNode,
} from '../../../cluster/kubelet-layout.js';

const node: KubeletNode = {
  name: 'node-1',
  index: 7,
  stateDir: '/s/nodes/node-1',
  kubeconfig: '/s/nodes/node-1/kubeconfig',
  caFile: '/s/pki/ca.crt',
  binDir: '/k',
  kubeletPort: 20250,
  healthzPort: 20248,
  streamPort: 20251,
  registry: '127.0.0.1:5000',
};

describe('a kubelet node on this machine', () => {
  it('gets its own range, bridge and cgroup root from its index', () => {
    expect(nodeIp(7)).toBe('10.213.7.1');
    expect(nodeBridge(7)).toBe('tsvirt7');
    expect(nodeBridge(254).length).toBeLessThanOrEqual(15);
    expect(nodeCgroupRoot(7)).toBe('/tsvirt-node7');
  });

  it('configures the kubelet for cgroup v1, cgroupfs, swap, loopback health and no iptables chains', () => {
    const config = parse(kubeletConfig(node)) as Record<string, unknown>;

    expect(config).toMatchObject({
      kind: 'KubeletConfiguration',
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: '/tsvirt-node7',
      failSwapOn: false,
      address: '10.213.7.1',
      port: 20250,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      makeIPTablesUtilChains: false,
      containerRuntimeEndpoint: `unix://${kubeletPaths(node).containerdSocket}`,
      podLogsDir: '/s/nodes/node-1/kubelet/pods',
      authentication: { anonymous: { enabled: false }, x509: { clientCAFile: '/s/pki/ca.crt' } },
      authorization: { mode: 'Webhook' },
    });
  });

  it('keeps every containerd path under the node and pins the local pause image', () => {
    const toml = containerdConfig(node);

    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('netns_mounts_under_state_dir = true');
    expect(toml).toContain(`sandbox = "${PAUSE_IMAGE}"`);
    expect(toml).toContain("stream_server_address = '127.0.0.1'");
    const paths = [...toml.matchAll(/"(\/[^"]*)"/g)].map((m) => m[1] ?? '');
    expect(paths.filter((p) => !p.startsWith('/s/nodes/node-1/'))).toEqual(['/usr/sbin/runc', '/usr/lib/cni']);
  });

  it('hands Pods the node range on the node bridge, without masquerading', () => {
    const cni = JSON.parse(cniConfig(node)) as { plugins: Record<string, unknown>[] };

    expect(cni.plugins[0]).toMatchObject({
      type: 'bridge',
      bridge: 'tsvirt7',
      ipMasq: false,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.213.7.0/24', gateway: '10.213.7.1' }]] },
    });
    expect(cni.plugins[1]).toEqual({ type: 'loopback' });
  });

  it('pulls from the local registry over plain HTTP', () => {
    expect(registryHostsToml('127.0.0.1:5000')).toContain('server = "http://127.0.0.1:5000"');
  });

  it('runs the kubelet under the node name with its node IP', () => {
    const { args } = kubeletCommand(node);

    expect(args).toEqual(
      expect.arrayContaining([
        '--hostname-override=node-1',
        '--node-ip=10.213.7.1',
        '--root-dir=/s/nodes/node-1/kubelet/root',
      ]),
    );
  });
});
