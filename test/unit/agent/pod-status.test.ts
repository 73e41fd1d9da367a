import {
  apiTime,
  desiredPodStatus,
  isLauncherPod,
  statusDiffers,
  statusMergePatch,
  type RuntimeState,
} from '../../../cluster/agent/pod-status.js';
import { LAUNCHER_IMAGE } from '../../../api/names.js';
import type { Pod } from '../../../kube/core.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const scheduled = { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-25T11:59:59Z' };
const pod = (status?: Pod['status'], image = LAUNCHER_IMAGE): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u' },
  spec: { nodeName: 'node-1', containers: [{ name: 'compute', image }] },
  status: status ?? { phase: 'Pending', conditions: [scheduled] },
});

describe('desiredPodStatus', () => {
  it('reports a running process as Running and Ready with its start time and local IPs', () => {
    const s = desiredPodStatus(pod(), { kind: 'running', pid: 42, startedAt: T0 + 1500 }, T0 + 2000);
    expect(s).toMatchObject({
      phase: 'Running',
      podIP: '127.0.0.1',
      hostIP: '127.0.0.1',
      startTime: '2026-11-25T12:00:02Z',
    });
    expect(s.containerStatuses?.[0]).toMatchObject({
      name: 'compute',
      ready: true,
      started: true,
      restartCount: 0,
      containerID: 'tsvirt-agent://42',
      state: { running: { startedAt: '2026-11-25T12:00:01Z' } },
    });
    expect(s.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    expect(s.conditions?.find((c) => c.type === 'PodScheduled')).toEqual(scheduled);
  });

  it.each<[string, RuntimeState, string, Record<string, unknown>]>([
    [
      'exit 0',
      { kind: 'exited', pid: 1, startedAt: T0, finishedAt: T0 + 5000, exitCode: 0 },
      'Succeeded',
      { exitCode: 0, reason: 'Completed' },
    ],
    [
      'exit 1',
      { kind: 'exited', pid: 1, startedAt: T0, finishedAt: T0 + 5000, exitCode: 1, message: 'boom' },
      'Failed',
      { exitCode: 1, reason: 'Error', message: 'boom' },
    ],
    [
      'a lost process',
      { kind: 'lost', pid: 1, startedAt: T0, finishedAt: T0 + 5000 },
      'Failed',
      { exitCode: 137, reason: 'ContainerStatusUnknown' },
    ],
    [
      'an invalid spec',
      { kind: 'invalid', message: 'no command' },
      'Failed',
      { exitCode: 128, reason: 'StartError', message: 'no command' },
    ],
  ])('reports %s as %s with the terminated state', (_, state, phase, terminated) => {
    const s = desiredPodStatus(pod(), state, T0 + 6000);
    expect(s.phase).toBe(phase);
    expect(s.containerStatuses?.[0]?.state?.terminated).toMatchObject(terminated);
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('fails a Pod with another image as UnsupportedImage, naming both images', () => {
    const s = desiredPodStatus(pod(undefined, 'nginx'), { kind: 'unsupported', image: 'nginx' }, T0);
    expect(s.phase).toBe('Failed');
    expect(s.reason).toBe('UnsupportedImage');
    expect(s.message).toContain('nginx');
    expect(s.message).toContain(LAUNCHER_IMAGE);
  });

  it('keeps lastTransitionTime of conditions whose status did not flip', () => {
    const first = desiredPodStatus(pod(), { kind: 'running', pid: 1, startedAt: T0 }, T0);
    const later = desiredPodStatus(pod(first), { kind: 'running', pid: 1, startedAt: T0 }, T0 + 60_000);
    expect(later.conditions).toEqual(first.conditions);
    const done = desiredPodStatus(
      pod(first),
      { kind: 'exited', pid: 1, startedAt: T0, finishedAt: T0 + 60_000, exitCode: 0 },
      T0 + 60_000,
    );
    expect(done.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe(apiTime(T0 + 60_000));
    expect(done.conditions?.find((c) => c.type === 'Initialized')?.lastTransitionTime).toBe(apiTime(T0));
  });
});

describe('statusDiffers', () => {
  it('is false for the same state at a later time, so an idle agent writes nothing', () => {
    const state: RuntimeState = { kind: 'running', pid: 1, startedAt: T0 };
    const written = desiredPodStatus(pod(), state, T0);
    // As the API server returns it: lastProbeTime null, qosClass added.
    const stored = {
      ...written,
      qosClass: 'Guaranteed',
      conditions: written.conditions?.map((c) => ({ ...c, lastProbeTime: null })),
    } as unknown as Pod['status'];
    expect(statusDiffers(stored, desiredPodStatus(pod(stored), state, T0 + 600_000))).toBe(false);
  });

  it('is true when the process ended', () => {
    const running = desiredPodStatus(pod(), { kind: 'running', pid: 1, startedAt: T0 }, T0);
    const ended = desiredPodStatus(
      pod(running),
      { kind: 'exited', pid: 1, startedAt: T0, finishedAt: T0 + 1000, exitCode: 0 },
      T0 + 1000,
    );
    expect(statusDiffers(running, ended)).toBe(true);
  });
});

describe('statusMergePatch', () => {
  it('clears a stale reason and message unless the status sets them', () => {
    const s = desiredPodStatus(pod(), { kind: 'running', pid: 1, startedAt: T0 }, T0);
    expect(statusMergePatch(s).status).toMatchObject({ reason: null, message: null, phase: 'Running' });
  });
});

describe('isLauncherPod', () => {
  it('accepts only Pods whose containers all use the launcher image', () => {
    expect(isLauncherPod(pod())).toBe(true);
    expect(isLauncherPod(pod(undefined, 'busybox'))).toBe(false);
    expect(isLauncherPod({ spec: { containers: [] } })).toBe(false);
  });
});
