/**
 * virt-handler: one per node. Turns the node's VMIs into libvirt domains and reports their state.
 *
 *   node dist/virt-handler.js --node-name node-1 [--kubeconfig F] [--libvirt-uri qemu:///system]
 *     [--run-dir /run/tsvirt] [--emulation auto|kvm|tcg] [--metrics-port 0] [--poll-interval 500]
 *     [--libvirt-log-dir DIR] [--workers 16]
 *     [--host-disk-root /var/lib/tsvirt/disks]... [--boot-root /var/lib/tsvirt/guest]...
 *     [--image-cache-dir /var/lib/tsvirt/containerdisks]
 *     [--insecure-registry HOST:PORT]... [--image-cache-max-unused 86400]
 *     [--tls-cert-file F --tls-key-file F --client-ca-file F [--endpoint-port 8186]
 *      [--endpoint-address 0.0.0.0] [--advertise-address $POD_IP]]
 *     [--guest-network open|node-only [--guest-node-port N]...]
 *
 * With the three TLS files it serves virt-api's endpoint (pause, unpause, soft reboot, console;
 * virt-api-endpoint.ts) over mutual TLS and writes its address on the Node.
 *
 * SIGTERM stops it cleanly and leaves every domain running: a restarted handler re-adopts them.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import {
  CLUSTER_CONFIG_NAME,
  CLUSTER_CONFIG_NAMESPACE,
  DEFAULT_BOOT_ROOT,
  DEFAULT_HOST_DISK_ROOT,
} from '../api/cluster-config.js';
import { COMPONENTS, LABELS, VMI_NODE_FIELD } from '../api/names.js';
import { HANDLER_SOCKET_NAME } from '../api/launcher-protocol.js';
import { HANDLER_ENDPOINT_PORT } from '../api/subresources.js';
import type { VirtualMachineInstance } from '../api/types.js';
import { createKubeClients } from '../kube/clients.js';
import { loadKubeConfig } from '../kube/config.js';
import { type ConfigMap, configMaps, coreEvents, leases, nodes, pods, secrets } from '../kube/core.js';
import { toApiError } from '../kube/errors.js';
import { Informer } from '../kube/informer.js';
import { virtualMachineInstances } from '../kube/tsvirt.js';
import { imageCacheFor, type ImageCacheFlags } from './containerdisk/node-cache.js';
import type { GuestNetworkPolicy, HostFacts } from './domain/host-facts.js';
import { Heartbeat } from './heartbeat.js';
import { hostDiskGate, nodePathPolicy, type NodeRoots } from './host-paths/node-config.js';
import { EMULATION_MODES, type EmulationChoice, type EmulationMode, chooseEmulation, probeKvm } from './kvm-probe.js';
import { DEFAULT_CACHE_DIR, DEFAULT_MAX_UNUSED_MS } from './containerdisk/cache.js';
import { LibvirtConnection } from './libvirt/connection.js';
import { HandlerMetrics } from './metrics.js';
import { NodeHandler, UID_INDEX } from './node-handler.js';
import { type EndpointFlags, type RunningEndpoint, serveVirtApiEndpoint } from './virt-api-endpoint.js';
import { eventRecorder } from './vmi-events.js';

export const DEFAULT_POLL_INTERVAL_MS = 500;
const KVM_PROBE_TIMEOUT_MS = 3000;

interface Flags {
  readonly kubeconfig: string | undefined;
  readonly nodeName: string;
  readonly libvirtUri: string;
  readonly runDir: string;
  readonly emulation: EmulationMode;
  readonly metricsPort: number;
  readonly pollIntervalMs: number;
  readonly libvirtLogDir: string | undefined;
  readonly workers: number;
  readonly roots: NodeRoots;
  readonly images: ImageCacheFlags;
  readonly endpoint: EndpointFlags | undefined;
  readonly guestNetwork: GuestNetworkPolicy;
}

function usage(message: string): never {
  process.stderr.write(`virt-handler: ${message}\n`);
  process.exit(2);
}

function intFlag(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`--${name} must be a whole number >= ${min}, got "${value}"`);
  return n;
}

function rootsFlag(values: readonly string[], name: string): readonly string[] {
  for (const v of values) if (!v.startsWith('/')) usage(`--${name} must be an absolute folder, got "${v}"`);
  return values.map((v) => (v.length > 1 ? v.replace(/\/+$/, '') : v));
}

/** The system libvirtd's QEMU log folder; a libvirtd on another socket keeps its own (say --libvirt-log-dir). */
function defaultLogDir(uri: string): string | undefined {
  return uri === 'qemu:///system' ? '/var/log/libvirt/qemu' : undefined;
}

/** node:util's parseArgs throws on an unknown flag or a missing value: a usage error, not a crash. */
function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    return usage(e instanceof Error ? e.message : String(e));
  }
}

function parseFlags(argv: readonly string[]): Flags {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...argv],
      options: {
        kubeconfig: { type: 'string' },
        'node-name': { type: 'string' },
        'libvirt-uri': { type: 'string', default: 'qemu:///system' },
        'run-dir': { type: 'string', default: '/run/tsvirt' },
        emulation: { type: 'string', default: 'auto' },
        'metrics-port': { type: 'string', default: '0' },
        'poll-interval': { type: 'string', default: String(DEFAULT_POLL_INTERVAL_MS) },
        'libvirt-log-dir': { type: 'string' },
        workers: { type: 'string', default: '16' },
        'host-disk-root': { type: 'string', multiple: true, default: [DEFAULT_HOST_DISK_ROOT] },
        'boot-root': { type: 'string', multiple: true, default: [DEFAULT_BOOT_ROOT] },
        'image-cache-dir': { type: 'string', default: DEFAULT_CACHE_DIR },
        // Only these registries may be reached over plain HTTP; the local cluster lists its own.
        'insecure-registry': { type: 'string', multiple: true, default: [] },
        'image-cache-max-unused': { type: 'string', default: String(DEFAULT_MAX_UNUSED_MS / 1000) },
        'tls-cert-file': { type: 'string' },
        'tls-key-file': { type: 'string' },
        'client-ca-file': { type: 'string' },
        'endpoint-port': { type: 'string', default: String(HANDLER_ENDPOINT_PORT) },
        'endpoint-address': { type: 'string', default: '0.0.0.0' },
        'advertise-address': { type: 'string' },
        // node-only: guests reach nothing but these node loopback ports (CI machines, tests).
        'guest-network': { type: 'string', default: 'open' },
        'guest-node-port': { type: 'string', multiple: true, default: [] },
      },
      strict: true,
    }),
  );
  const nodeName = values['node-name'] ?? process.env['NODE_NAME'];
  if (nodeName === undefined || nodeName === '') usage('--node-name (or $NODE_NAME) is required');
  const emulation = values.emulation;
  if (!(EMULATION_MODES as readonly string[]).includes(emulation))
    usage(`--emulation must be one of ${EMULATION_MODES.join(', ')}`);
  return {
    kubeconfig: values.kubeconfig,
    nodeName,
    libvirtUri: values['libvirt-uri'],
    runDir: values['run-dir'],
    emulation: emulation as EmulationMode,
    metricsPort: intFlag(values['metrics-port'], 'metrics-port', 0),
    pollIntervalMs: intFlag(values['poll-interval'], 'poll-interval', 10),
    libvirtLogDir: values['libvirt-log-dir'] ?? defaultLogDir(values['libvirt-uri']),
    workers: intFlag(values.workers, 'workers', 1),
    roots: {
      hostDiskRoots: rootsFlag(values['host-disk-root'], 'host-disk-root'),
      bootRoots: rootsFlag(values['boot-root'], 'boot-root'),
    },
    images: {
      dir: values['image-cache-dir'],
      insecureRegistries: values['insecure-registry'],
      maxUnusedMs: intFlag(values['image-cache-max-unused'], 'image-cache-max-unused', 0) * 1000,
    },
    endpoint: endpointFlags(values),
    guestNetwork: guestNetworkFlag(values['guest-network'], values['guest-node-port']),
  };
}

function guestNetworkFlag(mode: string, ports: readonly string[]): GuestNetworkPolicy {
  if (mode === 'open') {
    if (ports.length > 0) usage('--guest-node-port needs --guest-network=node-only (open already reaches the node)');
    return { mode: 'open' };
  }
  if (mode !== 'node-only') usage(`--guest-network must be open or node-only, got "${mode}"`);
  return { mode: 'node-only', nodePorts: ports.map((p) => intFlag(p, 'guest-node-port', 1)) };
}

/** The endpoint's flags: all three TLS files, or none (no endpoint: no console, pause or soft reboot). */
function endpointFlags(
  values: Readonly<Record<string, string | boolean | ReadonlyArray<string> | undefined>>,
): EndpointFlags | undefined {
  const file = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const tls = ['tls-cert-file', 'tls-key-file', 'client-ca-file'].map(file);
  if (tls.every((f) => f === undefined)) return undefined;
  const [certFile, keyFile, clientCaFile] = tls;
  if (certFile === undefined || keyFile === undefined || clientCaFile === undefined)
    return usage('--tls-cert-file, --tls-key-file and --client-ca-file go together');
  return {
    certFile,
    keyFile,
    clientCaFile,
    port: intFlag(file('endpoint-port') ?? '', 'endpoint-port', 0),
    listenAddress: file('endpoint-address') ?? '0.0.0.0',
    advertiseAddress: file('advertise-address') ?? process.env['POD_IP'] ?? '127.0.0.1',
  };
}

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

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const log = pino({
    level: process.env['LOG_LEVEL'] ?? 'info',
    base: { component: COMPONENTS.handler, node: flags.nodeName },
  });
  mkdirSync(flags.runDir, { recursive: true, mode: 0o755 });
  // The roots must exist to be resolved; a spec can never create one (host-paths/policy.ts).
  for (const root of [...flags.roots.hostDiskRoots, ...flags.roots.bootRoots])
    mkdirSync(root, { recursive: true, mode: 0o755 });
  const metrics = new HandlerMetrics();
  const clients = createKubeClients(loadKubeConfig({ kubeconfig: flags.kubeconfig }), {
    userAgent: COMPONENTS.handler,
    onWrite: (w) => metrics.onWrite(w),
  });
  const choice = await chooseHostEmulation(flags);
  if (choice.domainType === 'qemu') log.warn({ why: choice.why }, 'Running domains under QEMU emulation (TCG)');
  else log.info({ why: choice.why }, 'Running domains with KVM');
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
  const vmiClient = virtualMachineInstances(clients);
  const vmis = new Informer<VirtualMachineInstance>(vmiClient, {
    fieldSelector: `${VMI_NODE_FIELD}=${flags.nodeName}`,
    indexers: { [UID_INDEX]: (o) => (o.metadata.uid === undefined ? [] : [o.metadata.uid]) },
    logger: log,
  });
  const clusterConfig = new Informer<ConfigMap>(configMaps(clients), {
    namespace: CLUSTER_CONFIG_NAMESPACE,
    fieldSelector: `metadata.name=${CLUSTER_CONFIG_NAME}`,
    logger: log,
  });
  const images = imageCacheFor(flags.images, flags.runDir, log);
  const secretClient = secrets(clients);
  const podClient = pods(clients);
  const handler = new NodeHandler(
    {
      nodeName: flags.nodeName,
      host: hostFacts(flags, choice),
      emulationWhy: choice.why,
      socketPath: `${flags.runDir}/${HANDLER_SOCKET_NAME}`,
      pollIntervalMs: flags.pollIntervalMs,
      libvirtLogDir: flags.libvirtLogDir,
      workers: flags.workers,
      hostPaths: nodePathPolicy(flags.roots, hostDiskGate(clusterConfig)),
    },
    {
      libvirt,
      vmis,
      vmiClient,
      events: eventRecorder(coreEvents(clients), flags.nodeName, log, () => new Date()),
      log,
      now: Date.now,
      onPoll: (ms, domains) => metrics.observePoll(ms, domains),
      imageCache: images.cache,
      secret: (namespace, name) => secretClient.find({ namespace, name }),
      pod: (namespace, name) => podClient.find({ namespace, name }),
    },
  );
  const heartbeat = new Heartbeat(leases(clients), flags.nodeName, log);
  vmis.start();
  clusterConfig.start();
  await handler.start();
  heartbeat.start();
  images.startCollecting();
  void labelNode(log, nodes(clients), flags.nodeName);
  const endpoint: RunningEndpoint | undefined =
    flags.endpoint === undefined
      ? undefined
      : await serveVirtApiEndpoint(flags.endpoint, {
          nodeName: flags.nodeName,
          host: hostFacts(flags, choice),
          libvirt,
          vmis,
          nodeClient: nodes(clients),
          log,
        });
  if (endpoint === undefined) log.warn('No --tls-cert-file: no endpoint for virt-api (console, pause, soft reboot)');
  const port = await metrics.listen(flags.metricsPort, '127.0.0.1', () => vmis.hasSynced());
  log.info(
    {
      uri: flags.libvirtUri,
      runDir: flags.runDir,
      hostDiskRoots: flags.roots.hostDiskRoots,
      bootRoots: flags.roots.bootRoots,
      socket: handler.launchers.socketPath,
      metricsPort: port,
      endpoint: endpoint?.address,
      pollIntervalMs: flags.pollIntervalMs,
      emulation: choice.domainType,
    },
    'Started virt-handler',
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'Stopping virt-handler; domains keep running');
    void (async (): Promise<void> => {
      images.stopCollecting();
      await heartbeat.stop();
      endpoint?.consoles.closeAll();
      endpoint?.server.closeAllConnections();
      endpoint?.server.close();
      await handler.stop();
      await vmis.stop();
      await clusterConfig.stop();
      await libvirt.close();
      await metrics.close();
      log.info('Stopped virt-handler');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`virt-handler: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
