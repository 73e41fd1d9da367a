import { REASONS } from '../../../api/names.js';
import type { VirtualMachineInstance, VmiPhase } from '../../../api/types.js';
import type { DomainObservation } from '../../../handler/domain/state.js';
import {
  ERR_IMAGE_PULL_HOLD_MS,
  type LauncherView,
  type SyncView,
  nextStep,
  pullBackOffMs,
} from '../../../handler/sync/decide.js';

const NOW = Date.parse('2026-11-25T14:00:00Z');

function vmi(phase: VmiPhase | undefined, extra: { deleting?: boolean } = {}): VirtualMachineInstance {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: {
      namespace: 'ns',
      name: 'web',
      uid: 'u1',
      ...(extra.deleting === true ? { deletionTimestamp: '2026-11-25T13:59:00Z' } : {}),
    },
    spec: { domain: { devices: {} } },
    ...(phase === undefined ? {} : { status: { phase, nodeName: 'node-1' } }),
  };
}

const LAUNCHER: LauncherView = { connected: true, stopRequested: false, lost: false, exitSent: false };
const RUNNING: DomainObservation = { kind: 'present', state: 'Running' };
const SHUTOFF: DomainObservation = { kind: 'present', state: 'Shutoff' };
const MISSING: DomainObservation = { kind: 'missing' };

function view(over: Partial<SyncView>): SyncView {
  return {
    vmi: vmi('Scheduled'),
    domain: MISSING,
    shutoffCause: 'unknown',
    graceSeconds: 30,
    launcher: LAUNCHER,
    memory: { started: false },
    emulation: 'qemu',
    now: NOW,
    ...over,
  };
}

describe('nextStep when the domain does not exist', () => {
  it('starts the domain once the launcher has connected', () => {
    expect(nextStep(view({})).kind).toBe('define-and-start');
  });

  it('waits for the launcher before starting', () => {
    expect(nextStep(view({ launcher: { ...LAUNCHER, connected: false } })).kind).toBe('idle');
  });

  it('never starts a domain for a VMI that is being deleted, and lets its launcher go', () => {
    const step = nextStep(view({ vmi: vmi('Scheduled', { deleting: true }) }));
    expect(step).toMatchObject({ kind: 'tell-launcher', message: { type: 'exit', code: 0 } });
  });

  it('never starts a domain for a final VMI; its launcher exits with the failure', () => {
    const failed = { ...vmi('Failed'), status: { phase: 'Failed' as const, reason: REASONS.podFailed } };
    expect(nextStep(view({ vmi: failed }))).toMatchObject({
      kind: 'tell-launcher',
      message: { type: 'exit', code: 1, reason: REASONS.podFailed },
    });
  });

  it('fails a Running VMI whose domain vanished', () => {
    const step = nextStep(view({ vmi: vmi('Running'), memory: { started: true } }));
    expect(step).toMatchObject({ kind: 'write-status', verdict: { phase: 'Failed', reason: REASONS.domainNotFound } });
  });

  it('fails a VMI whose domain could not be defined, then tells the launcher, then rests', () => {
    const startFailure = {
      phase: 'Failed' as const,
      reason: REASONS.failedDefine,
      message: 'spec.volumes[0].hostDisk.path: /x does not exist',
      paused: false,
    };
    expect(nextStep(view({ memory: { started: false, startFailure } }))).toMatchObject({
      kind: 'write-status',
      verdict: startFailure,
    });
    const failed = { ...vmi('Failed'), status: { phase: 'Failed' as const, reason: REASONS.failedDefine } };
    expect(nextStep(view({ vmi: failed, memory: { started: false, startFailure } }))).toMatchObject({
      kind: 'tell-launcher',
      message: { code: 1, reason: REASONS.failedDefine },
    });
    expect(
      nextStep(
        view({ vmi: failed, memory: { started: false, startFailure }, launcher: { ...LAUNCHER, exitSent: true } }),
      ).kind,
    ).toBe('idle');
  });

  it('forgets an orphan once its domain is gone', () => {
    expect(nextStep(view({ vmi: undefined, launcher: { ...LAUNCHER, connected: false } })).kind).toBe('forget');
  });
});

describe('nextStep while the domain runs', () => {
  it('writes Running once, then tells the launcher, then rests', () => {
    const first = nextStep(view({ domain: RUNNING, memory: { started: true } }));
    expect(first).toMatchObject({ kind: 'write-status', verdict: { phase: 'Running' } });
    if (first.kind !== 'write-status') throw new Error('unreachable');
    const written = { ...vmi('Running'), status: first.status };
    expect(nextStep(view({ vmi: written, domain: RUNNING }))).toMatchObject({
      kind: 'tell-launcher',
      message: { type: 'status', domain: 'Running' },
    });
    expect(nextStep(view({ vmi: written, domain: RUNNING, launcher: { ...LAUNCHER, told: 'Running' } })).kind).toBe(
      'idle',
    );
  });

  it('adopts a running domain after a restart without a write when the status already says so', () => {
    const first = nextStep(view({ domain: RUNNING }));
    if (first.kind !== 'write-status') throw new Error(`expected a status write, got ${first.kind}`);
    const adopted = view({
      vmi: { ...vmi('Running'), status: first.status },
      domain: RUNNING,
      launcher: { ...LAUNCHER, connected: false },
      now: NOW + 60_000,
    });
    expect(nextStep(adopted).kind).toBe('idle');
  });

  it('sends ACPI when the VMI is deleted, then waits, then destroys after the grace period', () => {
    const deleting = vmi('Running', { deleting: true });
    expect(nextStep(view({ vmi: deleting, domain: RUNNING, memory: { started: true } }))).toMatchObject({
      kind: 'shutdown',
    });
    const acpi = { started: true, acpiAt: NOW };
    expect(nextStep(view({ vmi: deleting, domain: RUNNING, memory: acpi }))).toMatchObject({
      kind: 'tell-launcher',
      message: { type: 'status', domain: 'Stopping' },
    });
    const told = { ...LAUNCHER, told: 'Stopping' as const };
    expect(nextStep(view({ vmi: deleting, domain: RUNNING, memory: acpi, launcher: told, now: NOW + 5000 }))).toEqual({
      kind: 'wait',
      ms: 1000,
    });
    expect(
      nextStep(view({ vmi: deleting, domain: RUNNING, memory: acpi, launcher: told, now: NOW + 30_000 })),
    ).toMatchObject({ kind: 'destroy' });
  });

  it('destroys at the lowered grace period when stop --grace-period shortens it after ACPI', () => {
    // The handler reads the grace from the VMI on every sync (graceSecondsOf): 30 s, then 1 s.
    const deleting = vmi('Running', { deleting: true });
    const told = { ...LAUNCHER, told: 'Stopping' as const };
    const stopping = { vmi: deleting, domain: RUNNING, memory: { started: true, acpiAt: NOW }, launcher: told };
    expect(nextStep(view({ ...stopping, now: NOW + 5000 })).kind).toBe('wait');
    expect(nextStep(view({ ...stopping, graceSeconds: 1, now: NOW + 5000 }))).toMatchObject({
      kind: 'destroy',
      why: expect.stringContaining('ignored ACPI for 1s') as unknown,
    });
    expect(nextStep(view({ ...stopping, graceSeconds: 0, now: NOW }))).toMatchObject({ kind: 'destroy' });
  });

  it('shuts down through the guest agent when it answers, ACPI when it does not', () => {
    const deleting = view({ vmi: vmi('Running', { deleting: true }), domain: RUNNING, memory: { started: true } });
    const agent = { osInfo: { id: 'debian' }, interfaces: [] };
    expect(nextStep(deleting)).toMatchObject({ kind: 'shutdown', via: 'acpi' });
    expect(nextStep({ ...deleting, agent })).toMatchObject({ kind: 'shutdown', via: 'agent' });
  });

  it("names the agent's shutdown when the guest outlives the grace period after it", () => {
    const told = { ...LAUNCHER, told: 'Stopping' as const };
    const memory = { started: true, acpiAt: NOW, shutdownVia: 'agent' as const };
    const stopping = view({ vmi: vmi('Running', { deleting: true }), domain: RUNNING, memory, launcher: told });
    expect(nextStep({ ...stopping, now: NOW + 5000 })).toEqual({ kind: 'wait', ms: 1000 });
    expect(nextStep({ ...stopping, now: NOW + 30_000 })).toMatchObject({
      kind: 'destroy',
      why: expect.stringContaining("did not shut down through its agent's guest-shutdown for 30s") as unknown,
    });
  });

  it('stops gracefully when the launcher asks', () => {
    expect(
      nextStep(view({ vmi: vmi('Running'), domain: RUNNING, launcher: { ...LAUNCHER, stopRequested: true } })),
    ).toMatchObject({ kind: 'shutdown', why: 'virt-launcher asked for a graceful stop' });
  });

  it('destroys at once when the launcher died', () => {
    expect(
      nextStep(view({ vmi: vmi('Running'), domain: RUNNING, launcher: { ...LAUNCHER, connected: false, lost: true } })),
    ).toMatchObject({ kind: 'destroy', why: 'virt-launcher exited' });
  });

  it('stops the domain of a VMI the controller already failed', () => {
    expect(nextStep(view({ vmi: vmi('Failed'), domain: RUNNING }))).toMatchObject({
      kind: 'shutdown',
      why: 'the VMI is Failed',
    });
  });

  it('stops an orphan: a domain whose VMI is gone', () => {
    expect(
      nextStep(view({ vmi: undefined, domain: RUNNING, launcher: { ...LAUNCHER, connected: false } })),
    ).toMatchObject({ kind: 'shutdown' });
  });
});

describe('nextStep after the domain shut off', () => {
  it('marks a guest that powered off Succeeded, tells the launcher 0, undefines', () => {
    const first = nextStep(
      view({ vmi: vmi('Running'), domain: SHUTOFF, shutoffCause: 'guest', memory: { started: true } }),
    );
    expect(first).toMatchObject({
      kind: 'write-status',
      verdict: { phase: 'Succeeded', reason: REASONS.guestShutdown },
    });
    const done = vmi('Succeeded');
    expect(nextStep(view({ vmi: done, domain: SHUTOFF, shutoffCause: 'guest' }))).toMatchObject({
      kind: 'tell-launcher',
      message: { type: 'exit', code: 0 },
    });
    expect(nextStep(view({ vmi: done, domain: SHUTOFF, launcher: { ...LAUNCHER, exitSent: true } })).kind).toBe(
      'undefine',
    );
  });

  it('marks a killed QEMU Failed with the cause', () => {
    expect(nextStep(view({ vmi: vmi('Running'), domain: SHUTOFF, shutoffCause: 'crashed' }))).toMatchObject({
      kind: 'write-status',
      verdict: { phase: 'Failed', reason: REASONS.domainCrashed },
    });
  });

  it('marks a stop that was asked for Succeeded even when the domain had to be destroyed', () => {
    expect(
      nextStep(view({ vmi: vmi('Running', { deleting: true }), domain: SHUTOFF, shutoffCause: 'destroyed' })),
    ).toMatchObject({
      kind: 'write-status',
      verdict: { phase: 'Succeeded' },
    });
  });

  it('marks the VMI of a dead launcher Failed with LauncherExited', () => {
    expect(
      nextStep(
        view({
          vmi: vmi('Running'),
          domain: SHUTOFF,
          shutoffCause: 'destroyed',
          launcher: { ...LAUNCHER, connected: false, lost: true },
        }),
      ),
    ).toMatchObject({
      kind: 'write-status',
      verdict: { phase: 'Failed', reason: REASONS.launcherExited },
    });
  });

  it('undefines an orphan without writing anything', () => {
    expect(nextStep(view({ vmi: undefined, domain: SHUTOFF, launcher: { ...LAUNCHER, connected: false } })).kind).toBe(
      'undefine',
    );
  });

  it('does nothing with a domain in no state', () => {
    expect(nextStep(view({ domain: { kind: 'present', state: 'NoState' } })).kind).toBe('idle');
  });
});

describe('nextStep after a containerDisk pull failed', () => {
  const failure = { message: 'manifest unknown', attempts: 1, failedAt: NOW, retryAt: NOW + 10_000 };
  const memory = { started: false, pullFailure: failure };

  it('writes ErrImagePull with the registry message right after the failure, phase unchanged', () => {
    const step = nextStep(view({ memory }));
    expect(step).toMatchObject({ kind: 'write-status', verdict: { phase: 'Scheduled', reason: REASONS.errImagePull } });
    if (step.kind !== 'write-status') throw new Error('expected a status write');
    expect(step.status.phase).toBe('Scheduled');
    expect(step.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'Synchronized',
          status: 'False',
          reason: 'ErrImagePull',
          message: 'manifest unknown',
        }),
      ]),
    );
  });

  it('then reads ImagePullBackOff, and waits for the next attempt once it says so', () => {
    const later = NOW + ERR_IMAGE_PULL_HOLD_MS + 1;
    const step = nextStep(view({ memory, now: later }));
    expect(step).toMatchObject({ kind: 'write-status', verdict: { reason: REASONS.imagePullBackOff } });
    if (step.kind !== 'write-status') throw new Error('expected a status write');
    const written = { ...vmi('Scheduled'), status: step.status };
    expect(nextStep(view({ vmi: written, memory, now: later }))).toEqual({ kind: 'wait', ms: failure.retryAt - later });
  });

  it('tries again once the back-off is over', () => {
    expect(nextStep(view({ memory, now: failure.retryAt })).kind).toBe('define-and-start');
  });

  it('backs off like the kubelet: 10 s doubled per failure, at most 5 minutes', () => {
    expect([1, 2, 3, 5, 6, 20].map(pullBackOffMs)).toEqual([10_000, 20_000, 40_000, 160_000, 300_000, 300_000]);
  });
});
