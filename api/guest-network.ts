/**
 * What KubeVirt's `masquerade` binding on the `pod` network means here: the guest sits behind a
 * user-mode network stack (QEMU's), on the same private addresses KubeVirt's masquerade gives it,
 * and gets them by DHCP. Every name and address that the domain mapping, the handler's status and
 * the docs share is written once here. Pure; imports nothing.
 */

/** The guest's own address; DHCP hands it out (KubeVirt's masquerade guest address). */
export const MASQUERADE_GUEST_ADDRESS = '10.0.2.2';
/** The gateway: the guest's default route; the node's loopback services appear here. */
export const MASQUERADE_GATEWAY = '10.0.2.1';
/** The resolver the user-mode stack answers on. */
export const MASQUERADE_DNS = '10.0.2.3';
export const MASQUERADE_NETWORK = '10.0.2.0/24';

/** The virtio-serial port name the guest agent (qemu-guest-agent) listens on, as in every distribution. */
export const GUEST_AGENT_CHANNEL = 'org.qemu.guest_agent.0';

/** `status.interfaces[].infoSource` words, KubeVirt's: where an interface's facts came from. */
export const INFO_SOURCES = { domain: 'domain', guestAgent: 'guest-agent' } as const;

/** FNV-1a, 32 bits: enough spread for a MAC's suffix, and the same on every machine. */
function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The MAC an interface gets when its spec names none: stable for the VMI's uid and interface name,
 * so a guest keeps its DHCP lease and udev names across reboots of the same VMI. A locally
 * administered unicast address (first octet 02), never a vendor's.
 */
export function defaultMacAddress(uid: string, interfaceName: string): string {
  const key = `${uid}/${interfaceName}`;
  const a = fnv1a(key, 0x811c9dc5);
  const b = fnv1a(key, a ^ 0x9e3779b9);
  const bytes = [0x02, (a >>> 24) & 0xff, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff, b & 0xff];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The interface's MAC: the spec's (lower case, `-` read as `:`) or {@link defaultMacAddress}. */
export function interfaceMacAddress(uid: string, iface: Readonly<{ name: string; macAddress?: string }>): string {
  return iface.macAddress === undefined
    ? defaultMacAddress(uid, iface.name)
    : iface.macAddress.toLowerCase().replaceAll('-', ':');
}
