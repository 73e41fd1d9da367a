/**
 * A VMI's phase from its launcher Pod (kubevirt pkg/virt-controller/watch/vmi/lifecycle.go
 * updateStatus), the controller's half of the lifecycle:
 *
 *   (none) | Pending ──Pod exists──► Scheduling ──Pod bound (spec.nodeName)──► Scheduled
 *   Scheduling: the Pod ends, is being deleted or vanishes ─► Failed
 *   Scheduled | Running | Unknown: the Pod ends ─► Succeeded (exit 0) | Failed; the Pod vanishes ─► Failed
 *   Succeeded | Failed: final, never changed again.
 *
 * Running is set by virt-handler once the domain runs, never here. A VMI being deleted whose Pod
 * is gone ends Succeeded: the stop was asked for. Pure.
 */
import { REASONS } from '../../api/names.js';
import type { VirtualMachineInstance, VmiPhase } from '../../api/types.js';
import type { Pod } from '../../kube/core.js';
import { isBeingDeleted, isFinalPhase } from '../../api/lifecycle.js';

export type PhaseDecision = Readonly<{
  phase: VmiPhase;
  /** status.reason when the phase is final and the controller ended it. */
  reason?: string;
  /** Why, for the Ready condition's message and Events. */
  message?: string;
  /** status.nodeName once the Pod is bound. */
  nodeName?: string;
}>;

export function podEnded(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export function podBoundNode(pod: Pod): string | undefined {
  const node = pod.spec?.nodeName;
  return node === undefined || node === '' ? undefined : node;
}

/** The launcher container's exit code, when it has terminated. */
export function launcherExitCode(pod: Pod): number | undefined {
  return pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
}

function endedByPod(pod: Pod): PhaseDecision {
  const code = launcherExitCode(pod);
  const exit = code === undefined ? '' : ` with exit code ${code}`;
  if (pod.status?.phase === 'Succeeded') {
    return {
      phase: 'Succeeded',
      reason: REASONS.launcherExited,
      message: `virt-launcher Pod ${pod.metadata?.name ?? ''} succeeded${exit}`,
    };
  }
  return {
    phase: 'Failed',
    reason: REASONS.podFailed,
    message: `virt-launcher Pod ${pod.metadata?.name ?? ''} failed${exit}`,
  };
}

const POD_GONE: PhaseDecision = {
  phase: 'Failed',
  reason: REASONS.podNotExists,
  message: 'virt-launcher Pod vanished',
};

function fromScheduling(pod: Pod | undefined): PhaseDecision {
  if (pod === undefined) return POD_GONE;
  if (podEnded(pod)) return { ...endedByPod(pod), phase: 'Failed' }; // it never got to run the VM
  if (pod.metadata?.deletionTimestamp !== undefined) {
    return {
      phase: 'Failed',
      reason: REASONS.podTerminating,
      message: 'virt-launcher Pod was deleted before it was scheduled',
    };
  }
  const node = podBoundNode(pod);
  return node === undefined ? { phase: 'Scheduling' } : { phase: 'Scheduled', nodeName: node };
}

function fromPlaced(current: VmiPhase, pod: Pod | undefined): PhaseDecision {
  if (pod === undefined) return POD_GONE;
  return podEnded(pod) ? endedByPod(pod) : { phase: current };
}

/** The VMI's next phase, given its launcher Pod as the cache shows it (undefined: no Pod). */
export function vmiPhaseFromPod(vmi: VirtualMachineInstance, pod: Pod | undefined): PhaseDecision {
  const current = vmi.status?.phase;
  if (current !== undefined && isFinalPhase(current)) return { phase: current };
  const decision = decide(current, pod, isBeingDeleted(vmi));
  // A stop that was asked for is not a failure: a deleted VMI whose Pod went away succeeded.
  if (isBeingDeleted(vmi) && decision.reason === REASONS.podNotExists) {
    return { phase: 'Succeeded', reason: REASONS.podNotExists, message: 'virt-launcher Pod was deleted with the VMI' };
  }
  return decision;
}

function fromUnplaced(pod: Pod | undefined, deleting: boolean): PhaseDecision {
  if (pod !== undefined) return fromScheduling(pod);
  return deleting ? POD_GONE : { phase: 'Pending' };
}

function decide(current: VmiPhase | undefined, pod: Pod | undefined, deleting: boolean): PhaseDecision {
  switch (current) {
    case undefined:
    case 'Pending':
      return fromUnplaced(pod, deleting);
    case 'Scheduling':
      return fromScheduling(pod);
    case 'Scheduled':
    case 'Running':
    case 'Unknown':
      return fromPlaced(current, pod);
    case 'Succeeded':
    case 'Failed':
      return { phase: current };
    default:
      return { phase: 'Unknown' };
  }
}
