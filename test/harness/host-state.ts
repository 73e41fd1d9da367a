// What a kubelet node could leave on the machine, read the same way before a cluster starts and
// after it stops, so a test can say the teardown put the machine back (issue #19: processes, mounts,
// cgroups, links, iptables, sysctls). Each part is narrowed to what a tsvirt node can create, so
// other work on the shared machine (other clusters, other tests' namespaces) does not show up.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CNI_CACHE_DIR,
  CONTAINER_LOGS_DIR,
  NODE_NET_PREFIX,
  NODE_SYSCTLS,
  SHIM_SOCKET_DIR,
} from '../../cluster/kubelet-layout.js';
import { HANDLER_HOST_DIRS } from '../../cluster/kubelet-node.js';
import { findMarkedProcesses } from '../../cluster/processes.js';

const run = promisify(execFile);

/** Machine paths a --kubelet --libvirt node bind-mounts its libvirtd over. */
const MACHINE_MOUNTS = ['/run/libvirt', '/var/run/libvirt', '/var/log/libvirt/qemu'];

export type HostState = Readonly<{
  sysctls: Readonly<Record<string, string>>;
  /** iptables rules and chains of every table that name KUBE- or a node range. */
  iptables: readonly string[];
  /** Links named like a node's bridge. */
  links: readonly string[];
  /** Mount points under the state folder, or of Pod network namespaces anywhere. */
  mounts: readonly string[];
  /** A node's cgroup root, in any hierarchy. */
  cgroups: readonly string[];
  /** Processes carrying the cluster's marker, or naming its state folder on their command line. */
  processes: readonly string[];
  /** Machine folders a node may create, with their entries. */
  dirs: Readonly<Record<string, readonly string[] | 'absent'>>;
}>;

async function iptablesLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const table of ['filter', 'nat', 'mangle', 'raw']) {
    const { stdout } = await run('iptables-save', ['-t', table]).catch(() => ({ stdout: '' }));
    for (const l of stdout.split('\n'))
      if (/KUBE-|10\.213\./.test(l)) lines.push(`${table}: ${l.replace(/\[\d+:\d+\]/, '')}`);
  }
  return lines.sort();
}

async function cgroupRoots(): Promise<string[]> {
  const found: string[] = [];
  for (const h of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const entries = await readdir(join('/sys/fs/cgroup', h)).catch(() => [] as string[]);
    for (const e of entries) if (/^tsvirt-node\d+$/.test(e)) found.push(`${h}/${e}`);
  }
  return found.sort();
}

async function processesOf(stateDir: string): Promise<string[]> {
  const marked = (await findMarkedProcesses(stateDir)).map((p) => `${p.pid} ${p.cmdline}`);
  const named: string[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const cmd = (await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
    if (cmd.includes(stateDir)) named.push(`${e} ${cmd}`);
  }
  return [...new Set([...marked, ...named])].sort();
}

async function dirState(dir: string): Promise<readonly string[] | 'absent'> {
  if (!existsSync(dir)) return 'absent';
  return (await readdir(dir)).sort();
}

export async function hostState(stateDir: string): Promise<HostState> {
  const sysctls: Record<string, string> = {};
  for (const name of NODE_SYSCTLS)
    sysctls[name] = (await readFile(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8')).trim();
  const { stdout: links } = await run('ip', ['-o', 'link', 'show']);
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const dirs: Record<string, readonly string[] | 'absent'> = {};
  for (const d of [
    ...HANDLER_HOST_DIRS,
    CONTAINER_LOGS_DIR,
    SHIM_SOCKET_DIR,
    '/run/containerd',
    join(CNI_CACHE_DIR, 'results'),
  ])
    dirs[d] = await dirState(d);
  return {
    sysctls,
    iptables: await iptablesLines(),
    links: [...links.matchAll(/^\d+: (tsvirt\d+)[:@]/gm)].map((m) => m[1] ?? '').sort(),
    mounts: mountinfo
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((p) => p.startsWith(stateDir) || /\/netns\/cni-/.test(p) || MACHINE_MOUNTS.includes(p))
      .sort(),
    cgroups: await cgroupRoots(),
    processes: await processesOf(stateDir),
    dirs,
  };
}

/** Addresses of the node ranges on the machine's links (a node's bridge holds one). */
export async function nodeRangeAddresses(): Promise<string[]> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  return stdout.split('\n').filter((l) => l.includes(` ${NODE_NET_PREFIX}.`));
}
