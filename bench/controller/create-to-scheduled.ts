// `controller`: virt-controller alone: VM created → VMI Scheduled latency, one VM at a time and a
// burst at once, and the API writes per VM start counted by the API server, by resource. A fresh
// local cluster (2 node agents) and virt-controller from dist/, with a launcher Pod that only sleeps
// (no virt-handler: Scheduled is where the controller's work ends). Everything it starts it stops.
import { API_VERSION, VM_KIND } from '../../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import { createKubeClients } from '../../kube/clients.js';
import { loadKubeConfig } from '../../kube/config.js';
import { pods, type Pod } from '../../kube/core.js';
import { Informer } from '../../kube/informer.js';
import { virtualMachineInstances, virtualMachines } from '../../kube/tsvirt.js';
import {
  apiServerRequests,
  memoryMiB,
  requestsBetween,
  startBundle,
  stopProc,
  total,
  until,
  upCluster,
  type Proc,
} from '../bench-processes.js';
import { benchNamespace } from '../handler/create-to-running.js';
import type { Benchmark, BenchContext } from '../runner.js';

type Sizes = Readonly<{ sequential: number; burst: number; nodes: number }>;

function vm(name: string): VirtualMachine {
  return {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name },
    spec: {
      runStrategy: 'Always',
      template: {
        spec: { domain: { memory: { guest: '32Mi' }, resources: { requests: { cpu: '10m' } }, devices: {} } },
      },
    },
  };
}

async function measure(ctx: BenchContext, sizes: Sizes): Promise<void> {
  ctx.progress(`a local cluster with ${sizes.nodes} node(s)`);
  const cluster = await upCluster('controller', [`--nodes=${sizes.nodes}`]);
  const procs: Proc[] = [];
  try {
    const { info } = cluster;
    const controller = startBundle('virt-controller.js', [
      `--kubeconfig=${info.kubeconfig}`,
      '--leader-elect=false',
      '--metrics-port=0',
      '--health-port=0',
      `--launcher-command=${JSON.stringify(['sleep', '3600'])}`,
    ]);
    procs.push(controller);
    await until('the controller to start', 30_000, () =>
      /Started reconciling/.test(controller.output()) ? true : undefined,
    );

    const clients = createKubeClients(await loadKubeConfig({ kubeconfig: info.kubeconfig }));
    const ns = 'bench';
    await benchNamespace(clients, ns);
    const scheduledAt = new Map<string, number>();
    const vmis = new Informer<VirtualMachineInstance>(virtualMachineInstances(clients), { namespace: ns });
    const see = (v: VirtualMachineInstance): void => {
      if (v.status?.phase === 'Scheduled' && !scheduledAt.has(v.metadata.name ?? ''))
        scheduledAt.set(v.metadata.name ?? '', performance.now());
    };
    vmis.addHandlers({ add: see, update: (_o, v) => see(v) });
    const podInformer = new Informer<Pod>(pods(clients), { namespace: ns });
    vmis.start();
    podInformer.start();
    await vmis.waitForSync();
    await podInformer.waitForSync();
    const settled = (n: number): Promise<boolean> =>
      until(`${n} launcher Pods Running`, 120_000, () =>
        podInformer.list().filter((p) => p.status?.phase === 'Running').length >= n ? true : undefined,
      );
    const vmClient = virtualMachines(clients);

    // One VM at a time: its latency, and the writes one start costs.
    const sequential = sizes.sequential;
    const seq: number[] = [];
    const writes0 = await apiServerRequests(info);
    for (let i = 0; i < sequential; i++) {
      const name = `seq-${i}`;
      const t0 = performance.now();
      await vmClient.create(vm(name), { namespace: ns });
      const t1 = await until(`${name} Scheduled`, 30_000, () => scheduledAt.get(name));
      seq.push(t1 - t0);
      ctx.progress(`one at a time: ${i + 1}/${sequential}`);
      await settled(i + 1);
    }
    const writes1 = await apiServerRequests(info);

    // A burst: all created at once.
    const burst = sizes.burst;
    const names = Array.from({ length: burst }, (_, i) => `burst-${i}`);
    const t0 = performance.now();
    const sent = await Promise.all(
      names.map(async (n) => {
        const at = performance.now();
        await vmClient.create(vm(n), { namespace: ns });
        return [n, at] as const;
      }),
    );
    await until(`${burst} VMIs Scheduled`, 180_000, () => (names.every((n) => scheduledAt.has(n)) ? true : undefined));
    const allScheduledMs = Math.max(...names.map((n) => scheduledAt.get(n) ?? 0)) - t0;
    const burstLat = sent.map(([n, at]) => (scheduledAt.get(n) ?? 0) - at);
    await settled(sequential + burst);
    const writes2 = await apiServerRequests(info);
    const rss = (await memoryMiB(controller.child.pid ?? 0)).rss;

    const oneAtATime = requestsBetween(writes0, writes1).writes;
    const inBurst = requestsBetween(writes1, writes2).writes;
    ctx.detail('writesOneAtATime', oneAtATime);
    ctx.detail('writesInBurst', inBurst);
    ctx.report({ name: 'VM created → VMI Scheduled, one at a time', unit: 'ms', samples: seq });
    ctx.report({ name: `VM created → VMI Scheduled, ${burst} at once`, unit: 'ms', samples: burstLat });
    ctx.report({ name: `${burst} VMs created at once → all Scheduled`, unit: 'ms', samples: [allScheduledMs] });
    ctx.report({ name: `virt-controller RSS, ${sequential + burst} VMs`, unit: 'MiB', samples: [rss] });
    // Up to Scheduled only: the user's create, the controller's writes, the binding, the node agent's Pod status.
    ctx.report({
      name: 'API writes per VM start up to Scheduled, one at a time',
      unit: '',
      samples: [total(oneAtATime) / sequential],
    });
    ctx.report({
      name: 'API writes per VM start up to Scheduled, in the burst',
      unit: '',
      samples: [total(inBurst) / burst],
    });
    await vmis.stop();
    await podInformer.stop();
  } finally {
    for (const p of procs) await stopProc(p);
    await cluster.down();
  }
}

export const controllerBenchmark: Benchmark = {
  name: 'controller',
  summary: 'virt-controller alone: VM created → VMI Scheduled, one at a time and a burst; writes up to Scheduled',
  boundMs: { quick: 2 * 60_000, full: 4 * 60_000 },
  run: (ctx) =>
    measure(ctx, ctx.quick ? { sequential: 5, burst: 30, nodes: 1 } : { sequential: 20, burst: 100, nodes: 2 }),
};
