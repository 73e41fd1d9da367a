import { API_VERSION, FINALIZERS, LABELS, VMIM_KIND } from '../../../api/names.js';
import type {
  MigrationPhase,
  VirtualMachineInstance,
  VirtualMachineInstanceMigration,
  VirtualMachineInstanceMigrationState,
} from '../../../api/types.js';
import type { Pod } from '../../../kube/core.js';
import { nextMigrationStep, type MigrationStep } from '../../../controllers/migration/decide.js';
import { migrationStatusFor } from '../../../controllers/migration/status.js';
import { migrationTargetPodFor } from '../../../controllers/migration/target-pod.js';
import { NOW, pod, vmi, type PodState } from './fixtures.js';

const MIGRATION_UID = '33333333-aaaa-bbbb-cccc-000000000003';
const TARGET_POD = 'virt-launcher-web-33333333';

function vmim(
  phase?: MigrationPhase,
  extra: { deleting?: boolean; finalizer?: boolean } = {},
): VirtualMachineInstanceMigration {
  return {
    apiVersion: API_VERSION,
    kind: VMIM_KIND,
    metadata: {
      name: 'web-migration-abcde',
      namespace: 'ns',
      uid: MIGRATION_UID,
      ...(extra.finalizer === false ? {} : { finalizers: [FINALIZERS.migrationCleanup] }),
      ...(extra.deleting === true ? { deletionTimestamp: '2026-11-25T13:59:00Z' } : {}),
    },
    spec: { vmiName: 'web' },
    ...(phase === undefined ? {} : { status: { phase } }),
  };
}

/** The VMI running on node-1, with this migration's state when given. */
function runningVmi(
  state?: Partial<VirtualMachineInstanceMigrationState>,
  extra: { labelled?: boolean; launcherPodName?: string } = {},
): VirtualMachineInstance {
  const base = vmi('Running', { status: { nodeName: 'node-1' } });
  return {
    ...base,
    metadata: {
      ...base.metadata,
      ...(extra.labelled === true ? { labels: { [LABELS.migrationTargetNode]: 'node-2' } } : {}),
    },
    status: {
      ...base.status,
      ...(extra.launcherPodName === undefined ? {} : { launcherPodName: extra.launcherPodName }),
      ...(state === undefined
        ? {}
        : {
            migrationState: {
              migrationUid: MIGRATION_UID,
              sourceNode: 'node-1',
              targetNode: 'node-2',
              targetPod: TARGET_POD,
              ...state,
            },
          }),
    },
  };
}

function targetPod(state: PodState): Pod {
  const p = pod(state);
  const bound = p.spec?.nodeName === undefined ? p.spec : { ...p.spec, nodeName: 'node-2' };
  return {
    ...p,
    metadata: { ...p.metadata, name: TARGET_POD, labels: { [LABELS.migrationUid]: MIGRATION_UID } },
    ...(bound === undefined ? {} : { spec: bound }),
  };
}

const failed = (reason: string, message: string | RegExp): unknown => ({
  kind: 'set-phase',
  outcome: {
    phase: 'Failed',
    reason,
    message: (typeof message === 'string'
      ? expect.stringContaining(message)
      : expect.stringMatching(message)) as unknown,
  },
});

describe('nextMigrationStep', () => {
  const cases: ReadonlyArray<
    readonly [string, VirtualMachineInstanceMigration, VirtualMachineInstance | undefined, Pod | undefined, unknown]
  > = [
    [
      'adds its finalizer first',
      vmim(undefined, { finalizer: false }),
      runningVmi(),
      undefined,
      { kind: 'add-finalizer' },
    ],
    ['creates the target Pod for a running VMI', vmim(), runningVmi(), undefined, { kind: 'create-target-pod' }],
    ['fails when the VMI does not exist', vmim(), undefined, undefined, failed('NotMigratable', 'does not exist')],
    ['fails when the VMI is not Running', vmim(), vmi('Scheduled'), undefined, failed('NotMigratable', 'not Running')],
    [
      'fails a VMI with volumes (no block migration)',
      vmim(),
      { ...runningVmi(), spec: { ...runningVmi().spec, volumes: [{ name: 'root', emptyDisk: { capacity: '1Gi' } }] } },
      undefined,
      failed('NotMigratable', 'block migration is not supported'),
    ],
    [
      'waits, Pending, while another migration of the VMI runs',
      vmim(),
      runningVmi({ migrationUid: 'another' }),
      undefined,
      { kind: 'set-phase', outcome: { phase: 'Pending' } },
    ],
    [
      'moves to Scheduling while the target Pod waits for a node',
      vmim('Pending'),
      runningVmi(),
      targetPod('pending'),
      {
        kind: 'set-phase',
        outcome: { phase: 'Scheduling' },
      },
    ],
    [
      'fails with the scheduler message when the target Pod is unschedulable',
      vmim('Scheduling'),
      runningVmi(),
      targetPod('unschedulable'),
      failed('Unschedulable', '0/1 nodes are available: 1 Insufficient cpu.'),
    ],
    [
      'hands over once the target Pod is bound',
      vmim('Scheduling'),
      runningVmi(),
      targetPod('running'),
      { kind: 'hand-over', sourceNode: 'node-1', targetNode: 'node-2' },
    ],
    [
      'fails when the target Pod vanished',
      vmim('Scheduling'),
      runningVmi(),
      undefined,
      failed('TargetPodFailed', 'vanished'),
    ],
    [
      'is PreparingTarget after the hand-over',
      vmim('Scheduled'),
      runningVmi({}),
      targetPod('running'),
      {
        kind: 'set-phase',
        outcome: { phase: 'PreparingTarget' },
      },
    ],
    [
      'is TargetReady once the target defined the domain',
      vmim('PreparingTarget'),
      runningVmi({ targetNodeDomainReadyTimestamp: '2026-11-25T13:59:00Z' }),
      targetPod('running'),
      { kind: 'set-phase', outcome: { phase: 'TargetReady' } },
    ],
    [
      'is Running once the source started',
      vmim('TargetReady'),
      runningVmi({ targetNodeDomainReadyTimestamp: 'x', startTimestamp: 'y' }),
      targetPod('running'),
      { kind: 'set-phase', outcome: { phase: 'Running' } },
    ],
    [
      'writes nothing while the phase stands',
      vmim('Running'),
      runningVmi({ startTimestamp: 'y' }),
      targetPod('running'),
      { kind: 'wait' },
    ],
    [
      'Succeeds when the source reports completed',
      vmim('Running'),
      runningVmi({ startTimestamp: 'y', completed: true }),
      targetPod('running'),
      { kind: 'set-phase', outcome: { phase: 'Succeeded' } },
    ],
    [
      "fails with libvirt's reason when the source reports failed",
      vmim('Running'),
      runningVmi({ startTimestamp: 'y', failed: true, failureReason: 'Unable to write to monitor' }),
      targetPod('running'),
      failed('MigrationFailed', 'Unable to write to monitor'),
    ],
    [
      'marks the state failed when the target Pod ends before the source started',
      vmim('PreparingTarget'),
      runningVmi({}),
      targetPod('failed'),
      { kind: 'fail-state', reason: expect.stringContaining('ended before the migration started') as unknown },
    ],
    [
      'deletes the target Pod of a failed migration',
      vmim('Failed'),
      runningVmi({ failed: true }, { labelled: true }),
      targetPod('running'),
      { kind: 'delete-target-pod' },
    ],
    [
      'then takes the target label off',
      vmim('Failed'),
      runningVmi({ failed: true }, { labelled: true }),
      undefined,
      { kind: 'clear-target-label' },
    ],
    [
      "never deletes a succeeded migration's target Pod, which holds the VMI, when a later migration replaced the state",
      vmim('Succeeded'),
      runningVmi({ migrationUid: 'later' }, { launcherPodName: TARGET_POD }),
      targetPod('running'),
      { kind: 'wait' },
    ],
    [
      'asks for an abort when a running migration is deleted',
      vmim('Running', { deleting: true }),
      runningVmi({ startTimestamp: 'y' }),
      targetPod('running'),
      { kind: 'request-abort' },
    ],
    [
      'waits for the source to answer the abort',
      vmim('Running', { deleting: true }),
      runningVmi({ startTimestamp: 'y', abortRequested: true }),
      targetPod('running'),
      { kind: 'wait' },
    ],
    [
      'removes its finalizer once the aborted migration ended and its Pod went',
      vmim('Running', { deleting: true }),
      runningVmi({ startTimestamp: 'y', abortRequested: true, failed: true }),
      undefined,
      { kind: 'remove-finalizer' },
    ],
  ];

  it.each(cases)('%s', (...row) => {
    const [, m, v, p, expected] = row;
    const step: MigrationStep = nextMigrationStep({ vmim: m, vmi: v, targetPod: p });
    expect(step).toEqual(expected);
  });
});

describe('migrationTargetPodFor', () => {
  it("is the VMI's launcher Pod under the migration's name, labelled with it, kept off the source node", () => {
    const p = migrationTargetPodFor(runningVmi(), vmim(), { launcherCommand: ['node', 'virt-launcher.cjs'] });
    expect(p.metadata?.name).toBe(TARGET_POD);
    expect(p.metadata?.labels?.[LABELS.migrationUid]).toBe(MIGRATION_UID);
    expect(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-1'] }] },
    ]);
    expect(p.spec?.containers[0]?.resources?.requests).toBeDefined();
  });
});

describe('migrationStatusFor', () => {
  it('records the nodes and target Pod, and a transition only when the phase changes', () => {
    const view = { vmim: vmim('Scheduling'), vmi: runningVmi({}), targetPod: targetPod('running') };
    const status = migrationStatusFor(view, { phase: 'PreparingTarget' }, {}, NOW);
    expect(status).toEqual({
      phase: 'PreparingTarget',
      sourceNode: 'node-1',
      targetNode: 'node-2',
      targetPod: TARGET_POD,
      phaseTransitionTimestamps: [{ phase: 'PreparingTarget', phaseTransitionTimestamp: '2026-11-25T14:00:00Z' }],
    });
    const again = migrationStatusFor(
      { ...view, vmim: { ...view.vmim, status } },
      { phase: 'PreparingTarget' },
      {},
      NOW,
    );
    expect(again.phaseTransitionTimestamps).toHaveLength(1);
  });
});
