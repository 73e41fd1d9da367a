/**
 * The VMI status the controller owns, from the VMI and its launcher Pod: phase (see ./phase.ts),
 * nodeName, launcherPodName, phaseTransitionTimestamps, reason, and the conditions PodScheduled
 * (the scheduler's own reason and message when it cannot place the Pod) and Ready (False, with why,
 * until the VMI runs). While the VMI is Running or Unknown, Ready belongs to virt-handler and is
 * left as it is. Pure.
 */
import { CONDITION_TYPES, REASONS } from '../../api/names.js';
import { isFinalPhase } from '../../api/lifecycle.js';
import type { VirtualMachineInstance, VirtualMachineInstanceStatus, VmiPhase } from '../../api/types.js';
import type { Pod } from '../../kube/core.js';
import { rfc3339, setCondition, type ConditionInput } from '../../api/conditions.js';
import { defined } from '../defined.js';
import { podBoundNode, podEnded, vmiPhaseFromPod, type PhaseDecision } from './phase.js';

export type VmiStatusResult = Readonly<{
  status: VirtualMachineInstanceStatus;
  /** The phase decision, for Events and logs. */
  decision: PhaseDecision;
}>;

/** Ready=False while the launcher waits for its guest; the VM shows the same until the VMI says. */
export const GUEST_NOT_RUNNING: ConditionInput = {
  type: CONDITION_TYPES.ready,
  status: 'False',
  reason: REASONS.guestNotRunning,
  message: 'Guest is not running',
};

function podScheduledInput(pod: Pod | undefined): ConditionInput | undefined {
  if (pod === undefined) return undefined;
  if (podBoundNode(pod) !== undefined) return { type: CONDITION_TYPES.podScheduled, status: 'True' };
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (c === undefined || c.status !== 'False') return undefined;
  return { type: CONDITION_TYPES.podScheduled, status: 'False', ...defined({ reason: c.reason, message: c.message }) };
}

function readyInput(phase: VmiPhase, pod: Pod | undefined, decision: PhaseDecision): ConditionInput | undefined {
  if (phase === 'Running' || phase === 'Unknown') return undefined; // virt-handler's
  const base = { type: CONDITION_TYPES.ready, status: 'False' } as const;
  if (decision.reason !== undefined)
    return { ...base, reason: decision.reason, ...defined({ message: decision.message }) };
  if (pod === undefined)
    return { ...base, reason: REASONS.podNotExists, message: 'virt-launcher Pod does not exist yet' };
  if (podEnded(pod) || pod.metadata?.deletionTimestamp !== undefined) {
    return { ...base, reason: REASONS.podTerminating, message: 'virt-launcher Pod is terminating' };
  }
  return GUEST_NOT_RUNNING;
}

function withTransition(
  vmi: VirtualMachineInstance,
  phase: VmiPhase,
  now: Date,
): VirtualMachineInstanceStatus['phaseTransitionTimestamps'] {
  const list = vmi.status?.phaseTransitionTimestamps ?? [];
  if (vmi.status?.phase === phase) return vmi.status.phaseTransitionTimestamps;
  return [...list, { phase, phaseTransitionTimestamp: rfc3339(now) }];
}

function conditionsFor(
  vmi: VirtualMachineInstance,
  pod: Pod | undefined,
  decision: PhaseDecision,
  now: Date,
): VirtualMachineInstanceStatus['conditions'] {
  let conditions = vmi.status?.conditions;
  // A VMI that was already final keeps its conditions: what ended it stays readable.
  if (isFinalPhase(vmi.status?.phase)) return conditions;
  const scheduled = podScheduledInput(pod);
  if (scheduled !== undefined) conditions = setCondition(conditions, scheduled, now);
  const ready = readyInput(decision.phase, pod, decision);
  if (ready !== undefined) conditions = setCondition(conditions, ready, now);
  return conditions;
}

/** The VMI's status as the controller would have it, given its Pod (undefined: none). */
export function computeVmiStatus(vmi: VirtualMachineInstance, pod: Pod | undefined, now: Date): VmiStatusResult {
  const old = vmi.status ?? {};
  const decision = vmiPhaseFromPod(vmi, pod);
  const phase = decision.phase;
  const changedToFinal = phase !== old.phase && isFinalPhase(phase);
  const nodeName = decision.nodeName ?? old.nodeName;
  const status: VirtualMachineInstanceStatus = {
    ...old,
    phase,
    ...defined({
      nodeName,
      launcherPodName: pod?.metadata?.name ?? old.launcherPodName,
      conditions: conditionsFor(vmi, pod, decision, now),
      phaseTransitionTimestamps: withTransition(vmi, phase, now),
      reason: changedToFinal ? decision.reason : old.reason,
    }),
  };
  return { status, decision };
}

/**
 * How long a new VMI's first status waits while its fresh launcher Pod is with the scheduler.
 * Binding usually lands within milliseconds, so writing Scheduling first and Scheduled right after
 * would be two writes per start for one piece of news; holding the first for this long makes it one
 * (bench/: API writes per VM start). A Pod the scheduler has refused (PodScheduled=False) is news
 * at once. The Pod's creationTimestamp has whole seconds, so the hold is 1–2 s in wall time.
 */
export const SCHEDULING_QUIET_MS = 2000;

const refusedByScheduler = (pod: Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False') === true;

/** Milliseconds to leave the status unwritten (see SCHEDULING_QUIET_MS), or undefined: write now. */
export function schedulingQuietMs(
  vmi: VirtualMachineInstance,
  pod: Pod | undefined,
  next: VmiPhase,
  now: Date,
): number | undefined {
  const firstNews = next === 'Scheduling' && (vmi.status?.phase ?? 'Pending') === 'Pending';
  if (!firstNews || pod === undefined || refusedByScheduler(pod)) return undefined;
  const left = Date.parse(pod.metadata?.creationTimestamp ?? '') + SCHEDULING_QUIET_MS - now.getTime();
  return left > 0 ? left : undefined; // NaN (no timestamp) is not > 0: write now
}
