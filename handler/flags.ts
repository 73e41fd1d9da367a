/**
 * virt-handler's command line, on kube/service-flags.ts: pure (the environment comes in), so it is
 * unit-tested and the manifests' test checks the DaemonSet passes only flags listed here.
 *
 * With the three TLS files the handler serves virt-api's endpoint (pause, unpause, soft reboot,
 * console; virt-api-endpoint.ts) over mutual TLS and writes its address on the Node.
 */
import { DEFAULT_BOOT_ROOT, DEFAULT_HOST_DISK_ROOT } from '../api/cluster-config.js';
import { HANDLER_ENDPOINT_PORT } from '../api/subresources.js';
import {
  COMMON_FLAGS,
  FlagError,
  choiceFlag,
  parseFlags,
  portFlag,
  repeated,
  required,
  single,
  wholeFlag,
  type FlagSpecs,
  type ServiceUsage,
} from '../kube/service-flags.js';
import { DEFAULT_CACHE_DIR, DEFAULT_MAX_UNUSED_MS } from './containerdisk/cache.js';
import type { ImageCacheFlags } from './containerdisk/node-cache.js';
import type { GuestNetworkPolicy } from './domain/host-facts.js';
import type { NodeRoots } from './host-paths/node-config.js';
import { EMULATION_MODES, type EmulationMode } from './kvm-probe.js';
import type { EndpointFlags } from './virt-api-endpoint.js';

export const DEFAULT_POLL_INTERVAL_MS = 500;

export type HandlerFlags = Readonly<{
  kubeconfig: string | undefined;
  logLevel: string;
  nodeName: string;
  libvirtUri: string;
  runDir: string;
  emulation: EmulationMode;
  metricsPort: number;
  pollIntervalMs: number;
  libvirtLogDir: string | undefined;
  workers: number;
  roots: NodeRoots;
  images: ImageCacheFlags;
  endpoint: EndpointFlags | undefined;
  guestNetwork: GuestNetworkPolicy;
  migration: MigrationFlags;
}>;

/** How other nodes' handlers reach this node for a live migration (docs/adr/0009). */
export type MigrationFlags = Readonly<{
  /** The libvirt URI a source handler migrates to; default this handler's own --libvirt-uri. */
  libvirtUri: string;
  /** The address the source's QEMU sends the guest's memory to (libvirt picks the port). */
  address: string;
}>;

export const HANDLER_USAGE: ServiceUsage = {
  command: 'virt-handler',
  summary:
    "One per node: turns the node's VMIs into libvirt domains and reports their state. SIGTERM leaves every domain running.",
};

/** Every flag virt-handler takes, for parsing and --help. */
export const HANDLER_FLAGS = {
  ...COMMON_FLAGS,
  'node-name': { help: 'this node (or $NODE_NAME)', value: 'NAME' },
  'libvirt-uri': { help: 'libvirtd to drive', value: 'URI', default: 'qemu:///system' },
  'run-dir': { help: "run folder shared with the node's launcher Pods", value: 'DIR', default: '/run/tsvirt' },
  emulation: { help: `${EMULATION_MODES.join(', ')}: auto probes KVM`, value: 'MODE', default: 'auto' },
  'metrics-port': { help: '/metrics, /healthz and /readyz on 127.0.0.1', value: 'PORT', default: '0' },
  'poll-interval': {
    help: 'milliseconds between libvirt polls',
    value: 'MS',
    default: String(DEFAULT_POLL_INTERVAL_MS),
  },
  'libvirt-log-dir': { help: "libvirtd's QEMU log folder (qemu:///system: /var/log/libvirt/qemu)", value: 'DIR' },
  workers: { help: 'VMIs synced at once', value: 'N', default: '16' },
  'host-disk-root': {
    help: 'a folder hostDisk volumes may use',
    value: 'DIR',
    multiple: true,
    default: DEFAULT_HOST_DISK_ROOT,
  },
  'boot-root': {
    help: 'a folder kernel boot files may come from',
    value: 'DIR',
    multiple: true,
    default: DEFAULT_BOOT_ROOT,
  },
  'image-cache-dir': { help: 'containerDisk cache', value: 'DIR', default: DEFAULT_CACHE_DIR },
  // Only these registries may be reached over plain HTTP; the local cluster lists its own.
  'insecure-registry': { help: 'a registry reached over plain HTTP', value: 'HOST:PORT', multiple: true },
  'image-cache-max-unused': {
    help: 'seconds an unused containerDisk stays cached',
    value: 'S',
    default: String(DEFAULT_MAX_UNUSED_MS / 1000),
  },
  'tls-cert-file': { help: "the endpoint's serving certificate (with the key and client CA)", value: 'FILE' },
  'tls-key-file': { help: "the endpoint's key", value: 'FILE' },
  'client-ca-file': { help: "the CA of virt-api's client certificate", value: 'FILE' },
  'endpoint-port': { help: "virt-api's endpoint port", value: 'PORT', default: String(HANDLER_ENDPOINT_PORT) },
  'endpoint-address': { help: "virt-api's endpoint listen address", value: 'ADDR', default: '0.0.0.0' },
  'advertise-address': { help: 'the address written on the Node ($POD_IP unless told)', value: 'ADDR' },
  // node-only: guests reach nothing but these node loopback ports (CI machines, tests).
  'guest-network': { help: 'open, or node-only (guests reach only --guest-node-port)', value: 'MODE', default: 'open' },
  'guest-node-port': { help: 'a node loopback port a node-only guest may reach', value: 'PORT', multiple: true },
  'migration-uri': { help: 'the libvirt URI other nodes migrate to (default --libvirt-uri)', value: 'URI' },
  'migration-address': {
    help: "the address incoming migrations' memory streams to",
    value: 'ADDR',
    default: '127.0.0.1',
  },
} as const satisfies FlagSpecs;

type Env = Readonly<Record<string, string | undefined>>;
type Values = ReturnType<typeof parseFlags>;

function rootsFlag(values: readonly string[], flag: string): readonly string[] {
  for (const v of values) if (!v.startsWith('/')) throw new FlagError(`${flag} must be an absolute folder, not "${v}"`);
  return values.map((v) => (v.length > 1 ? v.replace(/\/+$/, '') : v));
}

/** The system libvirtd's QEMU log folder; a libvirtd on another socket keeps its own (say --libvirt-log-dir). */
function defaultLogDir(uri: string): string | undefined {
  return uri === 'qemu:///system' ? '/var/log/libvirt/qemu' : undefined;
}

function guestNetworkFlag(mode: string, ports: readonly string[]): GuestNetworkPolicy {
  if (mode === 'open') {
    if (ports.length > 0)
      throw new FlagError('--guest-node-port needs --guest-network=node-only (open already reaches the node)');
    return { mode: 'open' };
  }
  choiceFlag(mode, '--guest-network', ['open', 'node-only']);
  return { mode: 'node-only', nodePorts: ports.map((p) => wholeFlag(p, '--guest-node-port', 1)) };
}

/** The endpoint's flags: all three TLS files, or none (no endpoint: no console, pause or soft reboot). */
function endpointFlags(values: Values, env: Env): EndpointFlags | undefined {
  const tls = ['tls-cert-file', 'tls-key-file', 'client-ca-file'].map((f) => single(values, f));
  if (tls.every((f) => f === undefined)) return undefined;
  const [certFile, keyFile, clientCaFile] = tls;
  if (certFile === undefined || keyFile === undefined || clientCaFile === undefined)
    throw new FlagError('--tls-cert-file, --tls-key-file and --client-ca-file go together');
  return {
    certFile,
    keyFile,
    clientCaFile,
    port: portFlag(single(values, 'endpoint-port') ?? '', '--endpoint-port'),
    listenAddress: single(values, 'endpoint-address') ?? '0.0.0.0',
    advertiseAddress: single(values, 'advertise-address') ?? env['POD_IP'] ?? '127.0.0.1',
  };
}

/** Parses argv (without node and script); throws FlagError or HelpRequested (kube/service-flags.ts). */
export function parseHandlerFlags(argv: readonly string[], env: Env): HandlerFlags {
  const values = parseFlags(argv, HANDLER_FLAGS, HANDLER_USAGE);
  const value = (name: keyof typeof HANDLER_FLAGS): string => single(values, name) ?? '';
  const libvirtUri = value('libvirt-uri');
  return {
    kubeconfig: single(values, 'kubeconfig'),
    logLevel: single(values, 'log-level') ?? env['LOG_LEVEL'] ?? 'info',
    nodeName: required(single(values, 'node-name') ?? env['NODE_NAME'], '--node-name', ' (or $NODE_NAME)'),
    libvirtUri,
    runDir: value('run-dir'),
    emulation: choiceFlag(value('emulation'), '--emulation', EMULATION_MODES),
    metricsPort: portFlag(value('metrics-port'), '--metrics-port'),
    pollIntervalMs: wholeFlag(value('poll-interval'), '--poll-interval', 10),
    libvirtLogDir: single(values, 'libvirt-log-dir') ?? defaultLogDir(libvirtUri),
    workers: wholeFlag(value('workers'), '--workers', 1),
    roots: {
      hostDiskRoots: rootsFlag(repeated(values, 'host-disk-root'), '--host-disk-root'),
      bootRoots: rootsFlag(repeated(values, 'boot-root'), '--boot-root'),
    },
    images: {
      dir: value('image-cache-dir'),
      insecureRegistries: repeated(values, 'insecure-registry'),
      maxUnusedMs: wholeFlag(value('image-cache-max-unused'), '--image-cache-max-unused', 0) * 1000,
    },
    endpoint: endpointFlags(values, env),
    guestNetwork: guestNetworkFlag(value('guest-network'), repeated(values, 'guest-node-port')),
    migration: { libvirtUri: single(values, 'migration-uri') ?? libvirtUri, address: value('migration-address') },
  };
}
