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
        obj({
          name: str(),
          ipAddress: str({ description: "The first address: the guest agent's, else the masquerade guest address." }),
          ipAddresses: arr(str()),
          mac: str(),
          interfaceName: str({ description: 'The name the guest gives the interface (from the guest agent).' }),
          infoSource: str({ description: 'Where these facts came from: "domain", "guest-agent", or both.' }),
        }),
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
    guestOSInfo: named(
      'VirtualMachineInstanceGuestOSInfo',
      obj(
        {
          id: str(),
          name: str(),
          prettyName: str(),
          version: str(),
          versionId: str(),
          kernelRelease: str(),
          kernelVersion: str(),
          machine: str(),
        },
        { description: 'What the guest agent reports about the guest OS; empty while no agent answers.' },
      ),
    ),
    launcherPodName: str({ description: 'The virt-launcher Pod that holds this VMI.' }),
  }),
);

/** The one spec field a VMI may change: KubeVirt's stop --grace-period shortens it before stopping. */
const GRACE = 'terminationGracePeriodSeconds';

/** `self.f == oldSelf.f` for an optional field: both unset, or both set and equal. */
const unchanged = (f: string): string =>
  `(has(self.${f}) ? has(oldSelf.${f}) && self.${f} == oldSelf.${f} : !has(oldSelf.${f}))`;

/**
 * The VMI's spec is fixed once created, as in KubeVirt: the domain was built from it, so a change
 * could only lie about what runs. Edits go to the VM's template and take effect on restart. The
 * exception is the grace period, which may only go down (virt-api's stop with a gracePeriod;
 * the handler reads it from the VMI when it sets the destroy deadline).
 */
const immutableSpec: JSONSchemaProps = named('VirtualMachineInstanceSpec', {
  ...vmiSpecSchema,
  'x-kubernetes-validations': [
    ...(vmiSpecSchema['x-kubernetes-validations'] ?? []),
    rule(
      Object.keys(vmiSpecSchema.properties ?? {})
        .filter((f) => f !== GRACE)
        .map(unchanged)
        .join(' && '),
      `spec is immutable after creation; change the VirtualMachine's template and restart it, or delete and recreate the VirtualMachineInstance (only ${GRACE} may be lowered)`,
    ),
    rule(
      `!has(oldSelf.${GRACE}) || (has(self.${GRACE}) && self.${GRACE} <= oldSelf.${GRACE})`,
      `${GRACE} may only be lowered once the VirtualMachineInstance exists`,
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
