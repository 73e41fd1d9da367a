// VM created → VMI Running on libvirt's test driver (DESIGN.md targets: P50 <= 150 ms, P95 <= 400 ms,
// <= 2x a plain Pod's start; 200 VMs at once all Running <= 10 s), plus the handler's poll cost and
// its API writes per VM start. A fresh local cluster (dist/local-cluster.js), virt-controller and one
// virt-handler per node, all from dist/; everything is stopped at the end.
// Usage: npx tsx bench/handler/create-to-running.ts [--sequential 20] [--burst 100] [--nodes 3] [--poll-interval 500]
// Writes bench/handler/results.json.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API_VERSION, LAUNCHER_IMAGE, VM_KIND } from '../../api/names.js';
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
    nodes: { type: 'string', default: '3' },
    'poll-interval': { type: 'string', default: '500' },
    /** Keep the components' logs in this folder (for a breakdown of where the time goes). */
    logs: { type: 'string' },
  },
});

function vm(name: string, node: string): VirtualMachine {
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

async function scrapeWrites(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [
    ...text.matchAll(/^tsvirt_handler_api_writes_total\{[^}]*resource="virtualmachineinstances"[^}]*\} (\d+)/gm),
  ].reduce((a, m) => a + Number(m[1]), 0);
}

async function main(): Promise<void> {
  const state = await mkdtemp(join(tmpdir(), 'tsvirt-bench-handler-'));
  const procs: Proc[] = [];
  try {
    await run(NODE_BIN, [join(REPO, 'dist/local-cluster.js'), 'up', `--state-dir=${state}`, `--nodes=${values.nodes}`]);
    const info = JSON.parse(await readFile(join(state, 'cluster.json'), 'utf8')) as ClusterInfo;
    const launcher = JSON.stringify([NODE_BIN, join(REPO, 'dist/virt-launcher.cjs')]);
    procs.push(
      startBundle('virt-controller.js', [
        `--kubeconfig=${info.kubeconfig}`,
        '--leader-elect=false',
        '--metrics-port=0',
        '--health-port=0',
        `--launcher-command=${launcher}`,
      ]),
    );
    const handlers = info.nodes.map((n) =>
      startBundle('virt-handler.js', [
        `--kubeconfig=${info.kubeconfig}`,
        `--node-name=${n.name}`,
        '--libvirt-uri=test:///default',
        `--run-dir=${n.handlerRunDir}`,
        '--emulation=tcg',
        '--metrics-port=0',
        `--poll-interval=${values['poll-interval']}`,
      ]),
    );
    procs.push(...handlers);
    const ports = await Promise.all(
      handlers.map((h) =>
        until('a handler to start', 30_000, () => /"metricsPort":(\d+)/.exec(h.output())?.[1]).then(Number),
      ),
    );
    await until('the controller to start', 30_000, () =>
      /Started reconciling/.test(procs[0]?.output() ?? '') ? true : undefined,
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
    const runningAt = new Map<string, number>();
    const vmis = new Informer<VirtualMachineInstance>(virtualMachineInstances(clients), { namespace: ns });
    const seeRunning = (v: VirtualMachineInstance): void => {
      const owner = v.metadata.name ?? '';
      if (v.status?.phase === 'Running' && !runningAt.has(owner)) runningAt.set(owner, performance.now());
    };
    vmis.addHandlers({ add: seeRunning, update: (_o, v) => seeRunning(v) });
    const podRunningAt = new Map<string, number>();
    const podInformer = new Informer<Pod>(pods(clients), { namespace: ns });
    const seePod = (p: Pod): void => {
      if (p.status?.phase === 'Running' && !podRunningAt.has(p.metadata?.name ?? ''))
        podRunningAt.set(p.metadata?.name ?? '', performance.now());
    };
    podInformer.addHandlers({ add: seePod, update: (_o, p) => seePod(p) });
    vmis.start();
    podInformer.start();
    await vmis.waitForSync();
    await podInformer.waitForSync();
    const nodes = info.nodes.map((n) => n.name);
    const node = (i: number): string => nodes[i % nodes.length] ?? 'node-1';

    // Sequential: one VM at a time (and one plain Pod at a time, the baseline).
    const seq: number[] = [];
    const podSeq: number[] = [];
    for (let i = 0; i < Number(values.sequential); i++) {
      const t0 = performance.now();
      await virtualMachines(clients).create(vm(`seq-${i}`, node(i)), { namespace: ns });
      await until(`seq-${i} Running`, 60_000, () => runningAt.get(`seq-${i}`));
      seq.push((runningAt.get(`seq-${i}`) ?? NaN) - t0);
      const p0 = performance.now();
      await pods(clients).create(plainPod(`pod-${i}`, node(i)), { namespace: ns });
      await until(`pod-${i} Running`, 60_000, () => podRunningAt.get(`pod-${i}`));
      podSeq.push((podRunningAt.get(`pod-${i}`) ?? NaN) - p0);
    }
    const writesBefore = (await Promise.all(ports.map(scrapeWrites))).reduce((a, b) => a + b, 0);

    // Burst: N VMs created at once.
    const n = Number(values.burst);
    const created = new Map<string, number>();
    const b0 = performance.now();
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        created.set(`burst-${i}`, performance.now());
        await virtualMachines(clients).create(vm(`burst-${i}`, node(i)), { namespace: ns });
      }),
    );
    await until('every burst VM Running', 120_000, () =>
      [...created.keys()].every((k) => runningAt.has(k)) ? true : undefined,
    );
    const burstAll = Math.max(...[...created.keys()].map((k) => runningAt.get(k) ?? NaN)) - b0;
    const burst = [...created].map(([k, t]) => (runningAt.get(k) ?? NaN) - t);
    const writesAfter = (await Promise.all(ports.map(scrapeWrites))).reduce((a, b) => a + b, 0);

    // Idle: no handler writes while nothing changes (after the last annotations have landed).
    await new Promise((r) => setTimeout(r, 2000));
    const idle0 = (await Promise.all(ports.map(scrapeWrites))).reduce((a, b) => a + b, 0);
    await new Promise((r) => setTimeout(r, 5000));
    const idleWrites = (await Promise.all(ports.map(scrapeWrites))).reduce((a, b) => a + b, 0) - idle0;
    const pollMetrics = await (await fetch(`http://127.0.0.1:${ports[0] ?? 0}/metrics`)).text();
    const lastPoll = Number(/^tsvirt_handler_last_poll_seconds (\S+)/m.exec(pollMetrics)?.[1] ?? NaN);

    const results = {
      measuredAt: new Date().toISOString(),
      host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '' },
      nodes: nodes.length,
      pollIntervalMs: Number(values['poll-interval']),
      sequential: {
        runs: seq.length,
        p50Ms: pct(seq, 50),
        p95Ms: pct(seq, 95),
        plainPodP50Ms: pct(podSeq, 50),
        plainPodP95Ms: pct(podSeq, 95),
        ratioToPod: +(pct(seq, 50) / pct(podSeq, 50)).toFixed(2),
      },
      burst: { vms: n, p50Ms: pct(burst, 50), p95Ms: pct(burst, 95), allRunningMs: Math.round(burstAll) },
      handler: {
        vmiWritesPerStart: +((writesAfter - writesBefore) / n).toFixed(2),
        idleVmiWritesIn5s: idleWrites,
        lastPollMsWithVms: +(lastPoll * 1000).toFixed(2),
        domainsOnNode1: Math.ceil((n + seq.length) / nodes.length),
      },
    };
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(REPO, 'bench/handler/results.json'), `${JSON.stringify(results, null, 2)}\n`);
    await vmis.stop();
    await podInformer.stop();
    // Leave no launcher behind: delete everything while controller and handlers still run.
    await clients.request({ method: 'DELETE', path: `/apis/tsvirt.io/v1alpha1/namespaces/${ns}/virtualmachines` });
    await clients.request({
      method: 'DELETE',
      path: `/api/v1/namespaces/${ns}/pods`,
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 },
    });
    await until('every Pod gone', 120_000, async () => {
      const list = await pods(clients).list({ namespace: ns });
      return list.items.length === 0 ? true : undefined;
    });
  } finally {
    for (const p of procs.reverse()) await stopProc(p);
    const logDir = values.logs;
    if (logDir !== undefined) {
      await mkdir(logDir, { recursive: true });
      await Promise.all(procs.map((p, i) => writeFile(join(logDir, `${i}.log`), p.output())));
      await cp(join(state, 'logs'), join(logDir, 'cluster'), { recursive: true }).catch(() => undefined);
    }
    await run(NODE_BIN, [join(REPO, 'dist/local-cluster.js'), 'down', `--state-dir=${state}`]).catch((e: unknown) =>
      process.stderr.write(`${String(e)}\n`),
    );
    await rm(state, { recursive: true, force: true });
  }
}

await main();
