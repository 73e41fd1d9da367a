/**
 * virt-controller: wires kube/'s clients, informers and work queues to the VM and VMI reconcilers,
 * serves /healthz and /metrics, and works only while it holds the `virt-controller` Lease (losing
 * it ends the process, as controller-runtime's manager does). SIGTERM stops it gracefully.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { COMPONENTS, CONTROLLER_LEASE_NAME, LABELS, SYSTEM_NAMESPACE } from '../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../api/types.js';
import { createKubeClients, type KubeClients } from '../kube/clients.js';
import { loadKubeConfig } from '../kube/config.js';
import { configMaps, pods, type ConfigMap, type Pod } from '../kube/core.js';
import { CLUSTER_CONFIG_NAME, CLUSTER_CONFIG_NAMESPACE, parseClusterConfig } from '../api/cluster-config.js';
import { toApiError } from '../kube/errors.js';
import { EventRecorder } from '../kube/events.js';
import { LeaderElector } from '../kube/leader.js';
import { Informer } from '../kube/informer.js';
import { virtualMachineInstances, virtualMachines } from '../kube/tsvirt.js';
import type { WorkQueue } from '../kube/workqueue.js';
import { createController } from './controller.js';
import type { EventSink } from './events.js';
import { FlagError, parseControllerFlags, type ControllerFlags } from './flags.js';
import { ControllerMetrics } from './metrics.js';
import { VmReconciler } from './vm/reconciler.js';
import { VmiReconciler } from './vmi/reconciler.js';

type Election = Readonly<{ abort: AbortController; done: Promise<void> }>;

type Running = Readonly<{
  informers: readonly { stop(): Promise<void> }[];
  queues: readonly WorkQueue[];
  servers: readonly Server[];
}>;

function defaultLauncherCommand(): string[] {
  // The launcher bundle sits beside this one in dist/; the same Node runs it.
  return [process.execPath, fileURLToPath(new URL('./virt-launcher.cjs', import.meta.url))];
}

function serve(port: number, log: Logger, what: string, handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address();
      log.info(
        { [`${what}Port`]: typeof addr === 'object' && addr !== null ? addr.port : port },
        `Started serving ${what}`,
      );
      resolve(server);
    });
  });
}

async function startServers(
  flags: ControllerFlags,
  metrics: ControllerMetrics,
  healthy: () => boolean,
  log: Logger,
): Promise<Server[]> {
  const metricsServer = await serve(flags.metricsPort, log, 'metrics', (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  const healthServer = await serve(flags.healthPort, log, 'health', (req, res) => {
    const ok = req.url === '/healthz' || req.url === '/readyz' ? healthy() : false;
    res.writeHead(ok ? 200 : req.url === '/healthz' || req.url === '/readyz' ? 503 : 404).end(ok ? 'ok' : 'not ready');
  });
  return [metricsServer, healthServer];
}

function buildInformers(
  clients: KubeClients,
  log: Logger,
): {
  vmCache: Informer<VirtualMachine>;
  vmiCache: Informer<VirtualMachineInstance>;
  podCache: Informer<Pod>;
  configCache: Informer<ConfigMap>;
} {
  const logger = log.child({ module: 'informer' });
  return {
    vmCache: new Informer(virtualMachines(clients), { logger }),
    vmiCache: new Informer(virtualMachineInstances(clients), { logger }),
    // Only launcher Pods: the controller never needs to hold the cluster's other Pods in memory.
    podCache: new Informer(pods(clients), { labelSelector: LABELS.createdBy, logger }),
    // The cluster configuration, for cpuAllocationRatio; absent, every setting takes its default.
    configCache: new Informer(configMaps(clients), {
      namespace: CLUSTER_CONFIG_NAMESPACE,
      fieldSelector: `metadata.name=${CLUSTER_CONFIG_NAME}`,
      logger,
    }),
  };
}

/** Queues first (running reconciles finish), then the lease (released for a standby), then the rest. */
async function stop(running: Running, election: Election | undefined, log: Logger): Promise<void> {
  await Promise.all(running.queues.map((q) => q.shutdown()));
  election?.abort.abort();
  await election?.done;
  await Promise.all(running.informers.map((i) => i.stop()));
  await Promise.all(running.servers.map((s) => new Promise((r) => s.close(r))));
  log.info({}, 'Stopped virt-controller');
}

async function main(): Promise<void> {
  const flags = parseControllerFlags(process.argv.slice(2), {
    launcherCommand: defaultLauncherCommand(),
    logLevel: process.env['LOG_LEVEL'] ?? 'info',
    leaseNamespace: SYSTEM_NAMESPACE,
    leaseName: CONTROLLER_LEASE_NAME,
  });
  const log = pino({ level: flags.logLevel, base: { component: COMPONENTS.controller } });
  const metrics = new ControllerMetrics();
  const clients = createKubeClients(await loadKubeConfig({ kubeconfig: flags.kubeconfig }), {
    userAgent: COMPONENTS.controller,
    onWrite: metrics.countWrite,
  });
  const { vmCache, vmiCache, podCache, configCache } = buildInformers(clients, log);
  const recorder = new EventRecorder(clients, {
    component: COMPONENTS.controller,
    host: hostname(),
    logger: log.child({ module: 'events' }),
  });
  const events: EventSink = { record: (obj, type, reason, message) => recorder.event(obj, type, reason, message) };
  const launcher = {
    launcherCommand: flags.launcherCommand,
    cpuAllocationRatio: () =>
      parseClusterConfig(configCache.get(CLUSTER_CONFIG_NAMESPACE, CLUSTER_CONFIG_NAME)?.data).cpuAllocationRatio,
    ...(flags.launcherImage === undefined ? {} : { image: flags.launcherImage }),
    ...(flags.handlerRunDir === undefined ? {} : { handlerRunDir: flags.handlerRunDir }),
  };
  const vmReconciler = new VmReconciler({
    vms: virtualMachines(clients),
    vmis: virtualMachineInstances(clients),
    vmCache,
    vmiCache,
    events,
    log,
  });
  const vmiReconciler = new VmiReconciler({
    vmis: virtualMachineInstances(clients),
    pods: pods(clients),
    vmiCache,
    podCache,
    events,
    launcher,
  });
  const vmQueue = createController({
    name: 'vm',
    kind: 'VirtualMachine',
    reconciler: vmReconciler,
    workers: flags.workers,
    metrics,
    log,
  });
  const vmiQueue = createController({
    name: 'vmi',
    kind: 'VirtualMachineInstance',
    reconciler: vmiReconciler,
    workers: flags.workers,
    metrics,
    log,
  });
  const informers = [vmCache, vmiCache, podCache, configCache] as const;
  let synced = false;
  const servers = await startServers(flags, metrics, () => synced, log);
  const running: Running = { informers, queues: [vmQueue, vmiQueue], servers };

  const state: { election: Election | undefined; stopping: boolean } = { election: undefined, stopping: false };
  const shutdown = (signal: string): void => {
    if (state.stopping) return;
    state.stopping = true;
    log.info({ signal }, 'Stopping virt-controller');
    stop(running, state.election, log).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'Could not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  for (const i of informers) i.start();
  await Promise.all(informers.map((i) => i.waitForSync()));
  synced = true;
  log.info({ vms: vmCache.list().length, vmis: vmiCache.list().length, pods: podCache.list().length }, 'Synced caches');

  const startWork = (): void => {
    metrics.leader.set(1);
    vmQueue.start();
    vmiQueue.start();
    log.info({ workers: flags.workers }, 'Started reconciling');
  };
  if (!flags.leaderElect) {
    startWork();
    return;
  }
  const identity = `${hostname()}_${process.pid}_${randomUUID().slice(0, 8)}`;
  const abort = new AbortController();
  const elector = new LeaderElector(clients, {
    namespace: flags.leaseNamespace,
    name: flags.leaseName,
    identity,
    releaseOnCancel: true,
    logger: log.child({ module: 'leader-election' }),
    onStartedLeading: startWork,
    onStoppedLeading: () => {
      metrics.leader.set(0);
      if (state.stopping) return;
      // Another replica may already be writing: stop at once, as controller-runtime's manager does.
      log.error({ identity }, 'Lost the leader lease, exiting');
      process.exit(1);
    },
  });
  state.election = { abort, done: elector.run(abort.signal) };
}

main().catch((err: unknown) => {
  if (err instanceof FlagError) {
    process.stderr.write(`virt-controller: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`virt-controller: ${JSON.stringify(toApiError(err))}\n`);
  process.exit(1);
});
