// dist/local-cluster.js: `up`, `down`, `status` and `sync` for the local cluster; cluster/*.sh call it.
// Results go to stdout, progress and warnings to stderr; exit 0 ok, 1 failed, 2 usage.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { syncComponents } from './components.js';
import {
  PRIVATE_LIBVIRT,
  REPO_ROOT,
  clusterStatus,
  isClusterUp,
  readCluster,
  startCluster,
  stopCluster,
  type ClusterInfo,
} from './local-cluster.js';

const USAGE = `usage: local-cluster <command> [flags]
  up      [--nodes N] [--ha] [--state-dir D] [--bin-dir B] [--libvirt NODE[=URI]]... [--kubelet-bin-dir K]
          --kubelet-bin-dir K: real nodes (a containerd and a kubelet each, from K; needs root) instead of node agents
          --libvirt NODE (no URI): NODE gets a real private libvirtd started with the cluster (needs root)
  down    [--state-dir D] [--strict]   --strict: exit 1 when stray processes had to be killed
  status  [--state-dir D]
  sync    [--state-dir D]     (re)start virt-controller and one virt-handler per node
State folder default: <repo>/.cluster. Without --bin-dir, cluster/controlplane/build.sh builds or reuses the binaries.`;

const OPTIONS = {
  nodes: { type: 'string' },
  ha: { type: 'boolean' },
  'state-dir': { type: 'string' },
  'bin-dir': { type: 'string' },
  libvirt: { type: 'string', multiple: true },
  'kubelet-bin-dir': { type: 'string' },
  strict: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

const err = (line: string): void => void process.stderr.write(`${line}\n`);
const out = (line: string): void => void process.stdout.write(`${line}\n`);

async function controlPlaneBinDir(): Promise<string> {
  const script = join(REPO_ROOT, 'cluster', 'controlplane', 'build.sh');
  const child = promisify(execFile)(script, [], { maxBuffer: 1 << 20 });
  // build.sh reports progress on stderr; pass it through while a cold build runs.
  child.child.stderr?.pipe(process.stderr);
  const { stdout } = await child;
  const last = stdout.trim().split('\n').pop();
  if (last === undefined || last === '') throw new Error('cluster/controlplane/build.sh printed no bin folder');
  return last;
}

function parseLibvirt(pairs: readonly string[]): Record<string, string> {
  const uris: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === 0 || pair === '') throw new UsageError(`--libvirt wants NODE or NODE=URI, got ${pair}`);
    if (eq < 0) uris[pair] = PRIVATE_LIBVIRT;
    else uris[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return uris;
}

function parseNodes(value: string | undefined): number {
  const nodes = Number(value ?? '1');
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > 50)
    throw new UsageError(`--nodes wants a whole number 0..50, got ${value}`);
  return nodes;
}

function printSummary(info: ClusterInfo): void {
  out(
    `Cluster ready in ${((info.readyMs ?? 0) / 1000).toFixed(1)} s at ${info.server}${info.ha ? ' (HAProxy in front of 2 API servers)' : ''}`,
  );
  out(`  kubeconfig: ${info.kubeconfig}`);
  out(`  nodes:      ${info.nodes.map((n) => n.name).join(', ') || '(none)'}`);
  out(`  state:      ${info.stateDir}`);
}

type Flags = {
  nodes?: string;
  ha?: boolean;
  strict?: boolean;
  'state-dir'?: string;
  'bin-dir'?: string;
  libvirt?: string[];
  'kubelet-bin-dir'?: string;
};

async function up(flags: Flags, stateDir: string): Promise<number> {
  const nodes = parseNodes(flags.nodes);
  const libvirtUris = parseLibvirt(flags.libvirt ?? []);
  const existing = await readCluster(stateDir);
  if (existing !== undefined && (await isClusterUp(existing))) {
    out(`Cluster already running at ${existing.server} (state ${existing.stateDir}); nothing to do`);
    out(`  kubeconfig: ${existing.kubeconfig}`);
    return 0;
  }
  if (existing !== undefined) {
    err('Found a stopped or broken cluster in the state folder; cleaning it up first');
    await stopCluster(stateDir);
  }
  const binDir = flags['bin-dir'] ?? (await controlPlaneBinDir());
  // Ctrl-C during start-up stops what was started so far instead of leaving it half up.
  const abort = (): void => {
    err('Interrupted; stopping what was started');
    void stopCluster(stateDir).finally(() => process.exit(130));
  };
  process.once('SIGINT', abort).once('SIGTERM', abort);
  const kubeletBinDir = flags['kubelet-bin-dir'];
  const info = await startCluster({
    stateDir,
    binDir,
    nodes,
    ha: flags.ha === true,
    libvirtUris,
    log: err,
    ...(kubeletBinDir === undefined ? {} : { kubeletBinDir }),
  });
  process.off('SIGINT', abort).off('SIGTERM', abort);
  printSummary(info);
  return 0;
}

async function down(stateDir: string, strict: boolean): Promise<number> {
  const report = await stopCluster(stateDir);
  if (report.stopped.length === 0) out(`No cluster recorded in ${stateDir}`);
  for (const s of report.stopped) out(`${s.name}: ${s.outcome}`);
  for (const s of report.strays) err(`warning: killed stray process ${s.pid} (${s.cmdline})`);
  return strict && report.strays.length > 0 ? 1 : 0;
}

async function status(stateDir: string): Promise<number> {
  const info = await readCluster(stateDir);
  if (info === undefined) {
    out(`No cluster in ${stateDir}`);
    return 1;
  }
  const s = await clusterStatus(info);
  out(`API ${info.server}: ${s.apiReady === true ? 'ready' : `not ready (${s.apiReady})`}`);
  for (const p of [...s.processes, ...s.components])
    out(`${p.name} (pid ${p.pid}): ${p.running ? 'running' : 'not running'}`);
  return s.apiReady === true && s.processes.every((p) => p.running) && s.components.every((p) => p.running) ? 0 : 1;
}

async function sync(stateDir: string): Promise<number> {
  const info = await readCluster(stateDir);
  if (info === undefined || !(await isClusterUp(info))) {
    err(`No running cluster in ${stateDir}: run cluster/up.sh first`);
    return 1;
  }
  const report = await syncComponents(info);
  for (const s of report.skipped) err(`skipped: ${s}`);
  for (const c of report.started) out(`${c.name}: started (pid ${c.pid}, log ${c.logFile})`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined) {
    out(USAGE);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  return run(command, values);
}

function run(command: string, values: Flags): Promise<number> {
  const stateDir = resolve(values['state-dir'] ?? join(REPO_ROOT, '.cluster'));
  switch (command) {
    case 'up':
      return up(values, stateDir);
    case 'down':
      return down(stateDir, values.strict === true);
    case 'status':
      return status(stateDir);
    case 'sync':
      return sync(stateDir);
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
  err(`local-cluster: ${e instanceof Error ? e.message : String(e)}`);
  if (usage) err(USAGE);
  process.exitCode = usage ? 2 : 1;
}
