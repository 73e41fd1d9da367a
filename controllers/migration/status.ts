/**
 * A migration's status for a phase, pure: the phase and why, the nodes and target Pod as the VMI's
 * migrationState (or the hand-over) names them, and the phase's transition time, added only when
 * the phase changes.
 */
import { rfc3339 } from '../../api/conditions.js';
import { migrationStateOf } from '../../api/migration.js';
import type { MigrationPhaseTransitionTimestamp, VirtualMachineInstanceMigrationStatus } from '../../api/types.js';
import { defined } from '../defined.js';
import type { MigrationOutcome, MigrationView } from './decide.js';

export type HandOverNodes = Readonly<{ sourceNode?: string; targetNode?: string }>;

function transitions(
  old: VirtualMachineInstanceMigrationStatus,
  phase: MigrationOutcome['phase'],
  now: Date,
): ReadonlyArray<MigrationPhaseTransitionTimestamp> {
  const list = old.phaseTransitionTimestamps ?? [];
  return old.phase === phase ? list : [...list, { phase, phaseTransitionTimestamp: rfc3339(now) }];
}

/** The nodes and target Pod: the hand-over's, else the VMI's migrationState, else what was written. */
function placement(
  view: MigrationView,
  nodes: HandOverNodes,
  old: VirtualMachineInstanceMigrationStatus,
): Readonly<{ sourceNode?: string | undefined; targetNode?: string | undefined; targetPod?: string | undefined }> {
  const state = migrationStateOf(view.vmi, view.vmim.metadata.uid);
  return {
    sourceNode: nodes.sourceNode ?? state?.sourceNode ?? old.sourceNode,
    targetNode: nodes.targetNode ?? state?.targetNode ?? old.targetNode,
    targetPod: view.targetPod?.metadata?.name ?? old.targetPod,
  };
}

export function migrationStatusFor(
  view: MigrationView,
  outcome: MigrationOutcome,
  nodes: HandOverNodes,
  now: Date,
): VirtualMachineInstanceMigrationStatus {
  const old = view.vmim.status ?? {};
  return {
    ...old,
    phase: outcome.phase,
    ...defined({ reason: outcome.reason, message: outcome.message, ...placement(view, nodes, old) }),
    phaseTransitionTimestamps: transitions(old, outcome.phase, now),
  };
}
