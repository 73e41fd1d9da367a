import { stringify } from 'yaml';
import { parseDisk, vmFromFlags, vmsFromText } from '../../../cli/vm-source.js';
import { UsageError } from '../../../cli/errors.js';
import { toYaml } from '../../../cli/printers/objects.js';
import { expectGolden } from './golden.js';

const base = { name: 'web', cpu: 1, memory: '128Mi', disks: [], runStrategy: 'Always' };

describe('vmFromFlags', () => {
  it('builds the VM create --name ... describes', async () => {
    const vm = vmFromFlags(
      {
        name: 'web',
        cpu: 2,
        memory: '512Mi',
        kernel: '/boot/vmlinuz',
        initrd: '/boot/initrd.img',
        kernelArgs: 'console=ttyS0',
        disks: ['/var/lib/images/web.img', 'data=/var/lib/images/data.img', 'size=1Gi'],
        runStrategy: 'Halted',
      },
      'prod',
    );
    expectGolden('create-from-flags.yaml', await toYaml(vm));
  });

  it('leaves out what was not asked for', () => {
    const vm = vmFromFlags(base, 'default');
    expect(vm.spec.template.spec.domain).toEqual({
      cpu: { cores: 1 },
      memory: { guest: '128Mi' },
      devices: { disks: [] },
    });
    expect(vm.spec.template.spec).not.toHaveProperty('volumes');
  });

  it.each([
    [{ name: 'Web_1' }, /not a valid name/],
    [{ cpu: 0 }, /--cpu 0/],
    [{ memory: '2Gb' }, /not a quantity/],
    [{ runStrategy: 'Sometimes' }, /not one of Always, RerunOnFailure, Manual, Halted, Once/],
    [{ initrd: '/boot/initrd.img' }, /--initrd needs --kernel/],
  ])('rejects %p before anything is sent', (over, message) => {
    expect(() => vmFromFlags({ ...base, ...over }, 'default')).toThrow(UsageError);
    expect(() => vmFromFlags({ ...base, ...over }, 'default')).toThrow(message);
  });
});

describe('parseDisk', () => {
  it('reads PATH, NAME=PATH and size=QUANTITY', () => {
    expect(parseDisk('/img', 0).volume).toEqual({ name: 'disk0', hostDisk: { path: '/img', type: 'Disk' } });
    expect(parseDisk('data=/img', 1).volume).toEqual({ name: 'data', hostDisk: { path: '/img', type: 'Disk' } });
    expect(parseDisk('size=1Gi', 2).volume).toEqual({ name: 'scratch2', emptyDisk: { capacity: '1Gi' } });
    expect(() => parseDisk('size=lots', 0)).toThrow(UsageError);
    expect(() => parseDisk('Bad_Name=/img', 0)).toThrow(UsageError);
  });
});

describe('vmsFromText', () => {
  const vm = (name: string, namespace?: string): unknown => ({
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachine',
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
    spec: { template: { spec: { domain: { devices: {} } } } },
  });

  it('reads several YAML documents and puts each in the namespace', () => {
    const text = `${stringify(vm('a'))}---\n${stringify(vm('b', 'prod'))}---\n`;
    const vms = vmsFromText(text, 'vm.yaml', 'default', false);
    expect(vms.map((v) => (v['metadata'] as { namespace: string }).namespace)).toEqual(['default', 'prod']);
  });

  it('reads JSON and a v1 List', () => {
    const vms = vmsFromText(
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [vm('a'), vm('b')] }),
      'vms.json',
      'default',
      false,
    );
    expect(vms).toHaveLength(2);
  });

  it('refuses a namespace in the file that contradicts -n, as kubectl does', () => {
    expect(() => vmsFromText(stringify(vm('a', 'prod')), 'vm.yaml', 'dev', true)).toThrow(
      'the namespace from the provided object "prod" does not match the namespace "dev"',
    );
  });

  it('refuses other kinds, broken YAML and empty input', () => {
    expect(() => vmsFromText('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n', 'pod.yaml', 'default', false)).toThrow(
      /is not a tsvirt.io\/v1alpha1 VirtualMachine/,
    );
    expect(() => vmsFromText('a: [1, 2', 'bad.yaml', 'default', false)).toThrow(UsageError);
    expect(() => vmsFromText('', 'empty.yaml', 'default', false)).toThrow('empty.yaml: no objects');
  });
});
