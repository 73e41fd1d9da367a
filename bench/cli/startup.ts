// `cli`: kubectl virt against kubectl on the same cluster (DESIGN.md targets, 100 VMs): a fresh local
// cluster (no nodes, no tsvirt components: listing needs only the API server), 100 VMs in namespace
// `bench`, then interleaved runs of every command, rotating which goes first, so load on the machine
// hits all alike:
//   kubectl-virt list (run directly)   vs  kubectl get vms                      (goal ≤ 1.0×)
//   kubectl virt list (kubectl's dispatch) vs  kubectl noop + kubectl get vms   (goal ≤ 1.0×)
//   kubectl virt version --client      vs  kubectl version --client
// `kubectl noop` is kubectl dispatching a plugin that exits 0 at once: the floor of any plugin.
// TSVIRT_CLI_BIN_DIR points at another build of kubectl-virt (default dist/bin).
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { API_VERSION, VM_KIND } from '../../api/names.js';
import { REPO, run, upCluster } from '../bench-processes.js';
import type { Benchmark, BenchContext } from '../runner.js';

function vmList(n: number): string {
  const items = Array.from({ length: n }, (_, i) => ({
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name: `vm-${String(i).padStart(3, '0')}`, labels: { bench: 'cli' } },
    spec: { runStrategy: 'Halted', template: { spec: { domain: { memory: { guest: '32Mi' }, devices: {} } } } },
  }));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** Wall time of one command in ms; it must succeed (and, unless `quiet`, print something on stdout). */
function timed(cmd: readonly string[], env: NodeJS.ProcessEnv, quiet = false): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0] ?? '', cmd.slice(1), { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 || (!quiet && r.stdout === ''))
    throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const COMMANDS = {
  direct: ['kubectl-virt', 'list', '-n', 'bench'],
  getVms: ['kubectl', 'get', 'vms', '-n', 'bench'],
  plugin: ['kubectl', 'virt', 'list', '-n', 'bench'],
  noop: ['kubectl', 'noop'],
  virtVersion: ['kubectl', 'virt', 'version', '--client'],
  kubectlVersion: ['kubectl', 'version', '--client'],
} as const;
type Name = keyof typeof COMMANDS;

/** Every command `runs` times, in an order that rotates each round; two warm-up rounds first. */
function measure(ctx: BenchContext, runs: number, env: NodeJS.ProcessEnv): Record<Name, number[]> {
  const names = Object.keys(COMMANDS) as Name[];
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  // Warm-up: kubectl's discovery cache, the V8 compile cache, the page cache.
  for (let i = 0; i < 2; i++) for (const n of names) timed(COMMANDS[n], env, n === 'noop');
  for (let i = 0; i < runs; i++) {
    ctx.progress(`round ${i + 1}/${runs}`);
    for (let j = 0; j < names.length; j++) {
      const n = names[(i + j) % names.length] ?? 'direct';
      out[n].push(timed(COMMANDS[n], env, n === 'noop'));
    }
  }
  return out;
}

async function measureCli(ctx: BenchContext, runs: number, vms: number): Promise<void> {
  ctx.progress('a local cluster (control plane only)');
  const cluster = await upCluster('cli', ['--nodes=0']);
  try {
    const { info, state } = cluster;
    const binDir = process.env['TSVIRT_CLI_BIN_DIR'] ?? join(REPO, 'dist', 'bin');
    const noopDir = join(state, 'noop-plugin');
    await mkdir(noopDir, { recursive: true });
    await writeFile(join(noopDir, 'kubectl-noop'), '#!/bin/sh\nexit 0\n');
    await chmod(join(noopDir, 'kubectl-noop'), 0o755);
    // Its own HOME, so kubectl's discovery cache starts empty and is warmed by the warm-up runs.
    const env = {
      ...process.env,
      HOME: join(state, 'home'),
      KUBECONFIG: info.kubeconfig,
      PATH: [binDir, noopDir, dirname(info.kubectl), process.env['PATH'] ?? ''].join(delimiter),
    };
    await run(info.kubectl, [`--kubeconfig=${info.kubeconfig}`, 'create', 'namespace', 'bench']);
    await run(info.kubectl, [`--kubeconfig=${info.kubeconfig}`, 'create', '-n', 'bench', '-f', '-'], {
      input: vmList(vms),
    });
    const ms = measure(ctx, runs, env);
    ctx.detail('samplesMs', ms);
    const floor = ms.noop.map((x, i) => x + (ms.getVms[i] ?? NaN));
    ctx.report({
      name: `kubectl-virt list run directly, ${vms} VMs`,
      unit: 'ms',
      samples: ms.direct,
      baseline: { name: 'kubectl get vms', samples: ms.getVms },
      target: { of: 'ratio', max: 1.0 },
    });
    ctx.report({
      name: `kubectl virt list (through kubectl), ${vms} VMs`,
      unit: 'ms',
      samples: ms.plugin,
      baseline: { name: 'kubectl noop + kubectl get vms', samples: floor },
      target: { of: 'ratio', max: 1.0 },
    });
    ctx.report({ name: 'kubectl noop (dispatch of a plugin that exits 0)', unit: 'ms', samples: ms.noop });
    ctx.report({
      name: 'kubectl virt version --client',
      unit: 'ms',
      samples: ms.virtVersion,
      baseline: { name: 'kubectl version --client', samples: ms.kubectlVersion },
    });
    const trace = spawnSync('kubectl-virt', ['list', '-n', 'bench'], {
      env: { ...env, TSVIRT_STARTUP_TRACE: '1' },
      encoding: 'utf8',
    });
    ctx.detail(
      'startupTraceOfOneList',
      trace.stderr.split('\n').filter((l) => l.startsWith('[startup]')),
    );
  } finally {
    await cluster.down();
  }
}

export const cliBenchmark: Benchmark = {
  name: 'cli',
  summary: 'kubectl virt list against kubectl get vms and a no-op plugin, 100 VMs, interleaved',
  boundMs: { quick: 2 * 60_000, full: 4 * 60_000 },
  run: (ctx) => measureCli(ctx, ctx.quick ? 5 : 20, 100),
};
