// Bad specs (and their good twins) for the CRD validation in api/crds/. Each case mutates a valid
// VMI spec; api-validation.test.ts applies it as a VirtualMachine (spec.template.spec) and as a
// VirtualMachineInstance (spec) to the real API server and checks the message. Limits are tried
// just below, at and just above, so an off-by-one in a rule shows up as a wrong verdict.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   the fixtures are plain JSON edited by path, and they must hold values the API types forbid. */
import { API_VERSION, VM_KIND, VMI_KIND } from '../../api/names.js';

export type Json = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: invalid values on purpose
type Mutable = Record<string, any>;

export interface SpecCase {
  readonly name: string;
  /** Edits a fresh copy of the good VMI spec in place. */
  readonly mutate: (spec: Mutable) => void;
  /** A substring of the rejection; undefined means the spec must be accepted. */
  readonly rejectedWith?: string;
  /** Field path (relative to the VMI spec) the API server must blame, when it names one. */
  readonly field?: string;
}

export function goodVmiSpec(): Mutable {
  return {
    domain: {
      cpu: { cores: 1, sockets: 1, threads: 1 },
      memory: { guest: '128Mi' },
      resources: { requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: 1, memory: '256Mi' } },
      devices: {
        disks: [
          { name: 'root', disk: { bus: 'virtio' }, bootOrder: 1 },
          { name: 'cloudinit', disk: { bus: 'virtio' } },
        ],
        interfaces: [{ name: 'default', masquerade: {} }],
      },
      firmware: {
        kernelBoot: {
          kernelPath: '/var/lib/tsvirt/vmlinuz',
          initrdPath: '/var/lib/tsvirt/initrd.img',
          kernelArgs: 'console=ttyS0',
        },
      },
    },
    networks: [{ name: 'default', pod: {} }],
    volumes: [
      { name: 'root', hostDisk: { path: '/var/lib/tsvirt/root.img', type: 'Disk' } },
      { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\n' } },
    ],
    terminationGracePeriodSeconds: 30,
  };
}

export function asVm(name: string, spec: Json, runStrategy: unknown = 'Halted'): Json {
  return {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name },
    spec: { runStrategy, template: { metadata: { labels: { app: name } }, spec } },
  };
}

export function asVmi(name: string, spec: Json): Json {
  return { apiVersion: API_VERSION, kind: VMI_KIND, metadata: { name }, spec };
}

const disks = (s: Mutable): Mutable[] => s.domain.devices.disks as Mutable[];
const volumes = (s: Mutable): Mutable[] => s.volumes as Mutable[];
const bytes = (n: number): string => 'x'.repeat(n);

export const SPEC_CASES: readonly SpecCase[] = [
  { name: 'the good spec', mutate: () => undefined },
  // memory present and >= 1Mi
  {
    name: 'no memory anywhere',
    mutate: (s) => {
      delete s.domain.memory;
      delete s.domain.resources.requests.memory;
    },
    rejectedWith: 'memory is missing: set memory.guest or resources.requests.memory',
    field: 'domain.memory',
  },
  {
    name: 'memory only in resources.requests',
    mutate: (s) => {
      delete s.domain.memory;
    },
  },
  {
    name: 'memory.guest just below 1Mi',
    mutate: (s) => (s.domain.memory.guest = '1023Ki'),
    rejectedWith: 'memory.guest must be at least 1Mi',
    field: 'domain.memory.guest',
  },
  { name: 'memory.guest at 1Mi', mutate: (s) => (s.domain.memory.guest = '1Mi') },
  { name: 'memory.guest just above 1Mi', mutate: (s) => (s.domain.memory.guest = '1025Ki') },
  {
    name: 'memory.guest as a bare byte count below 1Mi',
    mutate: (s) => (s.domain.memory.guest = 1048575),
    rejectedWith: 'memory.guest must be at least 1Mi',
  },
  { name: 'memory.guest as a bare byte count of 1Mi', mutate: (s) => (s.domain.memory.guest = 1048576) },
  {
    name: 'memory.guest that is not a quantity',
    mutate: (s) => (s.domain.memory.guest = '2Gb'),
    rejectedWith: 'memory.guest must be a Kubernetes quantity, such as 128Mi',
    field: 'domain.memory.guest',
  },
  {
    name: 'requests.memory below 1Mi',
    mutate: (s) => (s.domain.resources.requests.memory = '512Ki'),
    rejectedWith: 'requests.memory must be at least 1Mi',
    field: 'domain.resources.requests.memory',
  },
  // cpu topology >= 1
  ...(['cores', 'sockets', 'threads'] as const).flatMap((t): SpecCase[] => [
    {
      name: `cpu.${t} 0`,
      mutate: (s) => (s.domain.cpu[t] = 0),
      rejectedWith: `${t} must be at least 1`,
      field: `domain.cpu.${t}`,
    },
    { name: `cpu.${t} 1`, mutate: (s) => (s.domain.cpu[t] = 1) },
  ]),
  {
    name: 'requests.cpu 0',
    mutate: (s) => (s.domain.resources.requests.cpu = '0'),
    rejectedWith: 'requests.cpu must be greater than zero',
  },
  // requests <= limits
  {
    name: 'requests.cpu above limits.cpu',
    mutate: (s) => (s.domain.resources.requests.cpu = '1001m'),
    rejectedWith: 'requests.cpu must not exceed limits.cpu',
    field: 'domain.resources.requests.cpu',
  },
  { name: 'requests.cpu equal to limits.cpu', mutate: (s) => (s.domain.resources.requests.cpu = '1000m') },
  {
    name: 'requests.memory above limits.memory',
    mutate: (s) => (s.domain.resources.requests.memory = '257Mi'),
    rejectedWith: 'requests.memory must not exceed limits.memory',
    field: 'domain.resources.requests.memory',
  },
  { name: 'requests.memory equal to limits.memory', mutate: (s) => (s.domain.resources.requests.memory = '256Mi') },
  // unique names
  {
    name: 'two disks with one name',
    mutate: (s) => disks(s).push({ name: 'root' }),
    rejectedWith: 'disks must have unique names',
    field: 'domain.devices.disks',
  },
  {
    name: 'two volumes with one name',
    mutate: (s) => volumes(s).push({ name: 'root', emptyDisk: { capacity: '1Gi' } }),
    rejectedWith: 'volumes must have unique names',
    field: 'volumes',
  },
  {
    name: 'two networks with one name',
    mutate: (s) => (s.networks as Mutable[]).push({ name: 'default', pod: {} }),
    rejectedWith: 'networks must have unique names',
    field: 'networks',
  },
  {
    name: 'two interfaces with one name',
    mutate: (s) => (s.domain.devices.interfaces as Mutable[]).push({ name: 'default', bridge: {} }),
    rejectedWith: 'interfaces must have unique names',
    field: 'domain.devices.interfaces',
  },
  // references
  {
    name: 'a disk without its volume',
    mutate: (s) => disks(s).push({ name: 'data' }),
    rejectedWith: 'every disk needs a volume of the same name in spec.volumes',
    field: 'domain.devices.disks',
  },
  {
    name: 'a volume no disk uses',
    mutate: (s) => volumes(s).push({ name: 'spare', emptyDisk: { capacity: '1Gi' } }),
  },
  {
    name: 'an interface without its network',
    mutate: (s) => (s.domain.devices.interfaces as Mutable[]).push({ name: 'second', bridge: {} }),
    rejectedWith: 'every interface needs a network of the same name in spec.networks',
    field: 'domain.devices.interfaces',
  },
  // one source per volume
  {
    name: 'a volume with two sources',
    mutate: (s) => ((volumes(s)[0] as Mutable).emptyDisk = { capacity: '1Gi' }),
    rejectedWith: 'a volume needs exactly one source',
    field: 'volumes[0]',
  },
  {
    name: 'a volume with no source',
    mutate: (s) => delete (volumes(s)[0] as Mutable).hostDisk,
    rejectedWith: 'a volume needs exactly one source',
    field: 'volumes[0]',
  },
  // bootOrder
  {
    name: 'bootOrder 0',
    mutate: (s) => ((disks(s)[0] as Mutable).bootOrder = 0),
    rejectedWith: 'bootOrder must be at least 1',
    field: 'domain.devices.disks[0].bootOrder',
  },
  {
    name: 'one bootOrder on two disks',
    mutate: (s) => ((disks(s)[1] as Mutable).bootOrder = 1),
    rejectedWith: 'disks must have unique bootOrder values',
  },
  { name: 'two distinct bootOrders', mutate: (s) => ((disks(s)[1] as Mutable).bootOrder = 2) },
  // host paths
  ...(
    [
      ['a relative hostDisk.path', 'var/lib/tsvirt/root.img'],
      ['a hostDisk.path with ..', '/var/lib/tsvirt/../../etc/shadow'],
      ['a hostDisk.path with an empty segment', '/var/lib//root.img'],
      ['a hostDisk.path ending in /', '/var/lib/tsvirt/'],
      ['a hostDisk.path with .', '/var/lib/./root.img'],
    ] as const
  ).map(([name, path]): SpecCase => ({
    name,
    mutate: (s) => ((volumes(s)[0] as Mutable).hostDisk.path = path),
    rejectedWith: "hostDisk.path must be an absolute path without empty, '.' or '..' segments",
    field: 'volumes[0].hostDisk.path',
  })),
  {
    name: 'a hostDisk.path with dots inside names',
    mutate: (s) => ((volumes(s)[0] as Mutable).hostDisk.path = '/var/lib/a..b/.root.img'),
  },
  {
    name: 'a relative kernelPath',
    mutate: (s) => (s.domain.firmware.kernelBoot.kernelPath = 'vmlinuz'),
    rejectedWith: 'kernelPath must be an absolute path',
    field: 'domain.firmware.kernelBoot.kernelPath',
  },
  {
    name: 'an initrdPath with ..',
    mutate: (s) => (s.domain.firmware.kernelBoot.initrdPath = '/boot/../initrd.img'),
    rejectedWith: 'initrdPath must be an absolute path',
    field: 'domain.firmware.kernelBoot.initrdPath',
  },
  {
    name: 'kernelArgs without a kernelPath',
    mutate: (s) => delete s.domain.firmware.kernelBoot.kernelPath,
    rejectedWith: 'initrdPath and kernelArgs need a kernel: set kernelPath too',
  },
  {
    name: 'hostDisk DiskOrCreate without a capacity',
    mutate: (s) => ((volumes(s)[0] as Mutable).hostDisk.type = 'DiskOrCreate'),
    rejectedWith: 'hostDisk.type DiskOrCreate needs a capacity',
  },
  // cloud-init size
  {
    name: 'userData of 2049 bytes',
    mutate: (s) => ((volumes(s)[1] as Mutable).cloudInitNoCloud.userData = bytes(2049)),
    rejectedWith: 'userData may hold at most 2048 bytes inline',
    field: 'volumes[1].cloudInitNoCloud.userData',
  },
  {
    name: 'userData of 2048 bytes',
    mutate: (s) => ((volumes(s)[1] as Mutable).cloudInitNoCloud.userData = bytes(2048)),
  },
  {
    name: 'userData of 1025 two-byte characters (2050 bytes)',
    mutate: (s) => ((volumes(s)[1] as Mutable).cloudInitNoCloud.userData = 'é'.repeat(1025)),
    rejectedWith: 'userData may hold at most 2048 bytes inline',
  },
  {
    name: 'userData and userDataBase64 both',
    mutate: (s) => ((volumes(s)[1] as Mutable).cloudInitNoCloud.userDataBase64 = 'I2Nsb3VkLWNvbmZpZwo='),
    rejectedWith: 'cloudInitNoCloud needs its user data exactly once',
  },
  // grace period
  {
    name: 'terminationGracePeriodSeconds -1',
    mutate: (s) => (s.terminationGracePeriodSeconds = -1),
    rejectedWith: 'terminationGracePeriodSeconds must be at least 0',
    field: 'terminationGracePeriodSeconds',
  },
  { name: 'terminationGracePeriodSeconds 0', mutate: (s) => (s.terminationGracePeriodSeconds = 0) },
  // formats
  {
    name: 'a disk name that is not a DNS label',
    mutate: (s) => {
      (disks(s)[0] as Mutable).name = 'Root_Disk';
      (volumes(s)[0] as Mutable).name = 'Root_Disk';
    },
    rejectedWith: 'disk name must be a DNS label',
  },
  // quantities that are not quantities, and zero or tiny ones
  ...(
    [
      ['requests.cpu', (s: Mutable, v: string) => (s.domain.resources.requests.cpu = v)],
      ['requests.memory', (s: Mutable, v: string) => (s.domain.resources.requests.memory = v)],
      ['limits.cpu', (s: Mutable, v: string) => (s.domain.resources.limits.cpu = v)],
      ['limits.memory', (s: Mutable, v: string) => (s.domain.resources.limits.memory = v)],
    ] as const
  ).map(([field, set]): SpecCase => ({
    name: `${field} that is not a quantity`,
    mutate: (s) => set(s, '1 Gi'),
    rejectedWith: `${field} must be a Kubernetes quantity, such as 128Mi`,
    field: `domain.resources.${field}`,
  })),
  {
    name: 'limits.cpu 0',
    mutate: (s) => (s.domain.resources.limits.cpu = 0),
    rejectedWith: 'limits.cpu must be greater than zero',
    field: 'domain.resources.limits.cpu',
  },
  {
    name: 'limits.memory below 1Mi',
    mutate: (s) => {
      s.domain.resources.limits.memory = '1000Ki';
      delete s.domain.resources.requests.memory;
    },
    rejectedWith: 'limits.memory must be at least 1Mi',
    field: 'domain.resources.limits.memory',
  },
  {
    name: 'a hostDisk.capacity that is not a quantity',
    mutate: (s) => ((volumes(s)[0] as Mutable).hostDisk.capacity = 'big'),
    rejectedWith: 'hostDisk.capacity must be a Kubernetes quantity',
    field: 'volumes[0].hostDisk.capacity',
  },
  {
    name: 'a hostDisk.capacity of 0',
    mutate: (s) => ((volumes(s)[0] as Mutable).hostDisk.capacity = '0'),
    rejectedWith: 'hostDisk.capacity must be greater than zero',
  },
  {
    name: 'an emptyDisk.capacity that is not a quantity',
    mutate: (s) => volumes(s).push({ name: 'scratch', emptyDisk: { capacity: '10GB' } }),
    rejectedWith: 'emptyDisk.capacity must be a Kubernetes quantity',
    field: 'volumes[2].emptyDisk.capacity',
  },
  {
    name: 'an emptyDisk.capacity of 0',
    mutate: (s) => volumes(s).push({ name: 'scratch', emptyDisk: { capacity: 0 } }),
    rejectedWith: 'emptyDisk.capacity must be greater than zero',
  },
  {
    name: 'an emptyDisk.capacity of 1',
    mutate: (s) => volumes(s).push({ name: 'scratch', emptyDisk: { capacity: 1 } }),
  },
  // devices
  {
    name: 'a serial with a space',
    mutate: (s) => ((disks(s)[0] as Mutable).serial = 'disk 1'),
    rejectedWith: "serial may contain only letters, digits, '_', '.', '+' and '-'",
    field: 'domain.devices.disks[0].serial',
  },
  { name: 'a serial of letters and digits', mutate: (s) => ((disks(s)[0] as Mutable).serial = 'ROOT-0001') },
  {
    name: 'an interface bound both ways',
    mutate: (s) => ((s.domain.devices.interfaces as Mutable[])[0]!.bridge = {}),
    rejectedWith: 'an interface binds one way: set masquerade or bridge, not both',
  },
  {
    name: 'a malformed macAddress',
    mutate: (s) => ((s.domain.devices.interfaces as Mutable[])[0]!.macAddress = '02:00:00:00:00'),
    rejectedWith: 'macAddress must look like 02:00:00:00:00:01',
  },
  {
    name: 'a well-formed macAddress',
    mutate: (s) => ((s.domain.devices.interfaces as Mutable[])[0]!.macAddress = '02:00:00:00:00:01'),
  },
  {
    name: 'an interface and network name that is not a DNS label',
    mutate: (s) => {
      (s.domain.devices.interfaces as Mutable[])[0]!.name = 'Default_Net';
      (s.networks as Mutable[])[0]!.name = 'Default_Net';
    },
    rejectedWith: 'interface name must be a DNS label',
  },
  {
    name: 'a network name that is not a DNS label',
    mutate: (s) => {
      delete s.domain.devices.interfaces;
      (s.networks as Mutable[])[0]!.name = 'Default_Net';
    },
    rejectedWith: 'network name must be a DNS label',
  },
  {
    name: 'a network without a source',
    mutate: (s) => delete (s.networks as Mutable[])[0]!.pod,
    rejectedWith: 'a network needs a source: set pod: {}',
    field: 'networks[0].pod',
  },
  {
    name: 'a volume name that is not a DNS label',
    mutate: (s) => volumes(s).push({ name: 'Spare_Volume', emptyDisk: { capacity: '1Gi' } }),
    rejectedWith: 'volume name must be a DNS label',
    field: 'volumes[2].name',
  },
  {
    name: 'a hostname that is not a DNS label',
    mutate: (s) => (s.hostname = 'web.example.com'),
    rejectedWith: 'hostname must be a DNS label',
    field: 'hostname',
  },
  { name: 'a hostname that is a DNS label', mutate: (s) => (s.hostname = 'web') },
  // cloud-init, the other fields
  {
    name: 'networkData and networkDataBase64 both',
    mutate: (s) => {
      const c: Mutable = (volumes(s)[1] as Mutable).cloudInitNoCloud;
      c.networkData = 'version: 2\n';
      c.networkDataBase64 = 'dmVyc2lvbjogMgo=';
    },
    rejectedWith: 'cloudInitNoCloud: set networkData or networkDataBase64, not both',
  },
  {
    name: 'networkData of 2049 bytes',
    mutate: (s) => ((volumes(s)[1] as Mutable).cloudInitNoCloud.networkData = bytes(2049)),
    rejectedWith: 'networkData may hold at most 2048 bytes inline',
    field: 'volumes[1].cloudInitNoCloud.networkData',
  },
  {
    name: 'userDataBase64 of 2733 characters',
    mutate: (s) => ((volumes(s)[1] as Mutable).cloudInitNoCloud = { userDataBase64: 'A'.repeat(2733) }),
    rejectedWith: 'userDataBase64 may encode at most 2048 bytes (2732 base64 characters)',
    field: 'volumes[1].cloudInitNoCloud.userDataBase64',
  },
  {
    name: 'userDataBase64 of 2732 characters',
    mutate: (s) => ((volumes(s)[1] as Mutable).cloudInitNoCloud = { userDataBase64: 'A'.repeat(2732) }),
  },
  {
    name: 'networkDataBase64 of 2733 characters',
    mutate: (s) => ((volumes(s)[1] as Mutable).cloudInitNoCloud.networkDataBase64 = 'A'.repeat(2733)),
    rejectedWith: 'networkDataBase64 may encode at most 2048 bytes (2732 base64 characters)',
  },
  {
    name: 'an unknown disk bus',
    mutate: (s) => ((disks(s)[0] as Mutable).disk.bus = 'ide'),
    rejectedWith: 'Unsupported value: "ide"',
  },
];

/** The rejection api-validation.test.ts provokes by patching a stored VMI's spec. */
export const IMMUTABLE_SPEC_MESSAGE = "spec is immutable after creation; change the VirtualMachine's template";

/** Object-level cases: the name rule and the VM-only fields. */
export interface ObjectCase {
  readonly name: string;
  readonly object: Json;
  readonly rejectedWith?: string;
}

const label63 = 'a'.repeat(63);
const label64 = 'a'.repeat(64);

export const OBJECT_CASES: readonly ObjectCase[] = [
  {
    name: 'a VM named with a dot',
    object: asVm('web.one', goodVmiSpec()),
    rejectedWith: 'metadata.name must be a DNS label',
  },
  {
    name: 'a VMI named with a dot',
    object: asVmi('web.one', goodVmiSpec()),
    rejectedWith: 'metadata.name must be a DNS label',
  },
  {
    name: 'a VM named with 64 characters',
    object: asVm(label64, goodVmiSpec()),
    rejectedWith: 'metadata.name must be a DNS label',
  },
  { name: 'a VM named with 63 characters', object: asVm(label63, goodVmiSpec()) },
  {
    name: 'an unknown runStrategy',
    object: asVm('strategy', goodVmiSpec(), 'Sometimes'),
    rejectedWith: 'Unsupported value: "Sometimes"',
  },
  ...(['Always', 'RerunOnFailure', 'Manual', 'Halted', 'Once'] as const).map((rs) => ({
    name: `runStrategy ${rs}`,
    object: asVm(`strategy-${rs.toLowerCase()}`, goodVmiSpec(), rs),
  })),
  {
    name: 'runStrategy and running both',
    object: (() => {
      const vm: Mutable = asVm('both', goodVmiSpec());
      vm.spec.running = true;
      return vm;
    })(),
    rejectedWith: 'set runStrategy or the deprecated running, not both',
  },
  {
    name: 'a template with a name in its metadata',
    object: (() => {
      const vm: Mutable = asVm('tmplname', goodVmiSpec());
      vm.spec.template.metadata.name = 'other';
      return vm;
    })(),
    rejectedWith: 'unknown field "spec.template.metadata.name"',
  },
];
