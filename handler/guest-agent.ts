/**
 * What the guest agent says, read into tsvirt's shapes: `status.guestOSInfo` from
 * guest-get-osinfo and the interface addresses from guest-network-get-interfaces. Pure: the answers
 * come in as the agent's JSON (`unknown` until read here); nothing is trusted beyond its type.
 */
import type { VirtualMachineInstanceGuestOSInfo } from '../api/types.js';

/** One guest interface as the agent reports it. */
export type AgentInterface = Readonly<{ name: string; mac: string; addresses: ReadonlyArray<string> }>;

/** The agent's facts about one guest; undefined in the handler's view while no agent answers. */
export type AgentFacts = Readonly<{
  osInfo: VirtualMachineInstanceGuestOSInfo;
  interfaces: ReadonlyArray<AgentInterface>;
}>;

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);
const text = (r: Readonly<Record<string, unknown>>, key: string): string | undefined =>
  typeof r[key] === 'string' ? r[key] : undefined;

/** The `return` member of an agent answer; undefined when the answer has none. */
function returned(answer: unknown): unknown {
  return isRecord(answer) ? answer['return'] : undefined;
}

const OS_FIELDS: ReadonlyArray<readonly [keyof VirtualMachineInstanceGuestOSInfo, string]> = [
  ['id', 'id'],
  ['name', 'name'],
  ['prettyName', 'pretty-name'],
  ['version', 'version'],
  ['versionId', 'version-id'],
  ['kernelRelease', 'kernel-release'],
  ['kernelVersion', 'kernel-version'],
  ['machine', 'machine'],
];

/** guest-get-osinfo's answer as KubeVirt's guestOSInfo (camelCase names); unknown fields dropped. */
export function osInfoOf(answer: unknown): VirtualMachineInstanceGuestOSInfo {
  const r = returned(answer);
  if (!isRecord(r)) return {};
  const entries = OS_FIELDS.flatMap(([ours, theirs]) => {
    const v = text(r, theirs);
    return v === undefined ? [] : [[ours, v] as const];
  });
  return Object.fromEntries(entries);
}

/** Link-local IPv6 and loopback addresses say nothing a user can reach the guest at. */
function isUseful(address: string): boolean {
  return !/^fe80:/i.test(address) && address !== '::1' && !address.startsWith('127.');
}

function addressesOf(list: unknown): ReadonlyArray<string> {
  if (!Array.isArray(list)) return [];
  const all = list.flatMap((a: unknown) => {
    const ip = isRecord(a) ? text(a, 'ip-address') : undefined;
    return ip === undefined || !isUseful(ip) ? [] : [{ ip, v4: isRecord(a) && a['ip-address-type'] === 'ipv4' }];
  });
  // IPv4 first, as KubeVirt lists a dual-stack interface.
  return [...all.filter((a) => a.v4), ...all.filter((a) => !a.v4)].map((a) => a.ip);
}

/** guest-network-get-interfaces' answer: interfaces with a MAC, loopback left out. */
export function interfacesOf(answer: unknown): ReadonlyArray<AgentInterface> {
  const r = returned(answer);
  if (!Array.isArray(r)) return [];
  return r.flatMap((i: unknown) => {
    if (!isRecord(i)) return [];
    const name = text(i, 'name');
    const mac = text(i, 'hardware-address')?.toLowerCase();
    if (name === undefined || mac === undefined || name === 'lo' || mac === '00:00:00:00:00:00') return [];
    return [{ name, mac, addresses: addressesOf(i['ip-addresses']) }];
  });
}
