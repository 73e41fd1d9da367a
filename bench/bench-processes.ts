// What every bench needs to drive this repository's processes: run a command to completion, start a
// bundle from dist/ in its own process group and stop it, poll until a value appears, a fresh local
// cluster with tsvirt's services, the API server's request counters and a process's memory.
// Statistics live in stats.ts, the run and its results in runner.ts. No sleeps outside `until`'s polling.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../api/names.js';
import type { ClusterInfo } from '../cluster/local-cluster.js';

export const REPO = join(import.meta.dirname, '..');
/** The Node 24 the project pins: components run on it, as cluster/sync.sh runs them. */
export const NODE_BIN = join(REPO, 'node_modules/.bin/node');

/** Runs `command` in the repository; resolves with stdout+stderr, rejects with them on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  opts: Readonly<{ input?: string; env?: NodeJS.ProcessEnv }> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: REPO,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`)),
    );
    child.stdin.end(opts.input ?? '');
  });
}

export type Proc = { child: ChildProcess; output: () => string };

/** Starts dist/<bundle> (`virt-controller.js`, `virt-handler.js`) in its own process group, capturing its output. */
export function startBundle(bundle: string, args: readonly string[]): Proc {
  const child = spawn(NODE_BIN, [...SERVICE_NODE_FLAGS, join(REPO, 'dist', bundle), ...args], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** SIGTERM to the process group, SIGKILL after 10 s. */
export async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.pid === undefined) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  process.kill(-p.child.pid, 'SIGTERM');
  const t = setTimeout(() => process.kill(-(p.child.pid ?? 0), 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** Polls `f` every `intervalMs` until it returns a value; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  f: () => T | undefined | Promise<T | undefined>,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A fresh local cluster (dist/local-cluster.js) in its own temp folder; `down` stops it and removes the folder. */
export type LocalCluster = Readonly<{ info: ClusterInfo; state: string; down: () => Promise<void> }>;

export async function upCluster(name: string, args: readonly string[]): Promise<LocalCluster> {
  const state = await mkdtemp(join(tmpdir(), `tsvirt-bench-${name}-`));
  const cli = join(REPO, 'dist/local-cluster.js');
  const down = async (): Promise<void> => {
    await run(NODE_BIN, [cli, 'down', `--state-dir=${state}`]).catch((e: unknown) =>
      process.stderr.write(`${String(e)}\n`),
    );
    await rm(state, { recursive: true, force: true });
  };
  try {
    await run(NODE_BIN, [cli, 'up', `--state-dir=${state}`, ...args]);
    const info = JSON.parse(await readFile(join(state, 'cluster.json'), 'utf8')) as ClusterInfo;
    return { info, state, down };
  } catch (err) {
    await down();
    throw err;
  }
}

/** virt-controller and one virt-handler per node from dist/, on libvirt's test driver, started and ready. */
export type Services = Readonly<{
  controller: Proc;
  handlers: readonly Proc[];
  handlerMetricsPorts: readonly number[];
}>;

export async function startServices(
  info: ClusterInfo,
  opts: Readonly<{ launcher: readonly string[]; pollIntervalMs?: number }>,
): Promise<Services> {
  const controller = startBundle('virt-controller.js', [
    `--kubeconfig=${info.kubeconfig}`,
    '--leader-elect=false',
    '--metrics-port=0',
    '--health-port=0',
    `--launcher-command=${JSON.stringify(opts.launcher)}`,
  ]);
  const handlers = info.nodes.map((n) =>
    startBundle('virt-handler.js', [
      `--kubeconfig=${info.kubeconfig}`,
      `--node-name=${n.name}`,
      '--libvirt-uri=test:///default',
      `--run-dir=${n.handlerRunDir}`,
      '--emulation=tcg',
      '--metrics-port=0',
      `--poll-interval=${opts.pollIntervalMs ?? 500}`,
    ]),
  );
  const services = { controller, handlers, handlerMetricsPorts: [] as number[] };
  try {
    for (const h of handlers)
      services.handlerMetricsPorts.push(
        Number(await until('a handler to start', 60_000, () => /"metricsPort":(\d+)/.exec(h.output())?.[1])),
      );
    await until('the controller to start', 60_000, () =>
      /Started reconciling/.test(controller.output()) ? true : undefined,
    );
    return services;
  } catch (err) {
    await stopServices(services);
    throw err;
  }
}

export async function stopServices(s: Services): Promise<void> {
  for (const p of [...s.handlers, s.controller]) await stopProc(p);
}

/** The API server's request counters, keyed `VERB resource[/subresource]`, all clients together. */
export async function apiServerRequests(info: ClusterInfo): Promise<Record<string, number>> {
  const text = await run(info.kubectl, [`--kubeconfig=${info.kubeconfig}`, 'get', '--raw', '/metrics']);
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    const sub = /subresource="([^"]*)"/.exec(line)?.[1] ?? '';
    const key = `${verb} ${sub === '' ? resource : `${resource}/${sub}`}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY']);
/** Requests that touch what a VM start involves (leases and other housekeeping left out). */
const VM_RESOURCES = / (virtualmachines|virtualmachineinstances|pods|events)(\/|$)/;

/** Between two snapshots: writes and reads (GET/LIST, not WATCH) on the VM start's resources, per key. */
export function requestsBetween(
  before: Record<string, number>,
  after: Record<string, number>,
): { writes: Record<string, number>; reads: Record<string, number> } {
  const writes: Record<string, number> = {};
  const reads: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d <= 0 || !VM_RESOURCES.test(k)) continue;
    const verb = k.split(' ')[0] ?? '';
    if (WRITE_VERBS.has(verb)) writes[k] = d;
    else if (verb === 'GET' || verb === 'LIST') reads[k] = d;
  }
  return { writes, reads };
}

export const total = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

/** Resident and proportional set size of a process in MiB (PSS splits shared pages among their users). */
export async function memoryMiB(pid: number): Promise<{ rss: number; pss: number }> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 };
}

/** Pids whose parent chain reaches one of `roots` (the node agents' launchers and their wrappers). */
export async function descendants(roots: readonly number[]): Promise<Map<number, string>> {
  const parent = new Map<number, number>();
  const cmd = new Map<number, string>();
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    if (stat === '') continue;
    parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    cmd.set(Number(e), (await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' '));
  }
  const out = new Map<number, string>();
  for (const [pid, c] of cmd) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p))
      if (roots.includes(p)) {
        out.set(pid, c);
        break;
      }
  }
  return out;
}
