// The tiny guest through the whole stack, as a user runs it: a fresh local cluster whose node-1 has
// a private libvirtd (`local-cluster up --libvirt=node-1`, then `sync`, as cluster/up.sh --libvirt
// and cluster/sync.sh do), examples/vm-tiny-guest.yaml created with `kubectl virt`, then RUNS times:
//   start: `kubectl virt start --wait` → the marker on the serial log; also timed from QEMU's own
//          process start (/proc), i.e. domain start → marker, the part the guest and QEMU own;
//   stop:  `kubectl virt stop` → QEMU has exited (the guest powered off on ACPI), and --wait's return;
//   and, as the baseline at the same load, the same guest booted by QEMU directly.
// DESIGN.md targets under emulation: start → shell prompt ≤ 3 s, stop → shut off ≤ 2 s, domain start →
// marker ≤ 1.05× a direct QEMU boot. Needs root: `npm run bench -- --real-guest` (or `--only e2e`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterInfo } from '../../cluster/local-cluster.js';
import { NODE_BIN, REPO, run, until, upCluster } from '../bench-processes.js';
import type { Benchmark, BenchContext } from '../runner.js';

const LOCAL_CLUSTER = join(REPO, 'dist/local-cluster.js');
const MARKER = 'TSVIRT-GUEST-READY';
const VM = 'tiny-guest';
const DOMAIN = `default_${VM}`;

/** When a process started, in epoch ms (10 ms resolution): from /proc/<pid>/stat and /proc/uptime. */
async function processStartMs(pid: number, clockTicks: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]); // field 22 of stat; fields[] starts at field 3
  const uptimeS = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
  return Date.now() - (uptimeS - startTicks / clockTicks) * 1000;
}

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

async function measure(ctx0: BenchContext, info: ClusterInfo, runs_: number): Promise<Run[]> {
  // TSVIRT_E2E_PLUGIN_DIR: where kubectl finds kubectl-virt, as in the e2e tier (default dist/bin).
  const plugins = process.env['TSVIRT_E2E_PLUGIN_DIR'] ?? join(REPO, 'dist/bin');
  const env = { ...process.env, KUBECONFIG: info.kubeconfig, PATH: `${plugins}:${process.env['PATH']}` };
  const ctx: Ctx = {
    info,
    virt: (args) => run(info.kubectl, ['virt', ...args], { env }),
    clockTicks: Number((await run('getconf', ['CLK_TCK'])).trim()),
  };
  await ctx.virt(['create', '-f', join(REPO, 'examples/vm-tiny-guest.yaml')]);
  const runs: Run[] = [];
  for (let i = 1; i <= runs_; i++) {
    ctx0.progress(`start and stop ${i}/${runs_}`);
    runs.push(await once(ctx, i));
  }
  await ctx.virt(['delete', VM]);
  return runs;
}

async function measureE2e(ctx: BenchContext, runs: number): Promise<void> {
  ctx.progress('the tiny guest (test/e2e/guest/build.sh)');
  await run(join(REPO, 'test/e2e/guest/build.sh'), []);
  ctx.progress('a local cluster with a private libvirtd, tsvirt synced');
  const cluster = await upCluster('e2e', ['--nodes=1', '--libvirt=node-1']);
  try {
    await run(NODE_BIN, [LOCAL_CLUSTER, 'sync', `--state-dir=${cluster.state}`]);
    const info = JSON.parse(await readFile(join(cluster.state, 'cluster.json'), 'utf8')) as ClusterInfo;
    const r = await measure(ctx, info, runs);
    ctx.detail('runs', r);
    const col = (k: keyof Omit<Run, 'run' | 'shutdownReason'>): number[] => r.map((x) => x[k]);
    ctx.report({
      name: 'kubectl virt start --wait → boot marker',
      unit: 'ms',
      samples: col('startToMarkerMs'),
      target: { of: 'median', max: 3000 },
    });
    ctx.report({
      name: 'kubectl virt stop → QEMU exited',
      unit: 'ms',
      samples: col('stopToShutOffMs'),
      target: { of: 'median', max: 2000 },
    });
    ctx.report({ name: 'kubectl virt start --wait returns', unit: 'ms', samples: col('startWaitMs') });
    ctx.report({
      name: 'domain start → marker over a direct QEMU boot',
      unit: 'ms',
      samples: col('domainStartToMarkerMs'),
      baseline: { name: 'direct QEMU', samples: col('directQemuStartToMarkerMs') },
      target: { of: 'ratio', max: 1.05 },
    });
  } finally {
    await cluster.down();
  }
}

export const e2eBenchmark: Benchmark = {
  name: 'e2e',
  summary: 'the tiny guest through the whole stack under QEMU TCG: start → marker, stop → shut off, over direct QEMU',
  boundMs: { quick: 5 * 60_000, full: 10 * 60_000 },
  needs: 'real-guest',
  run: (ctx) => measureE2e(ctx, ctx.quick ? 2 : 5),
};
