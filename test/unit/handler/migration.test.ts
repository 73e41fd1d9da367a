import type { VirtualMachineInstance, VirtualMachineInstanceMigrationState } from '../../../api/types.js';
import type { DomainObservation } from '../../../handler/domain/state.js';
import { migrationRole } from '../../../handler/migration/decide.js';
import { dataRemaining, migrateArgs, type JobView } from '../../../handler/migration/jobs.js';
import { type LauncherView, type SyncView, nextStep } from '../../../handler/sync/decide.js';

const NOW = Date.parse('2026-11-25T14:00:00Z');
const TIMEOUT_MS = 150_000;
const PROGRESS_TIMEOUT_MS = 60_000;

function vmi(nodeName: string, state?: Partial<VirtualMachineInstanceMigrationState>): VirtualMachineInstance {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { namespace: 'ns', name: 'web', uid: 'u1' },
    spec: { domain: { devices: {} } },
    status: {
      phase: 'Running',
      nodeName,
      ...(state === undefined
        ? {}
        : { migrationState: { migrationUid: 'm1', sourceNode: 'node-1', targetNode: 'node-2', ...state } }),
    },
  };
}

const READY = { targetNodeDomainReadyTimestamp: '2026-11-25T13:59:59Z', targetLibvirtUri: 'qemu+tls://node-2/system' };
const LAUNCHER: LauncherView = { connected: true, stopRequested: false, lost: false, exitSent: false };
const RUNNING: DomainObservation = { kind: 'present', state: 'Running' };
const SHUTOFF: DomainObservation = { kind: 'present', state: 'Shutoff' };
const MISSING: DomainObservation = { kind: 'missing' };

/** The view of `node`'s handler. */
function view(node: string, over: Partial<SyncView>, job?: JobView): SyncView {
  return {
    vmi: vmi('node-1'),
    domain: RUNNING,
    shutoffCause: 'unknown',
    graceSeconds: 30,
    launcher: LAUNCHER,
    memory: { started: true },
    emulation: 'qemu',
    now: NOW,
    migration: {
      node,
      timeoutMs: TIMEOUT_MS,
      progressTimeoutMs: PROGRESS_TIMEOUT_MS,
      ...(job === undefined ? {} : { job }),
    },
    ...over,
  };
}

describe('migrationRole', () => {
  it.each([
    ['source', 'node-1', vmi('node-1', {}), 'source'],
    ['target', 'node-2', vmi('node-1', {}), 'target'],
    ['none on the VMI’s node without a migration', 'node-1', vmi('node-1'), undefined],
    ['none once the migration ended', 'node-1', vmi('node-1', { failed: true }), undefined],
    ['elsewhere: the source after the move', 'node-1', vmi('node-2', { completed: true }), 'elsewhere'],
    ['elsewhere: a failed target', 'node-2', vmi('node-1', { failed: true }), 'elsewhere'],
  ] as const)('%s', (_name, node, v, role) => {
    expect(migrationRole(v, node)).toBe(role);
  });
});

describe('nextStep on a migration target', () => {
  it('waits for its launcher (the target Pod) to say hello', () => {
    const step = nextStep(
      view('node-2', { vmi: vmi('node-1', {}), domain: MISSING, launcher: { ...LAUNCHER, connected: false } }),
    );
    expect(step).toEqual({ kind: 'idle' });
  });

  it('defines the domain once its launcher is connected', () => {
    expect(nextStep(view('node-2', { domain: MISSING, vmi: vmi('node-1', {}) }))).toEqual({
      kind: 'migration-prepare-target',
    });
  });

  it('waits, defined, for the guest, and never starts or fails it', () => {
    const v = vmi('node-1', READY);
    expect(nextStep(view('node-2', { domain: SHUTOFF, vmi: v }))).toEqual({ kind: 'idle' });
    expect(nextStep(view('node-2', { domain: { kind: 'present', state: 'Paused' }, vmi: v }))).toEqual({
      kind: 'idle',
    });
  });

  it('cleans up as an orphan once the migration failed: the VMI is not this node’s', () => {
    const step = nextStep(view('node-2', { domain: SHUTOFF, vmi: vmi('node-1', { ...READY, failed: true }) }));
    expect(step).toMatchObject({ kind: 'tell-launcher', message: { type: 'exit' } });
  });
});

describe('nextStep on a migration source', () => {
  it('runs its VMI as ever until the target is ready', () => {
    expect(nextStep(view('node-1', { vmi: vmi('node-1', {}) })).kind).not.toMatch(/^migration-/);
  });

  it('starts the migration once the target is ready', () => {
    expect(nextStep(view('node-1', { vmi: vmi('node-1', READY) }))).toEqual({ kind: 'migration-start' });
  });

  it('holds the uid while the job runs, even with the domain gone', () => {
    const job: JobView = { startedAt: NOW - 1000, progressAt: NOW - 1000, abortSent: false };
    const v = vmi('node-1', { ...READY, startTimestamp: 'x' });
    expect(nextStep(view('node-1', { vmi: v }, job))).toEqual({ kind: 'wait', ms: 500 });
    expect(nextStep(view('node-1', { vmi: v, domain: MISSING }, job))).toEqual({ kind: 'wait', ms: 500 });
  });

  it('aborts a cancelled migration once, and one past its completion timeout', () => {
    const cancelled = vmi('node-1', { ...READY, startTimestamp: 'x', abortRequested: true });
    expect(
      nextStep(view('node-1', { vmi: cancelled }, { startedAt: NOW, progressAt: NOW, abortSent: false })),
    ).toMatchObject({
      kind: 'migration-abort',
    });
    expect(nextStep(view('node-1', { vmi: cancelled }, { startedAt: NOW, progressAt: NOW, abortSent: true }))).toEqual({
      kind: 'wait',
      ms: 500,
    });
    const slow = vmi('node-1', { ...READY, startTimestamp: 'x' });
    const step = nextStep(
      view('node-1', { vmi: slow }, { startedAt: NOW - TIMEOUT_MS - 1, progressAt: NOW, abortSent: false }),
    );
    expect(step).toEqual({ kind: 'migration-abort', why: expect.stringContaining('within 150s') as unknown });
  });

  it('aborts one whose data left to copy has not gone down for progressTimeout', () => {
    const v = vmi('node-1', { ...READY, startTimestamp: 'x' });
    const stalled: JobView = { startedAt: NOW - 70_000, progressAt: NOW - PROGRESS_TIMEOUT_MS - 1, abortSent: false };
    expect(nextStep(view('node-1', { vmi: v }, stalled))).toEqual({
      kind: 'migration-abort',
      why: 'the migration made no progress for 60s (progressTimeout)',
    });
    const moving: JobView = { ...stalled, progressAt: NOW - 1000 };
    expect(nextStep(view('node-1', { vmi: v }, moving))).toEqual({ kind: 'wait', ms: 500 });
  });

  it('reports completed or failed (with libvirt’s message) when the job ends', () => {
    const v = vmi('node-1', { ...READY, startTimestamp: 'x' });
    const ok: JobView = { startedAt: NOW, progressAt: NOW, abortSent: false, result: { ok: true, ms: 3200 } };
    expect(nextStep(view('node-1', { vmi: v, domain: MISSING }, ok))).toEqual({ kind: 'migration-complete', ms: 3200 });
    const no: JobView = {
      startedAt: NOW,
      progressAt: NOW,
      abortSent: false,
      result: { ok: false, message: 'Broken pipe' },
    };
    expect(nextStep(view('node-1', { vmi: v }, no))).toEqual({
      kind: 'migration-fail',
      message: 'Broken pipe',
      aborted: false,
    });
  });

  it('fails, not starts, a migration of a VMI that is stopping or cancelled', () => {
    const stopping = view('node-1', { vmi: vmi('node-1', READY), launcher: { ...LAUNCHER, stopRequested: true } });
    expect(nextStep(stopping)).toMatchObject({ kind: 'migration-fail', message: 'the VMI is stopping' });
    const cancelled = view('node-1', { vmi: vmi('node-1', { ...READY, abortRequested: true }) });
    expect(nextStep(cancelled)).toMatchObject({ kind: 'migration-fail', aborted: true });
  });

  it('forgets the VMI once it moved away, never failing it for its missing domain', () => {
    const moved = vmi('node-2', { ...READY, completed: true });
    expect(
      nextStep(view('node-1', { vmi: moved, domain: MISSING, launcher: { ...LAUNCHER, exitSent: true } })),
    ).toEqual({
      kind: 'forget',
    });
  });
});

describe('dataRemaining', () => {
  it('reads data_remaining from virsh domjobinfo --rawstats, nothing when there is none', () => {
    const raw =
      'Job type:            Unbounded\noperation:           2\ndata_total:          138412032\ndata_remaining:      7340032\n';
    expect(dataRemaining(raw)).toBe(7340032);
    expect(dataRemaining('Job type:         None\n')).toBeUndefined();
  });
});

describe('migrateArgs', () => {
  const req = {
    sourceUri: 'qemu:///system',
    targetUri: 'qemu+tls://node-2/system',
    domain: 'ns_web',
    migrateUri: 'tcp://10.0.0.2',
    targetXml: '<domain/>',
  };

  it('is the direct live migration, persistent on the target, undefined on the source', () => {
    expect(migrateArgs({ ...req, bandwidthBytesPerSecond: 0 }, '/tmp/x/target.xml')).toEqual([
      '-c',
      'qemu:///system',
      'migrate',
      '--live',
      '--persistent',
      '--undefinesource',
      '--xml',
      '/tmp/x/target.xml',
      'ns_web',
      'qemu+tls://node-2/system',
      '--migrateuri',
      'tcp://10.0.0.2',
    ]);
  });

  it('passes bandwidthPerMigration in MiB/s, at least 1', () => {
    expect(migrateArgs({ ...req, bandwidthBytesPerSecond: 64 * 2 ** 20 }, 'f')).toContain('64');
    const tiny = migrateArgs({ ...req, bandwidthBytesPerSecond: 1000 }, 'f');
    expect(tiny.slice(tiny.indexOf('--bandwidth'), tiny.indexOf('--bandwidth') + 2)).toEqual(['--bandwidth', '1']);
  });
});
