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
// Usage: npx tsx bench/view/view.ts [--runs 10] [--seconds 10]. Needs `npm run build` and tmux.
// Prints the figures and writes bench/results/view.json. Everything it starts it stops.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { API_VERSION, VM_KIND, VM_PLURAL } from '../../api/names.js';
import type { ClusterInfo } from '../../cluster/local-cluster.js';
import { connect } from '../../cli/connection.js';
import { mergePatch } from '../../kube/lean-resources.js';
import { NODE_BIN, REPO, percentile, run, until } from '../bench-processes.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, seconds: { type: 'string', default: '10' } },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
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

async function underChanges(tmux: Tmux, env: readonly string[], info: ClusterInfo, trace: string) {
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
  const p = (xs: readonly number[], q: number): number =>
    Number(
      (
        percentile(
          xs.map((x) => x * 100),
          q,
        ) / 100
      ).toFixed(2),
    );
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
  };
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'tsvirt-bench-view-'));
  const localCluster = join(REPO, 'dist', 'local-cluster.js');
  const tmux = new Tmux(join(stateDir, 'tmux.sock'));
  try {
    await run(NODE_BIN, [localCluster, 'up', `--state-dir=${stateDir}`, '--nodes=1']);
    const info = JSON.parse(await readFile(join(stateDir, 'cluster.json'), 'utf8')) as ClusterInfo;
    const path = [join(REPO, 'dist', 'bin'), dirname(info.kubectl), process.env['PATH'] ?? ''].join(delimiter);
    const env = [`KUBECONFIG=${info.kubeconfig}`, `PATH=${path}`, 'TERM=xterm-256color', `HOME=${stateDir}`];
    for (const [ns, n] of [
      ['bench100', 100],
      ['bench1000', 1000],
    ] as const) {
      await kubectlIn(info, ['create', 'namespace', ns], '');
      await kubectlIn(info, ['create', '-n', ns, '-f', '-'], vmList(n));
    }
    const loadBefore = loadavg()[0] ?? 0;
    const kubectlEnv = { ...process.env, KUBECONFIG: info.kubeconfig, PATH: path, HOME: stateDir };
    kubectlGetMs(kubectlEnv); // warm-up: kubectl's discovery cache
    await firstFullFrame(tmux, env); // warm-up: the page cache and the compile cache
    const firstFrameMs: number[] = [];
    const getMs: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      firstFrameMs.push(await firstFullFrame(tmux, env));
      getMs.push(kubectlGetMs(kubectlEnv));
    }
    const latency = await changeLatency(tmux, env, info, RUNS);
    const changes = await underChanges(tmux, env, info, join(stateDir, 'trace'));
    const report = {
      measuredAt: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? 'unknown',
        loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number((loadavg()[0] ?? 0).toFixed(2)) },
      },
      firstFullFrame100Vms: {
        runs: RUNS,
        medianMs: percentile(firstFrameMs, 50),
        p95Ms: percentile(firstFrameMs, 95),
        kubectlGetVmsMedianMs: percentile(getMs, 50),
        ms: firstFrameMs.map(Math.round),
      },
      changeOnScreen100Vms: {
        goal: 'within 1000 ms',
        medianMs: percentile(latency, 50),
        maxMs: Math.round(Math.max(...latency)),
      },
      updates1000Vms50PerSecond: { ...changes, goal: 'framesPerSecond <= 10' },
    };
    await writeFile(join(REPO, 'bench', 'results', 'view.json'), JSON.stringify(report, null, 2) + '\n');
    const f = report.firstFullFrame100Vms;
    process.stdout.write(
      `start → first full frame, 100 VMs: median ${f.medianMs} ms, P95 ${f.p95Ms} ms (kubectl get vms: ${f.kubectlGetVmsMedianMs} ms)\n` +
        `a status patch → on screen: median ${report.changeOnScreen100Vms.medianMs} ms, max ${report.changeOnScreen100Vms.maxMs} ms\n` +
        `1000 VMs, ${changes.changesSent} changes in ${changes.seconds} s: ${changes.frames} frames (${changes.framesPerSecond}/s), ` +
        `draw time P50 ${changes.drawMs.p50} ms, P95 ${changes.drawMs.p95} ms, max ${changes.drawMs.max} ms ` +
        `(ink's part P50 ${changes.inkMs.p50} ms)\n`,
    );
  } finally {
    await tmux.cmd('kill-server').catch(() => undefined);
    await run(NODE_BIN, [localCluster, 'down', `--state-dir=${stateDir}`]).catch((err: unknown) =>
      process.stderr.write(`${String(err)}\n`),
    );
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
