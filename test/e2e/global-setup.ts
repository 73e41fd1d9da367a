// jest globalSetup of the e2e tier: builds the bundles and the tiny guest (or finds them up to
// date), starts one real cluster in a temporary folder whose node-1 is served by a private
// libvirtd (`local-cluster up --libvirt=node-1`, the code path of `cluster/up.sh --libvirt`), and
// hands its cluster.json to the tests through TSVIRT_TEST_CLUSTER, as the integration tier does.
// jest loads globalSetup as CommonJS without the project's module mapping, so it imports nothing
// of ours. Needs root (the libvirtd is privileged). TSVIRT_KEEP_CLUSTER=1 keeps the state folder.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const CLUSTER_ENV = 'TSVIRT_TEST_CLUSTER'; // test/harness reads it
/** global-teardown.ts finds what to stop here (jest loads both as CommonJS: no imports between them). */
const TEARDOWN_KEY = Symbol.for('tsvirt.e2e.teardown');

// jest's rootDir is the repository root, and jest runs there.
const REPO = resolve(process.cwd());
const NODE = join(REPO, 'node_modules', '.bin', 'node');
const LOCAL_CLUSTER = join(REPO, 'dist', 'local-cluster.js');
// Short: the serial sockets under it must stay within 108 bytes.
const STATE_PARENT = '/tmp';
const STATE_PREFIX = 'tsvirt-e2e-';
const OWNER_FILE = 'owner.pid';

function run(command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, [...args], {
      cwd: REPO,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...env },
    });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited ${code}`))));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Clusters (and their libvirtds and guests) of interrupted earlier runs are stopped and removed. */
async function reapOrphans(): Promise<void> {
  for (const entry of await readdir(STATE_PARENT)) {
    if (!entry.startsWith(STATE_PREFIX)) continue;
    const dir = join(STATE_PARENT, entry);
    const owner = Number((await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) continue;
    process.stderr.write(`e2e: stopping the cluster an interrupted run left in ${dir}\n`);
    await run(NODE, [LOCAL_CLUSTER, 'down', `--state-dir=${dir}`]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

async function stopOwnedCluster(stateDir: string): Promise<void> {
  try {
    await run(NODE, [LOCAL_CLUSTER, 'down', `--state-dir=${stateDir}`, '--strict']);
  } catch (err) {
    throw new Error(
      `e2e: processes were left running after the tests and had to be killed; state kept in ${stateDir}`,
      { cause: err },
    );
  }
  if (process.env['TSVIRT_KEEP_CLUSTER'] === '1') process.stderr.write(`e2e: cluster state kept in ${stateDir}\n`);
  else await rm(stateDir, { recursive: true, force: true });
}

export default async function globalSetup(): Promise<void> {
  process.stderr.write('\n');
  if (process.getuid?.() !== 0) throw new Error('e2e: the tier needs root (it starts a privileged libvirtd)');
  await run('npm', ['run', '--silent', 'build']);
  // Installs the kernel and initrd at /var/lib/tsvirt/guest/, where examples/vm-tiny-guest.yaml points.
  await run(join(REPO, 'test', 'e2e', 'guest', 'build.sh'), []);
  // The Debian cloud guest (cached by its inputs; cold about 2 minutes), pushed once the cluster's registry runs.
  const guestImages = join(REPO, 'hack', 'guest-images.sh');
  await run(guestImages, ['--no-push']);
  await reapOrphans();
  const stateDir = await mkdtemp(join(STATE_PARENT, STATE_PREFIX));
  await writeFile(join(stateDir, OWNER_FILE), `${process.pid}\n`);
  // Registered before the start, so teardown stops a half-started cluster too.
  (globalThis as Record<symbol, unknown>)[TEARDOWN_KEY] = () => stopOwnedCluster(stateDir);
  await run(NODE, [LOCAL_CLUSTER, 'up', `--state-dir=${stateDir}`, '--nodes=1', '--libvirt=node-1']);
  process.env[CLUSTER_ENV] = join(stateDir, 'cluster.json');
  const { registry } = JSON.parse(await readFile(join(stateDir, 'cluster.json'), 'utf8')) as { registry?: string };
  if (registry === undefined)
    throw new Error('e2e: the cluster runs no registry: install docker-registry (hack/install-deps.sh)');
  await run(guestImages, [], { TSVIRT_REGISTRY: registry });
}
