// kubectl virt view, measured in a real terminal (tmux) against a fresh local cluster (1 node, no
// tsvirt components: the view needs only the API server), as issue 17 asks:
//   1. start → first full frame with 100 VMs: from launching `kubectl virt view` in a tmux pane
//      tall enough for all of them to the first capture-pane that shows all 100 rows (polled
//      every 5 ms, so up to ~5 ms late); baseline in the same run: `kubectl get vms` wall time.
//   1b. a change → on screen: a status patch to the first VM until capture-pane shows it.
//   2. render time per update with 1000 VMs and 50 changes a second: status patches to random
//      VMs at 50/s for --seconds, while the view writes each frame's draw time (React + ink,
//      TSVIRT_VIEW_TRACE: from handing the state to React until ink wrote it); reports frames per
//      second (goal ≤ 10) and the draw time's P50/P95.
// `npm run bench -- --only view`. Needs tmux. Everything it starts it stops.
import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { API_VERSION, VM_KIND, VM_PLURAL } from '../../api/names.js';
import type { ClusterInfo } from '../../cluster/local-cluster.js';
import { connect } from '../../cli/connection.js';
import { mergePatch } from '../../kube/cli-resources.js';
import { REPO, until, upCluster } from '../bench-processes.js';
import type { Benchmark, BenchContext } from '../runner.js';
import { percentile, round } from '../stats.js';

const exec = promisify(execFile);

const vmName = (i: number): string => `vm-${String(i).padStart(4, '0')}`;

function vmList(n: number): string {
  const items = Array.from({ length: n }, (_, i) => ({
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name: vmName(i) },
    spec: { runStrategy: 'Halted', template: { spec: { domain: { memory: { guest: '32Mi' }, devices: {} } } } },
  }));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

async function kubectlIn(info: ClusterInfo, args: readonly string[], input: string): Promise<void> {
  const child = execFile(info.kubectl, [`--kubeconfig=${info.kubeconfig}`, ...args]);
  child.stdin?.end(input);
  await new Promise<void>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kubectl ${args.join(' ')}: ${code}`)))),
  );
}

class Tmux {
  constructor(private readonly socket: string) {}
  async cmd(...args: string[]): Promise<string> {
    return (await exec('tmux', ['-S', this.socket, ...args])).stdout;
  }
  screen(): Promise<string> {
    return this.cmd('capture-pane', '-p', '-t', 'view');
  }
  async start(size: readonly [number, number], env: readonly string[], command: string): Promise<void> {
    await this.cmd('-f', '/dev/null', 'new-session', '-d', '-s', 'view', '-x', String(size[0]), '-y', String(size[1]));
    await this.cmd('set-option', '-t', 'view', 'remain-on-exit', 'on');
    await this.cmd('respawn-pane', '-k', '-t', 'view', 'env', ...env, 'sh', '-c', command);
  }
  async stop(): Promise<void> {
    await this.cmd('send-keys', '-t', 'view', 'q').catch(() => undefined);
    await until('the view to quit', 10_000, async () =>
      (await this.cmd('display-message', '-p', '-t', 'view', '#{pane_dead}')).trim() === '1' ? true : undefined,
    );
    await this.cmd('kill-server').catch(() => undefined);
  }
}

const rowsShown = (screen: string): number => screen.split('\n').filter((l) => l.startsWith('vm-')).length;

async function firstFullFrame(tmux: Tmux, env: readonly string[]): Promise<number> {
  const t0 = performance.now();
  await tmux.start([140, 112], env, 'kubectl virt view -n bench100');
  await until('100 rows on screen', 60_000, async () => (rowsShown(await tmux.screen()) === 100 ? true : undefined), 5);
  const ms = performance.now() - t0;
  await tmux.stop();
  return ms;
}

/** From a status patch to the view showing it, `samples` times (the issue: within 1 s). */
async function changeLatency(
  tmux: Tmux,
  env: readonly string[],
  info: ClusterInfo,
  samples: number,
): Promise<number[]> {
  await tmux.start([140, 112], env, 'kubectl virt view -n bench100');
  await until('100 rows on screen', 60_000, async () => (rowsShown(await tmux.screen()) === 100 ? true : undefined), 5);
  const { client } = await connect({ kubeconfig: info.kubeconfig, 'request-timeout': '0', verbose: false });
  const ms: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const status = i % 2 === 0 ? 'Running' : 'Stopped';
    const t0 = performance.now();
    await mergePatch(
      client,
      { plural: VM_PLURAL, namespace: 'bench100', name: vmName(0), status: true },
      { status: { printableStatus: status } },
    );
    const shown = new RegExp(`^${vmName(0)}\\s+${status}\\s`, 'm');
    await until(
      `${vmName(0)} ${status} on screen`,
      10_000,
      async () => (shown.test(await tmux.screen()) ? true : undefined),
      5,
    );
    ms.push(performance.now() - t0);
  }
  client.close();
  await tmux.stop();
  return ms;
}

function kubectlGetMs(env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync('kubectl', ['get', 'vms', '-n', 'bench100'], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return performance.now() - t0;
}

type Frame = Readonly<{ at: number; ms: number; vms: number; inkMs: number }>;

async function frames(file: string): Promise<Frame[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.startsWith('frame '))
    .map((l) => {
      const [, at, ms, vms, inkMs] = l.split(' ');
      return { at: Number(at), ms: Number(ms), vms: Number(vms), inkMs: Number(inkMs) };
    });
}

type Run = Readonly<{ tmux: Tmux; env: readonly string[]; info: ClusterInfo }>;

async function underChanges(
  { tmux, env, info }: Run,
  trace: string,
  SECONDS: number,
): Promise<Record<string, unknown> & { framesPerSecond: number; ms: number[] }> {
  await tmux.start([200, 50], [...env, `TSVIRT_VIEW_TRACE=${trace}`], 'kubectl virt view -n bench1000');
  await until('a frame with 1000 VMs', 60_000, async () =>
    (await frames(trace)).some((f) => f.vms === 1000) ? true : undefined,
  );
  const { client } = await connect({ kubeconfig: info.kubeconfig, 'request-timeout': '0', verbose: false });
  const before = (await frames(trace)).length;
  const started = performance.now();
  let sent = 0;
  let failed = 0;
  const statuses = ['Running', 'Stopped', 'Starting'];
  // 50 changes a second, each a status patch to a random VM, as the controller would write them.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() - started >= SECONDS * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      const i = Math.floor(Math.random() * 1000);
      sent += 1;
      mergePatch(
        client,
        { plural: VM_PLURAL, namespace: 'bench1000', name: vmName(i), status: true },
        { status: { printableStatus: statuses[sent % 3] } },
      ).catch(() => (failed += 1));
    }, 20);
  });
  const elapsed = (performance.now() - started) / 1000;
  client.close();
  const during = (await frames(trace)).slice(before);
  await tmux.stop();
  const ms = during.map((f) => f.ms);
  const ink = during.map((f) => f.inkMs);
  const p = (xs: readonly number[], q: number): number => round(percentile(xs, q), 2);
  return {
    changesSent: sent,
    changesFailed: failed,
    seconds: Number(elapsed.toFixed(1)),
    frames: during.length,
    framesPerSecond: Number((during.length / elapsed).toFixed(1)),
    // From handing the new state to React to ink having written the frame: the whole update.
    drawMs: { p50: p(ms, 50), p95: p(ms, 95), max: Number(Math.max(...ms).toFixed(2)) },
    // ink's own part of it (layout and output).
    inkMs: { p50: p(ink, 50), p95: p(ink, 95) },
    ms,
  };
}

async function measure(ctx: BenchContext, RUNS: number, SECONDS: number): Promise<void> {
  ctx.progress('a local cluster (control plane only)');
  const cluster = await upCluster('view', ['--nodes=0']);
  const { info, state: stateDir } = cluster;
  const tmux = new Tmux(join(stateDir, 'tmux.sock'));
  try {
    const path = [join(REPO, 'dist', 'bin'), dirname(info.kubectl), process.env['PATH'] ?? ''].join(delimiter);
    const env = [`KUBECONFIG=${info.kubeconfig}`, `PATH=${path}`, 'TERM=xterm-256color', `HOME=${stateDir}`];
    for (const [ns, n] of [
      ['bench100', 100],
      ['bench1000', 1000],
    ] as const) {
      await kubectlIn(info, ['create', 'namespace', ns], '');
      await kubectlIn(info, ['create', '-n', ns, '-f', '-'], vmList(n));
    }
    const kubectlEnv = { ...process.env, KUBECONFIG: info.kubeconfig, PATH: path, HOME: stateDir };
    kubectlGetMs(kubectlEnv); // warm-up: kubectl's discovery cache
    await firstFullFrame(tmux, env); // warm-up: the page cache and the compile cache
    const firstFrameMs: number[] = [];
    const getMs: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      ctx.progress(`first full frame ${i + 1}/${RUNS}`);
      firstFrameMs.push(await firstFullFrame(tmux, env));
      getMs.push(kubectlGetMs(kubectlEnv));
    }
    ctx.report({
      name: 'kubectl virt view: start → first full frame, 100 VMs',
      unit: 'ms',
      samples: firstFrameMs,
      baseline: { name: 'kubectl get vms', samples: getMs },
    });
    ctx.progress('a status patch → on screen');
    const latency = await changeLatency(tmux, env, info, RUNS);
    ctx.report({ name: 'a status patch → on screen', unit: 'ms', samples: latency, target: { of: 'p95', max: 1000 } });
    ctx.progress(`1000 VMs, 50 changes a second for ${SECONDS} s`);
    const changes = await underChanges({ tmux, env, info }, join(stateDir, 'trace'), SECONDS);
    ctx.report({
      name: 'draw time per update, 1000 VMs, 50 changes/s',
      unit: 'ms',
      samples: changes.ms,
      note: `${changes.framesPerSecond} frames/s (goal ≤ 10)`,
    });
    ctx.detail('updates1000Vms50PerSecond', { ...changes, ms: undefined });
  } finally {
    await tmux.cmd('kill-server').catch(() => undefined);
    await cluster.down();
  }
}

export const viewBenchmark: Benchmark = {
  name: 'view',
  summary: 'kubectl virt view in tmux: first full frame, a change on screen, draw time under 50 changes/s',
  boundMs: { quick: 2 * 60_000, full: 3 * 60_000 },
  run: (ctx) => (ctx.quick ? measure(ctx, 3, 5) : measure(ctx, 10, 10)),
};
