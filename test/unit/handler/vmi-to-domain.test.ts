import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { VirtualMachineInstance } from '../../../api/types.js';
import { isVirtualMachineInstance } from '../../../api/types.js';
import type { HostFacts } from '../../../handler/domain/host-facts.js';
import { DomainSpecError, planDomain, vmiToDomainXml } from '../../../handler/domain/vmi-to-domain.js';
import { readTsvirtMetadata } from '../../../handler/domain/metadata.js';
import { defaultMacAddress } from '../../../api/guest-network.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const KVM_HOST: HostFacts = {
  domainType: 'kvm',
  arch: 'x86_64',
  machine: 'pc',
  runDir: '/run/tsvirt',
  emulator: '/usr/bin/qemu-system-x86_64',
};
const TCG_HOST: HostFacts = { domainType: 'qemu', arch: 'x86_64', machine: 'pc', runDir: '/run/tsvirt' };

function readFixture(name: string): VirtualMachineInstance {
  const vmi: unknown = parse(readFileSync(`${root}fixtures/vmi/${name}.yaml`, 'utf8'));
  if (!isVirtualMachineInstance(vmi)) throw new Error(`fixtures/vmi/${name}.yaml is not a VirtualMachineInstance`);
  return vmi;
}

function expectGolden(file: string, actual: string): void {
  const path = `${root}golden/${file}`;
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

function withSpec(spec: Partial<VirtualMachineInstance['spec']>): VirtualMachineInstance {
  const base = readFixture('minimal');
  return { ...base, spec: { ...base.spec, ...spec } };
}

describe('vmiToDomainXml', () => {
  it.each([
    ['minimal', KVM_HOST],
    ['tcg-fallback', TCG_HOST],
    ['kernel-boot', TCG_HOST],
    ['two-disks', KVM_HOST],
    ['cpu-topology', KVM_HOST],
    ['masquerade-network', TCG_HOST],
    ['boot-order', KVM_HOST],
    ['cpu-request', TCG_HOST],
    ['machine-q35', KVM_HOST],
    ['container-disk', TCG_HOST],
  ] as const)('maps the %s VMI to its golden domain', (name, host) => {
    const fixture = name === 'tcg-fallback' ? 'minimal' : name;
    expectGolden(`domain/${name}.xml`, vmiToDomainXml(readFixture(fixture), host));
  });

  it('restricts a node-only guest network to the allowed node ports', () => {
    const host: HostFacts = { ...TCG_HOST, guestNetwork: { mode: 'node-only', nodePorts: [8080, 9090] } };
    expectGolden('domain/masquerade-node-only.xml', vmiToDomainXml(readFixture('masquerade-network'), host));
  });

  it('derives a stable MAC from the VMI uid when the interface names none', () => {
    const base = readFixture('masquerade-network');
    const ifaces = (base.spec.domain.devices.interfaces ?? []).map(({ macAddress: _m, ...rest }) => rest);
    const vmi = { ...base, spec: { ...base.spec, domain: { ...base.spec.domain, devices: { interfaces: ifaces } } } };
    const mac = /mac=([0-9a-f:]{17})/.exec(vmiToDomainXml(vmi, TCG_HOST))?.[1];
    expect(mac).toBe(defaultMacAddress(base.metadata.uid ?? '', 'default'));
    expect(vmiToDomainXml(structuredClone(vmi), TCG_HOST)).toContain(`mac=${mac ?? 'none'}`);
  });

  it('gives the same bytes for the same input', () => {
    const vmi = readFixture('two-disks');
    expect(vmiToDomainXml(vmi, KVM_HOST)).toBe(vmiToDomainXml(structuredClone(vmi), KVM_HOST));
  });

  it('stamps metadata that reads back as the VMI identity', () => {
    const xml = vmiToDomainXml(readFixture('machine-q35'), KVM_HOST);
    expect(readTsvirtMetadata(xml)).toEqual({
      uid: '6f1b2c3d-0000-4000-8000-000000000008',
      namespace: 'default',
      name: 'machine-q35',
      graceSeconds: 180,
    });
  });

  it('plans the files the shell must create or find', () => {
    const plan = planDomain(readFixture('two-disks'), KVM_HOST);
    expect(plan.name).toBe('default_two-disks');
    expect(plan.dirs).toEqual(['/run/tsvirt/default_two-disks', '/run/tsvirt/default_two-disks/disks']);
    expect(plan.files).toEqual([
      { path: '/var/lib/images/root.img', volume: 'root', mode: 'exist', format: 'raw' },
      {
        path: '/run/tsvirt/default_two-disks/disks/scratch.qcow2',
        volume: 'scratch',
        mode: 'node',
        format: 'qcow2',
        node: { kind: 'emptyDisk', bytes: 2 ** 30 },
      },
    ]);
    expect(plan.serialSocket).toBe('/run/tsvirt/default_two-disks/serial.sock');
  });

  it('plans a containerDisk as an overlay and cloud-init as an ISO in the run folder', () => {
    const plan = planDomain(readFixture('container-disk'), TCG_HOST);
    expect(plan.dirs).toEqual(['/run/tsvirt/default_container-disk', '/run/tsvirt/default_container-disk/disks']);
    expect(plan.files).toEqual([
      {
        path: '/run/tsvirt/default_container-disk/disks/containerdisk.qcow2',
        volume: 'containerdisk',
        mode: 'node',
        format: 'qcow2',
        node: {
          kind: 'containerDisk',
          image: { registry: '127.0.0.1:5000', repository: 'tsvirt/debian', tag: '12' },
          policy: 'IfNotPresent',
          pullSecret: 'regcred',
        },
      },
      {
        path: '/run/tsvirt/default_container-disk/disks/cloudinitdisk.iso',
        volume: 'cloudinitdisk',
        mode: 'node',
        format: 'raw',
        node: {
          kind: 'cloudInit',
          files: {
            'user-data': '#cloud-config\nruncmd:\n  - echo hello\n',
            'meta-data': 'instance-id: "6f1b2c3d-0000-4000-8000-000000000009"\nlocal-hostname: "container-disk"\n',
            'network-config': 'version: 2\n',
          },
          field: 'spec.volumes[1].cloudInitNoCloud',
        },
      },
    ]);
  });

  it('plans a secretRef volume with the Secrets to read when the ISO is made', () => {
    const base = readFixture('container-disk');
    const volumes = (base.spec.volumes ?? []).map((v) =>
      v.cloudInitNoCloud === undefined
        ? v
        : { name: v.name, cloudInitNoCloud: { secretRef: { name: 'ci' }, networkDataSecretRef: { name: 'net' } } },
    );
    const plan = planDomain({ ...base, spec: { ...base.spec, volumes } }, TCG_HOST);
    const ci = plan.files.find((f) => f.node?.kind === 'cloudInit')?.node;
    expect(ci).toMatchObject({
      kind: 'cloudInit',
      field: 'spec.volumes[1].cloudInitNoCloud',
      secrets: { userData: 'ci', networkData: 'net' },
      files: { 'user-data': '' },
    });
  });

  it('names the VM by spec.hostname in meta-data when it is set', () => {
    const base = readFixture('container-disk');
    const plan = planDomain({ ...base, spec: { ...base.spec, hostname: 'web-1' } }, TCG_HOST);
    const ci = plan.files.find((f) => f.node?.kind === 'cloudInit')?.node;
    expect(ci?.kind === 'cloudInit' && ci.files['meta-data']).toContain('local-hostname: "web-1"');
  });
});

describe('vmiToDomainXml rejects what the node cannot run', () => {
  const disk = (name: string) => ({ name });
  it.each<[string, Partial<VirtualMachineInstance['spec']>, string]>([
    [
      'a disk without a volume',
      { domain: { memory: { guest: '64Mi' }, devices: { disks: [disk('root')] } } },
      'spec.domain.devices.disks[0].name: no volume named "root"',
    ],
    [
      'a containerDisk image that is not a reference',
      {
        domain: { memory: { guest: '64Mi' }, devices: { disks: [disk('c')] } },
        volumes: [{ name: 'c', containerDisk: { image: 'quay.io/Kubevirt/Cirros' } }],
      },
      'spec.volumes[0].containerDisk.image: "quay.io/Kubevirt/Cirros": "Kubevirt" is not a repository name',
    ],
    [
      'cloud-init user data given twice',
      {
        domain: { memory: { guest: '64Mi' }, devices: { disks: [disk('ci')] } },
        volumes: [
          { name: 'x', emptyDisk: { capacity: '1Mi' } },
          { name: 'ci', cloudInitNoCloud: { userData: '#cloud-config', userDataBase64: 'I2Nsb3VkLWNvbmZpZw==' } },
        ],
      },
      'spec.volumes[1].cloudInitNoCloud.userDataBase64: set userData or userDataBase64, not both',
    ],
    [
      'cloud-init user data that is not base64',
      {
        domain: { memory: { guest: '64Mi' }, devices: { disks: [disk('ci')] } },
        volumes: [{ name: 'ci', cloudInitNoCloud: { userDataBase64: 'not base64!' } }],
      },
      'spec.volumes[0].cloudInitNoCloud.userDataBase64: is not base64',
    ],
    [
      'a volume with no source',
      { domain: { memory: { guest: '64Mi' }, devices: { disks: [disk('v')] } }, volumes: [{ name: 'v' }] },
      'spec.volumes[0]: volume "v" has no source',
    ],
    [
      'two disks with one name',
      {
        domain: { memory: { guest: '64Mi' }, devices: { disks: [disk('v'), disk('v')] } },
        volumes: [{ name: 'v', emptyDisk: { capacity: '1Mi' } }],
      },
      'spec.domain.devices.disks[1].name: "v" is used by two disks',
    ],
    [
      'a relative hostDisk path',
      {
        domain: { memory: { guest: '64Mi' }, devices: { disks: [disk('v')] } },
        volumes: [{ name: 'v', hostDisk: { path: 'img/root.img', type: 'Disk' } }],
      },
      'spec.volumes[0].hostDisk.path: "img/root.img" must be an absolute path',
    ],
    [
      'DiskOrCreate without a capacity',
      {
        domain: { memory: { guest: '64Mi' }, devices: { disks: [disk('v')] } },
        volumes: [{ name: 'v', hostDisk: { path: '/x.img', type: 'DiskOrCreate' } }],
      },
      'spec.volumes[0].hostDisk.capacity: is required when type is DiskOrCreate',
    ],
    [
      'an emptyDisk of no size',
      {
        domain: { memory: { guest: '64Mi' }, devices: { disks: [disk('v')] } },
        volumes: [{ name: 'v', emptyDisk: { capacity: 'lots' } }],
      },
      'spec.volumes[0].emptyDisk.capacity: "lots" is not a size',
    ],
    [
      'a read-only sata disk',
      {
        domain: {
          memory: { guest: '64Mi' },
          devices: { disks: [{ name: 'v', disk: { bus: 'sata', readonly: true } }] },
        },
        volumes: [{ name: 'v', emptyDisk: { capacity: '1Mi' } }],
      },
      'spec.domain.devices.disks[0].disk.readonly: QEMU cannot make a sata disk read-only',
    ],
    [
      'memory that is not a quantity',
      { domain: { memory: { guest: '2Gb' }, devices: {} } },
      'spec.domain.memory.guest: "2Gb" is not a memory size',
    ],
    [
      'memory below 1Mi',
      { domain: { memory: { guest: '512Ki' }, devices: {} } },
      'spec.domain.memory.guest: "512Ki" is not a memory size of at least 1Mi',
    ],
    [
      'zero cores',
      { domain: { memory: { guest: '64Mi' }, cpu: { cores: 0 }, devices: {} } },
      'spec.domain.cpu.cores: must be a positive whole number',
    ],
    [
      'a CPU request that is not a quantity',
      { domain: { memory: { guest: '64Mi' }, resources: { requests: { cpu: 'two' } }, devices: {} } },
      'spec.domain.resources.requests.cpu: "two" is not a CPU quantity',
    ],
    [
      'kernel args without a kernel',
      { domain: { memory: { guest: '64Mi' }, firmware: { kernelBoot: { kernelArgs: 'quiet' } }, devices: {} } },
      'spec.domain.firmware.kernelBoot.kernelPath: is required when kernelArgs is set',
    ],
    [
      'an initrd without a kernel',
      { domain: { memory: { guest: '64Mi' }, firmware: { kernelBoot: { initrdPath: '/i' } }, devices: {} } },
      'spec.domain.firmware.kernelBoot.kernelPath: is required when initrdPath is set',
    ],
    [
      'a relative kernel path',
      { domain: { memory: { guest: '64Mi' }, firmware: { kernelBoot: { kernelPath: 'vmlinuz' } }, devices: {} } },
      'spec.domain.firmware.kernelBoot.kernelPath: "vmlinuz" must be an absolute path',
    ],
    [
      'an interface without a network',
      { domain: { memory: { guest: '64Mi' }, devices: { interfaces: [{ name: 'default', masquerade: {} }] } } },
      'spec.domain.devices.interfaces[0].name: no network named "default"',
    ],
    [
      'a bridge interface',
      {
        domain: { memory: { guest: '64Mi' }, devices: { interfaces: [{ name: 'default', bridge: {} }] } },
        networks: [{ name: 'default', pod: {} }],
      },
      'spec.domain.devices.interfaces[0].bridge: is not supported',
    ],
  ])('rejects %s, naming the field', (_what, spec, message) => {
    const vmi = withSpec(spec);
    expect(() => vmiToDomainXml(vmi, KVM_HOST)).toThrow(DomainSpecError);
    expect(() => vmiToDomainXml(vmi, KVM_HOST)).toThrow(message);
  });

  it('rejects a name whose serial socket path would not fit in a unix socket address', () => {
    const base = readFixture('minimal');
    const vmi = { ...base, metadata: { ...base.metadata, name: 'x'.repeat(100) } };
    expect(() => vmiToDomainXml(vmi, KVM_HOST)).toThrow('metadata.name: too long');
  });

  it('gives a VMI without memory the 128Mi the controller sized its Pod for', () => {
    const xml = vmiToDomainXml(withSpec({ domain: { devices: {} } }), KVM_HOST);
    expect(xml).toContain("<memory unit='KiB'>131072</memory>");
  });

  it('rejects a VMI without a uid, since orphans are found by uid', () => {
    const base = readFixture('minimal');
    const { uid: _uid, ...metadata } = base.metadata;
    expect(() => vmiToDomainXml({ ...base, metadata }, KVM_HOST)).toThrow('metadata.uid: is required');
  });
});
