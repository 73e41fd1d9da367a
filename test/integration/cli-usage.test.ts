// A flag value or argument kubectl virt does not understand never acts: every name-taking command
// with a mistyped flag (before or after the names), `--`, a word that is no VM name, and `create -f`
// with creation flags, exits 2 with a usage error, and the API server saw no write on tsvirt.io
// resources (its own apiserver_request_total counters, read from /metrics before and after). Reads
// are not counted: kube-controller-manager's garbage collector and namespace controller read
// tsvirt.io resources on their own schedule; namespaces still being deleted are waited out first.
import { spawn } from 'node:child_process';
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
  waitFor,
} from '../harness/index.js';

function kubectlVirt(args: readonly string[]): Promise<KubectlResult> {
  const c = clusterFromEnv();
  const bin = process.env['TSVIRT_CLI_BIN_DIR'] ?? join(c.repoRoot, 'dist', 'bin');
  return new Promise((resolve, reject) => {
    const child = spawn(join(bin, 'kubectl-virt'), [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
      env: { ...process.env, NO_COLOR: '1', KUBECONFIG: c.kubeconfig },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const WRITE_VERB = /verb="(POST|PUT|PATCH|DELETE|DELETECOLLECTION|APPLY)"/;

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

describe('kubectl virt usage errors', () => {
  it('exit 2 with a usage error, and the API server sees no write on tsvirt.io', async () => {
    // Earlier test files' namespaces: the namespace controller deletes their VMs meanwhile.
    await waitFor(
      async (seen) => {
        const r = await kubectl(['get', 'ns', '--no-headers']);
        const terminating = r.stdout.split('\n').filter((l) => l.includes('Terminating'));
        seen(terminating);
        return terminating.length === 0;
      },
      { timeoutMs: 90_000, describe: 'no namespace to be Terminating' },
    );
    const before = await tsvirtWrites();
    const results: Array<readonly [string, number, string]> = [];
    for (const args of cases()) {
      const r = await kubectlVirt(args);
      results.push([args.join(' '), r.code, r.stderr.split('\n')[0] ?? '']);
    }
    for (const [line, code, stderr] of results) {
      expect({ line, code }).toEqual({ line, code: EXIT_CODES.usage });
      expect(stderr).toMatch(/^error: /);
    }
    expect(await tsvirtWrites()).toBe(before);
    // The counter does move for a write that is sent (a server-side dry run): it would have seen one.
    expect((await kubectlVirt(['create', '-f', file, '-n', ns, '--dry-run=server'])).code).toBe(0);
    expect(await tsvirtWrites()).toBe(before + 1);
  }, 240_000);
});
