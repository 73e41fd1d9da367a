/**
 * What can be decided about host paths without a node, refused at create time: a
 * ValidatingAdmissionPolicy whose params are the cluster configuration ConfigMap
 * (api/cluster-config.ts). It refuses a hostDisk volume while the HostDisk gate is off, a
 * hostDisk path outside `hostDiskRoots`, and a kernel or initrd outside `bootRoots`, each with the
 * field and the fix in the message (a policy denial carries no causes, so the CLI reads the field
 * from the message's `field: problem` form). Symlinks, file types and existence need the node:
 * virt-handler decides those (handler/host-paths/). `npm run generate` writes
 * manifests/host-path-policy.yaml from here.
 */
import {
  CLUSTER_CONFIG_KEYS,
  CLUSTER_CONFIG_NAME,
  CLUSTER_CONFIG_NAMESPACE,
  DEFAULT_BOOT_ROOT,
  DEFAULT_HOST_DISK_ROOT,
  FEATURE_GATES,
  HOST_PATH_POLICY_NAME,
} from './cluster-config.js';
import { GROUP, VERSION, VM_KIND, VM_PLURAL, VMI_PLURAL } from './names.js';

type Obj = Readonly<Record<string, unknown>>;

/** A comma-separated key of the params, as a list of folder prefixes ending in `/`. */
function prefixes(key: string, fallback: string): string {
  const raw = `(has(params.data) && '${key}' in params.data ? params.data['${key}'] : '${fallback}')`;
  return `${raw}.split(',').map(r, r.trim()).filter(r, r.startsWith('/')).map(r, r.endsWith('/') ? r : r + '/')`;
}

const inside = (path: string, roots: string): string => `variables.${roots}.exists(r, ${path}.startsWith(r))`;

const variables: ReadonlyArray<Obj> = [
  { name: 'isVm', expression: `object.kind == '${VM_KIND}'` },
  { name: 'spec', expression: 'variables.isVm ? object.spec.template.spec : object.spec' },
  { name: 'at', expression: "variables.isVm ? 'spec.template.spec' : 'spec'" },
  {
    name: 'gates',
    expression: `(has(params.data) && '${CLUSTER_CONFIG_KEYS.featureGates}' in params.data ? params.data['${CLUSTER_CONFIG_KEYS.featureGates}'] : '').split(',').map(g, g.trim())`,
  },
  { name: 'diskRoots', expression: prefixes(CLUSTER_CONFIG_KEYS.hostDiskRoots, DEFAULT_HOST_DISK_ROOT) },
  { name: 'bootRoots', expression: prefixes(CLUSTER_CONFIG_KEYS.bootRoots, DEFAULT_BOOT_ROOT) },
  { name: 'volumes', expression: 'has(variables.spec.volumes) ? variables.spec.volumes : []' },
  { name: 'hostDisks', expression: 'variables.volumes.filter(v, has(v.hostDisk))' },
  { name: 'outside', expression: `variables.hostDisks.filter(v, !${inside('v.hostDisk.path', 'diskRoots')})` },
  {
    name: 'kernelBoot',
    expression:
      'has(variables.spec.domain.firmware) && has(variables.spec.domain.firmware.kernelBoot) ? variables.spec.domain.firmware.kernelBoot : {}',
  },
];

const volumeField = (v: string): string => `variables.at + '.volumes[' + string(variables.volumes.indexOf(${v})) + ']'`;
const rootList = (roots: string): string => `variables.${roots}.join(', ')`;
const CONFIG = `ConfigMap ${CLUSTER_CONFIG_NAMESPACE}/${CLUSTER_CONFIG_NAME}`;

function bootPath(key: 'kernelPath' | 'initrdPath'): Obj {
  return {
    expression: `!has(variables.kernelBoot.${key}) || ${inside(`variables.kernelBoot.${key}`, 'bootRoots')}`,
    messageExpression: `variables.at + '.domain.firmware.kernelBoot.${key}: ' + variables.kernelBoot.${key} + ' is outside the boot roots (' + ${rootList('bootRoots')} + '); put the file under one of them (${CLUSTER_CONFIG_KEYS.bootRoots} in ${CONFIG})'`,
    reason: 'Invalid',
  };
}

const validations: ReadonlyArray<Obj> = [
  {
    expression: `variables.hostDisks.size() == 0 || '${FEATURE_GATES.hostDisk}' in variables.gates`,
    messageExpression: `${volumeField('variables.hostDisks[0]')} + '.hostDisk: hostDisk volumes are off in this cluster (feature gate ${FEATURE_GATES.hostDisk}); use an emptyDisk volume, or ask the cluster admin to add ${FEATURE_GATES.hostDisk} to ${CLUSTER_CONFIG_KEYS.featureGates} in ${CONFIG}'`,
    reason: 'Invalid',
  },
  {
    expression: 'variables.outside.size() == 0',
    messageExpression: `${volumeField('variables.outside[0]')} + '.hostDisk.path: ' + variables.outside[0].hostDisk.path + ' is outside the host disk roots (' + ${rootList('diskRoots')} + '); put the disk under one of them (${CLUSTER_CONFIG_KEYS.hostDiskRoots} in ${CONFIG})'`,
    reason: 'Invalid',
  },
  bootPath('kernelPath'),
  bootPath('initrdPath'),
];

const labels = { 'app.kubernetes.io/part-of': 'tsvirt' };

export const hostPathPolicy: Obj = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: HOST_PATH_POLICY_NAME, labels },
  spec: {
    // Fail: a policy that cannot run must not let a host path through.
    failurePolicy: 'Fail',
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    matchConstraints: {
      resourceRules: [
        {
          apiGroups: [GROUP],
          apiVersions: [VERSION],
          operations: ['CREATE', 'UPDATE'],
          resources: [VM_PLURAL, VMI_PLURAL],
        },
      ],
    },
    // Only what brings a host path in: a create, or a VM's new template. Metadata writes (the
    // controller's and handler's finalizers and labels) and runStrategy changes pass, so turning
    // the gate off or narrowing a root never strands an existing VM that must still be stopped
    // and deleted; its node refuses to start it (handler/host-paths/).
    matchConditions: [
      {
        name: 'new-host-paths',
        expression: `request.operation == 'CREATE' || (object.kind == '${VM_KIND}' && object.spec.template != oldObject.spec.template)`,
      },
    ],
    variables,
    validations,
  },
};

export const hostPathPolicyBinding: Obj = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name: HOST_PATH_POLICY_NAME, labels },
  spec: {
    policyName: HOST_PATH_POLICY_NAME,
    validationActions: ['Deny'],
    // Deny: without its configuration the cluster cannot say which host paths are allowed.
    paramRef: { name: CLUSTER_CONFIG_NAME, namespace: CLUSTER_CONFIG_NAMESPACE, parameterNotFoundAction: 'Deny' },
  },
};
