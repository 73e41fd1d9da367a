// The status a kubelet would report for a launcher Pod, from what the agent knows about its
// process. Pure: the agent writes it only when projectStatus() differs from what the API has.
import { LAUNCHER_IMAGE } from '../../api/names.js';
import type { Pod } from '../../kube/core.js';
import { LOCAL_IP } from './pod-env.js';

export type PodStatus = NonNullable<Pod['status']>;
type Condition = NonNullable<PodStatus['conditions']>[number];
type ContainerStatus = NonNullable<PodStatus['containerStatuses']>[number];
type ContainerState = NonNullable<ContainerStatus['state']>;

/** What the agent knows about a Pod's process. Times are epoch milliseconds. */
export type RuntimeState = Readonly<
  | { kind: 'unsupported'; image: string }
  | { kind: 'invalid'; message: string }
  | { kind: 'waiting' }
  | { kind: 'running'; pid: number; startedAt: number }
  | {
      kind: 'exited';
      pid: number;
      startedAt: number;
      finishedAt: number;
      exitCode: number;
      message?: string | undefined;
    }
  | { kind: 'lost'; pid: number; startedAt: number; finishedAt: number }
>;

export const UNSUPPORTED_IMAGE_REASON = 'UnsupportedImage';
/** Kubelet's reason for a container whose fate is unknown. */
export const UNKNOWN_STATUS_REASON = 'ContainerStatusUnknown';
const LOST_MESSAGE = 'The process ended while the node agent was down and left no exit code';

/** API timestamps have second precision; anything finer would make every comparison differ. */
export function apiTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function phaseOf(state: RuntimeState): NonNullable<PodStatus['phase']> {
  switch (state.kind) {
    case 'unsupported':
    case 'invalid':
    case 'lost':
      return 'Failed';
    case 'waiting':
      return 'Pending';
    case 'running':
      return 'Running';
    case 'exited':
      return state.exitCode === 0 ? 'Succeeded' : 'Failed';
    default:
      return state satisfies never;
  }
}

function terminated(
  exitCode: number,
  reason: string,
  times: { startedAt: string; finishedAt: string },
  message?: string,
): ContainerState {
  return {
    terminated: {
      exitCode,
      reason,
      startedAt: times.startedAt,
      finishedAt: times.finishedAt,
      ...(message === undefined || message === '' ? {} : { message }),
    },
  };
}

function containerState(state: RuntimeState, startTime: string): ContainerState {
  switch (state.kind) {
    case 'unsupported':
      return terminated(
        128,
        UNSUPPORTED_IMAGE_REASON,
        { startedAt: startTime, finishedAt: startTime },
        unsupportedMessage(state.image),
      );
    case 'invalid':
      return terminated(128, 'StartError', { startedAt: startTime, finishedAt: startTime }, state.message);
    case 'waiting':
      return { waiting: { reason: 'ContainerCreating' } };
    case 'running':
      return { running: { startedAt: apiTime(state.startedAt) } };
    case 'exited': {
      const times = { startedAt: apiTime(state.startedAt), finishedAt: apiTime(state.finishedAt) };
      return terminated(state.exitCode, state.exitCode === 0 ? 'Completed' : 'Error', times, state.message);
    }
    case 'lost':
      return terminated(
        137,
        UNKNOWN_STATUS_REASON,
        { startedAt: apiTime(state.startedAt), finishedAt: apiTime(state.finishedAt) },
        LOST_MESSAGE,
      );
    default:
      return state satisfies never;
  }
}

/** The message for a Pod the agent will not run. */
export function unsupportedMessage(image: string): string {
  return `The tsvirt node agent runs only launcher Pods (image ${LAUNCHER_IMAGE}); this Pod's image is ${image}`;
}

type ConditionWant = Readonly<{ type: string; status: 'True' | 'False'; reason?: string | undefined }>;

// lastTransitionTime moves only when the status flips, as the kubelet does.
function condition(pod: Pod, want: ConditionWant, now: string): Condition {
  const old = pod.status?.conditions?.find((c) => c.type === want.type);
  const since =
    old !== undefined && old.status === want.status && old.lastTransitionTime !== undefined
      ? old.lastTransitionTime
      : now;
  return {
    type: want.type,
    status: want.status,
    lastTransitionTime: since,
    ...(want.reason === undefined ? {} : { reason: want.reason }),
  };
}

function conditions(pod: Pod, phase: string, now: string): Condition[] {
  const running = phase === 'Running';
  const notReady = phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady';
  const scheduled =
    pod.status?.conditions?.find((c) => c.type === 'PodScheduled') ??
    condition(pod, { type: 'PodScheduled', status: 'True' }, now);
  const ready = { status: running ? ('True' as const) : ('False' as const), reason: running ? undefined : notReady };
  return [
    condition(pod, { type: 'Initialized', status: 'True' }, now),
    condition(pod, { type: 'Ready', ...ready }, now),
    condition(pod, { type: 'ContainersReady', ...ready }, now),
    scheduled,
  ];
}

/**
 * The whole status the agent owns for `pod` given its process state, at `now` (epoch ms).
 * Fields it does not own (nominatedNodeName, qosClass) are left to others.
 */
export function desiredPodStatus(pod: Pod, state: RuntimeState, now: number): PodStatus {
  const phase = phaseOf(state);
  const nowTime = apiTime(now);
  const startTime = pod.status?.startTime ?? nowTime;
  return {
    phase,
    conditions: conditions(pod, phase, nowTime),
    hostIP: LOCAL_IP,
    hostIPs: [{ ip: LOCAL_IP }],
    podIP: LOCAL_IP,
    podIPs: [{ ip: LOCAL_IP }],
    startTime,
    containerStatuses: [containerStatus(pod, state, startTime)],
    ...(state.kind === 'unsupported'
      ? { reason: UNSUPPORTED_IMAGE_REASON, message: unsupportedMessage(state.image) }
      : {}),
  };
}

function containerStatus(pod: Pod, state: RuntimeState, startTime: string): ContainerStatus {
  const container = pod.spec?.containers[0];
  const running = state.kind === 'running';
  const pid = 'pid' in state ? state.pid : undefined;
  return {
    name: container?.name ?? '',
    image: container?.image ?? '',
    imageID: '',
    ready: running,
    started: running,
    restartCount: 0,
    state: containerState(state, startTime),
    lastState: {},
    ...(pid === undefined ? {} : { containerID: `tsvirt-agent://${pid}` }),
  };
}

/** The fields that matter when deciding whether to write; timestamps of unchanged conditions excluded. */
export function projectStatus(s: PodStatus | undefined): unknown {
  if (s === undefined) return undefined;
  const conds = [...(s.conditions ?? [])]
    .map((c) => ({ type: c.type, status: c.status, reason: c.reason ?? '' }))
    .sort((a, b) => a.type.localeCompare(b.type));
  const containers = (s.containerStatuses ?? []).map((c) => ({
    name: c.name,
    ready: c.ready,
    started: c.started ?? false,
    restartCount: c.restartCount,
    containerID: c.containerID ?? '',
    state: c.state ?? {},
  }));
  return {
    phase: s.phase,
    reason: s.reason ?? '',
    message: s.message ?? '',
    podIP: s.podIP,
    hostIP: s.hostIP,
    startTime: s.startTime,
    conds,
    containers,
  };
}

/** True when writing `desired` would change what the API server holds. */
export function statusDiffers(current: PodStatus | undefined, desired: PodStatus): boolean {
  return JSON.stringify(projectStatus(current)) !== JSON.stringify(projectStatus(desired));
}

/** A JSON merge patch that sets `desired` (lists are replaced whole) and clears reason/message when absent. */
export function statusMergePatch(desired: PodStatus): { status: Record<string, unknown> } {
  return { status: { reason: null, message: null, ...desired } };
}

/** True when the Pod's single container image is tsvirt's launcher. */
export function isLauncherPod(pod: Pod): boolean {
  const containers = pod.spec?.containers ?? [];
  return containers.length > 0 && containers.every((c) => c.image === LAUNCHER_IMAGE);
}

/** True once the Pod reached a phase it never leaves. */
export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
