// kubectl virt against kubectl on the same cluster, in the same run (DESIGN.md target: list within
// 1.5x of `kubectl get vms` with 100 VMs). A fresh local cluster (dist/local-cluster.js, 1 node,
// no tsvirt components: listing needs only the API server), 100 VMs in namespace `bench`, then
// interleaved runs of each pair, so load on the machine hits both sides alike:
//   kubectl virt list -n bench        vs  kubectl get vms -n bench
//   kubectl virt version --client     vs  kubectl version --client
// Both go through the same kubectl binary (kubectl finds kubectl-virt on PATH), so the plugin side
// includes kubectl's own start and its exec of the plugin, as a user sees it.
// Usage: npx tsx bench/cli/startup.ts [--runs 20] [--vms 100]. Needs `npm run build` first.
// TSVIRT_CLI_BIN_DIR points at another build of kubectl-virt (default dist/bin).
// Prints the medians and writes bench/results/cli.json. Everything it starts it stops.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION, VM_KIND } from '../../api/names.js';
import type { ClusterInfo } from '../../cluster/local-cluster.js';

const REPO = join(import.meta.dirname, '..', '..');
const NODE_BIN = join(REPO, 'node_modules/.bin/node');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, vms: { type: 'string', default: '100' } },
});
const RUNS = Number(values.runs);
const VMS = Number(values.vms);

function run(command: string, args: readonly string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`)),
    );
    child.stdin.end(input);
  });
}

function vmList(n: number): string {
  const items = Array.from({ length: n }, (_, i) => ({
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name: `vm-${String(i).padStart(3, '0')}`, labels: { bench: 'cli' } },
    spec: { runStrategy: 'Halted', template: { spec: { domain: { memory: { guest: '32Mi' }, devices: {} } } } },
  }));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** Wall time of one command in ms; it must succeed and print something on stdout. */
function timed(cmd: readonly string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0] ?? '', cmd.slice(1), { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 || r.stdout === '') throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const round = (x: number): number => Math.round(x * 10) / 10;

type Pair = Readonly<{ name: string; ours: readonly string[]; theirs: readonly string[] }>;

function measure(
  pairs: readonly Pair[],
  env: NodeJS.ProcessEnv,
): Record<string, { oursMs: number[]; theirsMs: number[] }> {
  const out: Record<string, { oursMs: number[]; theirsMs: number[] }> = {};
  for (const p of pairs) {
    out[p.name] = { oursMs: [], theirsMs: [] };
    // Warm-up: kubectl's discovery cache, the V8 compile cache, the page cache.
    for (let i = 0; i < 2; i += 1) {
      timed(p.ours, env);
      timed(p.theirs, env);
    }
  }
  for (let i = 0; i < RUNS; i += 1) {
    for (const p of pairs) {
      // Alternate which side goes first, so neither always runs right after the other.
      const [first, second] = i % 2 === 0 ? [p.ours, p.theirs] : [p.theirs, p.ours];
      const a = timed(first, env);
      const b = timed(second, env);
      out[p.name]?.oursMs.push(i % 2 === 0 ? a : b);
      out[p.name]?.theirsMs.push(i % 2 === 0 ? b : a);
    }
  }
  return out;
}

function startupTrace(env: NodeJS.ProcessEnv): string[] {
  const r = spawnSync('kubectl', ['virt', 'list', '-n', 'bench'], {
    env: { ...env, TSVIRT_STARTUP_TRACE: '1' },
    encoding: 'utf8',
  });
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('[startup]'))
    .map((l) => l.replace('[startup] ', ''));
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'tsvirt-bench-cli-'));
  const localCluster = join(REPO, 'dist', 'local-cluster.js');
  try {
    await run(NODE_BIN, [localCluster, 'up', `--state-dir=${stateDir}`, '--nodes=1']);
    const info = JSON.parse(await readFile(join(stateDir, 'cluster.json'), 'utf8')) as ClusterInfo;
    const binDir = process.env['TSVIRT_CLI_BIN_DIR'] ?? join(REPO, 'dist', 'bin');
    // Its own HOME, so kubectl's discovery cache starts empty and is warmed by the warm-up runs.
    const home = join(stateDir, 'home');
    const env = {
      ...process.env,
      HOME: home,
      KUBECONFIG: info.kubeconfig,
      PATH: [binDir, dirname(info.kubectl), process.env['PATH'] ?? ''].join(delimiter),
    };
    await run(info.kubectl, [`--kubeconfig=${info.kubeconfig}`, 'create', 'namespace', 'bench']);
    await run(info.kubectl, [`--kubeconfig=${info.kubeconfig}`, 'create', '-n', 'bench', '-f', '-'], vmList(VMS));
    const loadBefore = loadavg()[0] ?? 0;
    const results = measure(
      [
        {
          name: 'list',
          ours: ['kubectl', 'virt', 'list', '-n', 'bench'],
          theirs: ['kubectl', 'get', 'vms', '-n', 'bench'],
        },
        {
          name: 'versionClient',
          ours: ['kubectl', 'virt', 'version', '--client'],
          theirs: ['kubectl', 'version', '--client'],
        },
      ],
      env,
    );
    const summary = Object.fromEntries(
      Object.entries(results).map(([name, r]) => {
        const ours = median(r.oursMs);
        const theirs = median(r.theirsMs);
        return [
          name,
          {
            oursMedianMs: round(ours),
            kubectlMedianMs: round(theirs),
            ratio: Number((ours / theirs).toFixed(2)),
            oursMs: r.oursMs.map(round),
            kubectlMs: r.theirsMs.map(round),
          },
        ];
      }),
    );
    const report = {
      measuredAt: new Date().toISOString(),
      // Other work on the machine slows Node's start more than kubectl's: read ratios with it.
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? 'unknown',
        loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0] ?? 0) },
      },
      runs: RUNS,
      vms: VMS,
      commands: {
        list: 'kubectl virt list -n bench vs kubectl get vms -n bench',
        versionClient: 'kubectl virt version --client vs kubectl version --client',
      },
      target: { list: 'ratio <= 1.5' },
      ...summary,
      startupTraceOfOneList: startupTrace(env),
    };
    await writeFile(join(REPO, 'bench', 'results', 'cli.json'), JSON.stringify(report, null, 2) + '\n');
    for (const [name, s] of Object.entries(summary))
      process.stdout.write(
        `${name}: kubectl virt ${s.oursMedianMs} ms, kubectl ${s.kubectlMedianMs} ms, ratio ${s.ratio}\n`,
      );
  } finally {
    await run(NODE_BIN, [localCluster, 'down', `--state-dir=${stateDir}`]).catch((err: unknown) =>
      process.stderr.write(`${String(err)}\n`),
    );
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
