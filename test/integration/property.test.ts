// A property of the whole system, tried with fast-check on the real control plane, virt-controller
// and a virt-handler per node (libvirt's test driver): a VM mutated at random — disks and volumes
// dropped, duplicated or renamed, odd quantities, negative and huge numbers, bad paths, wrong
// types, any run strategy, unknown fields — is either refused by the API server with a message,
// or accepted and then handled: the components stay up, the VM settles without a hot loop of API
// writes, and once it is deleted no launcher Pod, launcher process or domain is left behind.
// The runs are a fixed sample (TSVIRT_PROPERTY_SEED, TSVIRT_PROPERTY_RUNS) applied side by side, so
// the tier stays short; a failure prints the seed and each mutation to replay it.
import { spawn, type ChildProcess } from 'node:child_process';
import fc from 'fast-check';
import { API_VERSION, VM_KIND, VM_PLURAL } from '../../api/names.js';
import { RUN_STRATEGIES } from '../../api/enums.js';
import type { VirtualMachine } from '../../api/types.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  kubectlJson,
  stopAllComponents,
  waitFor,
  type ComponentHandle,
  type KubectlResult,
} from '../harness/index.js';
import { deleteAllVms, launcherRecords, startController, startHandler } from './handler-stack.js';

const SEED = Number(process.env['TSVIRT_PROPERTY_SEED'] ?? '20261125');
const RUNS = Number(process.env['TSVIRT_PROPERTY_RUNS'] ?? '40');
/** States a VM rests in; anything else is on its way somewhere. */
// ImagePullBackOff: a containerDisk the registry does not have (retried at 10 s, 20 s, ...).
const SETTLED = new Set(['Running', 'Stopped', 'CrashLoopBackOff', 'ErrorUnschedulable', 'ImagePullBackOff']);
/** Writes to a VM and its VMI allowed in WINDOW_MS once settled: one crash-loop restart fits, a hot loop does not. */
const WINDOW_MS = 3_000;
/** An image the cluster's own registry lacks: a pull that fails on loopback, never a DNS lookup. */
const MISSING_IMAGE = (): string => `${clusterFromEnv().info.registry ?? '127.0.0.1:1'}/property/missing:1`;
const MAX_WRITES_IN_WINDOW = 12;

// ---------------------------------------------------------------------------------------------
// VMs and mutations: plain JSON edited by path, since they must hold what the API types forbid.

type Json = Record<string, unknown>;
type Path = readonly (string | number)[];

interface Mutation {
  readonly describe: string;
  readonly apply: (vm: Json) => void;
}

function baseVm(name: string, node: string): Json {
  return {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name },
    spec: {
      runStrategy: 'Always',
      template: {
        spec: {
          terminationGracePeriodSeconds: 1,
          nodeSelector: { 'kubernetes.io/hostname': node },
          domain: {
            cpu: { cores: 1, sockets: 1, threads: 1 },
            memory: { guest: '32Mi' },
            resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
            devices: {
              disks: [{ name: 'scratch', bootOrder: 1 }],
              interfaces: [{ name: 'default', masquerade: {} }],
            },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [{ name: 'scratch', emptyDisk: { capacity: '64Mi' } }],
        },
      },
    },
  };
}

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function child(parent: unknown, key: string | number): unknown {
  if (Array.isArray(parent) && typeof key === 'number') return parent[key];
  return isRecord(parent) ? parent[String(key)] : undefined;
}

function get(obj: unknown, path: Path): unknown {
  return path.reduce<unknown>((at, key) => child(at, key), obj);
}

/** Sets `value` at `path`, making objects on the way; an array index past the end appends. */
function set(obj: Json, path: Path, value: unknown): void {
  let at: unknown = obj;
  for (const [i, key] of path.entries()) {
    const last = i === path.length - 1;
    if (Array.isArray(at) && typeof key === 'number') {
      const index = Math.min(key, at.length);
      if (last) at[index] = value;
      else at = at[index] ?? (at[index] = {});
    } else if (isRecord(at)) {
      if (last) at[String(key)] = value;
      else at = at[String(key)] ?? (at[String(key)] = {});
    } else return;
  }
}

function list(vm: Json, path: Path): unknown[] {
  const value = get(vm, path);
  if (Array.isArray(value)) return value;
  const fresh: unknown[] = [];
  set(vm, path, fresh);
  return fresh;
}

const TPL: Path = ['spec', 'template', 'spec'];
const DISKS: Path = [...TPL, 'domain', 'devices', 'disks'];
const VOLUMES: Path = [...TPL, 'volumes'];
const INTERFACES: Path = [...TPL, 'domain', 'devices', 'interfaces'];
const NETWORKS: Path = [...TPL, 'networks'];
const LISTS: Readonly<Record<string, Path>> = {
  disks: DISKS,
  volumes: VOLUMES,
  interfaces: INTERFACES,
  networks: NETWORKS,
};

const NAMES = fc.constantFrom('scratch', 'data', 'default', 'Data_1', '', 'a'.repeat(64), '-x', 'x.y', 'ok-2');
const QUANTITIES = fc.constantFrom<unknown>(
  '0',
  '1',
  '-1Mi',
  '1023Ki',
  '1Mi',
  '1.5Gi',
  '1e3',
  '0.5',
  '100m',
  '1Ei',
  '999999999999Ti',
  '1 Gi',
  '2Gb',
  'abc',
  '',
  12,
  -5,
  0,
  1e20,
);
const NUMBERS = fc.oneof(
  fc.integer({ min: -3, max: 4 }),
  fc.constantFrom<unknown>(2 ** 31 - 1, 2 ** 31, 2 ** 53, -(2 ** 31), 1e12, 1.5, -0.5),
);
const PATHS = fc.constantFrom(
  '/nonexistent/tsvirt/disk.img',
  'relative/disk.img',
  '/var/lib/../etc/shadow',
  '/var//lib/x.img',
  '/var/lib/',
  '/./x',
  '',
  '/',
  `/${'a'.repeat(300)}`,
);
const WRONG_TYPES = fc.constantFrom<unknown>('text', 7, -1, true, null, [], {}, [1, 'a'], { nested: {} });
const ANY_VALUE = fc.oneof(WRONG_TYPES, QUANTITIES, NUMBERS);

const QUANTITY_FIELDS: readonly Path[] = [
  [...TPL, 'domain', 'memory', 'guest'],
  [...TPL, 'domain', 'resources', 'requests', 'memory'],
  [...TPL, 'domain', 'resources', 'requests', 'cpu'],
  [...TPL, 'domain', 'resources', 'limits', 'memory'],
  [...TPL, 'domain', 'resources', 'limits', 'cpu'],
  [...VOLUMES, 0, 'emptyDisk', 'capacity'],
];
const NUMBER_FIELDS: readonly Path[] = [
  [...TPL, 'domain', 'cpu', 'cores'],
  [...TPL, 'domain', 'cpu', 'sockets'],
  [...TPL, 'domain', 'cpu', 'threads'],
  [...TPL, 'terminationGracePeriodSeconds'],
  [...DISKS, 0, 'bootOrder'],
];
const PATH_FIELDS: readonly Path[] = [
  [...TPL, 'domain', 'firmware', 'kernelBoot', 'kernelPath'],
  [...TPL, 'domain', 'firmware', 'kernelBoot', 'initrdPath'],
  [...VOLUMES, 0, 'hostDisk', 'path'],
  [...VOLUMES, 1, 'hostDisk', 'path'],
];
const TYPED_FIELDS: readonly Path[] = [
  ...QUANTITY_FIELDS,
  ...NUMBER_FIELDS,
  ['spec', 'template'],
  [...TPL, 'domain'],
  [...TPL, 'domain', 'devices'],
  DISKS,
  [...DISKS, 0],
  [...DISKS, 0, 'name'],
  VOLUMES,
  [...VOLUMES, 0, 'emptyDisk'],
  [...TPL, 'nodeSelector'],
  ['metadata', 'labels'],
];
const UNKNOWN_AT: readonly Path[] = [
  [],
  ['spec'],
  TPL,
  [...TPL, 'domain'],
  [...DISKS, 0],
  [...VOLUMES, 0],
  ['metadata'],
];

const show = (v: unknown): string =>
  typeof v === 'string' && v.length > 40 ? `"${v.slice(0, 12)}…" (${v.length})` : JSON.stringify(v);
const where = (p: Path): string => p.join('.').replace('spec.template.spec.', 'tpl.');

/** Each kind of mutation, as an arbitrary. */
const MUTATIONS: readonly fc.Arbitrary<Mutation>[] = [
  fc.tuple(fc.constantFrom(...Object.keys(LISTS)), fc.nat(3)).map(([l, i]) => ({
    describe: `drop ${l}[${i}]`,
    apply: (vm) => void list(vm, LISTS[l] ?? []).splice(i, 1),
  })),
  fc.tuple(fc.constantFrom(...Object.keys(LISTS)), fc.nat(2)).map(([l, i]) => ({
    describe: `duplicate ${l}[${i}]`,
    apply: (vm) => {
      const items = list(vm, LISTS[l] ?? []);
      if (items[i] !== undefined) items.push(structuredClone(items[i]));
    },
  })),
  fc.tuple(fc.constantFrom(...Object.keys(LISTS)), fc.nat(2), NAMES).map(([l, i, name]) => ({
    describe: `rename ${l}[${i}] to ${show(name)}`,
    apply: (vm) => set(vm, [...(LISTS[l] ?? []), i, 'name'], name),
  })),
  fc.tuple(NAMES, fc.constantFrom('emptyDisk', 'hostDisk', 'containerDisk', 'none', 'two')).map(([name, source]) => ({
    describe: `add disk ${show(name)} with a ${source} volume`,
    apply: (vm) => {
      list(vm, DISKS).push({ name });
      const sources: Readonly<Record<string, Json>> = {
        emptyDisk: { emptyDisk: { capacity: '16Mi' } },
        hostDisk: { hostDisk: { path: '/nonexistent/tsvirt/data.img', type: 'Disk' } },
        containerDisk: { containerDisk: { image: MISSING_IMAGE() } },
        none: {},
        two: { emptyDisk: { capacity: '16Mi' }, containerDisk: { image: MISSING_IMAGE() } },
      };
      list(vm, VOLUMES).push({ name, ...sources[source] });
    },
  })),
  fc.tuple(fc.constantFrom(...QUANTITY_FIELDS), QUANTITIES).map(([p, q]) => ({
    describe: `${where(p)} = ${show(q)}`,
    apply: (vm) => set(vm, p, q),
  })),
  fc.tuple(fc.constantFrom(...NUMBER_FIELDS), NUMBERS).map(([p, n]) => ({
    describe: `${where(p)} = ${show(n)}`,
    apply: (vm) => set(vm, p, n),
  })),
  fc.tuple(fc.constantFrom(...PATH_FIELDS), PATHS).map(([p, path]) => ({
    describe: `${where(p)} = ${show(path)}`,
    apply: (vm) => set(vm, p, path),
  })),
  fc.tuple(fc.constantFrom(...TYPED_FIELDS), WRONG_TYPES).map(([p, v]) => ({
    describe: `${where(p)} = ${show(v)} (type)`,
    apply: (vm) => set(vm, p, v),
  })),
  fc.constantFrom<unknown>(...RUN_STRATEGIES, ...RUN_STRATEGIES, 'Sometimes', 'always', '', 3, null).map((rs) => ({
    describe: `runStrategy = ${show(rs)}`,
    apply: (vm) => set(vm, ['spec', 'runStrategy'], rs),
  })),
  fc
    .tuple(fc.constantFrom(...UNKNOWN_AT), fc.constantFrom('bogus', 'runstrategy', 'Memory'), ANY_VALUE)
    .map(([p, key, v]) => ({
      describe: `unknown field ${where([...p, key])} = ${show(v)}`,
      apply: (vm) => set(vm, [...p, key], v),
    })),
  fc.tuple(PATHS, fc.constantFrom('Disk', 'DiskOrCreate')).map(([path, type]) => ({
    describe: `volumes[0] = hostDisk ${show(path)} (${type})`,
    apply: (vm) => set(vm, [...VOLUMES, 0], { name: 'scratch', hostDisk: { path, type, capacity: '16Mi' } }),
  })),
  PATHS.map((path) => ({
    describe: `kernelBoot.kernelPath = ${show(path)}`,
    apply: (vm) =>
      set(vm, [...TPL, 'domain', 'firmware'], { kernelBoot: { kernelPath: path, kernelArgs: 'console=ttyS0' } }),
  })),
  fc.constantFrom('node-x', '').map((node) => ({
    describe: `nodeSelector hostname = ${show(node)}`,
    apply: (vm) => set(vm, [...TPL, 'nodeSelector', 'kubernetes.io/hostname'], node),
  })),
];

const mutations = fc.array(fc.oneof(...MUTATIONS), { minLength: 1, maxLength: 2 });

// ---------------------------------------------------------------------------------------------
// Observing the system

/** Counts watch events (every write) per object name, for one resource, while it runs. */
class WriteCounter {
  private readonly counts = new Map<string, number>();
  private readonly child: ChildProcess;
  private buffered = '';

  constructor(resource: string, ns: string) {
    const c = clusterFromEnv();
    const jsonpath = 'jsonpath={.metadata.name}{"\\n"}';
    this.child = spawn(
      c.kubectl,
      [`--kubeconfig=${c.kubeconfig}`, 'get', resource, '-n', ns, '-w', '--watch-only', '-o', jsonpath],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => this.take(d));
  }

  private take(data: string): void {
    const lines = (this.buffered + data).split('\n');
    this.buffered = lines.pop() ?? '';
    for (const name of lines) if (name !== '') this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  snapshot(): ReadonlyMap<string, number> {
    return new Map(this.counts);
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** virt-handler's metrics port, from its start-up line. */
function metricsPort(handler: ComponentHandle): number {
  const m = /"metricsPort":(\d+)[^\n]*Started virt-handler/.exec(handler.logs());
  if (m?.[1] === undefined) throw new Error(`virt-handler logged no metrics port:\n${handler.logs()}`);
  return Number(m[1]);
}

async function domainsOn(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^tsvirt_handler_domains (\d+)/m.exec(text);
  if (m?.[1] === undefined) throw new Error('no tsvirt_handler_domains in the metrics');
  return Number(m[1]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------

interface Trial {
  readonly name: string;
  readonly mutations: readonly string[];
  readonly result: KubectlResult;
}

const accepted = (t: Trial): boolean => t.result.code === 0;
// Straight to the API server (kubectl create --raw), so kubectl's own decoding refuses nothing first;
// Strict, as kubectl create asks for, so an unknown field is refused rather than dropped.
const vmsPath = (ns: string): string => `/apis/${API_VERSION}/namespaces/${ns}/${VM_PLURAL}`;
const replay = (t: Trial): string => `seed ${SEED}, ${t.name}: ${t.mutations.join('; ')}`;

describe('a VM mutated at random', () => {
  let ns: string;
  const components: { handle: ComponentHandle; exit?: unknown }[] = [];
  const handlerPorts: number[] = [];

  beforeAll(async () => {
    ns = await createTestNamespace('property');
    const started = [await startController()];
    for (const node of clusterFromEnv().nodes) started.push(await startHandler({ node }));
    for (const handle of started) {
      const entry: { handle: ComponentHandle; exit?: unknown } = { handle };
      void handle.exited.then((exit) => (entry.exit = exit));
      components.push(entry);
    }
    handlerPorts.push(...started.slice(1).map(metricsPort));
  }, 60_000);

  afterAll(async () => {
    await deleteAllVms(ns).catch(() => undefined);
    await stopAllComponents();
    await deleteTestNamespace(ns);
  }, 60_000);

  const crashed = (): unknown[] =>
    components.filter((c) => c.exit !== undefined).map((c) => ({ name: c.handle.name, exit: c.exit }));

  it(`is refused with a message, or handled without a crash, a hot loop or a leak (seed ${SEED}, ${RUNS} runs)`, async () => {
    const nodes = clusterFromEnv().nodes;
    const samples = fc.sample(mutations, { seed: SEED, numRuns: RUNS });
    const vmWrites = new WriteCounter('virtualmachines.tsvirt.io', ns);
    const vmiWrites = new WriteCounter('virtualmachineinstances.tsvirt.io', ns);
    try {
      // Given a valid VM per run, mutated, created side by side
      const trials = await Promise.all(
        samples.map(async (ms, i): Promise<Trial> => {
          const name = `p${i}`;
          const vm = baseVm(name, nodes[i % nodes.length] ?? 'node-1');
          for (const m of ms) m.apply(vm);
          const result = await kubectl(['create', '--raw', `${vmsPath(ns)}?fieldValidation=Strict`, '-f', '-'], {
            input: JSON.stringify(vm),
            allowFailure: true,
          });
          return { name: String(get(vm, ['metadata', 'name'])), mutations: ms.map((m) => m.describe), result };
        }),
      );

      // Then each refusal says why, and no refusal is the API server failing
      const refusals = trials.filter((t) => !accepted(t));
      expect(
        refusals
          .filter(
            (t) =>
              !/is invalid|Error from server \((BadRequest|Invalid)\)/.test(t.result.stderr) ||
              /Internal/.test(t.result.stderr),
          )
          .map((t) => ({ run: replay(t), stderr: t.result.stderr })),
      ).toEqual([]);

      // And each accepted VM settles
      const kept = trials.filter(accepted);
      const settled = await waitFor(
        async (seen) => {
          const vms = (await kubectlJson<{ items: VirtualMachine[] }>(['get', 'vms', '-n', ns])).items;
          const states = vms.map((v) => ({
            name: v.metadata.name,
            status: v.status?.printableStatus,
            observed: v.status?.observedGeneration === v.metadata.generation,
          }));
          seen(states.filter((s) => !s.observed || !SETTLED.has(String(s.status))));
          return states.length === kept.length && states.every((s) => s.observed && SETTLED.has(String(s.status)))
            ? states
            : undefined;
        },
        { timeoutMs: 45_000, describe: `every accepted VM (seed ${SEED}) to settle in ${[...SETTLED].join(', ')}` },
      );

      // And, settled, is written a bounded number of times over a window (the window is the measurement)
      const before = [vmWrites.snapshot(), vmiWrites.snapshot()];
      const windowEnd = Date.now() + WINDOW_MS;
      await waitFor(() => Date.now() >= windowEnd, {
        timeoutMs: WINDOW_MS + 1_000,
        describe: 'the write-count window',
      });
      const after = [vmWrites.snapshot(), vmiWrites.snapshot()];
      const writes = kept.map((t) => {
        const n = [0, 1].reduce((sum, k) => sum + (after[k]?.get(t.name) ?? 0) - (before[k]?.get(t.name) ?? 0), 0);
        return { run: replay(t), status: settled.find((s) => s.name === t.name)?.status, writes: n };
      });
      expect(writes.filter((w) => w.writes > MAX_WRITES_IN_WINDOW)).toEqual([]);
      expect(crashed()).toEqual([]);

      // When every VM is deleted, then no Pod, launcher or domain is left
      const pods = await kubectlJson<{ items: { metadata: { uid: string } }[] }>(['get', 'pods', '-n', ns]);
      await deleteAllVms(ns, 45_000);
      await waitFor(
        async (seen) => {
          const domains = await Promise.all(handlerPorts.map(domainsOn));
          seen({ domains });
          return domains.every((d) => d === 0);
        },
        { timeoutMs: 20_000, describe: 'no domain left on any node (tsvirt_handler_domains)' },
      );
      await waitFor(
        async (seen) => {
          const records = (await Promise.all(nodes.map(launcherRecords))).flatMap((m) => [...m]);
          const left = records.filter(([uid, pid]) => pods.items.some((p) => p.metadata.uid === uid) && isAlive(pid));
          seen(left);
          return left.length === 0;
        },
        { timeoutMs: 20_000, describe: 'no launcher process of a deleted VM left running' },
      );
      expect(crashed()).toEqual([]);
      process.stderr.write(
        `property: seed ${SEED}, ${trials.length} mutated VMs, ${refusals.length} refused with a message, ${kept.length} accepted and handled (${settled.map((s) => s.status).join(', ')}); most writes in ${WINDOW_MS} ms settled: ${Math.max(0, ...writes.map((w) => w.writes))}\n`,
      );
    } finally {
      await Promise.all([vmWrites.stop(), vmiWrites.stop()]);
    }
  }, 150_000);
});
