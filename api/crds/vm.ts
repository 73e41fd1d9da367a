/** The VirtualMachine CRD: the long-lived object a user creates; its template becomes VMIs. */
import { PRINTABLE_STATUSES, RUN_STRATEGIES, STATE_CHANGE_ACTIONS } from '../enums.js';
import { VM_KIND, VM_PLURAL, VM_SHORT_NAMES, VM_SINGULAR } from '../names.js';
import { metadataNameIsDnsLabel } from './cel.js';
import { conditionsSchema } from './condition.js';
import { AGE_COLUMN, customResourceDefinition, typeMeta, type CustomResourceDefinition } from './crd.js';
import { arr, bool, int, named, obj, rule, str, stringMap } from './json-schema.js';
import { vmiSpecSchema } from './vmi-spec.js';

/** Pending start/stop requests; at most a restart's two plus slack, the controller drains them. */
const MAX_STATE_CHANGE_REQUESTS = 8;

const template = named(
  'VirtualMachineInstanceTemplateSpec',
  obj(
    {
      // Only what a VMI inherits: a name or namespace here would contradict the VM's own.
      metadata: named(
        'TemplateMeta',
        obj(
          {
            labels: stringMap({ description: 'Labels each VMI (and its launcher Pod) gets.' }),
            annotations: stringMap({ description: 'Annotations each VMI gets.' }),
          },
          { description: 'Labels and annotations for the VMIs made from this template.' },
        ),
      ),
      spec: vmiSpecSchema,
    },
    { required: ['spec'], description: 'What each run of this VM is made of.' },
  ),
);

const spec = named(
  'VirtualMachineSpec',
  obj(
    {
      runStrategy: named(
        'RunStrategy',
        str({
          enum: RUN_STRATEGIES,
          description:
            'When a VMI should exist: Always, RerunOnFailure (restart after a failure only), Once, Manual (start and stop by request) or Halted.',
        }),
      ),
      running: bool({
        description: 'Deprecated in KubeVirt, accepted so its examples apply: true means Always, false Halted.',
      }),
      template,
    },
    {
      required: ['template'],
      description: 'What the VM is and when it should run.',
      'x-kubernetes-validations': [
        rule(
          '!(has(self.running) && has(self.runStrategy))',
          'set runStrategy or the deprecated running, not both; prefer runStrategy',
          '.running',
        ),
      ],
    },
  ),
);

const stateChangeRequest = named(
  'StateChangeRequest',
  obj(
    {
      action: named('StateChangeAction', str({ enum: STATE_CHANGE_ACTIONS, description: 'Start or Stop.' })),
      uid: str({ description: 'For Stop: the UID of the VMI to stop, so a stale request cannot stop its successor.' }),
      data: stringMap({ description: 'Details of the request, such as a stop grace period.' }),
    },
    { required: ['action'], description: 'A start or stop request, drained by virt-controller.' },
  ),
);

const status = named(
  'VirtualMachineStatus',
  obj(
    {
      printableStatus: named(
        'PrintableStatus',
        str({
          enum: PRINTABLE_STATUSES,
          description:
            'One word for the VM, as kubectl get shows it: Running, Stopped, Starting, ErrorUnschedulable, ...',
        }),
      ),
      ready: bool({ description: 'A VMI of this VM exists and its guest is Ready.' }),
      created: bool({ description: 'A VMI of this VM exists.' }),
      conditions: conditionsSchema,
      observedGeneration: int({ description: 'The metadata.generation this status was computed from.' }),
      stateChangeRequests: arr(stateChangeRequest, {
        maxItems: MAX_STATE_CHANGE_REQUESTS,
        description: 'Start and stop requests waiting for the controller (kubectl virt start/stop on a Manual VM).',
      }),
      startFailure: named(
        'VirtualMachineStartFailure',
        obj(
          {
            consecutiveFailCount: int({ description: 'VMIs in a row that failed before ever running.' }),
            lastFailedVMIUID: str({ description: 'The last VMI counted, so one failure is counted once.' }),
            retryAfterTimestamp: str({
              format: 'date-time',
              description: 'No new VMI before this (crash-loop back-off).',
            }),
          },
          { description: 'The crash-loop record: set while VMIs keep failing before they run.' },
        ),
      ),
      runStrategy: str({
        enum: RUN_STRATEGIES,
        description:
          'The run strategy the controller last acted on; RerunOnFailure reads it to tell a new VM from a stopped one.',
      }),
    },
    { description: 'What virt-controller observed; written by it only.' },
  ),
);

export const vmSchema = named(
  'VirtualMachine',
  obj(
    { ...typeMeta('VM_KIND'), spec, status },
    {
      // The API server fills these in before validating, so every stored object has them.
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      'x-kubernetes-validations': [metadataNameIsDnsLabel(VM_KIND)],
    },
  ),
);

export const vmCrd: CustomResourceDefinition = customResourceDefinition(
  { kind: VM_KIND, plural: VM_PLURAL, singular: VM_SINGULAR, shortNames: VM_SHORT_NAMES },
  vmSchema,
  [
    AGE_COLUMN,
    { name: 'Status', type: 'string', jsonPath: '.status.printableStatus' },
    { name: 'Ready', type: 'boolean', jsonPath: '.status.ready' },
  ],
);
