import type { VirtualMachineInstance } from '../../../api/types.js';
import type { Node } from '../../../kube/core.js';
import type { PodDisruptionBudget } from '../../../kube/pdbs.js';
import {
  EVACUATION_RETRY_MS,
  type EvacuationView,
  nextEvacuationStep,
} from '../../../controllers/evacuation/decide.js';
import { vmi } from './fixtures.js';

const NOW = Date.parse('2026-11-25T14:00:00Z');

const liveMigrate = (v: VirtualMachineInstance): VirtualMachineInstance => ({
  ...v,
  spec: { ...v.spec, evictionStrategy: 'LiveMigrate' },
});
const running = liveMigrate(vmi('Running', { status: { nodeName: 'node-1' } }));
const node = (unschedulable: boolean): Node => ({ metadata: { name: 'node-1' }, spec: { unschedulable } });
const budget = (minAvailable: number): PodDisruptionBudget => ({ metadata: { name: 'b' }, spec: { minAvailable } });

function view(over: Partial<EvacuationView>): EvacuationView {
  return {
    vmi: running,
    node: node(false),
    budget: budget(1),
    migrating: false,
    lastFailedAt: undefined,
    now: NOW,
    ...over,
  };
}

describe('nextEvacuationStep', () => {
  it.each([
    ['leaves a VMI without LiveMigrate alone', view({ vmi: vmi('Running'), node: node(true) }), { kind: 'none' }],
    ['leaves a final VMI alone', view({ vmi: liveMigrate(vmi('Succeeded')), budget: undefined }), { kind: 'none' }],
    ['gives a LiveMigrate VMI its budget', view({ budget: undefined }), { kind: 'create-budget', minAvailable: 1 }],
    ['holds both Pods while it migrates', view({ migrating: true }), { kind: 'set-budget', minAvailable: 2 }],
    ['lets go of the second once it moved', view({ budget: budget(2) }), { kind: 'set-budget', minAvailable: 1 }],
    ['does nothing on a schedulable node', view({}), { kind: 'none' }],
    ['migrates a VMI off a cordoned node', view({ node: node(true) }), { kind: 'migrate' }],
    [
      'does not start a second migration while one is open',
      view({ node: node(true), migrating: true, budget: budget(2) }),
      { kind: 'none' },
    ],
    [
      'waits a while after a failed one',
      view({ node: node(true), lastFailedAt: NOW - 4000 }),
      { kind: 'retry-after', ms: EVACUATION_RETRY_MS - 4000 },
    ],
    [
      'tries again after that',
      view({ node: node(true), lastFailedAt: NOW - EVACUATION_RETRY_MS }),
      { kind: 'migrate' },
    ],
  ] as const)('%s', (_name, v, expected) => {
    expect(nextEvacuationStep(v)).toEqual(expected);
  });
});
