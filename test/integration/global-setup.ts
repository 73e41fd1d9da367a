// jest globalSetup of the integration tier: builds the bundles and the control plane (or reuses
// them), starts one real cluster with two nodes in a temporary folder on free ports, and hands its
// cluster.json to the tests through TSVIRT_TEST_CLUSTER.
// It drives dist/local-cluster.js, the same code path as cluster/up.sh: jest loads globalSetup as
// CommonJS without the project's module mapping, so it imports nothing of ours.
// TSVIRT_TEST_CLUSTER already set: reuse that running cluster (a dev loop over cluster/up.sh's);
// global-teardown then leaves it alone. TSVIRT_TEST_NODES overrides the node count (default 2);
// TSVIRT_TEST_HA=1 runs the whole tier against two API servers behind HAProxy.
// TSVIRT_KEEP_CLUSTER=1 keeps the state folder (logs, kubeconfig) for a post-mortem.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Read by test/harness: the path of the test cluster's cluster.json. */
export const CLUSTER_ENV = 'TSVIRT_TEST_CLUSTER';
/**
 * globalSetup and globalTeardown run in the same jest process; the teardown finds what to stop
 * here, because jest loads both files as CommonJS where they cannot import each other.
 */
export const TEARDOWN_KEY = Symbol.for('tsvirt.integration.teardown');

// jest's rootDir is the repository root, and jest runs there.
const REPO = resolve(process.cwd());
const NODE = join(REPO, 'node_modules', '.bin', 'node');
const LOCAL_CLUSTER = join(REPO, 'dist', 'local-cluster.js');

/** Runs a command with stdout and stderr passed through. */
function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, [...args], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited ${code}`))));
  });
}

const STATE_PREFIX = 'tsvirt-it-';
const OWNER_FILE = 'owner.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Clusters of earlier runs whose jest process is gone (interrupted before its teardown) are
 * stopped and removed; clusters of runs still going (another checkout, another helper) are left alone.
 */
async function reapOrphans(): Promise<void> {
  for (const entry of await readdir(tmpdir())) {
    if (!entry.startsWith(STATE_PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    const owner = Number((await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
    process.stderr.write(`integration: stopping the cluster an interrupted run left in ${dir}\n`);
    await run(NODE, [LOCAL_CLUSTER, 'down', `--state-dir=${dir}`]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function globalSetup(): Promise<void> {
  process.stderr.write('\n');
  await run('npm', ['run', '--silent', 'build']);
  const preset = process.env[CLUSTER_ENV];
  if (preset !== undefined && preset !== '') {
    await run(NODE, [LOCAL_CLUSTER, 'status', `--state-dir=${join(preset, '..')}`]);
    return;
  }
  await reapOrphans();
  const stateDir = await mkdtemp(join(tmpdir(), STATE_PREFIX));
  await writeFile(join(stateDir, OWNER_FILE), `${process.pid}\n`);
  // Registered before the start, so teardown stops a half-started cluster too.
  (globalThis as Record<symbol, unknown>)[TEARDOWN_KEY] = () => stopOwnedCluster(stateDir);
  const ha = process.env['TSVIRT_TEST_HA'] === '1' ? ['--ha'] : [];
  await run(NODE, [
    LOCAL_CLUSTER,
    'up',
    `--state-dir=${stateDir}`,
    `--nodes=${process.env['TSVIRT_TEST_NODES'] ?? '2'}`,
    ...ha,
  ]);
  process.env[CLUSTER_ENV] = join(stateDir, 'cluster.json');
}

/**
 * Stops the cluster; `down --strict` fails when any process that carried the cluster's marker had
 * to be killed (a component a test did not stop, a launcher an agent left behind), and so does this.
 */
async function stopOwnedCluster(stateDir: string): Promise<void> {
  try {
    await run(NODE, [LOCAL_CLUSTER, 'down', `--state-dir=${stateDir}`, '--strict']);
  } catch (err) {
    throw new Error(
      `integration: processes were left running after the tests and had to be killed; state kept in ${stateDir}`,
      { cause: err },
    );
  }
  if (process.env['TSVIRT_KEEP_CLUSTER'] === '1')
    process.stderr.write(`integration: cluster state kept in ${stateDir}\n`);
  else await rm(stateDir, { recursive: true, force: true });
}
