/**
 * The VMI status the handler owns, computed from a verdict about its domain. Pure: `now` is
 * handed in. The controller owns the rest of the status (Scheduling, Scheduled, nodeName,
 * launcherPodName, PodScheduled); this keeps those fields and changes only the handler's:
 * phase once the domain runs or ends, reason, conditions Ready / Paused / SoftwareEmulation,
 * interfaces and phaseTransitionTimestamps. Returns undefined when nothing would change, so the
 * shell writes only changes.
 */
import { CONDITION_TYPES, REASONS } from '../../api/names.js';
import { isFinalPhase } from '../../api/lifecycle.js';
import type { Condition, VirtualMachineInstance, VirtualMachineInstanceStatus, VmiPhase } from '../../api/types.js';
import { type ConditionInput, removeCondition, rfc3339, setCondition } from '../../api/conditions.js';
import type { DomainType } from '../domain/host-facts.js';
import type { PhaseVerdict } from '../domain/state.js';
import { INFO_SOURCES, MASQUERADE_GUEST_ADDRESS, interfaceMacAddress } from '../../api/guest-network.js';
import type { AgentFacts } from '../guest-agent.js';

function emulationCondition(emulation: DomainType): ConditionInput {
  return emulation === 'qemu'
    ? {
        type: CONDITION_TYPES.softwareEmulation,
        status: 'True',
        reason: REASONS.kvmUnavailable,
        message: 'KVM is not usable on this node; the guest runs under QEMU emulation (TCG)',
      }
    : {
        type: CONDITION_TYPES.softwareEmulation,
        status: 'False',
        reason: 'KVMAvailable',
        message: 'The guest runs with KVM acceleration',
      };
}

function conditionsFor(
  current: ReadonlyArray<Condition>,
  verdict: PhaseVerdict,
  emulation: DomainType,
  now: Date,
): ReadonlyArray<Condition> {
  let conditions = current;
  if (verdict.phase === 'Running') {
    const ready: ConditionInput = verdict.paused
      ? { type: CONDITION_TYPES.ready, status: 'False', reason: 'Paused', message: verdict.message }
      : { type: CONDITION_TYPES.ready, status: 'True', reason: verdict.reason, message: verdict.message };
    conditions = setCondition(conditions, ready, now);
    conditions = setCondition(conditions, emulationCondition(emulation), now);
    // A pull that failed before is over once the domain runs.
    conditions = removeCondition(conditions, CONDITION_TYPES.synchronized);
    conditions = verdict.paused
      ? setCondition(
          conditions,
          { type: CONDITION_TYPES.paused, status: 'True', reason: 'PausedByUser', message: 'The domain is paused' },
          now,
        )
      : removeCondition(conditions, CONDITION_TYPES.paused);
    return conditions;
  }
  conditions = removeCondition(conditions, CONDITION_TYPES.paused);
  return setCondition(
    conditions,
    { type: CONDITION_TYPES.ready, status: 'False', reason: verdict.reason, message: verdict.message },
    now,
  );
}

function transitions(
  status: VirtualMachineInstanceStatus,
  phase: VmiPhase,
  now: Date,
): NonNullable<VirtualMachineInstanceStatus['phaseTransitionTimestamps']> {
  const list = status.phaseTransitionTimestamps ?? [];
  if (status.phase === phase) return list;
  return [...list, { phase, phaseTransitionTimestamp: rfc3339(now) }];
}

/**
 * The VMI's status after the handler's verdict, or undefined when it would not change. `seen.agent`
 * is what the guest agent last said (undefined: it does not answer); `seen.podIPs` the launcher
 * Pod's addresses (status.podIPs; empty while they are not known).
 */
export function statusForVerdict(
  vmi: VirtualMachineInstance,
  verdict: PhaseVerdict,
  seen: Readonly<{ emulation: DomainType; agent?: AgentFacts | undefined; podIPs?: ReadonlyArray<string> }>,
  now: Date,
): VirtualMachineInstanceStatus | undefined {
  const { emulation, agent, podIPs } = seen;
  const status = vmi.status ?? {};
  // A final phase is never changed again (the controller may have ended it first).
  if (isFinalPhase(status.phase)) return undefined;
  const running = verdict.phase === 'Running' && !verdict.paused;
  const facts = running ? agent : undefined;
  const { guestOSInfo: _old, ...rest } = status;
  const next: VirtualMachineInstanceStatus = {
    ...rest,
    phase: verdict.phase,
    ...(verdict.phase === 'Running' ? {} : { reason: verdict.reason }),
    conditions: agentCondition(conditionsFor(status.conditions ?? [], verdict, emulation, now), facts, now),
    interfaces: interfacesFor(vmi, facts, podIPs),
    ...(facts === undefined ? {} : { guestOSInfo: facts.osInfo }),
    phaseTransitionTimestamps: transitions(status, verdict.phase, now),
  };
  return sameStatus(status, next) ? undefined : next;
}

/** AgentConnected True while the agent answers; absent otherwise, as KubeVirt leaves it. */
function agentCondition(
  conditions: ReadonlyArray<Condition>,
  agent: AgentFacts | undefined,
  now: Date,
): ReadonlyArray<Condition> {
  if (agent === undefined) return removeCondition(conditions, CONDITION_TYPES.agentConnected);
  return setCondition(
    conditions,
    { type: CONDITION_TYPES.agentConnected, status: 'True', reason: 'AgentConnected', message: '' },
    now,
  );
}

/**
 * The VMI's status while its containerDisk cannot be pulled: phase unchanged, Synchronized and
 * Ready False with `reason` (ErrImagePull, ImagePullBackOff) and the registry's message; the VM's
 * printableStatus shows the reason. Undefined when it already says so.
 */
export function pullStatus(
  vmi: VirtualMachineInstance,
  reason: string,
  message: string,
  now: Date,
): VirtualMachineInstanceStatus | undefined {
  const status = vmi.status ?? {};
  if (isFinalPhase(status.phase)) return undefined;
  let conditions = status.conditions ?? [];
  conditions = setCondition(conditions, { type: CONDITION_TYPES.synchronized, status: 'False', reason, message }, now);
  conditions = setCondition(conditions, { type: CONDITION_TYPES.ready, status: 'False', reason, message }, now);
  const next: VirtualMachineInstanceStatus = { ...status, conditions };
  return sameStatus(status, next) ? undefined : next;
}

type StatusInterface = NonNullable<VirtualMachineInstanceStatus['interfaces']>[number];

/**
 * The guest's interfaces, KubeVirt's way: one per spec interface in spec order, with the MAC the
 * domain got; its address is the launcher Pod's (`podIPs`, as KubeVirt reports a masquerade
 * interface on the pod network), else, while the Pod's address is not known, the agent's
 * addresses, else the masquerade guest address (DHCP gives it). infoSource `domain, guest-agent`
 * when the agent reports the interface (matched by MAC; it adds the guest's name for it),
 * `domain` otherwise. Interfaces the agent reports that the spec has not (another MAC) follow,
 * with the agent's addresses and infoSource `guest-agent`.
 */
export function interfacesFor(
  vmi: VirtualMachineInstance,
  agent: AgentFacts | undefined,
  podIPs: ReadonlyArray<string> = [],
): NonNullable<VirtualMachineInstanceStatus['interfaces']> {
  const ifaces = vmi.spec.domain.devices.interfaces ?? [];
  const uid = vmi.metadata.uid ?? '';
  const macs = new Set<string>();
  const fromSpec = ifaces.map((i): StatusInterface => {
    const mac = interfaceMacAddress(uid, i);
    macs.add(mac);
    const seen = agent?.interfaces.find((a) => a.mac === mac);
    const ips = addressesOf(podIPs, seen?.addresses ?? []);
    return {
      name: i.name,
      mac,
      ipAddress: ips[0] ?? MASQUERADE_GUEST_ADDRESS,
      ipAddresses: ips,
      ...(seen === undefined ? {} : { interfaceName: seen.name }),
      infoSource: seen === undefined ? INFO_SOURCES.domain : `${INFO_SOURCES.domain}, ${INFO_SOURCES.guestAgent}`,
    };
  });
  const guestOnly = (agent?.interfaces ?? [])
    .filter((a) => !macs.has(a.mac))
    .map((a): StatusInterface => ({
      mac: a.mac,
      ...(a.addresses[0] === undefined ? {} : { ipAddress: a.addresses[0], ipAddresses: a.addresses }),
      interfaceName: a.name,
      infoSource: INFO_SOURCES.guestAgent,
    }));
  return [...fromSpec, ...guestOnly];
}

/** The Pod's addresses when known, else the agent's, else the masquerade guest address. */
function addressesOf(podIPs: ReadonlyArray<string>, agentAddresses: ReadonlyArray<string>): ReadonlyArray<string> {
  if (podIPs.length > 0) return podIPs;
  return agentAddresses.length > 0 ? agentAddresses : [MASQUERADE_GUEST_ADDRESS];
}

// The API server returns keys in its own order (Go maps sort them), so compare with sorted keys.
function sameStatus(a: VirtualMachineInstanceStatus, b: VirtualMachineInstanceStatus): boolean {
  return stableJson(canonical(a)) === stableJson(canonical(b));
}

function canonical(s: VirtualMachineInstanceStatus): VirtualMachineInstanceStatus {
  return {
    ...s,
    interfaces: s.interfaces ?? [],
    conditions: s.conditions ?? [],
    phaseTransitionTimestamps: s.phaseTransitionTimestamps ?? [],
  };
}

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
