// The local cluster's own numbers (issue 4, item 7): warm `cluster/up.sh` to ready (goal <= 15 s on
// 2 cores), `cluster/down.sh`, the control plane's idle RSS, and, with --rebuild, how long
// build.sh takes to rebuild the binaries when only Go's build cache is warm. Medians of --runs runs.
// --cold also times a build with an empty Go build cache (modules already downloaded): ~5 minutes.
// Usage: npx tsx bench/cluster/bench.ts [--runs 3] [--nodes N] [--ha] [--rebuild] [--cold] [--settle-seconds 10]
// Writes bench/results/cluster.json and bench/results/cluster.md.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { existsSync } from 'node:fs';
import type { ClusterInfo } from '../../cluster/local-cluster.js';

const REPO = join(import.meta.dirname, '..', '..');
const exec = promisify(execFile);

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    nodes: { type: 'string' },
    ha: { type: 'boolean', default: false },
    rebuild: { type: 'boolean', default: false },
    cold: { type: 'boolean', default: false },
    'settle-seconds': { type: 'string', default: '10' },
  },
});
// Node agents only once their bundle exists; the control plane alone otherwise, and the results say which.
const nodes = Number(values.nodes ?? (existsSync(join(REPO, 'dist', 'node-agent.js')) ? '1' : '0'));

function timed(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ ms: number; output: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, [...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Math.round(performance.now() - t0);
      if (code === 0) resolve({ ms, output });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`));
    });
  });
}

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : Math.round(((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2);
};

type Run = {
  run: number;
  upMs: number;
  readyMs: number;
  downMs: number;
  idleRssMiB: Record<string, number>;
  idleRssTotalMiB: number;
};

async function oneRun(run: number): Promise<Run> {
  const state = await mkdtemp(join(tmpdir(), 'tsvirt-bench-cluster-'));
  const env = { TSVIRT_CLUSTER_DIR: state };
  try {
    const up = await timed('cluster/up.sh', [`--nodes=${nodes}`, ...(values.ha ? ['--ha'] : [])], env);
    const info = JSON.parse(await readFile(join(state, 'cluster.json'), 'utf8')) as ClusterInfo;
    // Idle means after start-up work (informer lists, leader election, CRD establishment) has settled.
    await delay(Number(values['settle-seconds']) * 1000);
    const idleRssMiB: Record<string, number> = {};
    for (const p of info.processes) idleRssMiB[p.name] = Math.round((await rssKiB(p.pid)) / 102.4) / 10;
    const down = await timed('cluster/down.sh', [], env);
    const idleRssTotalMiB = Math.round(Object.values(idleRssMiB).reduce((a, b) => a + b, 0));
    return { run, upMs: up.ms, readyMs: info.readyMs ?? 0, downMs: down.ms, idleRssMiB, idleRssTotalMiB };
  } finally {
    await timed('cluster/down.sh', [], env).catch(() => undefined);
    await rm(state, { recursive: true, force: true });
  }
}

/**
 * build.sh into an empty cache folder. Warm: Go's own build cache is kept, so this is a rebuild
 * (compile results reused, five binaries linked). Cold: an empty Go build cache too.
 */
async function buildMs(goCache: 'warm' | 'cold'): Promise<number> {
  const { stdout: gocache } = await exec('go', ['env', 'GOCACHE']);
  const { stdout: gomodcache } = await exec('go', ['env', 'GOMODCACHE']);
  const cache = await mkdtemp(join(tmpdir(), 'tsvirt-bench-build-'));
  try {
    const env = {
      XDG_CACHE_HOME: cache,
      GOCACHE: goCache === 'warm' ? gocache.trim() : join(cache, 'go-build'),
      GOMODCACHE: gomodcache.trim(),
    };
    return (await timed('cluster/controlplane/build.sh', [], env)).ms;
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // Warm: the binaries and bundles exist before the first timed up.sh.
  const reuse = await timed('cluster/controlplane/build.sh', [], {});
  await timed('npm', ['run', '--silent', 'build'], {});
  const runs: Run[] = [];
  for (let i = 1; i <= Number(values.runs); i++) {
    runs.push(await oneRun(i));
    process.stderr.write(
      `run ${i}: up.sh ${runs[i - 1]?.upMs} ms (ready ${runs[i - 1]?.readyMs} ms), down.sh ${runs[i - 1]?.downMs} ms, idle RSS ${runs[i - 1]?.idleRssTotalMiB} MiB\n`,
    );
  }
  const rebuild = values.rebuild ? await buildMs('warm') : undefined;
  const cold = values.cold ? await buildMs('cold') : undefined;
  const summary = {
    upToReadyMs: median(runs.map((r) => r.upMs)),
    clusterReadyMs: median(runs.map((r) => r.readyMs)),
    downMs: median(runs.map((r) => r.downMs)),
    idleRssTotalMiB: median(runs.map((r) => r.idleRssTotalMiB)),
    upGoalMs: 15_000,
    upWithinGoal: median(runs.map((r) => r.upMs)) <= 15_000,
    buildShReuseMs: reuse.ms,
    ...(rebuild === undefined ? {} : { rebuildWarmGoCacheMs: rebuild }),
    ...(cold === undefined ? {} : { coldBuildMs: cold }),
  };
  const result = {
    measuredAt: new Date().toISOString(),
    host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '' },
    nodes,
    ha: values.ha,
    summary,
    runs,
  };
  await writeFile(join(REPO, 'bench', 'results', 'cluster.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(REPO, 'bench', 'results', 'cluster.md'), markdown(result.measuredAt, summary, runs));
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

function markdown(at: string, s: Record<string, number | boolean>, runs: readonly Run[]): string {
  const names = Object.keys(runs[0]?.idleRssMiB ?? {});
  return [
    `# Local cluster (${at}, ${cpus().length} cores, ${nodes} node${nodes === 1 ? '' : 's'}${values.ha ? ', HA' : ''})`,
    '',
    'Reproduce: `npx tsx bench/cluster/bench.ts' +
      (values.rebuild ? ' --rebuild' : '') +
      (values.cold ? ' --cold' : '') +
      '`. Medians of ' +
      String(runs.length) +
      ' runs.',
    '',
    '| what | median | goal |',
    '|---|---|---|',
    `| warm \`cluster/up.sh\` to ready | ${s['upToReadyMs']} ms | <= 15000 ms |`,
    `| of which startCluster (ports, PKI, processes, CRDs, nodes Ready, leaders) | ${s['clusterReadyMs']} ms | |`,
    `| \`cluster/down.sh\` | ${s['downMs']} ms | |`,
    `| control plane and node agents, idle RSS total | ${s['idleRssTotalMiB']} MiB | |`,
    `| build.sh with the binaries cached | ${s['buildShReuseMs']} ms | seconds |`,
    ...(s['rebuildWarmGoCacheMs'] === undefined
      ? []
      : [`| build.sh rebuild, Go build cache warm | ${s['rebuildWarmGoCacheMs']} ms | |`]),
    ...(s['coldBuildMs'] === undefined
      ? []
      : [`| build.sh cold, empty Go build cache | ${s['coldBuildMs']} ms | once |`]),
    '',
    '| process | idle RSS MiB (run 1) |',
    '|---|---|',
    ...names.map((n) => `| ${n} | ${runs[0]?.idleRssMiB[n]} |`),
    '',
  ].join('\n');
}

await main();
