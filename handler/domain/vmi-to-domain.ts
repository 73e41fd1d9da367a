/**
 * VMI → libvirt domain XML, a pure function of the VMI and the node's facts (kubevirt
 * pkg/virt-launcher/virtwrap/converter/converter.go does the same with a converter context).
 * No I/O, clock, randomness or environment: the same input gives the same bytes, which the golden
 * files in test/golden/domain/ pin. What the host must provide (image files, folders) comes back
 * in the plan so the shell can create or check it before `define`.
 */
import type {
  Disk,
  DiskBus,
  HostDisk,
  Interface,
  KernelBoot,
  Network,
  PullPolicy,
  Quantity,
  VirtualMachineInstance,
  Volume,
} from '../../api/types.js';
import {
  GUEST_AGENT_CHANNEL,
  MASQUERADE_DNS,
  MASQUERADE_GATEWAY,
  MASQUERADE_GUEST_ADDRESS,
  MASQUERADE_NETWORK,
  interfaceMacAddress,
} from '../../api/guest-network.js';
import { type GuestNetworkPolicy, MASQUERADE_NODE_ADDRESS, OPEN_GUEST_NETWORK } from './host-facts.js';
import { type HostFacts, nodeDiskPath, serialLogPath, serialSocketPath, vmiRunDir } from './host-facts.js';
import { domainName } from '../../api/object-names.js';
import {
  NoCloudError,
  type NoCloudFiles,
  noCloudFiles,
  type NoCloudSecretRefs,
  noCloudSecretRefs,
} from '../cloudinit/nocloud.js';
import { type ImageReference, ImageReferenceError, parseImageReference } from '../containerdisk/reference.js';
import { isQuantity, parseQuantity } from '../../api/quantity.js';
import { gracePeriodSecondsOf } from '../../api/lifecycle.js';
import { DEFAULT_DISK_BUS, DEFAULT_INTERFACE_MODEL } from '../../api/defaults.js';
import { type CpuTopology, cpuTopology, guestMemoryBytes, SizingError } from '../../api/sizing.js';
import { el, renderXml, type XmlElement } from './xml.js';

/** The XML namespace of the tsvirt element in a domain's <metadata>. */
export const TSVIRT_DOMAIN_XMLNS = 'https://tsvirt.io/domain/v1alpha1';
/** libvirt's namespace for raw QEMU arguments (`<qemu:commandline>`). */
const QEMU_XMLNS = 'http://libvirt.org/schemas/domain/qemu/1.0';
/** sockaddr_un.sun_path holds 108 bytes, one for the terminating NUL. */
const MAX_SOCKET_PATH = 107;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A VMI the node cannot run as written; `field` is the spec path to fix. */
export class DomainSpecError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'DomainSpecError';
  }
}

/** A disk the handler makes in the VMI's run folder (not a tenant path: it goes with the VMI). */
export type NodeDisk = Readonly<
  | { kind: 'emptyDisk'; bytes: number }
  | {
      kind: 'containerDisk';
      image: ImageReference;
      /** The file inside the image; default the one under /disk/. */
      path?: string;
      policy?: PullPolicy;
      /** A dockerconfigjson Secret in the VMI's namespace. */
      pullSecret?: string;
    }
  | {
      kind: 'cloudInit';
      files: NoCloudFiles;
      /** Secrets the shell reads when it makes the ISO; `field` is the volume's cloudInitNoCloud. */
      secrets?: NoCloudSecretRefs;
      field: string;
    }
>;

/**
 * A file the domain uses: a hostDisk the shell checks (`exist`) or creates (`create`, raw), or a
 * disk the handler makes (`node`: an emptyDisk or a containerDisk overlay as qcow2, a cloud-init ISO).
 */
export interface HostFile {
  readonly path: string;
  readonly volume: string;
  readonly mode: 'create' | 'exist' | 'node';
  readonly bytes?: number;
  readonly format: 'raw' | 'qcow2';
  readonly node?: NodeDisk;
}

export interface DomainPlan {
  readonly name: string;
  readonly xml: string;
  /** Folders the shell creates before define (the VMI's run folder and its disks folder). */
  readonly dirs: ReadonlyArray<string>;
  readonly files: ReadonlyArray<HostFile>;
  readonly serialSocket: string;
  readonly graceSeconds: number;
}

interface Identity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

function identityOf(vmi: VirtualMachineInstance): Identity {
  const { namespace, name, uid } = vmi.metadata;
  if (namespace === undefined || namespace === '') throw new DomainSpecError('metadata.namespace', 'is required');
  if (name === undefined || name === '') throw new DomainSpecError('metadata.name', 'is required');
  if (uid === undefined || uid === '') throw new DomainSpecError('metadata.uid', 'is required');
  return { namespace, name, uid };
}

function metadataElement(id: Identity, graceSeconds: number): XmlElement {
  return el(
    'metadata',
    {},
    el(
      'tsvirt:vmi',
      { 'xmlns:tsvirt': TSVIRT_DOMAIN_XMLNS },
      el('tsvirt:uid', {}, id.uid),
      el('tsvirt:namespace', {}, id.namespace),
      el('tsvirt:name', {}, id.name),
      el('tsvirt:gracePeriodSeconds', {}, String(graceSeconds)),
    ),
  );
}

/** The quantity rounded up to an integer (api/quantity.ts, exact), or undefined when it is not one. */
function quantityValue(q: Quantity): number | undefined {
  return isQuantity(q) ? Number(parseQuantity(q)) : undefined;
}

/** The topology and memory of api/sizing.ts, with its errors as the handler reports them. */
function sized<T>(size: () => T): T {
  try {
    return size();
  } catch (e) {
    if (e instanceof SizingError) throw new DomainSpecError(e.field, e.reason);
    throw e;
  }
}

function memoryKiB(vmi: VirtualMachineInstance): number {
  return Math.ceil(sized(() => guestMemoryBytes(vmi)) / 1024);
}

function cpuElement(t: CpuTopology, host: HostFacts): XmlElement {
  const mode = host.domainType === 'kvm' ? 'host-passthrough' : undefined;
  return el('cpu', { mode }, el('topology', { sockets: t.sockets, dies: 1, cores: t.cores, threads: t.threads }));
}

function kernelPathOf(kb: KernelBoot): string {
  if (kb.kernelPath === undefined || kb.kernelPath === '') {
    const given = kb.initrdPath !== undefined ? 'initrdPath' : 'kernelArgs';
    throw new DomainSpecError('spec.domain.firmware.kernelBoot.kernelPath', `is required when ${given} is set`);
  }
  requireAbsolute(kb.kernelPath, 'spec.domain.firmware.kernelBoot.kernelPath');
  if (kb.initrdPath !== undefined) requireAbsolute(kb.initrdPath, 'spec.domain.firmware.kernelBoot.initrdPath');
  return kb.kernelPath;
}

function osElement(vmi: VirtualMachineInstance, host: HostFacts, bootFromDiskOrder: boolean): XmlElement {
  const kb = vmi.spec.domain.firmware?.kernelBoot;
  const machine = vmi.spec.domain.machine?.type ?? host.machine;
  const type = el('type', { arch: host.arch, machine }, 'hvm');
  if (kb === undefined) return el('os', {}, type, bootFromDiskOrder ? undefined : el('boot', { dev: 'hd' }));
  const kernelPath = kernelPathOf(kb);
  return el(
    'os',
    {},
    type,
    el('kernel', {}, kernelPath),
    kb.initrdPath === undefined ? undefined : el('initrd', {}, kb.initrdPath),
    kb.kernelArgs === undefined ? undefined : el('cmdline', {}, kb.kernelArgs),
  );
}

function requireAbsolute(path: string, field: string): void {
  if (!path.startsWith('/')) throw new DomainSpecError(field, `"${path}" must be an absolute path on the node`);
}

const BUS_PREFIX: Readonly<Record<DiskBus, string>> = { virtio: 'vd', sata: 'sd', scsi: 'sd', usb: 'sd' };

function targetDev(prefix: string, index: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const first = index >= letters.length ? letters[Math.floor(index / letters.length) - 1] : '';
  return `${prefix}${first ?? ''}${letters[index % letters.length] ?? 'a'}`;
}

interface MappedDisk {
  readonly element: XmlElement;
  readonly file: HostFile;
}

function volumeFile(volume: Volume, index: number, id: Identity & { hostname: string }, host: HostFacts): HostFile {
  const field = `spec.volumes[${index}]`;
  const inRunDir = (file: string): string => nodeDiskPath(host, id.namespace, id.name, file);
  if (volume.containerDisk !== undefined) {
    const cd = volume.containerDisk;
    const image = imageOf(cd.image, `${field}.containerDisk.image`);
    const node: NodeDisk = {
      kind: 'containerDisk',
      image,
      ...(cd.path === undefined ? {} : { path: cd.path }),
      ...(cd.imagePullPolicy === undefined ? {} : { policy: cd.imagePullPolicy }),
      ...(cd.imagePullSecret === undefined ? {} : { pullSecret: cd.imagePullSecret }),
    };
    return { path: inRunDir(`${volume.name}.qcow2`), volume: volume.name, mode: 'node', format: 'qcow2', node };
  }
  if (volume.cloudInitNoCloud !== undefined) {
    const node = cloudInitDisk(volume.cloudInitNoCloud, `${field}.cloudInitNoCloud`, id);
    return { path: inRunDir(`${volume.name}.iso`), volume: volume.name, mode: 'node', format: 'raw', node };
  }
  if (volume.hostDisk !== undefined) return hostDiskFile(volume.name, volume.hostDisk, `${field}.hostDisk`);
  if (volume.emptyDisk !== undefined) {
    const bytes = quantityValue(volume.emptyDisk.capacity);
    if (bytes === undefined || bytes <= 0)
      throw new DomainSpecError(`${field}.emptyDisk.capacity`, `"${String(volume.emptyDisk.capacity)}" is not a size`);
    const node: NodeDisk = { kind: 'emptyDisk', bytes: Math.ceil(bytes) };
    return { path: inRunDir(`${volume.name}.qcow2`), volume: volume.name, mode: 'node', format: 'qcow2', node };
  }
  throw new DomainSpecError(
    field,
    `volume "${volume.name}" has no source (containerDisk, cloudInitNoCloud, emptyDisk or hostDisk)`,
  );
}

function imageOf(ref: string, field: string): ImageReference {
  try {
    return parseImageReference(ref);
  } catch (e) {
    if (e instanceof ImageReferenceError) throw new DomainSpecError(field, e.message);
    throw e;
  }
}

function cloudInitDisk(
  source: NonNullable<Volume['cloudInitNoCloud']>,
  field: string,
  id: Identity & { hostname: string },
): NodeDisk {
  try {
    const files = noCloudFiles(source, id.uid, id.hostname);
    const secrets = noCloudSecretRefs(source);
    const named = secrets.userData !== undefined || secrets.networkData !== undefined;
    return { kind: 'cloudInit', files, field, ...(named ? { secrets } : {}) };
  } catch (e) {
    if (e instanceof NoCloudError) throw new DomainSpecError(`${field}.${e.field}`, e.message);
    throw e;
  }
}

function hostDiskFile(volume: string, hd: HostDisk, field: string): HostFile {
  requireAbsolute(hd.path, `${field}.path`);
  if (hd.type === 'Disk') return { path: hd.path, volume, mode: 'exist', format: 'raw' };
  const bytes = hd.capacity === undefined ? undefined : quantityValue(hd.capacity);
  if (bytes === undefined || bytes <= 0)
    throw new DomainSpecError(`${field}.capacity`, 'is required when type is DiskOrCreate');
  return { path: hd.path, volume, mode: 'create', bytes: Math.ceil(bytes), format: 'raw' };
}

/** The cloud-init ISO is read-only media whatever the disk says. */
function isReadonly(disk: Disk, file: HostFile): boolean {
  return disk.disk?.readonly === true || file.node?.kind === 'cloudInit';
}

function diskElement(disk: Disk, file: HostFile, dev: string, bus: DiskBus): XmlElement {
  return el(
    'disk',
    { type: 'file', device: 'disk' },
    el('driver', { name: 'qemu', type: file.format }),
    el('source', { file: file.path }),
    el('target', { dev, bus }),
    disk.bootOrder === undefined ? undefined : el('boot', { order: disk.bootOrder }),
    isReadonly(disk, file) ? el('readonly') : undefined,
    disk.serial === undefined ? undefined : el('serial', {}, disk.serial),
    el('alias', { name: `ua-${disk.name}` }),
  );
}

function mapDisks(vmi: VirtualMachineInstance, id: Identity, host: HostFacts): ReadonlyArray<MappedDisk> {
  const volumes = vmi.spec.volumes ?? [];
  const used = new Map<string, number>();
  const seen = new Set<string>();
  return (vmi.spec.domain.devices.disks ?? []).map((disk, i) => {
    const field = `spec.domain.devices.disks[${i}]`;
    if (seen.has(disk.name)) throw new DomainSpecError(`${field}.name`, `"${disk.name}" is used by two disks`);
    seen.add(disk.name);
    const vIndex = volumes.findIndex((v) => v.name === disk.name);
    const volume = volumes[vIndex];
    if (volume === undefined)
      throw new DomainSpecError(`${field}.name`, `no volume named "${disk.name}" in spec.volumes`);
    const file = volumeFile(volume, vIndex, { ...id, hostname: vmi.spec.hostname ?? id.name }, host);
    const bus = disk.disk?.bus ?? DEFAULT_DISK_BUS;
    if (isReadonly(disk, file) && (bus === 'sata' || bus === 'usb')) {
      throw new DomainSpecError(
        `${field}.disk.readonly`,
        `QEMU cannot make a ${bus} disk read-only; use bus virtio or scsi`,
      );
    }
    const prefix = BUS_PREFIX[bus];
    const n = used.get(prefix) ?? 0;
    used.set(prefix, n + 1);
    return { element: diskElement(disk, file, targetDev(prefix, n), bus), file };
  });
}

const NIC_DEVICES: Readonly<Record<NonNullable<Interface['model']>, string>> = {
  virtio: 'virtio-net-pci',
  e1000: 'e1000',
  e1000e: 'e1000e',
  rtl8139: 'rtl8139',
};

const NIC_FIRST_SLOT = 0x18;

/** QEMU's netdev id for an interface; the handler names it again for port forwarding (hostfwd_add). */
export function netdevId(interfaceIndex: number): string {
  return `tsvirt-net${interfaceIndex}`;
}

function userNetdev(id: string, policy: GuestNetworkPolicy): string {
  const base = [
    `user,id=${id}`,
    `net=${MASQUERADE_NETWORK}`,
    `host=${MASQUERADE_GATEWAY}`,
    `dhcpstart=${MASQUERADE_GUEST_ADDRESS}`,
    `dns=${MASQUERADE_DNS}`,
  ];
  if (policy.mode === 'open') return base.join(',');
  // tcp: QEMU connects once, at its start, and the guest's connections share that stream. A cmd:
  // forward (one process per connection) would be better, but libvirt's seccomp sandbox
  // (spawn=deny) kills a QEMU that forks.
  const forwards = policy.nodePorts.map((p) => `guestfwd=tcp:${MASQUERADE_NODE_ADDRESS}:${p}-tcp:127.0.0.1:${p}`);
  return [...base, 'restrict=on', ...forwards].join(',');
}

/**
 * Masquerade on the pod network as QEMU arguments rather than libvirt's `<interface type='user'>`:
 * libvirt 9.0 can set neither the guest's address (10.0.2.2, KubeVirt's) nor `restrict=on`, and
 * port forwarding needs a netdev id the handler knows.
 */
function interfaceArgs(
  iface: Interface,
  i: number,
  vmi: Readonly<{ networks: ReadonlyArray<Network>; uid: string; policy: GuestNetworkPolicy; machine: string }>,
): ReadonlyArray<string> {
  const field = `spec.domain.devices.interfaces[${i}]`;
  if (!vmi.networks.some((n) => n.name === iface.name))
    throw new DomainSpecError(`${field}.name`, `no network named "${iface.name}" in spec.networks`);
  if (iface.bridge !== undefined)
    throw new DomainSpecError(`${field}.bridge`, 'is not supported; use masquerade (user-mode networking)');
  const id = netdevId(i);
  const mac = interfaceMacAddress(vmi.uid, iface);
  // libvirt places its own devices from PCI slot 2 up and knows nothing of this one: a fixed slot
  // from the top of the bus (24 + index, at most MAX_INTERFACES) keeps them apart.
  const bus = vmi.machine.startsWith('pc-q35') || vmi.machine === 'q35' ? 'pcie.0' : 'pci.0';
  const slot = `0x${(NIC_FIRST_SLOT + i).toString(16)}`;
  // romfile= : no PXE option ROM; the guest boots from disk and the ROM costs boot time under TCG.
  const device = `${NIC_DEVICES[iface.model ?? DEFAULT_INTERFACE_MODEL]},netdev=${id},mac=${mac},id=ua-${iface.name},bus=${bus},addr=${slot},romfile=`;
  return ['-netdev', userNetdev(id, vmi.policy), '-device', device];
}

function networkArgs(vmi: VirtualMachineInstance, id: Identity, host: HostFacts): ReadonlyArray<string> {
  const nets = {
    networks: vmi.spec.networks ?? [],
    uid: id.uid,
    policy: host.guestNetwork ?? OPEN_GUEST_NETWORK,
    machine: vmi.spec.domain.machine?.type ?? host.machine,
  };
  return (vmi.spec.domain.devices.interfaces ?? []).flatMap((iface, i) => interfaceArgs(iface, i, nets));
}

function qemuCommandline(args: ReadonlyArray<string>): XmlElement | undefined {
  if (args.length === 0) return undefined;
  return el('qemu:commandline', {}, ...args.map((value) => el('qemu:arg', { value })));
}

/** The guest agent's virtio-serial port; libvirt makes the socket and talks to the agent on it. */
function agentChannel(): XmlElement {
  return el(
    'channel',
    { type: 'unix' },
    el('source', { mode: 'bind' }),
    el('target', { type: 'virtio', name: GUEST_AGENT_CHANNEL }),
  );
}

function consoleElements(socket: string, logFile: string): ReadonlyArray<XmlElement> {
  // The console is serial port 0 again; libvirt wants both descriptions to match, log included.
  const source = (): ReadonlyArray<XmlElement> => [
    el('source', { mode: 'bind', path: socket }),
    el('log', { file: logFile, append: 'off' }),
  ];
  return [
    el('serial', { type: 'unix' }, ...source(), el('target', { port: 0 })),
    el('console', { type: 'unix' }, ...source(), el('target', { type: 'serial', port: 0 })),
  ];
}

function checkSocketPath(socket: string): void {
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new DomainSpecError(
      'metadata.name',
      `too long: the serial socket path ${socket} exceeds ${MAX_SOCKET_PATH} bytes; use a shorter name or --run-dir`,
    );
  }
}

/**
 * Plans the domain for a VMI on a host: the XML plus what the shell must prepare.
 * @throws DomainSpecError naming the field when the VMI cannot run as written.
 */
export function planDomain(vmi: VirtualMachineInstance, host: HostFacts): DomainPlan {
  const id = identityOf(vmi);
  const graceSeconds = gracePeriodSecondsOf(vmi);
  const socket = serialSocketPath(host, id.namespace, id.name);
  checkSocketPath(socket);
  const disks = mapDisks(vmi, id, host);
  const netArgs = networkArgs(vmi, id, host);
  const kib = memoryKiB(vmi);
  const topology = sized(() => cpuTopology(vmi));
  const bootOrder = (vmi.spec.domain.devices.disks ?? []).some((d) => d.bootOrder !== undefined);
  const domain = el(
    'domain',
    { type: host.domainType, 'xmlns:qemu': netArgs.length === 0 ? undefined : QEMU_XMLNS },
    el('name', {}, domainName(id.namespace, id.name)),
    UUID.test(id.uid) ? el('uuid', {}, id.uid.toLowerCase()) : undefined,
    metadataElement(id, graceSeconds),
    el('memory', { unit: 'KiB' }, String(kib)),
    el('currentMemory', { unit: 'KiB' }, String(kib)),
    el('vcpu', { placement: 'static' }, String(topology.sockets * topology.cores * topology.threads)),
    osElement(vmi, host, bootOrder),
    el('features', {}, el('acpi'), el('apic')),
    cpuElement(topology, host),
    el('clock', { offset: 'utc' }),
    el('on_poweroff', {}, 'destroy'),
    el('on_reboot', {}, 'restart'),
    el('on_crash', {}, 'destroy'),
    el(
      'devices',
      {},
      host.emulator === undefined ? undefined : el('emulator', {}, host.emulator),
      ...disks.map((d) => d.element),
      ...consoleElements(socket, serialLogPath(host, id.namespace, id.name)),
      agentChannel(),
      el('memballoon', { model: 'none' }),
    ),
    qemuCommandline(netArgs),
  );
  const runDir = vmiRunDir(host, id.namespace, id.name);
  const hasNodeDisk = disks.some((d) => d.file.mode === 'node');
  return {
    name: domainName(id.namespace, id.name),
    xml: renderXml(domain),
    dirs: hasNodeDisk ? [runDir, `${runDir}/disks`] : [runDir],
    files: disks.map((d) => d.file),
    serialSocket: socket,
    graceSeconds,
  };
}

/**
 * The domain XML for a VMI on a host.
 * @throws DomainSpecError naming the field when the VMI cannot run as written.
 */
export function vmiToDomainXml(vmi: VirtualMachineInstance, host: HostFacts): string {
  return planDomain(vmi, host).xml;
}
