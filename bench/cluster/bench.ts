// `cluster`: the local cluster's own numbers (issue 4, item 7): warm `cluster/up.sh` to ready (goal
// <= 15 s on 2 cores), `cluster/down.sh`, the control plane's idle RSS, and build.sh with its
// binaries cached. Each run in its own state folder (TSVIRT_CLUSTER_DIR), taken down at the end.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ClusterInfo } from '../../cluster/local-cluster.js';
import { memoryMiB, run } from '../bench-processes.js';
import type { Benchmark, BenchContext } from '../runner.js';

const NODES = 1;

/** Runs a repository script to completion with extra environment; how long it took. */
async function timed(command: string, args: readonly string[], env: Record<string, string>): Promise<{ ms: number }> {
  const t0 = performance.now();
  await run(command, args, { env: { ...process.env, ...env } });
  return { ms: Math.round(performance.now() - t0) };
}

type Run = {
  run: number;
  upMs: number;
  readyMs: number;
  downMs: number;
  idleRssMiB: Record<string, number>;
  idleRssTotalMiB: number;
};

async function oneRun(run: number, settleSeconds: number): Promise<Run> {
  const state = await mkdtemp(join(tmpdir(), 'tsvirt-bench-cluster-'));
  const env = { TSVIRT_CLUSTER_DIR: state };
  try {
    const up = await timed('cluster/up.sh', [`--nodes=${NODES}`], env);
    const info = JSON.parse(await readFile(join(state, 'cluster.json'), 'utf8')) as ClusterInfo;
    // Idle means after start-up work (informer lists, leader election, CRD establishment) has settled.
    await delay(settleSeconds * 1000);
    const idleRssMiB: Record<string, number> = {};
    for (const p of info.processes)
      idleRssMiB[p.name] = Math.round((await memoryMiB(p.pid).catch(() => ({ rss: 0 }))).rss * 10) / 10;
    const down = await timed('cluster/down.sh', [], env);
    const idleRssTotalMiB = Math.round(Object.values(idleRssMiB).reduce((a, b) => a + b, 0));
    return { run, upMs: up.ms, readyMs: info.readyMs ?? 0, downMs: down.ms, idleRssMiB, idleRssTotalMiB };
  } finally {
    await timed('cluster/down.sh', [], env).catch(() => undefined);
    await rm(state, { recursive: true, force: true });
  }
}

async function measure(ctx: BenchContext, runs: number, settleSeconds: number): Promise<void> {
  // Warm: the binaries and bundles exist before the first timed up.sh.
  ctx.progress('build.sh with its binaries cached');
  const reuse = await timed('cluster/controlplane/build.sh', [], {});
  const results: Run[] = [];
  for (let i = 1; i <= runs; i++) {
    ctx.progress(`up.sh, idle ${settleSeconds} s, down.sh: run ${i}/${runs}`);
    results.push(await oneRun(i, settleSeconds));
  }
  ctx.detail('runs', results);
  ctx.report({
    name: `warm cluster/up.sh to ready, ${NODES} node`,
    unit: 'ms',
    samples: results.map((r) => r.upMs),
    target: { of: 'median', max: 15_000 },
  });
  ctx.report({ name: 'of which startCluster', unit: 'ms', samples: results.map((r) => r.readyMs) });
  ctx.report({ name: 'cluster/down.sh', unit: 'ms', samples: results.map((r) => r.downMs) });
  ctx.report({
    name: 'control plane and node agent, idle RSS total',
    unit: 'MiB',
    samples: results.map((r) => r.idleRssTotalMiB),
    note: JSON.stringify(results[0]?.idleRssMiB ?? {}),
  });
  ctx.report({ name: 'build.sh with the binaries cached', unit: 'ms', samples: [reuse.ms] });
}

export const clusterBenchmark: Benchmark = {
  name: 'cluster',
  summary: 'the local cluster: warm up.sh to ready, down.sh, idle RSS',
  boundMs: { quick: 1 * 60_000, full: 2 * 60_000 },
  run: (ctx) => (ctx.quick ? measure(ctx, 1, 5) : measure(ctx, 3, 10)),
};
