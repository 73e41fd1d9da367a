// Live migration on two real libvirt nodes: a cluster of its own beside the tier's shared one
// (`local-cluster up --nodes=2 --libvirt=node-1 --libvirt=node-2`, one private libvirtd each), with
// virt-controller and both nodes' virt-handlers started with cluster/sync.sh's flags. The tiny guest
// boots with `tsvirt.counter`, so its serial console prints `TSVIRT-COUNT <n>` every 200 ms; the test
// reads both nodes' serial logs while the guest moves and checks the count never restarts, never
// goes back and misses nothing. It prints the migration time and the guest's downtime (the longest
// gap between two counts as they reached the logs).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SERVICE_NODE_FLAGS } from '../../api/names.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/types.js';
import { ensureTsvirtCerts, handlerCommand } from '../../cluster/components.js';
import {
  PRIVATE_LIBVIRT,
  startCluster,
  stopCluster,
  type ClusterInfo,
  type NodeInfo,
} from '../../cluster/local-cluster.js';
import {
  CLUSTER_ENV,
  createTestNamespace,
  kubectl,
  kubectlJson,
  kubectlVirt,
  startComponent,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import { startVirtApi, type VirtApi } from '../harness/virt-api.js';
import { qemuProcesses, startController, VM } from './guest-stack.js';

const run = promisify(execFile);

let stateDir: string;
let info: ClusterInfo;
let ns: string;
let api: VirtApi | undefined;

// Not anchored at the start: the console shell's prompt may share the line. A line counts once ended.
const COUNT = /TSVIRT-COUNT (\d+)\r?\n/g;

beforeAll(async () => {
  // The tier's cluster.json names the control-plane binaries; nothing else of it is used.
  const shared = JSON.parse(await readFile(process.env[CLUSTER_ENV] ?? '', 'utf8')) as ClusterInfo;
  // Short: the serial sockets under it must stay within 108 bytes.
  stateDir = await mkdtemp('/tmp/tsvirt-mig-');
  info = await startCluster({
    stateDir,
    binDir: shared.binDir,
    nodes: 2,
    libvirtUris: { 'node-1': PRIVATE_LIBVIRT, 'node-2': PRIVATE_LIBVIRT },
  });
  // The harness (kubectl, kubectl virt, components) follows this file's cluster from here on.
  process.env[CLUSTER_ENV] = join(stateDir, 'cluster.json');
  await ensureTsvirtCerts(info);
  await startController();
  // kubectl virt start and stop go through virt-api's subresources.
  api = await startVirtApi();
  for (const n of info.nodes) {
    const handler = await startComponent(
      'virt-handler',
      handlerCommand(info, n).args.slice(SERVICE_NODE_FLAGS.length + 1),
    );
    await handler.waitForLog(/Started virt-handler/);
  }
  ns = await createTestNamespace('migration');
  const vm = await readFile(join(info.repoRoot, 'examples', 'vm-tiny-guest.yaml'), 'utf8');
  await kubectl(['apply', '-n', ns, '-f', '-'], {
    input: vm.replace('kernelArgs: console=ttyS0 quiet', 'kernelArgs: console=ttyS0 quiet tsvirt.counter'),
  });
}, 180_000);

afterAll(async () => {
  // A stopped guest leaves no domain; the cluster's stop would destroy one anyway.
  await kubectlVirt(['stop', VM, '-n', ns, '--wait', '--timeout', '60s']).catch(() => undefined);
  await api?.unregister();
  await stopAllComponents();
  await stopCluster(stateDir);
  await rm(stateDir, { recursive: true, force: true });
}, 180_000);

const nodeInfo = (name: string): NodeInfo => {
  const n = info.nodes.find((x) => x.name === name);
  if (n === undefined) throw new Error(`no node ${name}`);
  return n;
};
const otherNode = (name: string): string => (name === 'node-1' ? 'node-2' : 'node-1');
const serialLog = (node: string): string => join(nodeInfo(node).handlerRunDir, `${ns}_${VM}`, 'serial.log');

const vmi = (): Promise<VirtualMachineInstance> => kubectlJson(['get', 'vmi', VM, '-n', ns]);

/**
 * The guest kept counting across the move: every count once, in order, and the target's console
 * only went on from where the source's stopped (a restarted guest would count from 1 again there).
 */
function expectCountCarriedOn(sampler: ReturnType<typeof sampleCounts>): void {
  const counts = [...sampler.seen.keys()].sort((a, b) => a - b);
  const first = counts[0] ?? 0;
  expect(counts).toEqual(Array.from({ length: counts.length }, (_, i) => first + i));
  const [onSource = new Set<number>(), onTarget = new Set<number>()] = sampler.perLog;
  expect({ source: onSource.size > 0, target: onTarget.size > 0 }).toEqual({ source: true, target: true });
  expect(Math.min(...onTarget)).toBeGreaterThan(Math.max(...onSource));
}

/** Virsh's domain names on a node's libvirtd, defined or running. */
async function domainsOn(node: string): Promise<string[]> {
  const { stdout } = await run('virsh', ['-c', nodeInfo(node).libvirtUri, 'list', '--all', '--name']);
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

/** Reads the serial logs every 20 ms and keeps when each count was first seen. */
function sampleCounts(paths: readonly string[]): Readonly<{
  seen: ReadonlyMap<number, number>;
  /** The counts each log showed, in the order of `paths`. */
  perLog: ReadonlyArray<ReadonlySet<number>>;
  max: () => number;
  stop: () => Promise<void>;
}> {
  const seen = new Map<number, number>();
  const perLog = paths.map(() => new Set<number>());
  let running = true;
  const loop = (async (): Promise<void> => {
    while (running) {
      const t = Date.now();
      const texts = await Promise.all(paths.map((p) => readFile(p, 'utf8').catch(() => '')));
      texts.forEach((text, i) => {
        for (const m of text.matchAll(COUNT)) {
          const n = Number(m[1]);
          perLog[i]?.add(n);
          if (!seen.has(n)) seen.set(n, t);
        }
      });
      await new Promise((r) => setTimeout(r, 20)); // the sampling period, not a wait for a condition
    }
  })();
  return {
    seen,
    perLog,
    max: () => Math.max(0, ...seen.keys()),
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function runningOn(): Promise<string> {
  return waitFor(
    async () => {
      const v = await vmi();
      return v.status?.phase === 'Running' ? v.status.nodeName : undefined;
    },
    { timeoutMs: 30_000, describe: 'the VMI Running on a node' },
  );
}

async function migrations(): Promise<VirtualMachineInstanceMigration[]> {
  return (await kubectlJson<{ items: VirtualMachineInstanceMigration[] }>(['get', 'vmim', '-n', ns])).items;
}

describe('live migration between two libvirt nodes', () => {
  it('moves the running guest to the other node with kubectl virt migrate --wait; its counter carries on', async () => {
    expect((await kubectlVirt(['start', VM, '-n', ns, '--wait'])).code).toBe(0);
    const source = await runningOn();
    const target = otherNode(source);
    const uid = (await vmi()).metadata.uid;
    const sampler = sampleCounts([serialLog(source), serialLog(target)]);
    await waitFor(() => sampler.max() >= 10, { timeoutMs: 30_000, describe: 'ten counts on the source console' });

    const t0 = Date.now();
    const migrated = await kubectlVirt(['migrate', VM, '-n', ns, '--wait', '--timeout', '2m']);
    const ms = Date.now() - t0;
    const atEnd = sampler.max();
    await waitFor(() => sampler.max() >= atEnd + 10, { timeoutMs: 15_000, describe: 'ten counts after the move' });
    await sampler.stop();

    expect({ code: migrated.code, stderr: migrated.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining(`VMI ${VM} migrated from ${source} to ${target}`) as unknown,
    });
    const moved = await vmi();
    expect({ uid: moved.metadata.uid, node: moved.status?.nodeName, phase: moved.status?.phase }).toEqual({
      uid,
      node: target,
      phase: 'Running',
    });
    expect(moved.status?.migrationState).toMatchObject({ sourceNode: source, targetNode: target, completed: true });
    const [vmim] = await migrations();
    expect(vmim?.status?.phase).toBe('Succeeded');
    // The source keeps no domain; the guest runs in one QEMU, the target's.
    expect(await domainsOn(source)).toEqual([]);
    expect(await domainsOn(target)).toEqual([`${ns}_${VM}`]);
    expect(await qemuProcesses(`${ns}_${VM}`)).toHaveLength(1);

    // Every count from the first seen to the last, once each: no restart, no jump back, no loss.
    expectCountCarriedOn(sampler);
    const counts = [...sampler.seen.keys()].sort((a, b) => a - b);
    const times = counts.map((n) => sampler.seen.get(n) ?? 0);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    process.stderr.write(
      `migration: ${source} -> ${target} in ${ms} ms (kubectl virt migrate --wait); ` +
        `longest gap between counts ${Math.max(...gaps)} ms (200 ms without a migration)\n`,
    );
  });

  it('fails a migration whose target Pod cannot be scheduled with the scheduler message; the guest runs on', async () => {
    const source = await runningOn();
    const target = otherNode(source);
    const sampler = sampleCounts([serialLog(source)]);
    await kubectl(['cordon', target]);
    try {
      const res = await kubectlVirt(['migrate', VM, '-n', ns, '--wait', '--timeout', '1m']);
      expect({ code: res.code, stderr: res.stderr }).toEqual({
        code: 1,
        stderr: expect.stringMatching(/Failed \(Unschedulable: 0\/2 nodes are available: .*unschedulable/) as unknown,
      });
    } finally {
      await kubectl(['uncordon', target]);
    }
    const failed = (await migrations()).find((m) => m.status?.phase === 'Failed');
    expect(failed?.status).toMatchObject({
      reason: 'Unschedulable',
      message: expect.stringContaining('0/2 nodes') as unknown,
    });
    // The target Pod goes; the guest never stopped counting on its source.
    await waitFor(
      async () => (await kubectl(['get', 'pods', '-n', ns, '-o', 'name'])).stdout.trim().split('\n').length === 2,
      { timeoutMs: 30_000, describe: 'the target Pod deleted (the two launcher Pods of the first test stay)' },
    );
    const before = sampler.max();
    await waitFor(() => sampler.max() >= before + 5, { timeoutMs: 15_000, describe: 'the count going on' });
    await sampler.stop();
    expect((await vmi()).status).toMatchObject({ phase: 'Running', nodeName: source });
    expect(await qemuProcesses(`${ns}_${VM}`)).toHaveLength(1);
  });

  it('cancels a running migration with kubectl virt migrate-cancel; the guest stays on its source', async () => {
    const source = await runningOn();
    // 1 MiB/s: the 128 MiB guest takes long enough to be caught while its memory copies.
    await kubectl([
      '-n',
      'tsvirt-system',
      'patch',
      'configmap',
      'tsvirt-config',
      '--type=merge',
      '-p',
      '{"data":{"bandwidthPerMigration":"1Mi"}}',
    ]);
    try {
      expect((await kubectlVirt(['migrate', VM, '-n', ns])).code).toBe(0);
      await waitFor(async () => (await migrations()).some((m) => m.status?.phase === 'Running'), {
        timeoutMs: 30_000,
        describe: 'the migration Running',
      });
      const cancel = await kubectlVirt(['migrate-cancel', VM, '-n', ns]);
      expect(cancel).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/^virtualmachineinstancemigration\.tsvirt\.io\/\S+ deleted\n$/) as unknown,
      });
      const state = await waitFor(
        async () => {
          const s = (await vmi()).status?.migrationState;
          return s?.failed === true ? s : undefined;
        },
        { timeoutMs: 30_000, describe: 'the migration aborted' },
      );
      expect(state).toMatchObject({ abortRequested: true, abortStatus: 'Succeeded' });
      expect((await vmi()).status).toMatchObject({ phase: 'Running', nodeName: source });
      await waitFor(async () => (await domainsOn(otherNode(source))).length === 0, {
        timeoutMs: 30_000,
        describe: "the target's domain cleaned up",
      });
      await waitFor(async () => (await migrations()).every((m) => m.status?.phase !== 'Running'), {
        timeoutMs: 30_000,
        describe: 'the cancelled migration gone',
      });
      expect(await qemuProcesses(`${ns}_${VM}`)).toHaveLength(1);
    } finally {
      await kubectl([
        '-n',
        'tsvirt-system',
        'patch',
        'configmap',
        'tsvirt-config',
        '--type=merge',
        '-p',
        '{"data":{"bandwidthPerMigration":"0"}}',
      ]);
    }
  });

  it('drains a node with kubectl drain: a LiveMigrate VM migrates off it first, its counter carries on', async () => {
    // evictionStrategy is in the VMI's spec, fixed once it exists: set it on the VM and start a new VMI.
    expect((await kubectlVirt(['stop', VM, '-n', ns, '--wait'])).code).toBe(0);
    const strategy = { spec: { template: { spec: { evictionStrategy: 'LiveMigrate' } } } };
    await kubectl(['patch', 'vm', VM, '-n', ns, '--type=merge', '-p', JSON.stringify(strategy)]);
    expect((await kubectlVirt(['start', VM, '-n', ns, '--wait'])).code).toBe(0);
    const source = await runningOn();
    const target = otherNode(source);
    const uid = (await vmi()).metadata.uid;
    await waitFor(async () => (await kubectl(['get', 'pdb', '-n', ns, '-o', 'name'])).stdout.trim() !== '', {
      timeoutMs: 15_000,
      describe: "the VMI's PodDisruptionBudget",
    });
    const sampler = sampleCounts([serialLog(source), serialLog(target)]);
    await waitFor(() => sampler.max() >= 10, { timeoutMs: 30_000, describe: 'ten counts on the source console' });
    try {
      const drained = await kubectl(['drain', source, '--timeout=120s'], { allowFailure: true, timeoutMs: 150_000 });
      expect({ code: drained.code, stderr: drained.stderr }).toMatchObject({ code: 0 });
    } finally {
      await kubectl(['uncordon', source]);
    }
    const atEnd = sampler.max();
    await waitFor(() => sampler.max() >= atEnd + 5, { timeoutMs: 15_000, describe: 'counts after the drain' });
    await sampler.stop();
    const moved = await vmi();
    expect(moved.metadata.uid).toBe(uid);
    expect(moved.status).toMatchObject({ phase: 'Running', nodeName: target });
    expect(moved.status?.migrationState).toMatchObject({ sourceNode: source, targetNode: target, completed: true });
    expect(await domainsOn(source)).toEqual([]);
    expectCountCarriedOn(sampler);
  });
});
