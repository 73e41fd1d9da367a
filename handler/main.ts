/**
 * virt-handler: one per node. Turns the node's VMIs into libvirt domains and reports their state.
 * Flags in flags.ts (`--help` lists them). On kube/'s service runtime (kube/manager.ts): /metrics,
 * /healthz and /readyz on --metrics-port, the VMI and cluster-configuration caches synced before
 * the node handler, the heartbeat Lease and virt-api's endpoint start, Events through the one
 * recorder. This file keeps the handler's own wiring: emulation, libvirt, the node handler.
 *
 * SIGTERM stops it cleanly and leaves every domain running: a restarted handler re-adopts them.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { CLUSTER_CONFIG_NAME, CLUSTER_CONFIG_NAMESPACE, parseClusterConfig } from '../api/cluster-config.js';
import { COMPONENTS, LABELS, VMI_NODE_FIELD } from '../api/names.js';
import { HANDLER_SOCKET_NAME } from '../api/launcher-protocol.js';
import type { VirtualMachineInstance } from '../api/types.js';
import { createKubeClients } from '../kube/clients.js';
import { loadKubeConfig } from '../kube/config.js';
import { type ConfigMap, configMaps, leases, nodes, pods, secrets } from '../kube/core.js';
import { toApiError } from '../kube/errors.js';
import { Informer } from '../kube/informer.js';
import { Manager, exitOnStartFailure, parseFlagsOrExit } from '../kube/manager.js';
import { virtualMachineInstances } from '../kube/tsvirt.js';
import { imageCacheFor } from './containerdisk/node-cache.js';
import type { HostFacts } from './domain/host-facts.js';
import { type HandlerFlags as Flags, parseHandlerFlags } from './flags.js';
import { Heartbeat } from './heartbeat.js';
import { hostDiskGate, nodePathPolicy } from './host-paths/node-config.js';
import { type EmulationChoice, chooseEmulation, probeKvm } from './kvm-probe.js';
import { LibvirtConnection } from './libvirt/connection.js';
import { HandlerMetrics } from './metrics.js';
import { NodeHandler, UID_INDEX } from './node-handler.js';
import { type RunningEndpoint, serveVirtApiEndpoint } from './virt-api-endpoint.js';
import { eventRecorder, vmiEventBuilder } from './vmi-events.js';

const KVM_PROBE_TIMEOUT_MS = 3000;

async function chooseHostEmulation(flags: Flags): Promise<EmulationChoice> {
  const runsRealGuests = !flags.libvirtUri.startsWith('test:');
  if (flags.emulation !== 'auto' || !runsRealGuests) return chooseEmulation(flags.emulation, undefined);
  const facts = await probeKvm('qemu-system-x86_64', KVM_PROBE_TIMEOUT_MS, () => readFileSync('/etc/group', 'utf8'));
  return chooseEmulation('auto', facts);
}

function hostFacts(flags: Flags, choice: EmulationChoice): HostFacts {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return {
    domainType: choice.domainType,
    arch,
    machine: arch === 'aarch64' ? 'virt' : 'pc',
    runDir: flags.runDir,
    guestNetwork: flags.guestNetwork,
  };
}

/** Marks the Node as served by a handler (best effort: the agent or kubelet owns the Node). */
async function labelNode(log: Logger, nodeClient: ReturnType<typeof nodes>, node: string): Promise<void> {
  try {
    const current = await nodeClient.find({ name: node });
    if (current === undefined || current.metadata?.labels?.[LABELS.schedulable] === 'true') return;
    await nodeClient.patch(
      { name: node },
      { type: 'merge', patch: { metadata: { labels: { [LABELS.schedulable]: 'true' } } } },
      { fieldManager: COMPONENTS.handler },
    );
  } catch (err) {
    log.warn({ err: toApiError(err), node }, 'Could not label the Node as schedulable');
  }
}

/** The node's two caches: its own VMIs (by uid too) and the cluster configuration (the hostDisk gate). */
function informers(
  manager: Manager,
  clients: ReturnType<typeof createKubeClients>,
  flags: Flags,
  log: Logger,
): {
  vmis: Informer<VirtualMachineInstance>;
  migrationTargets: Informer<VirtualMachineInstance>;
  clusterConfig: Informer<ConfigMap>;
} {
  const byUid = { [UID_INDEX]: (o: VirtualMachineInstance) => (o.metadata.uid === undefined ? [] : [o.metadata.uid]) };
  const vmis = new Informer<VirtualMachineInstance>(virtualMachineInstances(clients), {
    fieldSelector: `${VMI_NODE_FIELD}=${flags.nodeName}`,
    indexers: byUid,
    logger: log,
  });
  // VMIs migrating here: still on their source's nodeName until the guest moved (api/names.ts).
  const migrationTargets = new Informer<VirtualMachineInstance>(virtualMachineInstances(clients), {
    labelSelector: `${LABELS.migrationTargetNode}=${flags.nodeName}`,
    indexers: byUid,
    logger: log,
  });
  const clusterConfig = new Informer<ConfigMap>(configMaps(clients), {
    namespace: CLUSTER_CONFIG_NAMESPACE,
    fieldSelector: `metadata.name=${CLUSTER_CONFIG_NAME}`,
    logger: log,
  });
  return {
    vmis: manager.addInformer(vmis),
    migrationTargets: manager.addInformer(migrationTargets),
    clusterConfig: manager.addInformer(clusterConfig),
  };
}

async function openLibvirt(flags: Flags, log: Logger): Promise<LibvirtConnection> {
  if (flags.libvirtLogDir === undefined && !flags.libvirtUri.startsWith('test:')) {
    log.warn(
      { uri: flags.libvirtUri },
      'No --libvirt-log-dir: a guest that powers itself off will be reported as Failed, not Succeeded',
    );
  }
  const libvirt = new LibvirtConnection(flags.libvirtUri);
  await libvirt
    .open()
    .catch((err: unknown) =>
      log.warn({ err, uri: flags.libvirtUri }, 'Could not connect to libvirt yet; retrying on every poll'),
    );
  return libvirt;
}

async function main(): Promise<void> {
  const flags = parseFlagsOrExit(COMPONENTS.handler, () => parseHandlerFlags(process.argv.slice(2), process.env));
  const log = pino({ level: flags.logLevel, base: { component: COMPONENTS.handler, node: flags.nodeName } });
  mkdirSync(flags.runDir, { recursive: true, mode: 0o755 });
  // The roots must exist to be resolved; a spec can never create one (host-paths/policy.ts).
  for (const root of [...flags.roots.hostDiskRoots, ...flags.roots.bootRoots])
    mkdirSync(root, { recursive: true, mode: 0o755 });
  const metrics = new HandlerMetrics();
  const clients = createKubeClients(await loadKubeConfig({ kubeconfig: flags.kubeconfig }), {
    userAgent: COMPONENTS.handler,
    onWrite: (w) => metrics.onWrite(w),
  });
  const manager = new Manager({
    component: COMPONENTS.handler,
    logger: log,
    clients,
    metrics: { registry: metrics.registry, port: flags.metricsPort },
    eventHost: flags.nodeName,
    buildEvent: vmiEventBuilder(flags.nodeName),
    stopNote: '; domains keep running',
  });
  const choice = await chooseHostEmulation(flags);
  if (choice.domainType === 'qemu') log.warn({ why: choice.why }, 'Running domains under QEMU emulation (TCG)');
  else log.info({ why: choice.why }, 'Running domains with KVM');
  const libvirt = await openLibvirt(flags, log);
  manager.onStop('clients', 'libvirt', () => libvirt.close());
  const { vmis, migrationTargets, clusterConfig } = informers(manager, clients, flags, log);
  const images = imageCacheFor(flags.images, flags.runDir, log);
  const secretClient = secrets(clients);
  const podClient = pods(clients);
  const handler = new NodeHandler(
    {
      nodeName: flags.nodeName,
      host: hostFacts(flags, choice),
      socketPath: `${flags.runDir}/${HANDLER_SOCKET_NAME}`,
      pollIntervalMs: flags.pollIntervalMs,
      libvirtLogDir: flags.libvirtLogDir,
      workers: flags.workers,
      hostPaths: nodePathPolicy(flags.roots, hostDiskGate(clusterConfig)),
      migration: {
        libvirtUri: flags.libvirtUri,
        targetLibvirtUri: flags.migration.libvirtUri,
        targetAddress: flags.migration.address,
        limits: () =>
          parseClusterConfig(clusterConfig.get(CLUSTER_CONFIG_NAMESPACE, CLUSTER_CONFIG_NAME)?.data).migrations,
      },
    },
    {
      libvirt,
      vmis,
      migrationTargets,
      vmiClient: virtualMachineInstances(clients),
      events: eventRecorder(manager.events),
      log,
      now: Date.now,
      onPoll: (ms, domains) => metrics.observePoll(ms, domains),
      imageCache: images.cache,
      secret: (namespace, name) => secretClient.find({ namespace, name }),
      pod: (namespace, name) => podClient.find({ namespace, name }),
    },
  );
  const heartbeat = new Heartbeat(leases(clients), flags.nodeName, log);
  manager.addWorker({ name: 'node handler', start: () => handler.start(), stop: () => handler.stop() });
  manager.addWorker({
    name: 'heartbeat',
    start: () => heartbeat.start(),
    stop: () => heartbeat.stop(),
    stopPhase: 'leases',
  });
  manager.addWorker({
    name: 'image collector',
    start: () => images.startCollecting(),
    stop: () => images.stopCollecting(),
  });
  let endpoint: RunningEndpoint | undefined;
  manager.addWorker({
    name: 'virt-api endpoint',
    start: async () => {
      void labelNode(log, nodes(clients), flags.nodeName);
      if (flags.endpoint === undefined) {
        log.warn('No --tls-cert-file: no endpoint for virt-api (console, pause, soft reboot)');
        return;
      }
      endpoint = await serveVirtApiEndpoint(flags.endpoint, {
        nodeName: flags.nodeName,
        host: hostFacts(flags, choice),
        libvirt,
        vmis,
        nodeClient: nodes(clients),
        log,
      });
    },
    stop: () => {
      endpoint?.consoles.closeAll();
      endpoint?.server.closeAllConnections();
      endpoint?.server.close();
    },
  });
  await manager.start({
    onStarted: () =>
      log.info(
        {
          uri: flags.libvirtUri,
          runDir: flags.runDir,
          hostDiskRoots: flags.roots.hostDiskRoots,
          bootRoots: flags.roots.bootRoots,
          socket: handler.launchers.socketPath,
          metricsPort: manager.ports()[0],
          endpoint: endpoint?.address,
          pollIntervalMs: flags.pollIntervalMs,
          emulation: choice.domainType,
        },
        'Started virt-handler',
      ),
  });
}

main().catch(exitOnStartFailure(COMPONENTS.handler));
