// A flag value or argument kubectl virt does not understand never acts: every name-taking command
// with a mistyped flag (before or after the names), `--`, a word that is no VM name, and `create -f`
// with creation flags, exits 2 with a usage error, and the API server saw no write on tsvirt.io
// resources (its own apiserver_request_total counters, read from /metrics before and after). Reads
// are not counted: kube-controller-manager's garbage collector and namespace controller read
// tsvirt.io resources on their own schedule; namespaces still being deleted are waited out first.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_CODES } from '../../cli/exit-codes.js';
import { GROUP } from '../../api/names.js';
import {
  type KubectlResult,
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  kubectlVirtWith,
  waitFor,
} from '../harness/index.js';

/** The built kubectl virt, finding its cluster through KUBECONFIG as a user's shell would. */
const kubectlVirt = (args: readonly string[]): Promise<KubectlResult> =>
  kubectlVirtWith(args, { env: { KUBECONFIG: clusterFromEnv().kubeconfig } });

// No kubectl virt command sends a DELETECOLLECTION (delete -l deletes VM by VM); the namespace
// controller sends one per resource for every namespace it removes, so it is not counted.
const WRITE_VERB = /verb="(POST|PUT|PATCH|DELETE|APPLY)"/;
const QUIET_MS = 5_000;

/** Every write the API server counted on tsvirt.io resources (dry runs and refusals included). */
async function tsvirtWrites(): Promise<number> {
  const metrics = (await kubectl(['get', '--raw', '/metrics'])).stdout;
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{') || !line.includes(`group="${GROUP}"`)) continue;
    if (WRITE_VERB.test(line)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

let ns: string;
let dir: string;
let file: string;

beforeAll(async () => {
  ns = await createTestNamespace('cli-usage');
  dir = await mkdtemp(join(tmpdir(), 'tsvirt-cli-usage-'));
  file = join(dir, 'vm.yaml');
  const vm = 'apiVersion: tsvirt.io/v1alpha1\nkind: VirtualMachine\nmetadata: {name: web}\n';
  await writeFile(
    file,
    `${vm}spec: {runStrategy: Halted, template: {spec: {domain: {memory: {guest: 32Mi}, devices: {}}}}}\n`,
  );
}, 60_000);

afterAll(async () => {
  await deleteTestNamespace(ns);
  await rm(dir, { recursive: true, force: true });
});

const NAME_COMMANDS = ['get', 'delete', 'describe', 'start', 'stop', 'restart', 'wait'] as const;

const cases = (): ReadonlyArray<readonly string[]> => [
  ...NAME_COMMANDS.flatMap((c) => [
    [c, '--namespase', ns, 'web'],
    [c, 'web', '--namespase', ns],
    [c, 'web', '--', 'db'],
    [c, '--', 'web'],
    [c, 'web', 'Not_A_Name', '-n', ns],
  ]),
  ['delete', 'web', '--wiat', '-n', ns],
  ['stop', 'web', '--timeout', '-n', ns],
  ['create', '-f', file, '--memory', '2Gi', '-n', ns],
  ['create', '-f', file, '--cpu', '2', '-n', ns],
  ['create', '-f', file, '--name', 'db', '-n', ns],
  ['create', '-f', file, '--disk', 'size=1Gi', '-n', ns],
  ['create', '-f', file, '--run-strategy', 'Always', '-n', ns],
  ['create', '-f', file, '-n', ns, '--', 'x'],
];

/**
 * The tsvirt.io writes the API server counted while `pass` ran, retried up to three times until it
 * is `expected`. The counter is the whole API server's and other test files share it: a stray
 * write from their garbage collection can land inside one pass (seen once in CI: +2 over 35
 * commands). A CLI that wrote more would be counted on every pass, so three misses fail the test.
 */
async function writesDuring(pass: () => Promise<void>, expected: number): Promise<number> {
  let delta = Number.NaN;
  for (let attempt = 0; attempt < 3 && delta !== expected; attempt += 1) {
    const before = await tsvirtWrites();
    await pass();
    delta = (await tsvirtWrites()) - before;
  }
  return delta;
}

describe('kubectl virt usage errors', () => {
  it('exit 2 with a usage error, and the API server sees no write on tsvirt.io', async () => {
    // Earlier test files' namespaces are still being deleted, and the garbage collector and the
    // namespace controller write tsvirt.io resources on their own schedule: start once the counter
    // has been quiet for a few seconds. (Waiting for no Terminating namespace was not enough under
    // load: the namespace controller backs off, and an empty namespace stayed Terminating minutes.)
    let last = await tsvirtWrites();
    let quietSince = Date.now();
    await waitFor(
      async (seen) => {
        const now = await tsvirtWrites();
        if (now !== last) quietSince = Date.now();
        last = now;
        seen({ writes: now, quietMs: Date.now() - quietSince });
        return Date.now() - quietSince >= QUIET_MS;
      },
      { timeoutMs: 180_000, intervalMs: 500, describe: `tsvirt.io writes to be quiet for ${QUIET_MS} ms` },
    );
    const usageErrors = async (): Promise<void> => {
      const results: Array<readonly [string, number, string]> = [];
      for (const args of cases()) {
        const r = await kubectlVirt(args);
        results.push([args.join(' '), r.code, r.stderr.split('\n')[0] ?? '']);
      }
      for (const [line, code, stderr] of results) {
        expect({ line, code }).toEqual({ line, code: EXIT_CODES.usage });
        expect(stderr).toMatch(/^error: /);
      }
    };
    expect(await writesDuring(usageErrors, 0)).toBe(0);
    // The counter does move for a write that is sent (a server-side dry run): it would have seen one.
    const dryRun = async (): Promise<void> => {
      expect((await kubectlVirt(['create', '-f', file, '-n', ns, '--dry-run=server'])).code).toBe(0);
    };
    expect(await writesDuring(dryRun, 1)).toBe(1);
  }, 330_000);
});
