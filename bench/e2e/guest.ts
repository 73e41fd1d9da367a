// The tiny guest through the whole stack, as a user runs it: a fresh local cluster whose node-1 has
// a private libvirtd (`local-cluster up --libvirt=node-1`, then `sync`, as cluster/up.sh --libvirt
// and cluster/sync.sh do), examples/vm-tiny-guest.yaml created with `kubectl virt`, then RUNS times:
//   start: `kubectl virt start --wait` → the marker on the serial log; also timed from QEMU's own
//          process start (/proc), i.e. domain start → marker, the part the guest and QEMU own;
//   stop:  `kubectl virt stop` → QEMU has exited (the guest powered off on ACPI), and --wait's return;
//   and, as the baseline at the same load, the same guest booted by QEMU directly.
// Medians go to bench/results/e2e.json (DESIGN.md target under emulation: start → shell prompt ≤ 3 s,
// stop → shut off ≤ 2 s). Needs root. Usage: npx tsx bench/e2e/guest.ts [--runs 5]
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { ClusterInfo } from '../../cluster/local-cluster.js';

const exec = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const NODE_BIN = join(REPO, 'node_modules/.bin/node');
const LOCAL_CLUSTER = join(REPO, 'dist/local-cluster.js');
const MARKER = 'TSVIRT-GUEST-READY';
const VM = 'tiny-guest';
const DOMAIN = `default_${VM}`;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(values.runs);

async function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return (await exec(command, [...args], { cwd: REPO, env, maxBuffer: 16 << 20 })).stdout;
}

/** Polls `check` every 10 ms until it returns a value; throws after `timeoutMs`. */
async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** When a process started, in epoch ms (10 ms resolution): from /proc/<pid>/stat and /proc/uptime. */
async function processStartMs(pid: number, clockTicks: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]); // field 22 of stat; fields[] starts at field 3
  const uptimeS = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
  return Date.now() - (uptimeS - startTicks / clockTicks) * 1000;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

/**
 * The baseline, booted in the same run at the same load: the same guest by QEMU directly (TCG, 1 vCPU,
 * 128 MiB, console to a file), QEMU spawn → marker. Killed afterwards; only the boot is compared.
 */
async function bootDirect(dir: string): Promise<number> {
  const log = join(dir, 'direct-serial.log');
  await rm(log, { force: true });
  const guest = '/var/lib/tsvirt/guest';
  const args = ['-accel', 'tcg', '-machine', 'pc', '-m', '128', '-smp', '1', '-nodefaults', '-display', 'none'];
  args.push('-kernel', join(guest, 'vmlinuz'), '-initrd', join(guest, 'initrd.img'));
  args.push('-append', 'console=ttyS0 quiet', '-serial', `file:${log}`, '-no-reboot');
  const t0 = Date.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));
  try {
    return await until('the marker (direct QEMU)', 60_000, async () =>
      (await readFile(log, 'utf8').catch(() => '')).includes(MARKER) ? Date.now() - t0 : undefined,
    );
  } finally {
    qemu.kill('SIGKILL');
    await exited;
  }
}

type Run = Readonly<{
  run: number;
  directQemuStartToMarkerMs: number;
  startWaitMs: number;
  startToMarkerMs: number;
  domainStartToMarkerMs: number;
  stopToShutOffMs: number;
  stopWaitMs: number;
  shutdownReason: string;
}>;

type Ctx = Readonly<{ info: ClusterInfo; virt: (args: readonly string[]) => Promise<string>; clockTicks: number }>;

function paths(info: ClusterInfo): { serialLog: string; qemuPidFile: string; libvirtLog: string } {
  const node = info.nodes[0];
  if (node?.libvirtDir === undefined) throw new Error('node-1 has no private libvirtd');
  return {
    serialLog: join(node.handlerRunDir, DOMAIN, 'serial.log'),
    qemuPidFile: join(node.libvirtDir, 'run', 'qemu', `${DOMAIN}.pid`),
    libvirtLog: join(node.libvirtDir, 'log', 'qemu', `${DOMAIN}.log`),
  };
}

async function once(ctx: Ctx, n: number): Promise<Run> {
  const p = paths(ctx.info);
  const directQemuStartToMarkerMs = await bootDirect(ctx.info.stateDir);
  const t0 = Date.now();
  await ctx.virt(['start', VM, '--wait']);
  const startWaitMs = Date.now() - t0;
  const tMarker = await until('the marker', 30_000, async () =>
    (await readFile(p.serialLog, 'utf8').catch(() => '')).includes(MARKER) ? Date.now() : undefined,
  );
  const pid = Number((await readFile(p.qemuPidFile, 'utf8')).trim());
  const tQemu = await processStartMs(pid, ctx.clockTicks);
  const t1 = Date.now();
  const stop = ctx.virt(['stop', VM, '--wait']).then(() => Date.now() - t1);
  const tGone = await until('QEMU to exit', 30_000, () => (existsSync(`/proc/${pid}`) ? undefined : Date.now()));
  const stopWaitMs = await stop;
  const log = await readFile(p.libvirtLog, 'utf8');
  const shutdownReason = /shutting down, reason=(\w+)/g.exec(log.split('\n').reverse().join('\n'))?.[1] ?? '?';
  return {
    run: n,
    directQemuStartToMarkerMs,
    startWaitMs,
    startToMarkerMs: tMarker - t0,
    domainStartToMarkerMs: Math.round(tMarker - tQemu),
    stopToShutOffMs: tGone - t1,
    stopWaitMs,
    shutdownReason,
  };
}

async function versions(): Promise<{ qemu: string; libvirtd: string }> {
  const [qemu, libvirtd] = await Promise.all([
    run('qemu-system-x86_64', ['--version']),
    run('libvirtd', ['--version']),
  ]);
  return { qemu: qemu.split('\n')[0] ?? '', libvirtd: libvirtd.trim() };
}

async function measure(info: ClusterInfo): Promise<Run[]> {
  // TSVIRT_E2E_PLUGIN_DIR: where kubectl finds kubectl-virt, as in the e2e tier (default dist/bin).
  const plugins = process.env['TSVIRT_E2E_PLUGIN_DIR'] ?? join(REPO, 'dist/bin');
  const env = { ...process.env, KUBECONFIG: info.kubeconfig, PATH: `${plugins}:${process.env['PATH']}` };
  const ctx: Ctx = {
    info,
    virt: (args) => run(info.kubectl, ['virt', ...args], env),
    clockTicks: Number((await run('getconf', ['CLK_TCK'])).trim()),
  };
  await ctx.virt(['create', '-f', join(REPO, 'examples/vm-tiny-guest.yaml')]);
  const runs: Run[] = [];
  for (let i = 1; i <= RUNS; i++) {
    runs.push(await once(ctx, i));
    process.stderr.write(`${JSON.stringify(runs.at(-1))}\n`);
  }
  await ctx.virt(['delete', VM]);
  return runs;
}

async function main(): Promise<void> {
  await run('npm', ['run', '--silent', 'build']);
  await run(join(REPO, 'test/e2e/guest/build.sh'), []);
  const stateDir = await mkdtemp('/tmp/tsvirt-bench-e2e-');
  const t0 = Date.now();
  try {
    await run(NODE_BIN, [LOCAL_CLUSTER, 'up', `--state-dir=${stateDir}`, '--nodes=1', '--libvirt=node-1']);
    await run(NODE_BIN, [LOCAL_CLUSTER, 'sync', `--state-dir=${stateDir}`]);
    const upAndSyncMs = Date.now() - t0;
    const info = JSON.parse(await readFile(join(stateDir, 'cluster.json'), 'utf8')) as ClusterInfo;
    const load = loadavg()[0];
    const runs = await measure(info);
    const pick = (k: keyof Omit<Run, 'run' | 'shutdownReason'>): number => median(runs.map((r) => r[k]));
    const result = {
      measuredAt: new Date().toISOString(),
      host: { cpus: cpus().length, load1AtStart: load, accel: 'tcg', ...(await versions()) },
      upAndSyncMs,
      runs,
      median: {
        startWaitMs: pick('startWaitMs'),
        startToMarkerMs: pick('startToMarkerMs'),
        domainStartToMarkerMs: pick('domainStartToMarkerMs'),
        stopToShutOffMs: pick('stopToShutOffMs'),
        stopWaitMs: pick('stopWaitMs'),
        directQemuStartToMarkerMs: pick('directQemuStartToMarkerMs'),
      },
      // Comparable across machines and loads: how much slower than bare QEMU the stack's boot is.
      domainStartToMarkerVsDirectQemu:
        Math.round((pick('domainStartToMarkerMs') / pick('directQemuStartToMarkerMs')) * 100) / 100,
    };
    await writeFile(join(REPO, 'bench/results/e2e.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result.median, null, 2)}\n`);
  } finally {
    await run(NODE_BIN, [LOCAL_CLUSTER, 'down', `--state-dir=${stateDir}`]).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
