// `start`: VM created → VMI Running on libvirt's test driver, one at a time against a plain Pod created
// → Running on the same node (the baseline, interleaved); N VMs created at once → all Running and
// stopped at once → all Stopped; the API requests per VM start from every writer together (counted
// by the API server); and what the VMs cost in memory: virt-controller and virt-handler RSS, each
// launcher's PSS and the handler's share (DESIGN.md targets). A fresh local cluster, virt-controller
// and one virt-handler per node from dist/, launchers as real processes; everything is stopped at the end.
import { API_VERSION, LAUNCHER_IMAGE, VM_KIND } from '../../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import type { ClusterInfo } from '../../cluster/local-cluster.js';
import { createKubeClients, type KubeClients } from '../../kube/clients.js';
import { loadKubeConfig } from '../../kube/config.js';
import { namespaces, pods, type Pod } from '../../kube/core.js';
import { Informer } from '../../kube/informer.js';
import { virtualMachineInstances, virtualMachines } from '../../kube/tsvirt.js';
import {
  apiServerRequests,
  descendants,
  memoryMiB,
  NODE_BIN,
  REPO,
  requestsBetween,
  startServices,
  stopServices,
  total,
  until,
  upCluster,
} from '../bench-processes.js';
import type { Benchmark, BenchContext } from '../runner.js';
import { median, summarize } from '../stats.js';
import { join } from 'node:path';

const NS = 'bench';

export function benchVm(name: string, node: string | undefined, runStrategy: 'Always' | 'Halted'): VirtualMachine {
  return {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name },
    spec: {
      runStrategy,
      template: {
        spec: {
          terminationGracePeriodSeconds: 1,
          ...(node === undefined ? {} : { nodeSelector: { 'kubernetes.io/hostname': node } }),
          domain: { memory: { guest: '16Mi' }, resources: { requests: { cpu: '10m' } }, devices: {} },
        },
      },
    },
  };
}

function plainPod(name: string, node: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      nodeSelector: { 'kubernetes.io/hostname': node },
      containers: [
        {
          name: 'compute',
          image: LAUNCHER_IMAGE,
          command: ['sleep', '600'],
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  };
}

export async function benchNamespace(clients: KubeClients, ns: string): Promise<void> {
  await namespaces(clients).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await until('the default ServiceAccount', 30_000, async () =>
    (await clients
      .request({ method: 'GET', path: `/api/v1/namespaces/${ns}/serviceaccounts/default` })
      .catch(() => undefined))
      ? true
      : undefined,
  );
}

/** When each VMI reached Running, each VM reached printableStatus Stopped, each Pod Running. */
type Watchers = Readonly<{
  vmiRunning: Map<string, number>;
  vmStopped: Map<string, number>;
  vmReady: Map<string, number>;
  podRunning: Map<string, number>;
  stop: () => Promise<void>;
}>;

async function watch(clients: KubeClients): Promise<Watchers> {
  const w = { vmiRunning: new Map(), vmStopped: new Map(), vmReady: new Map(), podRunning: new Map() } as const;
  const vmis = new Informer<VirtualMachineInstance>(virtualMachineInstances(clients), { namespace: NS });
  const seeVmi = (v: VirtualMachineInstance): void => {
    if (v.status?.phase === 'Running' && !w.vmiRunning.has(v.metadata.name))
      w.vmiRunning.set(v.metadata.name, performance.now());
  };
  vmis.addHandlers({ add: seeVmi, update: (_o, v) => seeVmi(v) });
  const vms = new Informer<VirtualMachine>(virtualMachines(clients), { namespace: NS });
  const seeVm = (v: VirtualMachine): void => {
    const name = v.metadata.name;
    if (v.status?.printableStatus === 'Stopped') {
      if (!w.vmStopped.has(name)) w.vmStopped.set(name, performance.now());
    } else w.vmStopped.delete(name);
    if (v.status?.ready === true && !w.vmReady.has(name)) w.vmReady.set(name, performance.now());
  };
  vms.addHandlers({ add: seeVm, update: (_o, v) => seeVm(v) });
  const podInformer = new Informer<Pod>(pods(clients), { namespace: NS });
  const seePod = (p: Pod): void => {
    const name = p.metadata?.name ?? '';
    if (p.status?.phase === 'Running' && !w.podRunning.has(name)) w.podRunning.set(name, performance.now());
  };
  podInformer.addHandlers({ add: seePod, update: (_o, p) => seePod(p) });
  for (const i of [vmis, vms, podInformer]) i.start();
  await Promise.all([vmis.waitForSync(), vms.waitForSync(), podInformer.waitForSync()]);
  return { ...w, stop: async () => void (await Promise.all([vmis.stop(), vms.stop(), podInformer.stop()])) };
}

type Sizes = Readonly<{ sequential: number; burst: number; nodes: number; idleSeconds: number }>;

async function memory(
  ctx: BenchContext,
  info: ClusterInfo,
  services: Awaited<ReturnType<typeof startServices>>,
  running: number,
): Promise<void> {
  const agents = info.processes.filter((p) => p.name.startsWith('node-agent-')).map((p) => p.pid);
  const procs = await descendants(agents);
  // The node agent runs each launcher under a /bin/sh wrapper that records its exit (cluster/agent).
  const isWrapper = (c: string): boolean => c.startsWith('/bin/sh ');
  const launchers = [...procs].filter(([, c]) => c.includes('virt-launcher.cjs') && !isWrapper(c)).map(([p]) => p);
  const wrappers = [...procs].filter(([, c]) => isWrapper(c)).map(([p]) => p);
  const launcherMem = (await Promise.all(launchers.map((p) => memoryMiB(p).catch(() => undefined)))).flatMap((m) =>
    m === undefined ? [] : [m],
  );
  const wrapperMem = await Promise.all(wrappers.map((p) => memoryMiB(p).catch(() => undefined)));
  const handler = await memoryMiB(services.handlers[0]?.child.pid ?? 0);
  const controller = await memoryMiB(services.controller.child.pid ?? 0);
  const onNode1 = Math.ceil(running / info.nodes.length);
  const pss = launcherMem.map((m) => m.pss);
  const wrapperPss = wrapperMem.flatMap((m) => (m === undefined ? [] : [m.pss]));
  const wrapperEach = wrapperPss.length === 0 ? 0 : wrapperPss.reduce((a, b) => a + b, 0) / Math.max(1, pss.length);
  ctx.report({ name: `launcher PSS (${pss.length} launchers)`, unit: 'MiB', samples: pss });
  ctx.report({
    name: `a running VM's cost to its node (launcher + wrapper + handler's share), ${running} VMs`,
    unit: 'MiB',
    samples: pss.map((p) => p + wrapperEach + handler.pss / onNode1),
    target: { of: 'median', max: 8 },
    note: `handler PSS ${handler.pss.toFixed(1)} MiB over ${onNode1} VMs on its node; a wrapper process ${wrapperEach.toFixed(2)} MiB per VM; launcher RSS median ${median(launcherMem.map((m) => m.rss)).toFixed(1)} MiB`,
  });
  ctx.report({ name: `virt-handler RSS, ${onNode1} VMs on its node`, unit: 'MiB', samples: [handler.rss] });
  ctx.report({ name: `virt-controller RSS, ${running} VMs running`, unit: 'MiB', samples: [controller.rss] });
}

async function measure(ctx: BenchContext, sizes: Sizes): Promise<void> {
  ctx.progress(`a local cluster with ${sizes.nodes} node(s)`);
  const cluster = await upCluster('start', [`--nodes=${sizes.nodes}`]);
  let services: Awaited<ReturnType<typeof startServices>> | undefined;
  let watchers: Watchers | undefined;
  const { info } = cluster;
  const clients = createKubeClients(await loadKubeConfig({ kubeconfig: info.kubeconfig }));
  try {
    services = await startServices(info, { launcher: [NODE_BIN, join(REPO, 'dist/virt-launcher.cjs')] });
    await benchNamespace(clients, NS);
    const w = await watch(clients);
    watchers = w;
    const vmClient = virtualMachines(clients);
    const nodes = info.nodes.map((n) => n.name);
    const node = (i: number): string => nodes[i % nodes.length] ?? 'node-1';

    // 1. Requests per start, one VM at a time, nothing else happening: each waited until its VM is Ready.
    const writesN = Math.min(5, sizes.sequential);
    const r0 = await apiServerRequests(info);
    for (let i = 0; i < writesN; i++) {
      await vmClient.create(benchVm(`w-${i}`, node(i), 'Always'), { namespace: NS });
      await until(`w-${i} Ready`, ctx.remainingMs(), () => w.vmReady.get(`w-${i}`));
    }
    // Trailing writes (the last Events, the VM's final status) land within a moment of Ready.
    await new Promise((r) => setTimeout(r, 2000));
    const perStart = requestsBetween(r0, await apiServerRequests(info));
    const per = (r: Record<string, number>): Record<string, number> =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round((v / writesN) * 100) / 100]));
    ctx.detail('writesPerStartByRequest', per(perStart.writes));
    ctx.detail('readsPerStartByRequest', per(perStart.reads));
    ctx.report({
      name: 'API writes per VM start, all writers (incl. the create, binding, Events)',
      unit: '',
      samples: [total(perStart.writes) / writesN],
      target: { of: 'median', max: 8 },
      note: Object.entries(per(perStart.writes))
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    });
    ctx.report({ name: 'API reads (GET/LIST) per VM start', unit: '', samples: [total(perStart.reads) / writesN] });

    // 2. One at a time, VM and plain Pod interleaved on the same node.
    const seq: number[] = [];
    const podSeq: number[] = [];
    for (let i = 0; i < sizes.sequential; i++) {
      ctx.progress(`one at a time: ${i + 1}/${sizes.sequential}`);
      const t0 = performance.now();
      await vmClient.create(benchVm(`seq-${i}`, node(i), 'Always'), { namespace: NS });
      seq.push((await until(`seq-${i} Running`, ctx.remainingMs(), () => w.vmiRunning.get(`seq-${i}`))) - t0);
      const p0 = performance.now();
      await pods(clients).create(plainPod(`pod-${i}`, node(i)), { namespace: NS });
      podSeq.push((await until(`pod-${i} Running`, ctx.remainingMs(), () => w.podRunning.get(`pod-${i}`))) - p0);
    }
    ctx.report({
      name: 'VM created → VMI Running, one at a time',
      unit: 'ms',
      samples: seq,
      target: { of: 'median', max: 150 },
    });
    ctx.report({
      name: 'VM created → Running over a plain Pod created → Running',
      unit: 'ms',
      samples: seq,
      baseline: { name: 'plain Pod', samples: podSeq },
      target: { of: 'ratio', max: 2 },
    });

    // 3. A burst: all created at once, then all stopped at once.
    const names = Array.from({ length: sizes.burst }, (_, i) => `burst-${i}`);
    ctx.progress(`${sizes.burst} VMs created at once`);
    const b0 = performance.now();
    await Promise.all(names.map((n, i) => vmClient.create(benchVm(n, node(i), 'Always'), { namespace: NS })));
    await until(
      `${sizes.burst} VMIs Running`,
      ctx.remainingMs(),
      () => {
        ctx.progress(`burst: ${names.filter((n) => w.vmiRunning.has(n)).length}/${sizes.burst} Running`);
        return names.every((n) => w.vmiRunning.has(n)) ? true : undefined;
      },
      1000,
    );
    const allRunning = Math.max(...names.map((n) => w.vmiRunning.get(n) ?? NaN)) - b0;
    ctx.report({
      name: `${sizes.burst} VMs created at once → all Running`,
      unit: 'ms',
      samples: [allRunning],
      target: { of: 'median', max: 10_000 },
      note: `each VM from the burst's start: ${JSON.stringify(summarize(names.map((n) => Math.round((w.vmiRunning.get(n) ?? NaN) - b0))))} ms`,
    });
    const running = writesN + sizes.sequential + sizes.burst;
    await memory(ctx, info, services, running);

    // 4. Idle: nothing changes, so nobody should write.
    await new Promise((r) => setTimeout(r, 2000));
    const i0 = await apiServerRequests(info);
    ctx.progress(`idle for ${sizes.idleSeconds} s with ${running} VMs running`);
    await new Promise((r) => setTimeout(r, sizes.idleSeconds * 1000));
    const idle = requestsBetween(i0, await apiServerRequests(info));
    ctx.report({
      name: `API writes while idle, ${running} VMs running, ${sizes.idleSeconds} s`,
      unit: '',
      samples: [total(idle.writes)],
      target: { of: 'median', max: 0 },
      note: JSON.stringify(idle.writes),
    });

    ctx.progress(`${sizes.burst} VMs stopped at once`);
    const s0 = performance.now();
    await Promise.all(
      names.map((n) =>
        vmClient.patch({ namespace: NS, name: n }, { type: 'merge', patch: { spec: { runStrategy: 'Halted' } } }),
      ),
    );
    await until(
      `${sizes.burst} VMs Stopped`,
      ctx.remainingMs(),
      () => {
        ctx.progress(`stop: ${names.filter((n) => w.vmStopped.has(n)).length}/${sizes.burst} Stopped`);
        return names.every((n) => w.vmStopped.has(n)) ? true : undefined;
      },
      1000,
    );
    ctx.report({
      name: `${sizes.burst} VMs stopped at once → all Stopped`,
      unit: 'ms',
      samples: [Math.max(...names.map((n) => w.vmStopped.get(n) ?? NaN)) - s0],
      target: { of: 'median', max: 10_000 },
    });
  } finally {
    await watchers?.stop();
    if (services !== undefined) await cleanUp(ctx, clients, services);
    await cluster.down();
  }
}

/** Leave no launcher behind: delete everything while controller and handlers still run. */
async function cleanUp(
  ctx: BenchContext,
  clients: KubeClients,
  services: Awaited<ReturnType<typeof startServices>>,
): Promise<void> {
  ctx.detail('cleanUp', 'deleting VMs and Pods');
  try {
    await clients.request({ method: 'DELETE', path: `/apis/tsvirt.io/v1alpha1/namespaces/${NS}/virtualmachines` });
    await clients.request({
      method: 'DELETE',
      path: `/api/v1/namespaces/${NS}/pods`,
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 },
    });
    await until(
      'every Pod gone',
      120_000,
      async () => ((await pods(clients).list({ namespace: NS })).items.length === 0 ? true : undefined),
      500,
    );
  } finally {
    await stopServices(services);
  }
}

export const startBenchmark: Benchmark = {
  name: 'start',
  summary: 'VM created → Running, a burst at once, stop at once, API requests per start, memory per VM (test driver)',
  boundMs: { quick: 3 * 60_000, full: 6 * 60_000 },
  run: (ctx) =>
    measure(
      ctx,
      ctx.quick
        ? { sequential: 5, burst: 30, nodes: 1, idleSeconds: 5 }
        : { sequential: 20, burst: 200, nodes: 3, idleSeconds: 10 },
    ),
};
