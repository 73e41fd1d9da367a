import type { VmiPhase } from '../../../api/types.js';
import { vmiPhaseFromPod } from '../../../controllers/vmi/phase.js';
import { computeVmiStatus, SCHEDULING_QUIET_MS, schedulingQuietMs } from '../../../controllers/vmi/status.js';
import { NOW, pod, vmi, type PodState } from './fixtures.js';

type Row = [VmiPhase | undefined, PodState | 'none', VmiPhase, string];

describe('vmiPhaseFromPod', () => {
  const rows: Row[] = [
    [undefined, 'none', 'Pending', ''],
    [undefined, 'pending', 'Scheduling', ''],
    [undefined, 'bound', 'Scheduled', 'node-1'],
    ['Pending', 'none', 'Pending', ''],
    ['Pending', 'pending', 'Scheduling', ''],
    ['Scheduling', 'pending', 'Scheduling', ''],
    ['Scheduling', 'unschedulable', 'Scheduling', ''],
    ['Scheduling', 'bound', 'Scheduled', 'node-1'],
    ['Scheduling', 'running', 'Scheduled', 'node-1'],
    ['Scheduling', 'none', 'Failed', ''],
    ['Scheduling', 'failed', 'Failed', ''],
    ['Scheduling', 'succeeded', 'Failed', ''],
    ['Scheduled', 'running', 'Scheduled', ''],
    ['Scheduled', 'deleting', 'Scheduled', ''],
    ['Scheduled', 'failed', 'Failed', ''],
    ['Scheduled', 'succeeded', 'Succeeded', ''],
    ['Scheduled', 'none', 'Failed', ''],
    ['Running', 'running', 'Running', ''],
    ['Running', 'succeeded', 'Succeeded', ''],
    ['Running', 'failed', 'Failed', ''],
    ['Running', 'none', 'Failed', ''],
    ['Unknown', 'none', 'Failed', ''],
    ['Succeeded', 'none', 'Succeeded', ''],
    ['Failed', 'running', 'Failed', ''],
  ];
  it.each(rows)('from %s with a Pod that is %s goes to %s', (from, podState, to, node) => {
    const d = vmiPhaseFromPod(vmi(from), podState === 'none' ? undefined : pod(podState));
    expect(d.phase).toBe(to);
    expect(d.nodeName ?? '').toBe(node);
  });

  it('never sets Running: that is the handler’s word', () => {
    for (const s of ['pending', 'bound', 'running'] as const) {
      for (const from of [undefined, 'Pending', 'Scheduling', 'Scheduled'] as const) {
        expect(vmiPhaseFromPod(vmi(from), pod(s)).phase).not.toBe('Running');
      }
    }
  });

  it('ends a deleted VMI whose Pod is gone as Succeeded: the stop was asked for', () => {
    expect(vmiPhaseFromPod(vmi('Scheduled', { deleting: true }), undefined).phase).toBe('Succeeded');
    expect(vmiPhaseFromPod(vmi(undefined, { deleting: true }), undefined).phase).toBe('Succeeded');
  });

  it("names the launcher's exit code when the Pod fails", () => {
    expect(vmiPhaseFromPod(vmi('Scheduled'), pod('failed'))).toMatchObject({
      reason: 'PodFailed',
      message: expect.stringContaining('exit code 1') as unknown,
    });
  });
});

describe('computeVmiStatus', () => {
  it('places the VMI: phase, nodeName, PodScheduled=True, transition time', () => {
    const r = computeVmiStatus(vmi('Scheduling'), pod('bound'), NOW);
    expect(r.status).toMatchObject({
      phase: 'Scheduled',
      nodeName: 'node-1',
      launcherPodName: 'virt-launcher-web-22222222',
    });
    expect(r.status.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({ status: 'True' });
    expect(r.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'GuestNotRunning',
    });
    expect(r.status.phaseTransitionTimestamps).toEqual([
      { phase: 'Scheduled', phaseTransitionTimestamp: '2026-11-25T14:00:00Z' },
    ]);
  });

  it("carries the scheduler's reason and message when the Pod cannot be placed", () => {
    const r = computeVmiStatus(vmi('Scheduling'), pod('unschedulable'), NOW);
    expect(r.status.conditions?.find((c) => c.type === 'PodScheduled')).toEqual({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message: '0/1 nodes are available: 1 Insufficient cpu.',
      lastTransitionTime: '2026-11-25T14:00:00Z',
    });
    expect(r.status.nodeName).toBeUndefined();
  });

  it('leaves Ready alone while the VMI runs: virt-handler owns it then', () => {
    const ready = { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-25T13:00:00Z' } as const;
    const r = computeVmiStatus(
      vmi('Running', { status: { nodeName: 'node-1', conditions: [ready] } }),
      pod('running'),
      NOW,
    );
    expect(r.status.conditions?.find((c) => c.type === 'Ready')).toEqual(ready);
  });

  it('is a fixed point: computing again from its own output changes nothing', () => {
    const first = computeVmiStatus(vmi('Scheduling'), pod('bound'), NOW);
    const again = computeVmiStatus(
      { ...vmi('Scheduling'), status: first.status },
      pod('bound'),
      new Date(NOW.getTime() + 5000),
    );
    expect(again.status).toEqual(first.status);
  });

  it('records why a VMI failed and leaves a final VMI as it is', () => {
    const failed = computeVmiStatus(vmi('Scheduled'), pod('failed'), NOW);
    expect(failed.status).toMatchObject({ phase: 'Failed', reason: 'PodFailed' });
    const later = computeVmiStatus(
      { ...vmi('Failed'), status: failed.status },
      undefined,
      new Date(NOW.getTime() + 5000),
    );
    expect(later.status).toEqual(failed.status);
  });
});

describe('schedulingQuietMs', () => {
  const createdAt = (p: ReturnType<typeof pod>, ms: number): ReturnType<typeof pod> => ({
    ...p,
    metadata: { ...p.metadata, creationTimestamp: new Date(NOW.getTime() - ms).toISOString().replace(/\.\d+Z$/, 'Z') },
  });

  it('holds the first Scheduling of a fresh Pod, so Scheduled right after is the one write', () => {
    expect(schedulingQuietMs(vmi('Pending'), createdAt(pod('pending'), 1000), 'Scheduling', NOW)).toBe(
      SCHEDULING_QUIET_MS - 1000,
    );
  });

  it('writes at once once the hold is over, when the scheduler refused the Pod, or for later phases', () => {
    expect(schedulingQuietMs(vmi('Pending'), createdAt(pod('pending'), 2500), 'Scheduling', NOW)).toBeUndefined();
    expect(schedulingQuietMs(vmi('Pending'), createdAt(pod('unschedulable'), 0), 'Scheduling', NOW)).toBeUndefined();
    expect(schedulingQuietMs(vmi('Pending'), createdAt(pod('bound'), 0), 'Scheduled', NOW)).toBeUndefined();
    expect(schedulingQuietMs(vmi('Scheduling'), createdAt(pod('pending'), 0), 'Scheduling', NOW)).toBeUndefined();
    expect(schedulingQuietMs(vmi('Pending'), pod('pending'), 'Scheduling', NOW)).toBeUndefined();
  });
});
