/**
 * What the handler's shell probed about its node, handed to the pure mapping so it needs no I/O
 * (kubevirt converter/types/converter-context.go plays the same part).
 */
import { domainName } from '../../api/object-names.js';

export const DOMAIN_TYPES = ['kvm', 'qemu'] as const;
/** `kvm` when KVM is usable, `qemu` for TCG emulation (libvirt's test driver accepts both). */
export type DomainType = (typeof DOMAIN_TYPES)[number];

export interface HostFacts {
  readonly domainType: DomainType;
  /** The QEMU binary; omitted, libvirt picks its default for the arch. */
  readonly emulator?: string;
  readonly arch: string;
  /** The machine type used when the VMI names none (`pc`, `q35`). */
  readonly machine: string;
  /** The handler's run folder: per-VMI folders with serial sockets and emptyDisk images live here. */
  readonly runDir: string;
  /** What a guest's masquerade network may reach; omitted: {@link OPEN_GUEST_NETWORK}. */
  readonly guestNetwork?: GuestNetworkPolicy;
}

/**
 * `open`: the guest reaches what the node (its launcher Pod) reaches, through QEMU's user-mode
 * stack, the node's loopback at the gateway address. `node-only`: QEMU's `restrict=on`, nothing
 * leaves but connections to `nodePorts` on the node's loopback (at {@link MASQUERADE_NODE_ADDRESS}
 * in the guest; QEMU's DHCP then offers no router or DNS, so there is no default route). QEMU
 * connects to each node port once, when it starts: the service must listen before the VM starts,
 * and the guest's connections share that one stream. For machines whose guests must not reach
 * the network, such as CI.
 */
export type GuestNetworkPolicy = Readonly<{ mode: 'open' } | { mode: 'node-only'; nodePorts: ReadonlyArray<number> }>;
export const OPEN_GUEST_NETWORK: GuestNetworkPolicy = { mode: 'open' };
/**
 * Where a node-only guest finds the node's allowed ports. QEMU refuses a forward on its gateway
 * address (it is the stack's own), so they get an address of their own on the guest's subnet.
 */
export const MASQUERADE_NODE_ADDRESS = '10.0.2.254';

/** The per-VMI folder under the run folder: `<runDir>/<namespace>_<name>`. */
export function vmiRunDir(host: Pick<HostFacts, 'runDir'>, namespace: string, name: string): string {
  return `${host.runDir.replace(/\/+$/, '')}/${domainName(namespace, name)}`;
}

export function serialSocketPath(host: Pick<HostFacts, 'runDir'>, namespace: string, name: string): string {
  return `${vmiRunDir(host, namespace, name)}/serial.sock`;
}

/**
 * Everything the guest wrote to its serial console since QEMU started (QEMU's chardev log, truncated
 * at each start): output written while nobody is connected to the socket is not lost, and users and
 * tests can read a boot log (KubeVirt's guest-console-log plays the same part).
 */
export function serialLogPath(host: Pick<HostFacts, 'runDir'>, namespace: string, name: string): string {
  return `${vmiRunDir(host, namespace, name)}/serial.log`;
}

/**
 * A disk the handler makes in the VMI's run folder (removed with it): an emptyDisk or a
 * containerDisk overlay (`.qcow2`), a cloud-init NoCloud ISO (`.iso`).
 */
export function nodeDiskPath(host: Pick<HostFacts, 'runDir'>, namespace: string, name: string, file: string): string {
  return `${vmiRunDir(host, namespace, name)}/disks/${file}`;
}
