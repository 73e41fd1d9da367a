// A real Kubernetes control plane as local processes (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler; HAProxy in front of two API servers with --ha) plus one node agent per simulated
// node. One implementation for cluster/up.sh (through dist/local-cluster.js) and the jest harness.
// Everything the cluster is lives in <stateDir>/cluster.json, written as each process starts, so a
// half-started cluster can still be stopped.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYSTEM_NAMESPACE } from '../api/names.js';
import { localClusterConfig } from './cluster-config.js';
import {
  adminAccess,
  kubectlOrThrow,
  probeEtcd,
  probeHealthz,
  probeLeaseHeld,
  probeNodeReady,
  probeReadyz,
  type AdminAccess,
} from './cluster-api.js';
import { httpGet } from './http-probe.js';
import { writeKubeconfig } from './kubeconfig.js';
import {
  APISERVER_PROXY_PORT,
  apiserverProxyCommand,
  apiserverProxyConfig,
  apiserverProxyConfigPath,
  containerdCommand,
  kubeletCommand,
  kubeletPaths,
  nodeIp,
  type KubeletNode,
} from './kubelet-layout.js';
import {
  captureHostBefore,
  ctr,
  freeNodeIndexes,
  importPauseImage,
  killNodeContainers,
  missingNodePrerequisites,
  prepareNode,
  removeNode,
  restoreHost,
  bindNodeLibvirt,
  unbindNodeLibvirt,
  type HostBefore,
  type MachineBind,
} from './kubelet-node.js';
import { libvirtdLogDir, libvirtdUri, startLibvirtd, stopLibvirtd } from './libvirtd.js';
import {
  DEFAULT_NODE_RESOURCES,
  apiserverCommand,
  controllerManagerCommand,
  etcdCommand,
  etcdUrl,
  haproxyCommand,
  haproxyConfig,
  kubeconfigSpecs,
  nodeAgentCommand,
  nodeNames,
  nodePaths,
  registryCommand,
  registryConfig,
  schedulerCommand,
  serverUrl,
  statePaths,
  type Command,
  type Layout,
  type NodeResources,
  type Ports,
  type StatePaths,
} from './layout.js';
import { HANDLER_TLS_SERVER_NAME, VIRT_API_CLIENT_CN, VIRT_API_SERVICE_DNS } from '../api/subresources.js';
import { HANDLER_CERT, VIRT_API_CERT, VIRT_API_CLIENT_CERT, createPki, ensureLeaves, tsvirtCertSpecs } from './pki.js';
import { freePorts } from './ports.js';
import {
  MARKER_ENV,
  isRunning,
  killMarkedProcesses,
  startProcess,
  stopProcess,
  waitHealthy,
  type MarkedProcess,
  type ProbeResult,
  type ProcessRecord,
  type StopOutcome,
} from './processes.js';

/** The repository root: this file is cluster/local-cluster.ts, or bundled into dist/local-cluster.js. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HAPROXY_BIN = '/usr/sbin/haproxy';
/** The distribution registry from Debian's docker-registry package. */
export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const DEFAULT_LIBVIRT_URI = 'test:///default';
/** The libvirt "URI" that asks for a private libvirtd started with the cluster under <stateDir>/libvirt/<node>. */
export const PRIVATE_LIBVIRT = 'private';
const CLUSTER_JSON_VERSION = 1;

export type ClusterOptions = Readonly<{
  stateDir: string;
  binDir: string;
  repoRoot?: string;
  /** Simulated nodes (node-1 … node-N), each with its own node agent. Default 1. */
  nodes?: number;
  /** Two kube-apiservers behind HAProxy on one stable address. */
  ha?: boolean;
  /** CRD manifests applied before the cluster counts as ready. Default <repo>/manifests/base/crds. */
  crdDir?: string;
  nodeResources?: NodeResources;
  /**
   * libvirt URI per node for virt-handler (sync.sh); nodes not named use test:///default.
   * PRIVATE_LIBVIRT starts a real libvirtd for that node (cluster/libvirtd.ts), stopped with the cluster.
   */
  libvirtUris?: Readonly<Record<string, string>>;
  /**
   * Real nodes: a containerd and a kubelet per node from this folder (cluster/kubelet/build.sh),
   * instead of node agents. Needs root.
   */
  kubeletBinDir?: string;
  /** How long each process may take to become healthy. Default 60 s. */
  startTimeoutMs?: number;
  /** Progress lines (stderr for the CLI). */
  log?: (line: string) => void;
}>;

export type NodeInfo = Readonly<{
  name: string;
  kubeconfig: string;
  stateDir: string;
  handlerRunDir: string;
  /** The handler's containerDisk cache folder. */
  imageCacheDir: string;
  libvirtUri: string;
  /** State folder of the node's private libvirtd, when the cluster started one. */
  libvirtDir?: string;
  /** Where that libvirtd writes `<domain>.log` (the handler's --libvirt-log-dir). */
  libvirtLogDir?: string;
  /** Set when a real kubelet (and containerd) runs the node. */
  kubelet?: KubeletNode;
}>;

export type ClusterInfo = {
  version: number;
  stateDir: string;
  binDir: string;
  repoRoot: string;
  /** The address every client uses (HAProxy's with --ha). */
  server: string;
  /** `127.0.0.1:PORT` of the local OCI registry (plain HTTP), when one runs. */
  registry?: string;
  /** Admin (system:masters) kubeconfig. */
  kubeconfig: string;
  kubectl: string;
  ha: boolean;
  ports: Ports;
  nodes: NodeInfo[];
  /** Real kubelet nodes: where their binaries are and what the machine looked like before them. */
  kubelet?: Readonly<{ binDir: string; hostBefore: HostBefore; libvirtBinds?: readonly MachineBind[] }>;
  /** Control plane and node agents, in start order. */
  processes: ProcessRecord[];
  /** tsvirt's own components started by sync.sh. */
  components: ProcessRecord[];
  startedAt: string;
  readyAt?: string;
  /** Milliseconds from the start of startCluster to ready. */
  readyMs?: number;
};

export async function readCluster(stateDir: string): Promise<ClusterInfo | undefined> {
  try {
    return JSON.parse(await readFile(statePaths(resolve(stateDir)).clusterJson, 'utf8')) as ClusterInfo;
  } catch {
    return undefined;
  }
}

export async function saveCluster(info: ClusterInfo): Promise<void> {
  await writeFile(statePaths(info.stateDir).clusterJson, `${JSON.stringify(info, null, 2)}\n`);
}

/** What a state folder may hold; only these are removed before a fresh start, never anything else in it. */
async function clearState(paths: StatePaths): Promise<void> {
  const ours = [
    paths.clusterJson,
    paths.pki,
    paths.etcdData,
    paths.logs,
    paths.pids,
    paths.kubeconfigs,
    paths.haproxyConfig,
    paths.registryConfig,
    paths.registryData,
    paths.nodes,
    libvirtRoot(paths),
  ];
  await Promise.all(ours.map((p) => rm(p, { recursive: true, force: true })));
  await Promise.all([paths.logs, paths.pids, paths.kubeconfigs, paths.nodes].map((p) => mkdir(p, { recursive: true })));
}

function checkKubeletPrerequisites(binDir: string): void {
  const missing = missingNodePrerequisites(binDir);
  if (missing.length > 0) throw new Error(`Real kubelet nodes need what is missing:\n  ${missing.join('\n  ')}`);
  if (process.getuid?.() !== 0) throw new Error('Real kubelet nodes need root (bridges, cgroups, mounts)');
  if (!existsSync(HAPROXY_BIN))
    throw new Error(
      `Real kubelet nodes need HAProxy at ${HAPROXY_BIN} (Debian package haproxy): their Pods reach the API through it`,
    );
}

function checkPrerequisites(opts: ClusterOptions, repoRoot: string): void {
  for (const bin of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl']) {
    if (!existsSync(join(opts.binDir, bin))) {
      throw new Error(
        `${join(opts.binDir, bin)} is missing: run cluster/controlplane/build.sh and pass the folder it prints`,
      );
    }
  }
  if (opts.kubeletBinDir !== undefined) checkKubeletPrerequisites(opts.kubeletBinDir);
  else if ((opts.nodes ?? 1) > 0 && !existsSync(join(repoRoot, 'dist', 'node-agent.js'))) {
    throw new Error(
      `${join(repoRoot, 'dist', 'node-agent.js')} is missing: run \`npm run build\` (cluster/agent/main.ts must exist), or start with --nodes 0`,
    );
  }
  if (opts.ha === true && !existsSync(HAPROXY_BIN)) {
    throw new Error(`--ha needs HAProxy at ${HAPROXY_BIN} (Debian package haproxy)`);
  }
}

async function allocatePorts(ha: boolean, registry: boolean): Promise<Ports> {
  const apiserverCount = ha ? 2 : 1;
  const ports = await freePorts(4 + apiserverCount + (ha ? 1 : 0) + (registry ? 1 : 0));
  const take = (): number => {
    const p = ports.shift();
    if (p === undefined) throw new Error('Ran out of allocated ports');
    return p;
  };
  const base = { etcdClient: take(), etcdPeer: take(), controllerManager: take(), scheduler: take() };
  const apiservers = Array.from({ length: apiserverCount }, take);
  const withRegistry = registry ? { ...base, apiservers, registry: take() } : { ...base, apiservers };
  return ha ? { ...withRegistry, haproxy: take() } : withRegistry;
}

/** Starts processes for one cluster, recording each in cluster.json before waiting on it. */
class Launcher {
  constructor(
    private readonly info: ClusterInfo,
    private readonly timeoutMs: number,
  ) {}

  async start(cmd: Command): Promise<ProcessRecord> {
    const paths = statePaths(this.info.stateDir);
    const record = await startProcess({
      name: cmd.name,
      command: cmd.command,
      args: cmd.args,
      env: { [MARKER_ENV]: this.info.stateDir, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info' },
      cwd: this.info.repoRoot,
      logFile: join(paths.logs, `${cmd.name}.log`),
      pidFile: join(paths.pids, `${cmd.name}.pid`),
    });
    this.info.processes.push(record);
    await saveCluster(this.info);
    return record;
  }

  async startHealthy(cmd: Command, probe: () => Promise<ProbeResult>): Promise<ProcessRecord> {
    const record = await this.start(cmd);
    await waitHealthy(record, probe, this.timeoutMs);
    return record;
  }

  wait(record: ProcessRecord, probe: () => Promise<ProbeResult>): Promise<void> {
    return waitHealthy(record, probe, this.timeoutMs);
  }
}

async function writeKubeconfigs(paths: StatePaths, server: string, nodes: readonly string[]): Promise<void> {
  await Promise.all(nodes.map((n) => mkdir(nodePaths(paths, n).handlerRunDir, { recursive: true })));
  const pem = (name: string): string => join(paths.pki, name);
  await Promise.all(
    kubeconfigSpecs(paths, nodes).map((k) =>
      writeKubeconfig(k.path, {
        name: k.name,
        server,
        caFile: pem('ca.crt'),
        certFile: pem(`${k.cert}.crt`),
        keyFile: pem(`${k.cert}.key`),
      }),
    ),
  );
}

async function startApiServers(launcher: Launcher, layout: Layout, access: AdminAccess): Promise<void> {
  const records = await Promise.all(layout.ports.apiservers.map((_, i) => launcher.start(apiserverCommand(layout, i))));
  await Promise.all(
    records.map((r, i) =>
      launcher.wait(r, () => probeReadyz(`https://127.0.0.1:${layout.ports.apiservers[i] ?? 0}`, access.tls)),
    ),
  );
  if (layout.ports.haproxy === undefined) return;
  await writeFile(layout.paths.haproxyConfig, haproxyConfig(layout.ports));
  await launcher.startHealthy(haproxyCommand(layout, HAPROXY_BIN), () => probeReadyz(access.server, access.tls));
}

const systemNamespace = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } });

/**
 * Applies the tsvirt-system namespace, the cluster configuration (HostDisk on: the local cluster's
 * tests and examples use host disks), the host-path admission policy and the CRDs, and waits until
 * every CRD is Established.
 */
async function applyManifests(access: AdminAccess, crdDir: string): Promise<number> {
  const crds = existsSync(crdDir)
    ? (await readdir(crdDir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(crdDir, f))
    : [];
  const policy = join(dirname(crdDir), 'host-path-policy.yaml');
  const files = [...crds, ...(existsSync(policy) ? [policy] : [])].flatMap((f) => ['-f', f]);
  // Server-side apply: large CRDs overflow the last-applied annotation of client-side apply.
  await kubectlOrThrow(
    access,
    ['apply', '--server-side', '--force-conflicts', '--field-manager=tsvirt-local-cluster', '-f', '-', ...files],
    `${systemNamespace}\n${JSON.stringify(localClusterConfig())}`,
  );
  const crdFiles = crds.flatMap((f) => ['-f', f]);
  if (crds.length > 0)
    await kubectlOrThrow(access, ['wait', '--for=condition=Established', '--timeout=60s', ...crdFiles]);
  return crds.length;
}

async function probeContainerd(node: KubeletNode): Promise<ProbeResult> {
  return ctr(node, ['version'])
    .then(() => true as const)
    .catch((err: unknown) => `containerd not answering: ${err instanceof Error ? err.message : String(err)}`);
}

/** A containerd and then a kubelet per node; the kubelet registers the Node and is done when it is Ready. */
async function startKubeletNodes(launcher: Launcher, info: ClusterInfo, access: AdminAccess): Promise<void> {
  await Promise.all(
    info.nodes.map(async (n) => {
      const node = n.kubelet;
      if (node === undefined) throw new Error(`Node ${n.name} has no kubelet settings`);
      await prepareNode(node, info.repoRoot);
      await writeFile(apiserverProxyConfigPath(node), apiserverProxyConfig(node, info.ports.apiservers));
      await launcher.startHealthy(apiserverProxyCommand(node, HAPROXY_BIN), () =>
        probeReadyz(`https://${nodeIp(node.index)}:${APISERVER_PROXY_PORT}`, access.tls),
      );
      await launcher.startHealthy(containerdCommand(node), () => probeContainerd(node));
      await importPauseImage(node);
      await launcher.startHealthy(kubeletCommand(node), () => probeNodeReady(access, n.name));
    }),
  );
}

/**
 * The Secrets manifests/base expects (virt-api-certs, virt-handler-certs), from the cluster CA: on
 * this machine the cluster is the certificate issuer, as cert-manager is on a real one
 * (docs/adr/0006-certificates-for-manifests.md).
 */
async function applyTsvirtCertSecrets(access: AdminAccess, paths: StatePaths): Promise<void> {
  await ensureLeaves(
    paths.pki,
    tsvirtCertSpecs({
      virtApiDns: VIRT_API_SERVICE_DNS,
      handlerDns: HANDLER_TLS_SERVER_NAME,
      virtApiClientCn: VIRT_API_CLIENT_CN,
    }),
  );
  const b64 = async (name: string): Promise<string> => (await readFile(join(paths.pki, name))).toString('base64');
  const secret = async (name: string, files: Readonly<Record<string, string>>): Promise<unknown> => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name, namespace: SYSTEM_NAMESPACE },
    data: Object.fromEntries(
      await Promise.all(Object.entries(files).map(async ([k, f]): Promise<[string, string]> => [k, await b64(f)])),
    ),
  });
  const items = [
    await secret('virt-api-certs', {
      'tls.crt': `${VIRT_API_CERT}.crt`,
      'tls.key': `${VIRT_API_CERT}.key`,
      'client.crt': `${VIRT_API_CLIENT_CERT}.crt`,
      'client.key': `${VIRT_API_CLIENT_CERT}.key`,
      'ca.crt': 'ca.crt',
    }),
    await secret('virt-handler-certs', {
      'tls.crt': `${HANDLER_CERT}.crt`,
      'tls.key': `${HANDLER_CERT}.key`,
      'ca.crt': 'ca.crt',
    }),
  ];
  await kubectlOrThrow(
    access,
    ['apply', '-f', '-'],
    `${systemNamespace}\n${JSON.stringify({ apiVersion: 'v1', kind: 'List', items })}`,
  );
}

async function startNodes(
  launcher: Launcher,
  info: ClusterInfo,
  access: AdminAccess,
  resources: NodeResources,
): Promise<void> {
  if (info.kubelet !== undefined) return startKubeletNodes(launcher, info, access);
  const paths = statePaths(info.stateDir);
  const records = await Promise.all(
    info.nodes.map((n) => launcher.start(nodeAgentCommand(info.repoRoot, paths, n.name, resources))),
  );
  await Promise.all(records.map((r, i) => launcher.wait(r, () => probeNodeReady(access, info.nodes[i]?.name ?? ''))));
}

async function waitSchedulingReady(
  launcher: Launcher,
  info: ClusterInfo,
  access: AdminAccess,
  records: readonly ProcessRecord[],
): Promise<void> {
  const [kcm, scheduler] = records;
  if (kcm === undefined || scheduler === undefined)
    throw new Error('kube-controller-manager and kube-scheduler were not started');
  // Healthy is not enough: only the leader acts, and a fresh cluster has none until the Lease is taken.
  await Promise.all([
    launcher.wait(kcm, async () =>
      (await probeHealthz(info.ports.controllerManager)) === true
        ? probeLeaseHeld(access, 'kube-system', 'kube-controller-manager')
        : 'healthz not ok',
    ),
    launcher.wait(scheduler, async () =>
      (await probeHealthz(info.ports.scheduler)) === true
        ? probeLeaseHeld(access, 'kube-system', 'kube-scheduler')
        : 'healthz not ok',
    ),
  ]);
}

type KubeletPlan = Readonly<{ binDir: string; hostBefore: HostBefore; indexes: readonly number[]; ports: number[] }>;

async function planKubeletNodes(opts: ClusterOptions): Promise<KubeletPlan | undefined> {
  if (opts.kubeletBinDir === undefined) return undefined;
  const count = opts.nodes ?? 1;
  const [hostBefore, indexes, ports] = await Promise.all([
    captureHostBefore(),
    freeNodeIndexes(count),
    freePorts(3 * count),
  ]);
  return { binDir: resolve(opts.kubeletBinDir), hostBefore, indexes, ports };
}

function kubeletNode(plan: KubeletPlan, registry: string | undefined, paths: StatePaths, i: number): KubeletNode {
  const name = nodeNames(i + 1)[i] ?? '';
  const np = nodePaths(paths, name);
  const port = (k: number): number => plan.ports[3 * i + k] ?? 0;
  return {
    name,
    index: plan.indexes[i] ?? 0,
    stateDir: np.stateDir,
    kubeconfig: np.kubeconfig,
    caFile: join(paths.pki, 'ca.crt'),
    binDir: plan.binDir,
    kubeletPort: port(0),
    healthzPort: port(1),
    streamPort: port(2),
    ...(registry === undefined ? {} : { registry }),
  };
}

function initialInfo(
  opts: ClusterOptions & { repoRoot: string },
  paths: StatePaths,
  ports: Ports,
  plan: KubeletPlan | undefined,
): ClusterInfo {
  const repoRoot = opts.repoRoot;
  const names = nodeNames(opts.nodes ?? 1);
  const registry = ports.registry === undefined ? undefined : `127.0.0.1:${ports.registry}`;
  const nodes = names.map((name, i) => {
    const base = nodeInfo(paths, name, opts.libvirtUris?.[name] ?? DEFAULT_LIBVIRT_URI);
    return plan === undefined ? base : { ...base, kubelet: kubeletNode(plan, registry, paths, i) };
  });
  return {
    version: CLUSTER_JSON_VERSION,
    stateDir: paths.root,
    binDir: resolve(opts.binDir),
    repoRoot,
    server: serverUrl(ports),
    ...(ports.registry === undefined ? {} : { registry: `127.0.0.1:${ports.registry}` }),
    kubeconfig: paths.adminKubeconfig,
    kubectl: join(resolve(opts.binDir), 'kubectl'),
    ha: opts.ha === true,
    ports,
    nodes,
    ...(plan === undefined ? {} : { kubelet: { binDir: plan.binDir, hostBefore: plan.hostBefore } }),
    processes: [],
    components: [],
    startedAt: new Date().toISOString(),
  };
}

const libvirtRoot = (paths: StatePaths): string => join(paths.root, 'libvirt');

function nodeInfo(paths: StatePaths, name: string, uri: string): NodeInfo {
  if (uri !== PRIVATE_LIBVIRT) return { name, ...nodePaths(paths, name), libvirtUri: uri };
  const libvirtDir = join(libvirtRoot(paths), name);
  return {
    name,
    ...nodePaths(paths, name),
    libvirtUri: libvirtdUri(libvirtDir),
    libvirtDir,
    libvirtLogDir: libvirtdLogDir(libvirtDir),
  };
}

/**
 * Starts the private libvirtds. QEMU runs as libvirt-qemu and binds each VMI's serial socket under
 * the handler's run folder, so every folder from the state folder down to it must be passable
 * (a test's state folder comes from mkdtemp, 0700).
 */
async function startPrivateLibvirtds(info: ClusterInfo, log: (line: string) => void): Promise<void> {
  for (const node of info.nodes) {
    if (node.libvirtDir === undefined) continue;
    for (let dir = node.handlerRunDir; dir.startsWith(info.stateDir); dir = dirname(dir)) await chmod(dir, 0o711);
    await startLibvirtd(node.libvirtDir);
    log(`libvirtd for ${node.name} ready at ${node.libvirtUri}`);
    if (info.kubelet !== undefined) {
      if (info.kubelet.libvirtBinds !== undefined)
        throw new Error('Only one real kubelet node per machine can have a libvirtd (--libvirt)');
      const binds = await bindNodeLibvirt(join(node.libvirtDir, 'sock'), libvirtdLogDir(node.libvirtDir));
      info.kubelet = { ...info.kubelet, libvirtBinds: binds };
      await saveCluster(info);
      log(`libvirtd for ${node.name} serves the node's /run/libvirt and /var/log/libvirt/qemu`);
    }
  }
}

async function stopPrivateLibvirtds(info: ClusterInfo): Promise<Array<{ name: string; outcome: StopOutcome }>> {
  const stopped: Array<{ name: string; outcome: StopOutcome }> = [];
  for (const node of info.nodes) {
    if (node.libvirtDir === undefined || !existsSync(node.libvirtDir)) continue;
    const ran = existsSync(join(node.libvirtDir, 'libvirtd.pid')) || existsSync(join(node.libvirtDir, 'virtlogd.pid'));
    await stopLibvirtd(node.libvirtDir);
    stopped.push({ name: `libvirtd-${node.name}`, outcome: ran ? 'stopped' : 'not running' });
  }
  return stopped;
}

/** The local OCI registry, ready when GET /v2/ answers 200 (the distribution API's version check). */
async function startRegistry(launcher: Launcher, layout: Layout, log: (line: string) => void): Promise<void> {
  const port = layout.ports.registry;
  if (port === undefined) {
    log(
      `no ${REGISTRY_BIN} (Debian package docker-registry): the cluster runs no registry, containerDisks cannot be served`,
    );
    return;
  }
  await mkdir(layout.paths.registryData, { recursive: true });
  await writeFile(layout.paths.registryConfig, registryConfig(layout.paths, port));
  await launcher.startHealthy(registryCommand(layout, REGISTRY_BIN), async () => {
    const res = await httpGet(`http://127.0.0.1:${port}/v2/`);
    return res.status === 200 ? true : `registry /v2/ answered ${res.status}`;
  });
  log(`registry ready at 127.0.0.1:${port}`);
}

async function bringUp(info: ClusterInfo, opts: ClusterOptions, launcher: Launcher): Promise<void> {
  const log = opts.log ?? ((): void => undefined);
  const paths = statePaths(info.stateDir);
  const layout: Layout = { paths, binDir: info.binDir, ports: info.ports, podNetwork: info.kubelet !== undefined };
  const access = await adminAccess(info.server, paths.pki, info.binDir, info.kubeconfig);
  await launcher.startHealthy(etcdCommand(layout), () => probeEtcd(etcdUrl(info.ports)));
  log(`etcd ready on ${etcdUrl(info.ports)}`);
  // Started at once: they retry until the API server answers, and their start-up overlaps its own.
  const controllers = [
    await launcher.start(controllerManagerCommand(layout)),
    await launcher.start(schedulerCommand(layout)),
  ];
  await startApiServers(launcher, layout, access);
  log(`kube-apiserver ready at ${info.server}`);
  const crdDir = opts.crdDir ?? join(info.repoRoot, 'manifests', 'base', 'crds');
  const [, , crdCount] = await Promise.all([
    startRegistry(launcher, layout, log),
    startPrivateLibvirtds(info, log),
    applyManifests(access, crdDir),
    startNodes(launcher, info, access, opts.nodeResources ?? DEFAULT_NODE_RESOURCES),
    waitSchedulingReady(launcher, info, access, controllers),
    ...(info.kubelet === undefined ? [] : [applyTsvirtCertSecrets(access, paths)]),
  ]);
  log(
    `${crdCount} CRDs established, namespace ${SYSTEM_NAMESPACE} created, ${info.nodes.length} nodes Ready, scheduler and controller-manager leading`,
  );
}

/**
 * Starts a fresh cluster in `opts.stateDir` (previous cluster files there are removed) and resolves
 * when it is ready: API ready, CRDs Established, nodes Ready, scheduler and controller-manager
 * leading. On failure, stops everything it started and rethrows.
 */
export async function startCluster(opts: ClusterOptions): Promise<ClusterInfo> {
  const t0 = Date.now();
  const repoRoot = resolve(opts.repoRoot ?? REPO_ROOT);
  checkPrerequisites(opts, repoRoot);
  const paths = statePaths(resolve(opts.stateDir));
  await mkdir(paths.root, { recursive: true });
  await clearState(paths);
  const plan = await planKubeletNodes(opts);
  const [ports] = await Promise.all([
    allocatePorts(opts.ha === true, existsSync(REGISTRY_BIN)),
    createPki(paths.pki, nodeNames(opts.nodes ?? 1), plan?.indexes.map(nodeIp) ?? []),
  ]);
  const info = initialInfo({ ...opts, repoRoot }, paths, ports, plan);
  await writeKubeconfigs(
    paths,
    info.server,
    info.nodes.map((n) => n.name),
  );
  await saveCluster(info);
  try {
    await bringUp(info, opts, new Launcher(info, opts.startTimeoutMs ?? 60_000));
  } catch (err) {
    await stopCluster(info.stateDir).catch(() => undefined);
    throw err;
  }
  info.readyAt = new Date().toISOString();
  info.readyMs = Date.now() - t0;
  await saveCluster(info);
  return info;
}

export type StopReport = Readonly<{
  stopped: ReadonlyArray<Readonly<{ name: string; outcome: StopOutcome }>>;
  /** Processes that carried this cluster's marker after everything recorded was stopped (now killed). */
  strays: readonly MarkedProcess[];
}>;

/** Stop order: what uses the API first, then what serves it, etcd last. */
const STOP_TIERS: ReadonlyArray<(name: string) => boolean> = [
  (n) => n.startsWith('node-agent-') || n.startsWith('kubelet-'),
  (n) => n.startsWith('containerd-'),
  (n) => n === 'kube-controller-manager' || n === 'kube-scheduler',
  (n) => n.startsWith('kube-apiserver-') || n === 'haproxy' || n.startsWith('apiserver-proxy-'),
  (n) => n === 'etcd',
];

/**
 * Launcher processes the node agents ran. An agent leaves them running when it stops (a kubelet
 * restart must not kill workloads), so they are stopped here, from the records the agent keeps in
 * <node state>/pods/<uid>/record.json (pid and /proc start time): expected, not strays.
 */
// A launcher waits for its handler's graceful stop, and at teardown the handlers are already gone.
const LAUNCHER_STOP_MS = 3_000;

async function launcherRecords(info: ClusterInfo): Promise<ProcessRecord[]> {
  const records: ProcessRecord[] = [];
  for (const node of info.nodes) {
    const podsDir = join(node.stateDir, 'pods');
    const uids = await readdir(podsDir).catch(() => [] as string[]);
    for (const uid of uids) {
      const text = await readFile(join(podsDir, uid, 'record.json'), 'utf8').catch(() => undefined);
      const rec =
        text === undefined ? undefined : (JSON.parse(text) as { pid?: number; procStart?: string; name?: string });
      if (rec?.pid === undefined || rec.procStart === undefined) continue;
      const logFile = join(podsDir, uid, 'stderr.log');
      records.push({
        name: `launcher ${node.name}/${rec.name ?? uid}`,
        pid: rec.pid,
        startTime: rec.procStart,
        command: 'sh',
        logFile,
        pidFile: '',
      });
    }
  }
  return records;
}

async function stopAll(
  records: readonly ProcessRecord[],
  timeoutMs?: number,
): Promise<{ name: string; outcome: StopOutcome }[]> {
  return Promise.all(records.map(async (r) => ({ name: r.name, outcome: await stopProcess(r, timeoutMs) })));
}

async function killKubeletContainers(info: ClusterInfo): Promise<{ name: string; outcome: StopOutcome }[]> {
  const out: { name: string; outcome: StopOutcome }[] = [];
  for (const n of info.nodes) {
    if (n.kubelet === undefined) continue;
    const killed = await killNodeContainers(n.kubelet.index);
    if (killed > 0) out.push({ name: `containers of ${n.name} (${killed} processes)`, outcome: 'killed' });
  }
  return out;
}

/** The nodes' shims, mounts, bridges and cgroups, then the machine-wide settings the kubelets changed. */
async function removeKubeletNodes(info: ClusterInfo): Promise<void> {
  // First: the folders restoreHost removes may be these mounts' targets.
  if (info.kubelet?.libvirtBinds !== undefined) await unbindNodeLibvirt(info.kubelet.libvirtBinds);
  for (const n of info.nodes)
    if (n.kubelet !== undefined && existsSync(kubeletPaths(n.kubelet).containerdConfig)) await removeNode(n.kubelet);
  if (info.kubelet !== undefined) await restoreHost(info.kubelet.hostBefore, info.stateDir);
}

/**
 * Stops every process recorded in `stateDir`/cluster.json (components, agents, control plane), then
 * kills anything else still carrying the cluster's marker (for example launcher processes an agent
 * left behind). Keeps the state folder, so logs stay readable. Safe to call twice.
 */
export async function stopCluster(stateDir: string): Promise<StopReport> {
  const info = await readCluster(stateDir);
  if (info === undefined) return { stopped: [], strays: [] };
  let nodeError: unknown;
  const stopped = await stopAll(info.components);
  const remaining = info.processes.filter((p) => !STOP_TIERS.some((t) => t(p.name)));
  stopped.push(...(await stopAll(remaining)));
  for (const tier of STOP_TIERS) {
    stopped.push(...(await stopAll(info.processes.filter((p) => tier(p.name)))));
    // Right after the agents: their launchers, before the API they might still report to goes.
    // A kubelet leaves its containers running when it stops (as a restart must): they go here,
    // before their containerd.
    if (tier === STOP_TIERS[0]) {
      stopped.push(
        ...(await stopAll(await launcherRecords(info), LAUNCHER_STOP_MS)).filter((s) => s.outcome !== 'not running'),
      );
      stopped.push(...(await killKubeletContainers(info)));
    }
    // A failure here must not keep the control plane running: stop the rest, then report it.
    if (tier === STOP_TIERS[1])
      nodeError = await removeKubeletNodes(info).then(
        () => undefined,
        (e: unknown) => e,
      );
  }
  // Last: a domain's QEMU belongs to libvirtd, not to a launcher, and goes with it.
  stopped.push(...(await stopPrivateLibvirtds(info)));
  const strays = await killMarkedProcesses(info.stateDir);
  await rm(statePaths(info.stateDir).pids, { recursive: true, force: true });
  if (nodeError !== undefined) throw new Error('Could not remove every kubelet node', { cause: nodeError });
  return { stopped, strays };
}

export type ProcessStatus = Readonly<{ name: string; pid: number; running: boolean }>;
export type ClusterStatus = Readonly<{
  apiReady: ProbeResult;
  processes: readonly ProcessStatus[];
  components: readonly ProcessStatus[];
}>;

async function statusOf(records: readonly ProcessRecord[]): Promise<ProcessStatus[]> {
  return Promise.all(records.map(async (r) => ({ name: r.name, pid: r.pid, running: await isRunning(r) })));
}

export async function clusterStatus(info: ClusterInfo): Promise<ClusterStatus> {
  const paths = statePaths(info.stateDir);
  const access = await adminAccess(info.server, paths.pki, info.binDir, info.kubeconfig);
  const apiReady = await probeReadyz(info.server, access.tls).catch((err: unknown) =>
    err instanceof Error ? err.message : String(err),
  );
  return { apiReady, processes: await statusOf(info.processes), components: await statusOf(info.components) };
}

/** True when every recorded control plane process runs and the API answers ready. */
export async function isClusterUp(info: ClusterInfo): Promise<boolean> {
  const status = await clusterStatus(info);
  return status.apiReady === true && status.processes.every((p) => p.running);
}
