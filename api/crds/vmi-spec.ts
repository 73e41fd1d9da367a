/**
 * The schema of a VirtualMachineInstance's spec, shared by the VMI CRD and the VM CRD's
 * spec.template.spec. Field names are KubeVirt's (kubevirt.io/api core/v1 schema.go), so a
 * KubeVirt manifest with only its apiVersion changed applies where it uses these fields.
 *
 * Bounds (maxItems, maxLength) are there for the API server's CEL cost estimate as much as for
 * sanity: without them a rule over a list is priced as if the list were unbounded and the CRD is
 * refused at install.
 */
import { DEFAULT_DISK_BUS, DEFAULT_INTERFACE_MODEL, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../defaults.js';
import { DISK_BUSES, HOST_DISK_TYPES, IMAGE_PULL_POLICIES } from '../enums.js';
import {
  absolutePath,
  atLeast,
  CLOUD_INIT_MAX_BYTES,
  dnsLabel,
  exactlyOne,
  maxBase64,
  maxBytes,
  quantityAtLeast,
  quantityPositive,
  requestWithinLimit,
  uniqueNames,
} from './cel.js';
import { arr, bool, int, marker, named, obj, quantity, rule, str } from './json-schema.js';

export const MAX_DISKS = 32;
export const MAX_VOLUMES = 32;
export const MAX_INTERFACES = 8;
export const MAX_NETWORKS = 8;
const MAX_PATH = 4096;
const MAX_NAME = 63;
/** Far above the 2048-byte inline limit, so the CEL rule (with its clear message) reports first. */
const MAX_CLOUD_INIT_CHARS = 16384;
/** 2048 bytes encode to at most 2732 base64 characters. */
const MAX_CLOUD_INIT_BASE64 = Math.ceil(CLOUD_INIT_MAX_BYTES / 3) * 4;

function name(what: string): ReturnType<typeof str> {
  return str({ maxLength: MAX_NAME, 'x-kubernetes-validations': [dnsLabel(what)] });
}

function topology(field: string, description: string): ReturnType<typeof int> {
  return int({ description, 'x-kubernetes-validations': [atLeast(1, field)] });
}

const cpu = named(
  'CPU',
  obj(
    {
      cores: topology('cores', 'Cores per socket. Default 1.'),
      sockets: topology('sockets', 'Sockets. Default 1.'),
      threads: topology('threads', 'Threads per core. Default 1.'),
    },
    { description: 'CPU topology; the guest sees sockets x cores x threads vCPUs.' },
  ),
);

const memory = named(
  'Memory',
  obj({
    guest: quantity({
      field: 'memory.guest',
      description: 'Memory the guest sees, e.g. 128Mi. Defaults to resources.requests.memory.',
      'x-kubernetes-validations': [quantityAtLeast('1Mi', 'memory.guest')],
    }),
  }),
);

function resourceList(kind: 'requests' | 'limits'): ReturnType<typeof obj> {
  return named(
    'ResourceList',
    obj({
      cpu: quantity({ field: `${kind}.cpu`, 'x-kubernetes-validations': [quantityPositive(`${kind}.cpu`)] }),
      memory: quantity({
        field: `${kind}.memory`,
        'x-kubernetes-validations': [quantityAtLeast('1Mi', `${kind}.memory`)],
      }),
    }),
  );
}

const resources = named(
  'ResourceRequirements',
  obj(
    { requests: resourceList('requests'), limits: resourceList('limits') },
    {
      description: "What the launcher Pod requests from the scheduler; the VM's CPU and memory.",
      'x-kubernetes-validations': [requestWithinLimit('cpu'), requestWithinLimit('memory')],
    },
  ),
);

const disk = named(
  'Disk',
  obj(
    {
      name: name('disk name'),
      disk: named(
        'DiskTarget',
        obj(
          {
            bus: named('DiskBus', str({ enum: DISK_BUSES, default: DEFAULT_DISK_BUS })),
            readonly: bool(),
          },
          { default: {} },
        ),
      ),
      bootOrder: int({
        description: 'Boot order; lower boots first. Unique across disks.',
        'x-kubernetes-validations': [atLeast(1, 'bootOrder')],
      }),
      serial: str({
        maxLength: 20,
        'x-kubernetes-validations': [
          rule(
            "self.matches('^[A-Za-z0-9_.+-]+$')",
            "serial may contain only letters, digits, '_', '.', '+' and '-' (at most 20)",
          ),
        ],
      }),
    },
    { required: ['name'], description: 'A disk the guest sees; its name is the name of a volume in spec.volumes.' },
  ),
);

const iface = named(
  'Interface',
  obj(
    {
      name: name('interface name'),
      model: str({ enum: ['virtio', 'e1000', 'e1000e', 'rtl8139'], default: DEFAULT_INTERFACE_MODEL }),
      macAddress: str({
        maxLength: 17,
        'x-kubernetes-validations': [
          rule(
            "self.matches('^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$')",
            'macAddress must look like 02:00:00:00:00:01; fix its format',
          ),
        ],
      }),
      masquerade: marker(),
      bridge: marker(),
    },
    {
      required: ['name'],
      'x-kubernetes-validations': [
        rule(
          '!(has(self.masquerade) && has(self.bridge))',
          'an interface binds one way: set masquerade or bridge, not both',
        ),
      ],
    },
  ),
);

const devices = named(
  'Devices',
  obj(
    {
      disks: arr(disk, {
        maxItems: MAX_DISKS,
        'x-kubernetes-validations': [
          uniqueNames('disks', 'disk'),
          rule(
            'self.all(x, !has(x.bootOrder) || self.exists_one(y, has(y.bootOrder) && y.bootOrder == x.bootOrder))',
            'disks must have unique bootOrder values; give each disk its own bootOrder or leave it unset',
          ),
        ],
      }),
      interfaces: arr(iface, {
        maxItems: MAX_INTERFACES,
        'x-kubernetes-validations': [uniqueNames('interfaces', 'interface')],
      }),
    },
    { default: {} },
  ),
);

const kernelBoot = named(
  'KernelBoot',
  obj(
    {
      kernelPath: str({
        maxLength: MAX_PATH,
        description: 'Host path of the kernel image on the node.',
        'x-kubernetes-validations': [absolutePath('kernelPath')],
      }),
      initrdPath: str({
        maxLength: MAX_PATH,
        description: 'Host path of the initrd on the node.',
        'x-kubernetes-validations': [absolutePath('initrdPath')],
      }),
      kernelArgs: str({ maxLength: MAX_PATH, description: 'The kernel command line.' }),
    },
    {
      description: 'Direct kernel boot from host paths (KubeVirt takes them from a container image instead).',
      'x-kubernetes-validations': [
        rule(
          'has(self.kernelPath) || (!has(self.initrdPath) && !has(self.kernelArgs))',
          'initrdPath and kernelArgs need a kernel: set kernelPath too',
          '.kernelPath',
        ),
      ],
    },
  ),
);

const domain = named(
  'DomainSpec',
  obj(
    {
      cpu,
      memory,
      resources,
      devices,
      firmware: named('Firmware', obj({ kernelBoot })),
      machine: named('Machine', obj({ type: str({ maxLength: 64 }) })),
    },
    {
      required: ['devices'],
      'x-kubernetes-validations': [
        rule(
          '(has(self.memory) && has(self.memory.guest)) || ' +
            '(has(self.resources) && has(self.resources.requests) && has(self.resources.requests.memory))',
          'memory is missing: set memory.guest or resources.requests.memory, such as 128Mi',
          '.memory',
        ),
      ],
    },
  ),
);

const hostDisk = named(
  'HostDisk',
  obj(
    {
      path: str({ maxLength: MAX_PATH, 'x-kubernetes-validations': [absolutePath('hostDisk.path')] }),
      type: named('HostDiskType', str({ enum: HOST_DISK_TYPES })),
      capacity: quantity({
        field: 'hostDisk.capacity',
        'x-kubernetes-validations': [quantityPositive('hostDisk.capacity')],
      }),
    },
    {
      required: ['path', 'type'],
      description: 'A disk image file on the node. DiskOrCreate creates a sparse file of capacity if it is missing.',
      'x-kubernetes-validations': [
        rule(
          "self.type != 'DiskOrCreate' || has(self.capacity)",
          'hostDisk.type DiskOrCreate needs a capacity to create the image with; set capacity, such as 1Gi',
          '.capacity',
        ),
      ],
    },
  ),
);

const emptyDisk = named(
  'EmptyDisk',
  obj(
    {
      capacity: quantity({
        field: 'emptyDisk.capacity',
        'x-kubernetes-validations': [quantityPositive('emptyDisk.capacity')],
      }),
    },
    { required: ['capacity'], description: 'A blank disk that lives as long as the VMI.' },
  ),
);

const containerDisk = named(
  'ContainerDisk',
  obj(
    {
      image: str({ maxLength: 1024, minLength: 1 }),
      path: str({ maxLength: MAX_PATH }),
      imagePullPolicy: named('PullPolicy', str({ enum: IMAGE_PULL_POLICIES })),
      imagePullSecret: str({
        maxLength: 253,
        description: 'A Secret of type kubernetes.io/dockerconfigjson in the VMI namespace, for a private registry.',
      }),
    },
    { required: ['image'] },
  ),
);

/** KubeVirt's LocalObjectReference: a Secret named in the VMI's own namespace. */
const secretRef = (typeName: string, description: string): ReturnType<typeof obj> =>
  named(
    typeName,
    obj(
      { name: str({ minLength: 1, maxLength: 253, description: 'The name of the Secret.' }) },
      { required: ['name'], description },
    ),
  );

const cloudInitData = (what: string): ReturnType<typeof str> =>
  str({ maxLength: MAX_CLOUD_INIT_CHARS, description: what });

/**
 * The size rules sit on the object, pointing at the field with fieldPath: a rule on the string
 * itself makes the API server echo the whole rejected value (2 KiB and more) into the error.
 */
const cloudInitNoCloud = named(
  'CloudInitNoCloud',
  obj(
    {
      userData: cloudInitData('Inline user data (cloud-config or a script), at most 2048 bytes.'),
      userDataBase64: cloudInitData('User data, base64-encoded; at most 2048 bytes once decoded.'),
      networkData: cloudInitData('Inline network config, at most 2048 bytes.'),
      networkDataBase64: cloudInitData('Network config, base64-encoded; at most 2048 bytes once decoded.'),
      secretRef: secretRef(
        'CloudInitSecretRef',
        'A Secret in the VMI namespace whose key userdata (or userData) holds the user data; read by virt-handler when it builds the ISO.',
      ),
      networkDataSecretRef: secretRef(
        'CloudInitNetworkDataSecretRef',
        'A Secret in the VMI namespace whose key networkdata (or networkData) holds the network config; read by virt-handler when it builds the ISO.',
      ),
    },
    {
      'x-kubernetes-validations': [
        exactlyOne(
          ['userData', 'userDataBase64', 'secretRef'],
          'cloudInitNoCloud needs its user data exactly once: set one of userData, userDataBase64 or secretRef',
        ),
        rule(
          '[has(self.networkData), has(self.networkDataBase64), has(self.networkDataSecretRef)].filter(x, x).size() <= 1',
          'cloudInitNoCloud: set at most one of networkData, networkDataBase64 or networkDataSecretRef',
        ),
        maxBytes(CLOUD_INIT_MAX_BYTES, 'userData'),
        maxBytes(CLOUD_INIT_MAX_BYTES, 'networkData'),
        maxBase64(MAX_CLOUD_INIT_BASE64, 'userDataBase64'),
        maxBase64(MAX_CLOUD_INIT_BASE64, 'networkDataBase64'),
      ],
    },
  ),
);

const VOLUME_SOURCES = ['hostDisk', 'emptyDisk', 'containerDisk', 'cloudInitNoCloud'] as const;

const volume = named(
  'Volume',
  obj(
    { name: name('volume name'), hostDisk, emptyDisk, containerDisk, cloudInitNoCloud },
    {
      required: ['name'],
      'x-kubernetes-validations': [
        exactlyOne(
          VOLUME_SOURCES,
          'a volume needs exactly one source: set one of hostDisk, emptyDisk, containerDisk or cloudInitNoCloud',
        ),
      ],
    },
  ),
);

const network = named(
  'Network',
  obj(
    {
      name: name('network name'),
      pod: named('PodNetwork', obj({ vmNetworkCIDR: str({ maxLength: 64 }) })),
    },
    {
      required: ['name'],
      'x-kubernetes-validations': [rule('has(self.pod)', 'a network needs a source: set pod: {}', '.pod')],
    },
  ),
);

/** Every disk refers to a volume; a volume no disk uses is allowed, as in KubeVirt (the CLI warns). */
const DISKS_NAME_VOLUMES =
  '!has(self.domain.devices) || !has(self.domain.devices.disks) || ' +
  'self.domain.devices.disks.all(d, has(self.volumes) && self.volumes.exists(v, v.name == d.name))';

const INTERFACES_NAME_NETWORKS =
  '!has(self.domain.devices) || !has(self.domain.devices.interfaces) || ' +
  'self.domain.devices.interfaces.all(i, has(self.networks) && self.networks.exists(n, n.name == i.name))';

/** The VMI spec schema; the VM CRD embeds this very object as spec.template.spec. */
export const vmiSpecSchema = named(
  'VirtualMachineInstanceSpec',
  obj(
    {
      domain,
      volumes: arr(volume, { maxItems: MAX_VOLUMES, 'x-kubernetes-validations': [uniqueNames('volumes', 'volume')] }),
      networks: arr(network, {
        maxItems: MAX_NETWORKS,
        'x-kubernetes-validations': [uniqueNames('networks', 'network')],
      }),
      terminationGracePeriodSeconds: int({
        default: DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
        description: 'Seconds the guest gets to shut down after an ACPI request before it is destroyed.',
        'x-kubernetes-validations': [atLeast(0, 'terminationGracePeriodSeconds')],
      }),
      nodeSelector: {
        type: 'object',
        description: 'Node labels the launcher Pod must match to be scheduled.',
        maxProperties: 64,
        // Label values are at most 63 characters; the bound keeps the immutability rule's cost estimate small.
        additionalProperties: str({ maxLength: 63 }),
      },
      hostname: name('hostname'),
    },
    {
      required: ['domain'],
      'x-kubernetes-validations': [
        rule(
          DISKS_NAME_VOLUMES,
          'every disk needs a volume of the same name in spec.volumes; add the volume or remove the disk',
          '.domain.devices.disks',
        ),
        rule(
          INTERFACES_NAME_NETWORKS,
          'every interface needs a network of the same name in spec.networks; add the network (pod: {}) or remove the interface',
          '.domain.devices.interfaces',
        ),
      ],
    },
  ),
);
