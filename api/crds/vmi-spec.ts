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
import { DISK_BUSES, EVICTION_STRATEGIES, HOST_DISK_TYPES, IMAGE_PULL_POLICIES } from '../enums.js';
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

function name(what: string, description: string): ReturnType<typeof str> {
  return str({ maxLength: MAX_NAME, description, 'x-kubernetes-validations': [dnsLabel(what)] });
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
  obj(
    {
      guest: quantity({
        field: 'memory.guest',
        description:
          'Memory the guest sees, e.g. 128Mi. Unset, resources.requests.memory, then resources.limits.memory.',
        'x-kubernetes-validations': [quantityAtLeast('1Mi', 'memory.guest')],
      }),
    },
    { description: "The guest's memory." },
  ),
);

function resourceList(kind: 'requests' | 'limits'): ReturnType<typeof obj> {
  // One TypeScript type for both, so the descriptions may not differ by kind.
  return named(
    'ResourceList',
    obj(
      {
        cpu: quantity({
          field: `${kind}.cpu`,
          description:
            'CPU, e.g. 500m. Without spec.domain.cpu it also sets the vCPUs, rounded up (requests first, then limits).',
          'x-kubernetes-validations': [quantityPositive(`${kind}.cpu`)],
        }),
        memory: quantity({
          field: `${kind}.memory`,
          description:
            "Memory, e.g. 512Mi: the guest's when memory.guest is unset (requests first, then limits); the launcher Pod adds its overhead.",
          'x-kubernetes-validations': [quantityAtLeast('1Mi', `${kind}.memory`)],
        }),
      },
      { description: 'CPU and memory of the launcher Pod, without its overhead.' },
    ),
  );
}

const resources = named(
  'ResourceRequirements',
  obj(
    { requests: resourceList('requests'), limits: resourceList('limits') },
    {
      description:
        "The VM's CPU and memory for the scheduler. requests.cpu unset: vCPUs / cpuAllocationRatio (100m per vCPU by default); limits.cpu unset: no CPU limit; memory is limited at its request.",
      'x-kubernetes-validations': [requestWithinLimit('cpu'), requestWithinLimit('memory')],
    },
  ),
);

const disk = named(
  'Disk',
  obj(
    {
      name: name('disk name', 'The name of the volume in spec.volumes this disk presents.'),
      disk: named(
        'DiskTarget',
        obj(
          {
            bus: named(
              'DiskBus',
              str({
                enum: DISK_BUSES,
                default: DEFAULT_DISK_BUS,
                description: 'The bus the guest sees the disk on: virtio (vdX), sata, scsi (sdX) or usb.',
              }),
            ),
            readonly: bool({ description: 'The guest may read but not write the disk.' }),
          },
          { default: {}, description: 'Present the volume as a disk (the one kind of disk tsvirt has).' },
        ),
      ),
      bootOrder: int({
        description: 'Boot order; lower boots first. Unique across disks.',
        'x-kubernetes-validations': [atLeast(1, 'bootOrder')],
      }),
      serial: str({
        maxLength: 20,
        description: 'The serial number the guest reads from the disk, e.g. to find it under /dev/disk/by-id.',
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
      name: name('interface name', 'The name of the network in spec.networks this interface connects to.'),
      model: str({
        enum: ['virtio', 'e1000', 'e1000e', 'rtl8139'],
        default: DEFAULT_INTERFACE_MODEL,
        description: 'The network device the guest sees; virtio unless the guest lacks its driver.',
      }),
      macAddress: str({
        maxLength: 17,
        description: 'The MAC address the guest sees, e.g. 02:00:00:00:00:01.',
        'x-kubernetes-validations': [
          rule(
            "self.matches('^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$')",
            'macAddress must look like 02:00:00:00:00:01; fix its format',
          ),
        ],
      }),
      masquerade: marker({
        description:
          "Connect through NAT behind the launcher Pod's address (KubeVirt's default binding for the pod network).",
      }),
      bridge: marker({ description: "Connect the guest to the Pod's network directly, on a bridge." }),
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
        description: 'The disks the guest sees, in bus order; each presents the volume of its name.',
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
        description: 'The network interfaces the guest sees; each connects to the network of its name.',
        'x-kubernetes-validations': [uniqueNames('interfaces', 'interface')],
      }),
    },
    { default: {}, description: 'The devices the guest sees: disks and network interfaces.' },
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
      firmware: named('Firmware', obj({ kernelBoot }, { description: 'How the guest boots.' })),
      machine: named(
        'Machine',
        obj(
          {
            type: str({
              maxLength: 64,
              description: "QEMU's machine type, e.g. q35 or pc; unset, the node's default.",
            }),
          },
          { description: "The emulated machine (QEMU's chipset)." },
        ),
      ),
    },
    {
      required: ['devices'],
      description: 'The virtual hardware: CPU, memory, devices, firmware and machine type.',
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
      path: str({
        maxLength: MAX_PATH,
        description: "Absolute path of the image file on the node, inside the node's hostDiskRoots.",
        'x-kubernetes-validations': [absolutePath('hostDisk.path')],
      }),
      type: named(
        'HostDiskType',
        str({
          enum: HOST_DISK_TYPES,
          description: 'Disk: the file must exist. DiskOrCreate: create a sparse file of capacity if it is missing.',
        }),
      ),
      capacity: quantity({
        field: 'hostDisk.capacity',
        description: 'Size of the file DiskOrCreate creates, e.g. 10Gi.',
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
        description: 'Size of the blank disk, e.g. 1Gi; a sparse qcow2 image takes space only as the guest writes.',
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
      image: str({
        maxLength: 1024,
        minLength: 1,
        description:
          'The image reference, e.g. registry.example.com/disks/debian:12; it holds a disk image under /disk.',
      }),
      path: str({
        maxLength: MAX_PATH,
        description: 'The disk image inside the image; unset, the one file under /disk.',
      }),
      imagePullPolicy: named(
        'PullPolicy',
        str({
          enum: IMAGE_PULL_POLICIES,
          description:
            'Always, IfNotPresent or Never, as for a container; unset, Always for :latest and IfNotPresent otherwise.',
        }),
      ),
      imagePullSecret: str({
        maxLength: 253,
        description: 'A Secret of type kubernetes.io/dockerconfigjson in the VMI namespace, for a private registry.',
      }),
    },
    {
      required: ['image'],
      description:
        'A disk image shipped in a container image; the guest writes to a copy-on-write overlay dropped with the VMI.',
    },
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
      description: "cloud-init's NoCloud data, given to the guest as a small CD-ROM labelled cidata.",
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
    {
      name: name('volume name', 'The name a disk in spec.domain.devices.disks refers to.'),
      hostDisk,
      emptyDisk,
      containerDisk,
      cloudInitNoCloud,
    },
    {
      required: ['name'],
      description: 'Where a disk comes from: exactly one of hostDisk, emptyDisk, containerDisk or cloudInitNoCloud.',
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
      name: name('network name', 'The name an interface in spec.domain.devices.interfaces refers to.'),
      pod: named(
        'PodNetwork',
        obj(
          {
            vmNetworkCIDR: str({
              maxLength: 64,
              description: "The guest's subnet behind masquerade; unset, 10.0.2.0/24 (the guest is 10.0.2.2).",
            }),
          },
          { description: "The launcher Pod's network: the guest reaches what the Pod can reach." },
        ),
      ),
    },
    {
      required: ['name'],
      description: 'A network the guest can connect an interface to.',
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
      volumes: arr(volume, {
        maxItems: MAX_VOLUMES,
        description: 'Where the disks come from; each volume is presented by the disk of its name.',
        'x-kubernetes-validations': [uniqueNames('volumes', 'volume')],
      }),
      networks: arr(network, {
        maxItems: MAX_NETWORKS,
        description: 'The networks interfaces connect to; today the pod network.',
        'x-kubernetes-validations': [uniqueNames('networks', 'network')],
      }),
      terminationGracePeriodSeconds: int({
        default: DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
        description: 'Seconds the guest gets to shut down after an ACPI request before it is destroyed.',
        'x-kubernetes-validations': [atLeast(0, 'terminationGracePeriodSeconds')],
      }),
      evictionStrategy: named(
        'EvictionStrategy',
        str({
          enum: EVICTION_STRATEGIES,
          description:
            'What draining the node does: None (unset) lets the launcher Pod be evicted, which stops the guest; LiveMigrate migrates it to another node first, as KubeVirt does.',
        }),
      ),
      nodeSelector: {
        type: 'object',
        description: 'Node labels the launcher Pod must match to be scheduled.',
        maxProperties: 64,
        // Label values are at most 63 characters; the bound keeps the immutability rule's cost estimate small.
        additionalProperties: str({ maxLength: 63 }),
      },
      hostname: name('hostname', "The guest's hostname (cloud-init's local-hostname); unset, the VMI's name."),
    },
    {
      required: ['domain'],
      description: 'What the guest is made of: its virtual hardware, disks, networks and how it stops.',
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
