// The I/O of a real node (cluster/kubelet-layout.ts holds its settings): the machine-wide state a
// kubelet and containerd touch is saved before the first node starts and put back after the last
// one stops (sysctls, iptables chains, /var/log/containers), and each node's own state (its
// bridge, its cgroup root in every hierarchy, its mounts, its containers) is removed with it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  CATATONIT_BIN,
  CNI_BIN_DIR,
  CNI_CACHE_DIR,
  SHIM_SOCKET_DIR,
  cniNetworkName,
  CONTAINER_LOGS_DIR,
  KUBELET_BINARIES,
  KUBELET_IPTABLES_CHAINS,
  LOCAL_IMAGE_REGISTRY,
  NODE_NET_PREFIX,
  NODE_SYSCTLS,
  PAUSE_IMAGE,
  RUNC_BIN,
  cniConfig,
  containerdConfig,
  kubeletConfig,
  kubeletPaths,
  nodeBridge,
  nodeCgroupRoot,
  nodeIp,
  registryHostsToml,
  type KubeletNode,
} from './kubelet-layout.js';
import { isAlive } from './processes.js';

/** What manifests/base's virt-handler DaemonSet makes on a node when missing (DirectoryOrCreate). */
export const HANDLER_HOST_DIRS: readonly string[] = [
  '/var/run/tsvirt',
  '/var/lib/tsvirt/containerdisks',
  '/var/log/libvirt/qemu',
];

const run = promisify(execFile);

/** What the machine looked like before the first kubelet node started; cluster.json keeps it for down. */
export type HostBefore = Readonly<{
  sysctls: Readonly<Record<string, string>>;
  /** Of KUBELET_IPTABLES_CHAINS, those that existed already (filter, nat and mangle tables). */
  iptablesChains: readonly string[];
  /** Of MACHINE_DIRS, those that existed already; the others are removed at down once empty. */
  existingDirs: readonly string[];
}>;

/**
 * Folders outside the state folder that the kubelet, containerd's shims or libcni create, deepest
 * first; with them the node folders tsvirt's DaemonSet asks for (hostPath DirectoryOrCreate).
 */
const MACHINE_DIRS = [
  ...HANDLER_HOST_DIRS,
  CONTAINER_LOGS_DIR,
  SHIM_SOCKET_DIR,
  '/run/containerd',
  join(CNI_CACHE_DIR, 'results'),
  CNI_CACHE_DIR,
] as const;

const sysctlPath = (name: string): string => `/proc/sys/${name.replace(/\./g, '/')}`;

const IPTABLES_TABLES = ['filter', 'nat', 'mangle'] as const;

/** `table/CHAIN` for every chain of `names` that exists now. */
export async function presentIptablesChains(names: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of IPTABLES_TABLES) {
    const { stdout } = await run('iptables-save', ['-t', table]).catch(() => ({ stdout: '' }));
    for (const line of stdout.split('\n')) {
      const m = /^:(\S+) /.exec(line);
      if (m?.[1] !== undefined && names.includes(m[1])) found.push(`${table}/${m[1]}`);
    }
  }
  return found;
}

export async function captureHostBefore(): Promise<HostBefore> {
  const sysctls: Record<string, string> = {};
  for (const name of NODE_SYSCTLS) sysctls[name] = (await readFile(sysctlPath(name), 'utf8')).trim();
  return {
    sysctls,
    iptablesChains: await presentIptablesChains(KUBELET_IPTABLES_CHAINS),
    existingDirs: MACHINE_DIRS.filter((d) => existsSync(d)),
  };
}

/** Puts back what captureHostBefore saw. */
export async function restoreHost(before: HostBefore, stateDir: string): Promise<void> {
  for (const [name, value] of Object.entries(before.sysctls)) {
    const now = (await readFile(sysctlPath(name), 'utf8').catch(() => value)).trim();
    if (now !== value) await writeFile(sysctlPath(name), `${value}\n`);
  }
  for (const chain of await presentIptablesChains(KUBELET_IPTABLES_CHAINS)) {
    if (before.iptablesChains.includes(chain)) continue;
    const [table = 'filter', name = ''] = chain.split('/');
    // A chain goes only once nothing jumps to it: drop the jumps, then flush and delete it.
    const { stdout } = await run('iptables-save', ['-t', table]);
    for (const line of stdout.split('\n').filter((l) => l.startsWith('-A ') && l.includes(`-j ${name}`))) {
      await run('iptables', ['-t', table, ...line.replace(/^-A /, '-D ').split(' ')]).catch(() => undefined);
    }
    await run('iptables', ['-t', table, '-F', name]).catch(() => undefined);
    await run('iptables', ['-t', table, '-X', name]).catch(() => undefined);
  }
  await removeContainerLogLinks(stateDir);
  await removeMadeDirs(before.existingDirs);
}

/** The folders this cluster made; the machine's own ones only when empty (another node may use them). */
async function removeMadeDirs(existing: readonly string[]): Promise<void> {
  for (const d of MACHINE_DIRS) {
    if (existing.includes(d)) continue;
    // The handler's own folders hold what it left when its node went (its socket, the run folders
    // of VMs still running, the containerDisk cache): this cluster made them, so they go whole.
    if (HANDLER_HOST_DIRS.includes(d)) await rm(d, { recursive: true, force: true });
    else await rmdir(d).catch(() => undefined);
  }
}

/** The kubelet's per-container symlinks into this cluster's state. */
async function removeContainerLogLinks(stateDir: string): Promise<void> {
  const entries = await readdir(CONTAINER_LOGS_DIR).catch(() => [] as string[]);
  for (const e of entries) {
    const target = await readlink(join(CONTAINER_LOGS_DIR, e)).catch(() => '');
    if (target.startsWith(stateDir)) await rm(join(CONTAINER_LOGS_DIR, e), { force: true });
  }
}

/** What a kubelet node needs on this machine that is not ours to install; each message names the fix. */
export function missingNodePrerequisites(binDir: string): string[] {
  const missing: string[] = [];
  for (const b of KUBELET_BINARIES) {
    if (!existsSync(join(binDir, b))) missing.push(`${join(binDir, b)}: run cluster/kubelet/build.sh`);
  }
  if (!existsSync(RUNC_BIN)) missing.push(`${RUNC_BIN}: apt-get install runc`);
  if (!existsSync(join(CNI_BIN_DIR, 'bridge')))
    missing.push(`${CNI_BIN_DIR}/bridge: apt-get install containernetworking-plugins`);
  if (!existsSync(CATATONIT_BIN)) missing.push(`${CATATONIT_BIN}: apt-get install catatonit`);
  if (!existsSync('/usr/bin/umoci')) missing.push('/usr/bin/umoci: apt-get install umoci');
  return missing;
}

/**
 * The lowest free node indexes: an index is taken while its bridge or an address of its range
 * exists on the machine (another cluster's node, or anything else using the range).
 */
export async function freeNodeIndexes(count: number): Promise<number[]> {
  const { stdout: links } = await run('ip', ['-o', 'link', 'show']);
  const { stdout: addrs } = await run('ip', ['-o', '-4', 'addr', 'show']);
  const { stdout: routes } = await run('ip', ['-4', 'route', 'show', 'table', 'all']);
  const taken = (i: number): boolean =>
    new RegExp(`: ${nodeBridge(i)}[:@]`).test(links) ||
    addrs.includes(` ${NODE_NET_PREFIX}.${i}.`) ||
    routes.includes(`${NODE_NET_PREFIX}.${i}.`);
  const free: number[] = [];
  for (let i = 1; i < 255 && free.length < count; i++) if (!taken(i)) free.push(i);
  if (free.length < count) throw new Error(`No free ${NODE_NET_PREFIX}.N.0/24 range left for ${count} nodes`);
  return free;
}

/** The cgroup v1 (and v2) mount points of this machine, one per hierarchy. */
async function cgroupMounts(): Promise<string[]> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountinfo
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => {
      const sep = f.indexOf('-');
      return sep > 0 && (f[sep + 1] === 'cgroup' || f[sep + 1] === 'cgroup2');
    })
    .map((f) => f[4] ?? '')
    .filter((p) => p !== '');
}

/** The node's cgroup root in every hierarchy, made before the kubelet starts (it expects them). */
async function createCgroupRoot(index: number): Promise<void> {
  for (const mount of await cgroupMounts()) {
    const dir = join(mount, nodeCgroupRoot(index));
    await mkdir(dir, { recursive: true });
    // A new cpuset cgroup starts with no CPUs and no memory nodes; nothing could run in it.
    if (existsSync(join(mount, 'cpuset.cpus'))) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        await writeFile(join(dir, f), await readFile(join(mount, f), 'utf8'));
      }
    }
  }
}

/** Every cgroup folder under `dir`, deepest first. */
async function cgroupTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const below = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => cgroupTree(join(dir, e.name))));
  return [...below.flat(), dir];
}

async function cgroupPids(dirs: readonly string[]): Promise<number[]> {
  const pids = new Set<number>();
  for (const d of dirs) {
    const text = await readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const p of text.split('\n').filter((l) => l !== '')) pids.add(Number(p));
  }
  return [...pids];
}

/**
 * Kills every process in the node's cgroups (its containers and Pod sandboxes) and waits for them
 * to go. The kubelet stops first and leaves its Pods running, as a kubelet restart must.
 */
export async function killNodeContainers(index: number, timeoutMs = 10_000): Promise<number> {
  const mounts = await cgroupMounts();
  const deadline = Date.now() + timeoutMs;
  let killed = 0;
  for (;;) {
    const dirs = (await Promise.all(mounts.map((m) => cgroupTree(join(m, nodeCgroupRoot(index)))))).flat();
    const pids = await cgroupPids(dirs);
    const alive = (await Promise.all(pids.map(async (p) => ((await isAlive(p)) ? p : -1)))).filter((p) => p > 0);
    if (alive.length === 0) return killed;
    if (Date.now() > deadline) throw new Error(`Processes of node ${index} survived SIGKILL: ${alive.join(', ')}`);
    for (const p of alive) {
      try {
        process.kill(p, 'SIGKILL');
        killed++;
      } catch {
        // Gone between the read and the kill.
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function removeCgroupRoot(index: number): Promise<void> {
  for (const mount of await cgroupMounts()) {
    for (const dir of await cgroupTree(join(mount, nodeCgroupRoot(index)))) {
      if (existsSync(dir)) await rmdir(dir);
    }
  }
}

/** Mount points at or under `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountinfo
    .split('\n')
    .map((l) => (l.split(' ')[4] ?? '').replace(/\\040/g, ' '))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

async function unmountUnder(dir: string): Promise<void> {
  // A mount can be stacked several times (the kubelet's root dir is bind-mounted onto itself).
  for (let round = 0; round < 10; round++) {
    const mounts = await mountsUnder(dir);
    if (mounts.length === 0) return;
    for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new Error(`Could not unmount under ${dir}: ${left.join(', ')}`);
}

const flagValue = (argv: readonly string[], flag: string): string => argv[argv.indexOf(flag) + 1] ?? '';

/**
 * Shims outlive containerd (they daemonize); each names its containerd's socket on its command
 * line. Killed, a shim leaves its socket in SHIM_SOCKET_DIR, named as containerd names it: the
 * sha256 of <address>/<namespace>/<id>.
 */
export async function killShims(node: KubeletNode): Promise<number> {
  const socket = kubeletPaths(node).containerdSocket;
  let killed = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const argv = cmdline.split('\0');
    if (!(argv[0] ?? '').endsWith('containerd-shim-runc-v2') || !argv.includes(socket)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed++;
    } catch {
      // Already gone.
    }
    const key = join(socket, flagValue(argv, '-namespace'), flagValue(argv, '-id'));
    await rm(join(SHIM_SOCKET_DIR, createHash('sha256').update(key).digest('hex')), { force: true });
  }
  return killed;
}

/** The node's Pod sandboxes: the CRI keeps a folder per sandbox id under containerd's root. */
async function sandboxIds(node: KubeletNode): Promise<Set<string>> {
  const dir = join(kubeletPaths(node).containerdRoot, 'io.containerd.grpc.v1.cri', 'sandboxes');
  return new Set(await readdir(dir).catch(() => [] as string[]));
}

/**
 * libcni's cached results of the node's attachments: its own network's (named for the node) and
 * containerd's built-in loopback's (`cni-loopback-<sandbox id>-lo`).
 */
async function removeCniCache(index: number, ids: ReadonlySet<string>): Promise<void> {
  const dir = join(CNI_CACHE_DIR, 'results');
  const prefix = `${cniNetworkName(index)}-`;
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const sandbox = /^cni-loopback-([0-9a-f]{64})-lo$/.exec(f)?.[1];
    if (f.startsWith(prefix) || (sandbox !== undefined && ids.has(sandbox))) await rm(join(dir, f), { force: true });
  }
}

/** Writes the node's configuration, makes its bridge (the node IP) and its cgroup root. */
export async function prepareNode(node: KubeletNode, repoRoot: string): Promise<void> {
  const p = kubeletPaths(node);
  for (const d of [
    p.containerdRoot,
    p.containerdState,
    p.cniConfDir,
    p.cniDataDir,
    p.kubeletRoot,
    p.kubeletCertDir,
    p.podLogs,
  ])
    await mkdir(d, { recursive: true });
  await writeFile(p.containerdConfig, containerdConfig(node));
  await writeFile(join(p.cniConfDir, '10-tsvirt.conflist'), cniConfig(node));
  await writeFile(p.kubeletConfig, kubeletConfig(node));
  if (node.registry !== undefined) {
    // By its address, and as tsvirt.local (manifests/overlays/local), both served by the local registry.
    for (const name of [node.registry, LOCAL_IMAGE_REGISTRY]) {
      await mkdir(join(p.registryHosts, name), { recursive: true });
      await writeFile(join(p.registryHosts, name, 'hosts.toml'), registryHostsToml(node.registry));
    }
  }
  const bridge = nodeBridge(node.index);
  await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${nodeIp(node.index)}/24`, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
  await createCgroupRoot(node.index);
  await run(join(repoRoot, 'cluster', 'kubelet', 'pause-image.sh'), [p.pauseImage, PAUSE_IMAGE]);
}

/** `ctr` against the node's containerd, in the namespace the CRI uses. */
export function ctr(node: KubeletNode, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return run(join(node.binDir, 'ctr'), [
    '--address',
    kubeletPaths(node).containerdSocket,
    '--namespace',
    'k8s.io',
    ...args,
  ]);
}

/** Imports the pause image into the node's containerd (pinned as the sandbox image in its config). */
export async function importPauseImage(node: KubeletNode): Promise<void> {
  const name = PAUSE_IMAGE.slice(0, PAUSE_IMAGE.lastIndexOf(':'));
  await ctr(node, ['images', 'import', '--base-name', name, kubeletPaths(node).pauseImage]);
}

/** A bind mount made over a machine path, and whether its target folder had to be made. */
export type MachineBind = Readonly<{ source: string; target: string; created: boolean }>;

/**
 * A kubelet node's libvirtd is the machine's, as on a real node: the handler DaemonSet mounts
 * /var/run/libvirt and /var/log/libvirt/qemu from the host, so the node's private libvirtd's socket
 * and QEMU log folders are bind-mounted there while the cluster runs (one such node per machine).
 */
export async function bindNodeLibvirt(socketDir: string, logDir: string): Promise<MachineBind[]> {
  const binds: MachineBind[] = [];
  for (const [source, target] of [
    [socketDir, '/run/libvirt'],
    [logDir, '/var/log/libvirt/qemu'],
  ] as const) {
    if ((await mountsUnder(target)).length > 0)
      throw new Error(`${target} is a mount already (another --kubelet --libvirt cluster, or the machine's libvirtd?)`);
    const created = !existsSync(target);
    await mkdir(target, { recursive: true });
    await run('mount', ['--bind', source, target]);
    binds.push({ source, target, created });
  }
  return binds;
}

export async function unbindNodeLibvirt(binds: readonly MachineBind[]): Promise<void> {
  for (const b of binds) {
    await run('umount', [b.target]).catch(() => run('umount', ['-l', b.target]).catch(() => undefined));
    if (b.created) await rmdir(b.target).catch(() => undefined);
  }
}

/** After kubelet and containerd stopped: the node's containers, shims, mounts, bridge and cgroups go. */
export async function removeNode(node: KubeletNode): Promise<void> {
  await killNodeContainers(node.index);
  await killShims(node);
  await unmountUnder(node.stateDir);
  await run('ip', ['link', 'del', nodeBridge(node.index)]).catch(() => undefined);
  const ids = await sandboxIds(node);
  await removeCgroupRoot(node.index);
  await removeCniCache(node.index, ids);
  // host-local's leases: a later cluster on the same range must start with all addresses free.
  await rm(dirname(kubeletPaths(node).cniDataDir), { recursive: true, force: true });
}
