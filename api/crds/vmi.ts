/** The VirtualMachineInstance CRD: one running incarnation of a VM. */
import { VMI_PHASES } from '../enums.js';
import { VMI_KIND, VMI_NODE_FIELD, VMI_PLURAL, VMI_SHORT_NAMES, VMI_SINGULAR } from '../names.js';
import { metadataNameIsDnsLabel } from './cel.js';
import { conditionsSchema } from './condition.js';
import { AGE_COLUMN, customResourceDefinition, typeMeta, type CustomResourceDefinition } from './crd.js';
import { arr, bool, named, obj, rule, str, type JSONSchemaProps } from './json-schema.js';
import { vmiSpecSchema } from './vmi-spec.js';

const phase = named(
  'VmiPhase',
  str({
    enum: VMI_PHASES,
    description: 'Pending, Scheduling, Scheduled, Running, Succeeded, Failed or Unknown, as in KubeVirt.',
  }),
);

const timestamp = (description: string): JSONSchemaProps => str({ format: 'date-time', description });

/**
 * The VMI's current (or last) migration, KubeVirt's VirtualMachineInstanceMigrationState. Written by
 * virt-controller (the migration, its nodes and target Pod, abortRequested, a failed target Pod), the
 * target's virt-handler (targetNodeAddress, targetLibvirtUri, targetNodeDomainReadyTimestamp) and the
 * source's (startTimestamp, then completed or failed, endTimestamp, abortStatus). api/migration.ts reads it.
 */
const migrationState = named(
  'VirtualMachineInstanceMigrationState',
  obj(
    {
      migrationUid: str({ description: 'The uid of the VirtualMachineInstanceMigration this state is about.' }),
      sourceNode: str({ description: 'The node the guest runs on when the migration starts.' }),
      targetNode: str({ description: "The node the scheduler placed the migration's target Pod on." }),
      targetPod: str({ description: 'The target virt-launcher Pod; the VMI holds it once the guest moved.' }),
      targetNodeAddress: str({
        description: "The address the source's QEMU streams the guest's memory to (its handler's --migration-address).",
      }),
      targetLibvirtUri: str({
        description: "The libvirt URI the source's virt-handler reaches the target's libvirtd on (--migration-uri).",
      }),
      targetNodeDomainReadyTimestamp: timestamp('When the target node had the domain defined, waiting for the guest.'),
      startTimestamp: timestamp('When the source started the live migration.'),
      endTimestamp: timestamp('When the migration ended, moved or not.'),
      completed: bool({ description: 'The guest runs on the target node now.' }),
      failed: bool({ description: 'The migration ended without moving the guest; it runs on on the source.' }),
      failureReason: str({ description: 'Why it failed: libvirt, the target Pod, a timeout or a cancel.' }),
      abortRequested: bool({ description: 'The migration was cancelled (its object deleted) before it ended.' }),
      abortStatus: str({
        enum: ['Succeeded', 'Failed'],
        description: 'Succeeded: the cancel stopped the migration in time; Failed: the guest had moved already.',
      }),
    },
    { description: 'The current or last live migration of this VMI.' },
  ),
);

const status = named(
  'VirtualMachineInstanceStatus',
  obj(
    {
      phase,
      nodeName: str({ description: 'The node whose handler runs the domain; set when the launcher Pod is bound.' }),
      reason: str({ description: 'Why the VMI is in this phase, e.g. PodFailed.' }),
      conditions: conditionsSchema,
      interfaces: arr(
        named(
          'VirtualMachineInstanceNetworkInterface',
          obj(
            {
              name: str({ description: 'The interface name in spec.domain.devices.interfaces.' }),
              ipAddress: str({
                description:
                  "The first address: the launcher Pod's (as KubeVirt reports masquerade), else the guest agent's, else the masquerade guest address.",
              }),
              ipAddresses: arr(str(), { description: "All the interface's IP addresses." }),
              mac: str({ description: "The interface's MAC address." }),
              interfaceName: str({ description: 'The name the guest gives the interface (from the guest agent).' }),
              infoSource: str({ description: 'Where these facts came from: "domain", "guest-agent", or both.' }),
            },
            { description: 'A network interface of the guest and its addresses.' },
          ),
        ),
        { description: "The guest's network interfaces, as virt-handler last saw them." },
      ),
      phaseTransitionTimestamps: arr(
        named(
          'PhaseTransitionTimestamp',
          obj(
            {
              phase,
              phaseTransitionTimestamp: str({ format: 'date-time', description: 'When the VMI entered the phase.' }),
            },
            { required: ['phase', 'phaseTransitionTimestamp'], description: 'A phase and when the VMI entered it.' },
          ),
        ),
        { description: 'When the VMI entered each phase it has been in.' },
      ),
      guestOSInfo: named(
        'VirtualMachineInstanceGuestOSInfo',
        obj(
          {
            id: str({ description: 'The OS id, as os-release ID says it, e.g. debian.' }),
            name: str({ description: 'The OS name, e.g. Debian GNU/Linux.' }),
            prettyName: str({
              description: 'The OS name and version for a person, e.g. Debian GNU/Linux 12 (bookworm).',
            }),
            version: str({ description: 'The OS version, e.g. 12 (bookworm).' }),
            versionId: str({ description: 'The OS version id, e.g. 12.' }),
            kernelRelease: str({ description: "The kernel's release, as uname -r prints it." }),
            kernelVersion: str({ description: "The kernel's version, as uname -v prints it." }),
            machine: str({ description: "The guest's machine architecture, e.g. x86_64." }),
          },
          { description: 'What the guest agent reports about the guest OS; empty while no agent answers.' },
        ),
      ),
      launcherPodName: str({ description: 'The virt-launcher Pod that holds this VMI.' }),
      migrationState: migrationState,
    },
    { description: 'What the controller and the handler observed; written by them only.' },
  ),
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
  [VMI_NODE_FIELD],
);
