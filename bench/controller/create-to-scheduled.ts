// virt-controller alone: VM created → VMI Scheduled latency, one VM at a time and 100 at once, and
// the API writes per VM start counted by the API server (apiserver_request_total), by resource.
// A fresh local cluster (dist/local-cluster.js, 2 nodes) and virt-controller from dist/, with a
// launcher Pod that only sleeps (no virt-handler: Scheduled is where the controller's work ends).
// Everything it starts it stops. Usage: npx tsx bench/controller/create-to-scheduled.ts
//   [--sequential 20] [--burst 100] [--nodes 2]
// Prints the medians and writes bench/results/controller.json.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION, VM_KIND } from '../../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import type { ClusterInfo } from '../../cluster/local-cluster.js';
import { createKubeClients } from '../../kube/clients.js';
import { loadKubeConfig } from '../../kube/config.js';
import { namespaces, pods, type Pod } from '../../kube/core.js';
import { Informer } from '../../kube/informer.js';
import { virtualMachineInstances, virtualMachines } from '../../kube/tsvirt.js';
import { NODE_BIN, REPO, percentile as pct, run, startBundle, stopProc, until, type Proc } from '../bench-processes.js';

const { values } = parseArgs({
  options: {
    sequential: { type: 'string', default: '20' },
    burst: { type: 'string', default: '100' },
    nodes: { type: 'string', default: '2' },
  },
});

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

/** Mutating requests the API server counted, keyed `resource[/subresource]`. */
async function apiServerWrites(kubectl: string, kubeconfig: string): Promise<Record<string, number>> {
  const text = await run(kubectl, [`--kubeconfig=${kubeconfig}`, 'get', '--raw', '/metrics']);
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
    if (!['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY'].includes(verb)) continue;
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    const sub = /subresource="([^"]*)"/.exec(line)?.[1] ?? '';
    const key = `${verb} ${sub === '' ? resource : `${resource}/${sub}`}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

/** Writes per VM between two snapshots, for the resources a VM start touches. */
function perVm(before: Record<string, number>, after: Record<string, number>, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    if (!/ (virtualmachines|virtualmachineinstances|pods|events)/.test(k)) continue;
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = Math.round((d / n) * 100) / 100;
  }
  return out;
}

async function main(): Promise<void> {
  const state = await mkdtemp(join(tmpdir(), 'tsvirt-bench-controller-'));
  const procs: Proc[] = [];
  try {
    await run(NODE_BIN, [join(REPO, 'dist/local-cluster.js'), 'up', `--state-dir=${state}`, `--nodes=${values.nodes}`]);
    const info = JSON.parse(await readFile(join(state, 'cluster.json'), 'utf8')) as ClusterInfo;
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

    const clients = createKubeClients(loadKubeConfig({ kubeconfig: info.kubeconfig }));
    const ns = 'bench';
    await namespaces(clients).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await until('the default ServiceAccount', 30_000, async () =>
      (await clients
        .request({ method: 'GET', path: `/api/v1/namespaces/${ns}/serviceaccounts/default` })
        .catch(() => undefined))
        ? true
        : undefined,
    );
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
    const sequential = Number(values.sequential);
    const seq: number[] = [];
    const writes0 = await apiServerWrites(info.kubectl, info.kubeconfig);
    for (let i = 0; i < sequential; i++) {
      const name = `seq-${i}`;
      const t0 = performance.now();
      await vmClient.create(vm(name), { namespace: ns });
      const t1 = await until(`${name} Scheduled`, 30_000, () => scheduledAt.get(name));
      seq.push(t1 - t0);
      await settled(i + 1);
    }
    const writes1 = await apiServerWrites(info.kubectl, info.kubeconfig);

    // A burst: all created at once.
    const burst = Number(values.burst);
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
    const writes2 = await apiServerWrites(info.kubectl, info.kubeconfig);
    const status = await readFile(`/proc/${controller.child.pid ?? 0}/status`, 'utf8');
    const rssMb = Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024);

    const result = {
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '' },
      nodes: Number(values.nodes),
      loadAverage: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
      controllerRssMb: { afterVms: sequential + burst, rss: rssMb },
      oneAtATime: {
        vms: sequential,
        createToScheduledMs: { p50: pct(seq, 50), p95: pct(seq, 95), max: pct(seq, 100) },
      },
      burst: {
        vms: burst,
        createToScheduledMs: { p50: pct(burstLat, 50), p95: pct(burstLat, 95) },
        allScheduledMs: Math.round(allScheduledMs),
      },
      // Counted by the API server between snapshots, divided by the VMs started; includes the
      // user's own create, the scheduler's binding and the node agent's Pod status.
      writesPerVmStart: { oneAtATime: perVm(writes0, writes1, sequential), burst: perVm(writes1, writes2, burst) },
    };
    const total = (r: Record<string, number>): number =>
      Math.round(Object.values(r).reduce((a, b) => a + b, 0) * 100) / 100;
    process.stdout.write(
      [
        `one VM at a time (${sequential}): create → Scheduled P50 ${result.oneAtATime.createToScheduledMs.p50} ms, P95 ${result.oneAtATime.createToScheduledMs.p95} ms`,
        `${burst} at once: create → Scheduled P50 ${result.burst.createToScheduledMs.p50} ms, P95 ${result.burst.createToScheduledMs.p95} ms; all Scheduled after ${result.burst.allScheduledMs} ms`,
        `virt-controller RSS with ${sequential + burst} VMs: ${rssMb} MB (load average ${result.loadAverage})`,
        `writes per VM start (API server): ${total(result.writesPerVmStart.oneAtATime)} one at a time, ${total(result.writesPerVmStart.burst)} in the burst`,
        ...Object.entries(result.writesPerVmStart.oneAtATime).map(([k, v]) => `  ${k}: ${v}`),
        '',
      ].join('\n'),
    );
    await mkdir(join(REPO, 'bench/results'), { recursive: true });
    await writeFile(join(REPO, 'bench/results/controller.json'), `${JSON.stringify(result, null, 2)}\n`);
    await vmis.stop();
    await podInformer.stop();
  } finally {
    for (const p of procs) await stopProc(p);
    await run(NODE_BIN, [join(REPO, 'dist/local-cluster.js'), 'down', `--state-dir=${state}`]).catch((e: unknown) =>
      process.stderr.write(`${String(e)}\n`),
    );
    await rm(state, { recursive: true, force: true });
  }
}

await main();
