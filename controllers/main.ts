/**
 * virt-controller: wires informers and work queues to the VM and VMI reconcilers on kube/'s
 * service runtime (kube/manager.ts), which serves /healthz, /readyz and /metrics, syncs the caches
 * before the queues run, and runs them only while this replica holds the `virt-controller` Lease
 * (losing it ends the process, as controller-runtime's manager does). SIGTERM stops it gracefully.
 */
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { COMPONENTS, CONTROLLER_LEASE_NAME, LABELS, SYSTEM_NAMESPACE } from '../api/names.js';
import type { VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration } from '../api/types.js';
import { createKubeClients, type KubeClients } from '../kube/clients.js';
import { loadKubeConfig } from '../kube/config.js';
import { configMaps, nodes, pods, type ConfigMap, type Node, type Pod } from '../kube/core.js';
import { podDisruptionBudgets, type PodDisruptionBudget } from '../kube/pdbs.js';
import { CLUSTER_CONFIG_NAME, CLUSTER_CONFIG_NAMESPACE, parseClusterConfig } from '../api/cluster-config.js';
import { Informer } from '../kube/informer.js';
import { Manager, exitOnStartFailure, parseFlagsOrExit } from '../kube/manager.js';
import { virtualMachineInstanceMigrations } from '../kube/migrations.js';
import { virtualMachineInstances, virtualMachines } from '../kube/tsvirt.js';
import type { WorkQueue } from '../kube/workqueue.js';
import { createController } from './controller.js';
import type { EventSink } from './events.js';
import { parseControllerFlags } from './flags.js';
import { ControllerMetrics } from './metrics.js';
import { VmReconciler } from './vm/reconciler.js';
import { MIGRATION_VMI_INDEX, MigrationReconciler, migrationVmiIndex } from './migration/reconciler.js';
import { VmiReconciler } from './vmi/reconciler.js';
import { EvacuationReconciler, VMI_NODE_INDEX, vmiNodeIndex } from './evacuation/reconciler.js';

function defaultLauncherCommand(): string[] {
  // The launcher bundle sits beside this one in dist/; the same Node runs it.
  return [process.execPath, fileURLToPath(new URL('./virt-launcher.cjs', import.meta.url))];
}

function buildInformers(
  clients: KubeClients,
  log: Logger,
): {
  vmCache: Informer<VirtualMachine>;
  vmiCache: Informer<VirtualMachineInstance>;
  podCache: Informer<Pod>;
  configCache: Informer<ConfigMap>;
  vmimCache: Informer<VirtualMachineInstanceMigration>;
  nodeCache: Informer<Node>;
  budgetCache: Informer<PodDisruptionBudget>;
} {
  const logger = log.child({ module: 'informer' });
  return {
    vmCache: new Informer(virtualMachines(clients), { logger }),
    vmiCache: new Informer(virtualMachineInstances(clients), {
      logger,
      indexers: { [VMI_NODE_INDEX]: vmiNodeIndex },
    }),
    // Only launcher Pods: the controller never needs to hold the cluster's other Pods in memory.
    podCache: new Informer(pods(clients), { labelSelector: LABELS.createdBy, logger }),
    // The cluster configuration, for cpuAllocationRatio; absent, every setting takes its default.
    configCache: new Informer(configMaps(clients), {
      namespace: CLUSTER_CONFIG_NAMESPACE,
      fieldSelector: `metadata.name=${CLUSTER_CONFIG_NAME}`,
      logger,
    }),
    vmimCache: new Informer(virtualMachineInstanceMigrations(clients), {
      logger,
      indexers: { [MIGRATION_VMI_INDEX]: migrationVmiIndex },
    }),
    // Nodes: a cordoned one is evacuated of its LiveMigrate VMIs (controllers/evacuation/).
    nodeCache: new Informer(nodes(clients), { logger }),
    // Only the budgets it made for LiveMigrate VMIs.
    budgetCache: new Informer(podDisruptionBudgets(clients), {
      labelSelector: `${LABELS.component}=${COMPONENTS.controller}`,
      logger,
    }),
  };
}

/** Both work queues as the runtime's workers: started after the caches synced and the Lease was won. */
function addQueues(manager: Manager, queues: readonly WorkQueue[]): void {
  for (const q of queues) manager.addWorker({ name: 'work queue', start: () => q.start(), stop: () => q.shutdown() });
}

async function main(): Promise<void> {
  const flags = parseFlagsOrExit(COMPONENTS.controller, () =>
    parseControllerFlags(process.argv.slice(2), {
      launcherCommand: defaultLauncherCommand(),
      logLevel: process.env['LOG_LEVEL'] ?? 'info',
      leaseNamespace: SYSTEM_NAMESPACE,
      leaseName: CONTROLLER_LEASE_NAME,
    }),
  );
  const log = pino({ level: flags.logLevel, base: { component: COMPONENTS.controller } });
  const metrics = new ControllerMetrics();
  const clients = createKubeClients(await loadKubeConfig({ kubeconfig: flags.kubeconfig }), {
    userAgent: COMPONENTS.controller,
    onWrite: metrics.countWrite,
  });
  const manager = new Manager({
    component: COMPONENTS.controller,
    logger: log,
    clients,
    metrics: { registry: metrics.registry, port: flags.metricsPort },
    healthPort: flags.healthPort,
  });
  const { vmCache, vmiCache, podCache, configCache, vmimCache, nodeCache, budgetCache } = buildInformers(clients, log);
  for (const i of [vmCache, vmiCache, podCache, configCache, vmimCache, nodeCache, budgetCache]) manager.addInformer(i);
  const events: EventSink = {
    // The recorder writes in the background and never rejects; a reconcile does not wait for its Events.
    record: (obj, type, reason, message) => void manager.events.event(obj, type, reason, message),
  };
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
  const migrationReconciler = new MigrationReconciler({
    vmims: virtualMachineInstanceMigrations(clients),
    vmis: virtualMachineInstances(clients),
    pods: pods(clients),
    vmimCache,
    vmiCache,
    podCache,
    events,
    launcher,
  });
  const migrationQueue = createController({
    name: 'migration',
    kind: 'VirtualMachineInstanceMigration',
    reconciler: migrationReconciler,
    workers: flags.workers,
    metrics,
    log,
  });
  const evacuationQueue = createController({
    name: 'evacuation',
    kind: 'VirtualMachineInstance',
    reconciler: new EvacuationReconciler({
      vmiCache,
      nodeCache,
      vmimCache,
      budgetCache,
      vmims: virtualMachineInstanceMigrations(clients),
      budgets: podDisruptionBudgets(clients),
      events,
    }),
    workers: flags.workers,
    metrics,
    log,
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
  addQueues(manager, [vmQueue, vmiQueue, migrationQueue, evacuationQueue]);
  await manager.start({
    leaderElection: flags.leaderElect
      ? {
          namespace: flags.leaseNamespace,
          name: flags.leaseName,
          onLeading: (leading) => metrics.leader.set(leading ? 1 : 0),
        }
      : undefined,
    onSynced: () =>
      log.info(
        { vms: vmCache.list().length, vmis: vmiCache.list().length, pods: podCache.list().length },
        'Synced caches',
      ),
    onStarted: () => {
      metrics.leader.set(1);
      log.info({ workers: flags.workers }, 'Started reconciling');
    },
  });
}

main().catch(exitOnStartFailure(COMPONENTS.controller));
