// What the e2e tests drive and read: `kubectl virt` as a real kubectl plugin, virt-controller and
// node-1's virt-handler with the flags cluster/sync.sh gives them, the node's private libvirtd,
// the guest's serial log, and QEMU processes as the kernel sees them.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../../api/names.js';
import type { VmiPhase } from '../../api/types.js';
import { ensureTsvirtCerts, handlerCommand } from '../../cluster/components.js';
import { libvirtdAt, type PrivateLibvirtd } from '../../cluster/libvirtd.js';
import type { NodeInfo } from '../../cluster/local-cluster.js';
import { clusterFromEnv, startComponent, waitFor, type ComponentHandle } from '../harness/index.js';

export const NODE = 'node-1';
export const VM = 'tiny-guest';
export const MARKER = /TSVIRT-GUEST-READY \S+/;
/** USER_HZ: 100 on every Linux this runs on (x86_64 fixes it; `getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

export function node(): NodeInfo {
  const info = clusterFromEnv().info.nodes.find((n) => n.name === NODE);
  if (info?.libvirtDir === undefined) throw new Error(`The e2e cluster's ${NODE} has no private libvirtd`);
  return info;
}

export function libvirtd(): PrivateLibvirtd {
  return libvirtdAt(node().libvirtDir ?? '');
}

export type CliResult = Readonly<{ code: number; stdout: string; stderr: string }>;

/**
 * Runs `kubectl virt <args>`: the cluster's kubectl finds the kubectl-virt executable on PATH, as
 * it would for a user (dist/bin, or TSVIRT_E2E_PLUGIN_DIR). Throws on a non-zero exit.
 */
export function virt(args: readonly string[], input?: string): Promise<CliResult> {
  const c = clusterFromEnv();
  const pluginDir = process.env['TSVIRT_E2E_PLUGIN_DIR'] ?? join(c.repoRoot, 'dist', 'bin');
  return new Promise((resolve, reject) => {
    const child = spawn(c.kubectl, ['virt', ...args], {
      env: { ...process.env, KUBECONFIG: c.kubeconfig, PATH: `${pluginDir}:${process.env['PATH'] ?? ''}` },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ code, stdout, stderr });
      else reject(new Error(`kubectl virt ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(input ?? '');
  });
}

export async function startController(): Promise<ComponentHandle> {
  const repo = clusterFromEnv().repoRoot;
  const launcher = JSON.stringify([join(repo, 'node_modules/.bin/node'), join(repo, 'dist/virt-launcher.cjs')]);
  const controller = await startComponent('virt-controller', [
    `--kubeconfig=${clusterFromEnv().kubeconfig}`,
    '--leader-elect=false',
    '--metrics-port=0',
    '--health-port=0',
    `--launcher-command=${launcher}`,
  ]);
  await controller.waitForLog(/"msg":"Started/);
  return controller;
}

/** node-1's virt-handler with exactly sync.sh's flags (the private libvirtd's URI and log folder, emulation auto). */
export async function startHandler(): Promise<ComponentHandle> {
  // Its endpoint for virt-api (console, pause, soft reboot) needs certificates from the cluster CA.
  await ensureTsvirtCerts(clusterFromEnv().info);
  // startComponent puts the Node flags and the bundle in front itself.
  const args = handlerCommand(clusterFromEnv().info, node()).args.slice(SERVICE_NODE_FLAGS.length + 1);
  const handler = await startComponent('virt-handler', args);
  await handler.waitForLog(/Started virt-handler/);
  return handler;
}

export const domainOf = (ns: string): string => `${ns}_${VM}`;

export function serialLogPath(ns: string): string {
  return join(node().handlerRunDir, domainOf(ns), 'serial.log');
}

/** Waits until the guest's serial console has printed the marker line; resolves with it. */
export async function waitForMarker(ns: string, timeoutMs: number): Promise<string> {
  return waitFor(
    async (seen) => {
      const log = await readFile(serialLogPath(ns), 'utf8');
      seen(log.slice(-400));
      return MARKER.exec(log)?.[0];
    },
    { timeoutMs, intervalMs: 50, describe: `the marker on ${serialLogPath(ns)}` },
  );
}

/** Pids of the QEMU processes running the domain, from /proc (QEMU's `-name guest=<domain>,...`). */
export async function qemuProcesses(domain: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (!(args[0] ?? '').includes('qemu-system')) continue;
    if (args.some((a) => a.startsWith(`guest=${domain},`))) pids.push(Number(entry));
  }
  return pids;
}

export type VmiPhaseRecord = Readonly<{ uid: string; phase: VmiPhase | ''; reason: string }>;

/** Follows a VMI with `kubectl get -w` and keeps every (uid, phase, reason) it passes through, deletions included. */
export function watchVmi(ns: string, name: string): Readonly<{ seen: () => VmiPhaseRecord[]; stop: () => void }> {
  const c = clusterFromEnv();
  const child = spawn(
    c.kubectl,
    [
      `--kubeconfig=${c.kubeconfig}`,
      'get',
      'vmi',
      '-n',
      ns,
      '--watch',
      `--field-selector=metadata.name=${name}`,
      '-o',
      'jsonpath={.metadata.uid} {.status.phase} {.status.reason}{"\\n"}',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return {
    seen: () =>
      out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const [uid = '', phase = '', reason = ''] = l.split(' ');
          return { uid, phase: phase as VmiPhase | '', reason };
        }),
    stop: () => void child.kill(),
  };
}

/** `kubectl virt start --wait`, then the marker: the guest booted. Resolves with the VMI's uid and the boot time. */
export async function startAndBoot(ns: string): Promise<Readonly<{ ms: number }>> {
  const t0 = Date.now();
  await virt(['start', VM, '-n', ns, '--wait']);
  await waitForMarker(ns, 15_000);
  return { ms: Date.now() - t0 };
}

/**
 * QEMU's own CPU time so far (user + system, ms; /proc/<pid>/stat fields 14 and 15). Under TCG a
 * guest's work is QEMU's: printed beside a wall time, it tells a slower guest from a loaded machine.
 */
export async function qemuCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3
  return Math.round(((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS);
}
