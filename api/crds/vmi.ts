/** The VirtualMachineInstance CRD: one running incarnation of a VM. */
import { VMI_PHASES } from '../enums.js';
import { VMI_KIND, VMI_PLURAL, VMI_SHORT_NAMES, VMI_SINGULAR } from '../names.js';
import { metadataNameIsDnsLabel } from './cel.js';
import { conditionsSchema } from './condition.js';
import { AGE_COLUMN, customResourceDefinition, typeMeta, type CustomResourceDefinition } from './crd.js';
import { arr, named, obj, rule, str, type JSONSchemaProps } from './json-schema.js';
import { vmiSpecSchema } from './vmi-spec.js';

const phase = named('VmiPhase', str({ enum: VMI_PHASES }));

const status = named(
  'VirtualMachineInstanceStatus',
  obj({
    phase,
    nodeName: str({ description: 'The node whose handler runs the domain; set when the launcher Pod is bound.' }),
    reason: str({ description: 'Why the VMI is in this phase, e.g. PodFailed.' }),
    conditions: conditionsSchema,
    interfaces: arr(
      named(
        'VirtualMachineInstanceNetworkInterface',
        obj({ name: str(), ipAddress: str(), ipAddresses: arr(str()), mac: str() }),
      ),
    ),
    phaseTransitionTimestamps: arr(
      named(
        'PhaseTransitionTimestamp',
        obj(
          { phase, phaseTransitionTimestamp: str({ format: 'date-time' }) },
          { required: ['phase', 'phaseTransitionTimestamp'] },
        ),
      ),
    ),
    launcherPodName: str({ description: 'The virt-launcher Pod that holds this VMI.' }),
  }),
);

/**
 * The VMI's spec is fixed once created, as in KubeVirt: the domain was built from it, so a change
 * could only lie about what runs. Edits go to the VM's template and take effect on restart.
 */
const immutableSpec: JSONSchemaProps = named('VirtualMachineInstanceSpec', {
  ...vmiSpecSchema,
  'x-kubernetes-validations': [
    ...(vmiSpecSchema['x-kubernetes-validations'] ?? []),
    rule(
      'self == oldSelf',
      "spec is immutable after creation; change the VirtualMachine's template and restart it, or delete and recreate the VirtualMachineInstance",
    ),
  ],
});

export const vmiSchema = named(
  'VirtualMachineInstance',
  obj(
    { ...typeMeta('VMI_KIND'), spec: immutableSpec, status },
    {
      // The API server fills these in before validating, so every stored object has them.
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      'x-kubernetes-validations': [metadataNameIsDnsLabel(VMI_KIND)],
    },
  ),
);

export const vmiCrd: CustomResourceDefinition = customResourceDefinition(
  { kind: VMI_KIND, plural: VMI_PLURAL, singular: VMI_SINGULAR, shortNames: VMI_SHORT_NAMES },
  vmiSchema,
  [
    AGE_COLUMN,
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'IP', type: 'string', jsonPath: '.status.interfaces[0].ipAddress' },
    { name: 'NodeName', type: 'string', jsonPath: '.status.nodeName' },
    { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
  ],
);
