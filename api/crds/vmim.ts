/** The VirtualMachineInstanceMigration CRD: one request to move a running VMI to another node (KubeVirt's). */
import { MIGRATION_PHASES } from '../enums.js';
import { VMIM_KIND, VMIM_PLURAL, VMIM_SHORT_NAMES, VMIM_SINGULAR } from '../names.js';
import { dnsLabel } from './cel.js';
import { AGE_COLUMN, customResourceDefinition, typeMeta, type CustomResourceDefinition } from './crd.js';
import { arr, named, obj, rule, str } from './json-schema.js';

const phase = named(
  'MigrationPhase',
  str({
    enum: MIGRATION_PHASES,
    description:
      'Pending, Scheduling (target Pod created), Scheduled (bound), PreparingTarget, TargetReady, Running (memory copying), Succeeded or Failed, as in KubeVirt.',
  }),
);

const spec = named(
  'VirtualMachineInstanceMigrationSpec',
  obj(
    {
      vmiName: str({
        maxLength: 63,
        description: 'The VirtualMachineInstance to migrate, in this namespace; it must be Running.',
        'x-kubernetes-validations': [dnsLabel('spec.vmiName')],
      }),
    },
    {
      required: ['vmiName'],
      description: 'Which VMI to move.',
      'x-kubernetes-validations': [
        rule('self == oldSelf', 'spec is immutable; create a new VirtualMachineInstanceMigration instead'),
      ],
    },
  ),
);

const status = named(
  'VirtualMachineInstanceMigrationStatus',
  obj(
    {
      phase,
      reason: str({ description: 'Why a Failed migration failed: NotMigratable, Unschedulable, MigrationFailed, ...' }),
      message: str({
        description: "What happened, for a person: the scheduler's or libvirt's words when they refused.",
      }),
      sourceNode: str({ description: 'The node the VMI ran on when the migration began.' }),
      targetNode: str({ description: 'The node the target Pod was bound to.' }),
      targetPod: str({ description: 'The target virt-launcher Pod.' }),
      phaseTransitionTimestamps: arr(
        named(
          'MigrationPhaseTransitionTimestamp',
          obj(
            {
              phase,
              phaseTransitionTimestamp: str({ format: 'date-time', description: 'When the migration entered it.' }),
            },
            { required: ['phase', 'phaseTransitionTimestamp'], description: 'A phase and when it was entered.' },
          ),
        ),
        { description: 'When the migration entered each phase it has been in.' },
      ),
    },
    { description: 'What virt-controller observed; written by it only.' },
  ),
);

export const vmimSchema = named(
  'VirtualMachineInstanceMigration',
  obj({ ...typeMeta('VMIM_KIND'), spec, status }, { required: ['apiVersion', 'kind', 'metadata', 'spec'] }),
);

export const vmimCrd: CustomResourceDefinition = customResourceDefinition(
  { kind: VMIM_KIND, plural: VMIM_PLURAL, singular: VMIM_SINGULAR, shortNames: VMIM_SHORT_NAMES },
  vmimSchema,
  [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'VMI', type: 'string', jsonPath: '.spec.vmiName' },
    { name: 'Source', type: 'string', jsonPath: '.status.sourceNode', priority: 1 },
    { name: 'Target', type: 'string', jsonPath: '.status.targetNode', priority: 1 },
    AGE_COLUMN,
  ],
);
