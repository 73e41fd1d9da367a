// kube/list-watch.ts against the real API server. A watch from a resourceVersion the API server no
// longer holds (older than its watch cache, and compacted away in etcd by this test) is answered
// with 410 Gone, and the loop lists again. A connection cut by a TCP relay this test owns (every
// socket closed, the port refusing) is retried with a growing backoff, and the watch then resumes
// from the last resourceVersion it saw: what changed meanwhile arrives as events, in order, none
// lost and none twice, and the backoff starts over once the API server answers again. The built
// `kubectl virt get vm --watch` goes through the same cut: "reconnecting…" on stderr, and the row of
// a VM created meanwhile on stdout once the link is back; and a wait (cli/wait-until.ts, behind
// `kubectl virt wait` and every --wait) sees the change that was made while it was cut off.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VM_PLURAL } from '../../api/names.js';
import type { VirtualMachine } from '../../api/types.js';
import { etcdUrl } from '../../cluster/layout.js';
import { createApiClient, type ApiClient } from '../../kube/api-client.js';
import { tsvirtPath } from '../../kube/cli-resources.js';
import { isGone } from '../../kube/errors.js';
import { loadKubeconfig } from '../../kube/kubeconfig.js';
import {
  listWatch,
  tsvirtCollection,
  type Change,
  type LinkState,
  type Listed,
  type ListWatchOptions,
} from '../../kube/list-watch.js';
import { clusterFromEnv, createTestNamespace, deleteTestNamespace, kubectl, waitFor } from '../harness/index.js';
import { waitUntil } from '../../cli/wait-until.js';
import { Relay } from '../harness/tcp-relay.js';
import { createVms, vmManifest } from './handler-stack.js';

let ns: string;
let direct: ApiClient;
let relayed: ApiClient;
let relay: Relay;
let scratch: string;

const create = (name: string): Promise<void> =>
  createVms(ns, [vmManifest(name, { node: clusterFromEnv().nodes[0] ?? 'node-1', runStrategy: 'Halted' })]);

const nameOf = (o: unknown): string => (o as VirtualMachine).metadata.name ?? '';

/** Everything one loop told its caller, in order, and a way to stop it and wait for its end. */
class Run {
  readonly lists: { names: string[]; relisted: boolean }[] = [];
  readonly changes: string[] = [];
  readonly links: LinkState[] = [];
  private readonly stop = new AbortController();
  private readonly done: Promise<void>;

  constructor(client: ApiClient, opts: Omit<ListWatchOptions<VirtualMachine>, 'signal'> = {}) {
    this.done = listWatch(
      tsvirtCollection(client, VM_PLURAL, { namespace: ns }),
      {
        list: (l, relisted) => this.lists.push({ names: l.items.map(nameOf).sort(), relisted }),
        change: (c: Change) => this.changes.push(`${c.type} ${nameOf(c.object)}`),
        link: (s) => this.links.push(s),
      },
      { ...opts, signal: this.stop.signal },
    );
  }

  until<T>(what: string, test: () => T | false | undefined, timeoutMs = 30_000): Promise<T> {
    return waitFor(
      (seen) => {
        seen({ lists: this.lists, changes: this.changes, links: this.links });
        return test();
      },
      { timeoutMs, describe: what, intervalMs: 20 },
    );
  }

  reconnecting(): Extract<LinkState, { kind: 'reconnecting' }>[] {
    return this.links.flatMap((l) => (l.kind === 'reconnecting' ? [l] : []));
  }

  async end(): Promise<void> {
    this.stop.abort();
    await this.done;
  }
}

beforeAll(async () => {
  const c = clusterFromEnv();
  ns = await createTestNamespace('list-watch');
  scratch = await mkdtemp(join(tmpdir(), 'tsvirt-list-watch-test-'));
  const cfg = await loadKubeconfig({ kubeconfig: c.kubeconfig, env: {} });
  direct = createApiClient(cfg);
  const server = new URL(c.server);
  relay = new Relay(server.hostname, Number(server.port));
  await relay.open();
  // The API server's certificate names 127.0.0.1, so the relay's loopback port verifies as it does.
  relayed = createApiClient({ ...cfg, server: `https://127.0.0.1:${relay.port}` });
});

afterAll(async () => {
  await relay.cut();
  direct.close();
  relayed.close();
  await deleteTestNamespace(ns);
  await rm(scratch, { recursive: true, force: true });
});

/** Compacts etcd up to its current revision, through its own API (the v3 JSON gateway). */
async function compactEtcd(): Promise<number> {
  const base = etcdUrl(clusterFromEnv().info.ports);
  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  // A range read answers with the store's current revision in its header.
  const head = await post('/v3/kv/range', { key: Buffer.from('/').toString('base64') });
  const revision = Number((head['header'] as { revision: string }).revision);
  await post('/v3/kv/compaction', { revision, physical: true });
  return revision;
}

describe('list-watch against the real API server', () => {
  it('lists again when the API server answers 410 Gone for a resourceVersion it no longer holds', async () => {
    await create('kept');
    // The default namespace was written when the API server started, long before the VM watch
    // cache began; after the compaction etcd does not hold that revision either.
    const stale = (await kubectl(['get', 'namespace', 'default', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout;
    const compactedAt = await compactEtcd();
    expect(compactedAt).toBeGreaterThan(Number(stale));
    const exact = direct.request({
      path: tsvirtPath(VM_PLURAL, { namespace: ns }),
      query: { resourceVersion: stale, resourceVersionMatch: 'Exact' },
    });
    expect(
      isGone(
        await exact.then(
          () => 'answered',
          (err: unknown) => err,
        ),
      ),
    ).toBe(true);

    // As if a list had been made at that version (a view left open for a long time): the loop
    // watches from it, hears 410, and lists afresh.
    const start: Listed<VirtualMachine> = { items: [], resourceVersion: stale };
    const run = new Run(direct, { start: Promise.resolve(start) });
    try {
      const relisted = await run.until('a relist after 410', () => run.links.find((l) => l.kind === 'relisted'));
      expect(relisted.kind === 'relisted' && relisted.reason).toMatch(/too old resource version/);
      expect(run.lists).toEqual([
        { names: [], relisted: false },
        { names: ['kept'], relisted: true },
      ]);
      await create('after-relist');
      await run.until('the watch from the fresh list', () => run.changes.includes('ADDED after-relist'));
      expect(run.changes).toEqual(['ADDED after-relist']);
      expect(run.reconnecting()).toEqual([]);
    } finally {
      await run.end();
    }
  });

  it('resumes a cut connection after a growing backoff, without losing or repeating an event', async () => {
    const policy = { baseMs: 100, capMs: 2000 };
    const run = new Run(relayed, { policy });
    try {
      await run.until('the first list', () => run.links[0]?.kind === 'connected');
      await create('a');
      await run.until('a added', () => run.changes.includes('ADDED a'));

      await relay.cut();
      await run.until('three failed attempts', () => run.reconnecting().length >= 3);
      // While the link is down, b comes and goes and a changes: only a resumed watch sees b at all.
      await create('b');
      await kubectl(['label', 'vm', 'a', '-n', ns, 'changed=yes']);
      await kubectl(['delete', 'vm', 'b', '-n', ns]);
      const down = run.reconnecting();
      expect(down.slice(0, 3).map((l) => [l.attempt, l.retryInMs])).toEqual([
        [1, 100],
        [2, 200],
        [3, 400],
      ]);
      expect(down[0]?.reason).toMatch(/Could not reach the API server|ECONNRESET|ECONNREFUSED|socket hang up|aborted/);
      const changesBefore = run.changes.length;

      await relay.open();
      await run.until('the link back', () => run.links.at(-1)?.kind === 'connected');
      await run.until('what changed meanwhile', () => run.changes.length >= changesBefore + 3);
      expect(run.changes).toEqual([...run.changes.slice(0, changesBefore), 'ADDED b', 'MODIFIED a', 'DELETED b']);
      expect(run.changes.filter((c) => c === 'ADDED a')).toHaveLength(1);
      // One list in all: the watch resumed from where it was, it did not list again.
      expect(run.lists.map((l) => l.relisted)).toEqual([false]);

      // The events reset the backoff: a second cut starts again from the base delay.
      const before = run.reconnecting().length;
      await relay.cut();
      const again = await run.until('the second cut noticed', () => run.reconnecting()[before]);
      expect([again.attempt, again.retryInMs]).toEqual([1, 100]);
      await relay.open();
      await run.until('the link back again', () => run.links.at(-1)?.kind === 'connected');
    } finally {
      await run.end();
    }
  });

  it('get --watch says reconnecting on stderr while the link is cut, then prints what changed meanwhile', async () => {
    const c = clusterFromEnv();
    const kubeconfig = await relay.kubeconfig(c.kubeconfig, join(scratch, 'kubeconfig'));
    const child = spawn(
      join(c.repoRoot, 'dist', 'bin', 'kubectl-virt'),
      ['get', 'vm', '--watch', '-n', ns, `--kubeconfig=${kubeconfig}`],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const until = (what: string, test: () => boolean): Promise<true> =>
      waitFor((seen) => (seen({ stdout, stderr }), test() || undefined), { timeoutMs: 30_000, describe: what });
    const rows = (name: string): string[] => stdout.split('\n').filter((l) => l.startsWith(`${name} `));
    try {
      await until('the table', () => /^NAME\s+AGE\s+STATUS/m.test(stdout));
      // The table is printed before the watch starts; a change seen on stdout means it is watching.
      await create('before-cut');
      await until('the row of a VM created while watching', () => rows('before-cut').length === 1);
      await relay.cut();
      await until('reconnecting on stderr', () => /^reconnecting… attempt 1, next try in /m.test(stderr));
      await create('during-cut');
      await relay.open();
      await until('the row of the VM created while the link was cut', () => rows('during-cut').length === 1);
      expect(rows('during-cut')[0]).toMatch(/^during-cut\s+\d+s\s/);
      expect(rows('before-cut')).toHaveLength(1);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('a wait rides out a cut connection and sees the change made meanwhile', async () => {
    await create('waited');
    const seen: string[] = [];
    const label = (o: unknown): string =>
      (o as VirtualMachine | undefined)?.metadata.labels?.['ready'] ?? (o === undefined ? 'absent' : 'unlabelled');
    const outcome = waitUntil(
      relayed,
      { plural: VM_PLURAL, namespace: ns, name: 'waited' },
      (o) => ({ met: label(o) === 'yes', seen: label(o) }),
      { timeoutMs: 60_000, onSeen: (s) => seen.push(s) },
    );
    // The first evaluation comes from the first list: from then on the wait follows a watch.
    await waitFor(() => seen.length > 0, { timeoutMs: 30_000, describe: 'the first evaluation' });
    await relay.cut();
    await kubectl(['label', 'vm', 'waited', '-n', ns, 'ready=yes']);
    await relay.open();
    expect(await outcome).toEqual({ met: true, seen: 'yes' });
    expect(seen).toEqual(['unlabelled', 'yes']);
  });
});
