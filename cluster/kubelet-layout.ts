// A real node on this machine: one containerd and one kubelet, with their own state folders, ports,
// cgroup root and node IP (shared/FACTS.md says why each setting is here). Pure: the same node in gives
// the same files and command lines out, so the settings are unit-tested without starting anything.
import { join } from 'node:path';
import type { Command } from './layout.js';

/**
 * Every node gets 10.213.<index>.0/24: the node IP .1 sits on the node's own empty Linux bridge
 * (dummy links are missing from this kernel, and the kubelet refuses a loopback node IP), and the
 * CNI bridge plugin hands Pods the rest of the range on that same bridge. The range is private and
 * routed nowhere but this machine.
 */
export const NODE_NET_PREFIX = '10.213';

/** The binaries cluster/kubelet/build.sh builds, and Debian's that a node also needs. */
export const KUBELET_BINARIES = ['kubelet', 'containerd', 'containerd-shim-runc-v2', 'ctr'] as const;
export const RUNC_BIN = '/usr/sbin/runc';
export const CNI_BIN_DIR = '/usr/lib/cni';
/** catatonit (Debian) in pause mode is the Pod sandbox's process: no public registry has a pause image for us. */
export const CATATONIT_BIN = '/usr/bin/catatonit';
export const PAUSE_IMAGE = 'tsvirt.local/pause:catatonit';

/** Sysctls the kubelet sets machine-wide (and the CNI bridge plugin sets ip_forward): saved at up, put back at down. */
export const NODE_SYSCTLS = ['vm.overcommit_memory', 'kernel.panic', 'kernel.panic_on_oops', 'net.ipv4.ip_forward'];
/** iptables chains the kubelet may create even with makeIPTablesUtilChains off; removed at down when they were not there before. */
export const KUBELET_IPTABLES_CHAINS = ['KUBE-FIREWALL', 'KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT'];
/** The kubelet writes a symlink per container here, a path no setting changes. */
export const CONTAINER_LOGS_DIR = '/var/log/containers';
/** containerd's shims put their sockets here whatever the config says. */
export const SHIM_SOCKET_DIR = '/run/containerd/s';
/** libcni caches each attachment's result here; containerd has no setting for it. */
export const CNI_CACHE_DIR = '/var/lib/cni';
/** CNI's cache files of a node's network start with its name. */
export const cniNetworkName = (index: number): string => `tsvirt-node${index}`;

export type KubeletNode = Readonly<{
  name: string;
  /** The third octet of the node's range. */
  index: number;
  /** The node's state folder (<state>/nodes/<name>). */
  stateDir: string;
  kubeconfig: string;
  caFile: string;
  binDir: string;
  kubeletPort: number;
  healthzPort: number;
  streamPort: number;
  /** `127.0.0.1:PORT` of the local registry, when one runs: containerd pulls from it over plain HTTP. */
  registry?: string;
}>;

export type KubeletPaths = Readonly<{
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  containerdConfig: string;
  registryHosts: string;
  cniConfDir: string;
  cniDataDir: string;
  kubeletRoot: string;
  kubeletConfig: string;
  kubeletCertDir: string;
  podLogs: string;
  pauseImage: string;
}>;

export function kubeletPaths(node: KubeletNode): KubeletPaths {
  const c = join(node.stateDir, 'containerd');
  const k = join(node.stateDir, 'kubelet');
  return {
    containerdRoot: join(c, 'root'),
    containerdState: join(c, 'state'),
    containerdSocket: join(c, 'containerd.sock'),
    containerdConfig: join(c, 'config.toml'),
    registryHosts: join(c, 'certs.d'),
    cniConfDir: join(node.stateDir, 'cni', 'net.d'),
    cniDataDir: join(node.stateDir, 'cni', 'ipam'),
    kubeletRoot: join(k, 'root'),
    kubeletConfig: join(k, 'config.yaml'),
    kubeletCertDir: join(k, 'pki'),
    podLogs: join(k, 'pods'),
    pauseImage: join(node.stateDir, 'pause.tar'),
  };
}

export const nodeIp = (index: number): string => `${NODE_NET_PREFIX}.${index}.1`;
export const nodeSubnet = (index: number): string => `${NODE_NET_PREFIX}.${index}.0/24`;
/** At most 15 characters (IFNAMSIZ); unique on the machine because the index is. */
export const nodeBridge = (index: number): string => `tsvirt${index}`;
/** The cgroup every Pod of the node lives under, in every hierarchy; unique because the index is. */
export const nodeCgroupRoot = (index: number): string => `/tsvirt-node${index}`;

/** containerd 2.x config (version 3), everything under the node's state folder. */
export function containerdConfig(node: KubeletNode): string {
  const p = kubeletPaths(node);
  return [
    'version = 3',
    `root = ${JSON.stringify(p.containerdRoot)}`,
    `state = ${JSON.stringify(p.containerdState)}`,
    // The opt plugin would create /opt/containerd; nothing here installs into it.
    'disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp"]',
    '[grpc]',
    `  address = ${JSON.stringify(p.containerdSocket)}`,
    '[ttrpc]',
    `  address = ${JSON.stringify(`${p.containerdSocket}.ttrpc`)}`,
    '[metrics]',
    '  address = ""',
    "[plugins.'io.containerd.cri.v1.runtime']",
    // root here lacks CAP_SYS_RESOURCE: without this, runc fails every sandbox with
    // "can't get final child's PID from pipe: EOF".
    '  restrict_oom_score_adj = true',
    '  enable_selinux = false',
    // Pod network namespaces under the node's state, not in the machine's /var/run/netns.
    '  netns_mounts_under_state_dir = true',
    "[plugins.'io.containerd.cri.v1.runtime'.containerd]",
    "  default_runtime_name = 'runc'",
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]",
    "  runtime_type = 'io.containerd.runc.v2'",
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]",
    `  BinaryName = ${JSON.stringify(RUNC_BIN)}`,
    '  SystemdCgroup = false',
    // runc's state under the node's, not in the machine's /run/containerd/runc.
    `  Root = ${JSON.stringify(join(p.containerdState, 'runc'))}`,
    "[plugins.'io.containerd.cri.v1.runtime'.cni]",
    `  bin_dirs = [${JSON.stringify(CNI_BIN_DIR)}]`,
    `  conf_dir = ${JSON.stringify(p.cniConfDir)}`,
    "[plugins.'io.containerd.cri.v1.images']",
    "[plugins.'io.containerd.cri.v1.images'.pinned_images]",
    `  sandbox = ${JSON.stringify(PAUSE_IMAGE)}`,
    "[plugins.'io.containerd.cri.v1.images'.registry]",
    `  config_path = ${JSON.stringify(p.registryHosts)}`,
    "[plugins.'io.containerd.grpc.v1.cri']",
    // exec, attach and port-forward streams: the kubelet proxies them, so loopback is enough.
    "  stream_server_address = '127.0.0.1'",
    `  stream_server_port = '${node.streamPort}'`,
    '',
  ].join('\n');
}

/** containerd's hosts.toml for the local registry: plain HTTP on loopback. */
export function registryHostsToml(registry: string): string {
  return [
    `server = "http://${registry}"`,
    '',
    `[host."http://${registry}"]`,
    '  capabilities = ["pull", "resolve"]',
    '',
  ].join('\n');
}

/** bridge + host-local on the node's range (no masquerade: nothing leaves the machine), plus loopback. */
export function cniConfig(node: KubeletNode): string {
  const p = kubeletPaths(node);
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: cniNetworkName(node.index),
      plugins: [
        {
          type: 'bridge',
          bridge: nodeBridge(node.index),
          isGateway: true,
          ipMasq: false,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: nodeSubnet(node.index), gateway: nodeIp(node.index) }]],
            dataDir: p.cniDataDir,
          },
        },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  )}\n`;
}

/** The KubeletConfiguration (kubelet.config.k8s.io/v1beta1) as JSON, which is YAML. */
export function kubeletConfig(node: KubeletNode): string {
  const p = kubeletPaths(node);
  return `${JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      // The hierarchies on these machines are cgroup v1.
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: nodeCgroupRoot(node.index),
      failSwapOn: false,
      address: nodeIp(node.index),
      port: node.kubeletPort,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: node.healthzPort,
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: node.caFile },
      },
      authorization: { mode: 'Webhook' },
      containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
      // The utility chains are machine-wide iptables state; nothing here needs them.
      makeIPTablesUtilChains: false,
      podLogsDir: p.podLogs,
      registerNode: true,
      rotateCertificates: false,
      serializeImagePulls: false,
      // A shared development disk fills up now and then; that must not evict the tests' Pods.
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
      imageGCHighThresholdPercent: 99,
      imageGCLowThresholdPercent: 98,
      // Node status every few seconds is plenty and keeps API writes down.
      nodeStatusReportFrequency: '1m',
      shutdownGracePeriod: '0s',
    },
    null,
    2,
  )}\n`;
}

/**
 * Pods reach the API server at their node's IP on this port (the API server listens on loopback
 * only, and without a Service proxy the kubernetes Service's ClusterIP leads nowhere): a TCP proxy
 * per node, one address per node, so the port can be the same everywhere and manifests can name it.
 */
export const APISERVER_PROXY_PORT = 6443;
/** The local registry at each node's IP (it listens on loopback): containerDisks pulled from a handler Pod. */
export const REGISTRY_PROXY_PORT = 5000;

export const apiserverProxyConfigPath = (node: KubeletNode): string => join(node.stateDir, 'apiserver-proxy.cfg');

/** HAProxy in TCP mode from <node IP>:6443 to the API servers on loopback, and :5000 to the registry. */
export function apiserverProxyConfig(node: KubeletNode, apiserverPorts: readonly number[]): string {
  const registry =
    node.registry === undefined
      ? []
      : [
          'frontend registry',
          `  bind ${nodeIp(node.index)}:${REGISTRY_PROXY_PORT}`,
          '  default_backend registry',
          'backend registry',
          `  server registry ${node.registry}`,
        ];
  return [
    'global',
    '  maxconn 1024',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    // Watches are long-lived connections.
    '  timeout client 1h',
    '  timeout server 1h',
    'frontend apiserver',
    `  bind ${nodeIp(node.index)}:${APISERVER_PROXY_PORT}`,
    '  default_backend apiservers',
    'backend apiservers',
    ...apiserverPorts.map((p, i) => `  server apiserver-${i} 127.0.0.1:${p}`),
    ...registry,
    '',
  ].join('\n');
}

export function apiserverProxyCommand(node: KubeletNode, haproxyBin: string): Command {
  return {
    name: `apiserver-proxy-${node.name}`,
    command: haproxyBin,
    args: ['-db', '-f', apiserverProxyConfigPath(node)],
  };
}

/** The registry name the local overlay's images use; each node's containerd maps it to the local registry. */
export const LOCAL_IMAGE_REGISTRY = 'tsvirt.local';

export function containerdCommand(node: KubeletNode): Command {
  return {
    name: `containerd-${node.name}`,
    command: join(node.binDir, 'containerd'),
    args: ['--config', kubeletPaths(node).containerdConfig, '--log-level', 'warn'],
  };
}

export function kubeletCommand(node: KubeletNode): Command {
  const p = kubeletPaths(node);
  return {
    name: `kubelet-${node.name}`,
    command: join(node.binDir, 'kubelet'),
    args: [
      `--config=${p.kubeletConfig}`,
      `--kubeconfig=${node.kubeconfig}`,
      `--root-dir=${p.kubeletRoot}`,
      `--cert-dir=${p.kubeletCertDir}`,
      `--hostname-override=${node.name}`,
      `--node-ip=${nodeIp(node.index)}`,
      '--v=1',
    ],
  };
}
