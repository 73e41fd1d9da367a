import {
  type NodePathPolicy,
  type PathDecision,
  type PathFacts,
  type PathRequest,
  PATH_MAX,
  decideHostPath,
  lexicalProblem,
  rootOf,
} from '../../../handler/host-paths/policy.js';
import { hostPathRequests, withHostPaths } from '../../../handler/host-paths/requests.js';
import type { VirtualMachineInstance } from '../../../api/types.js';

const POLICY: NodePathPolicy = {
  hostDiskRoots: ['/var/lib/tsvirt/disks'],
  bootRoots: ['/var/lib/tsvirt/guest'],
  hostDiskGate: true,
};
const FIELD = 'spec.volumes[0].hostDisk.path';
const disk = (path: string, createBytes?: number): PathRequest => ({
  field: FIELD,
  path,
  use: 'hostDisk',
  ...(createBytes === undefined ? {} : { createBytes }),
});
const file = (resolved: string, size = 1024): PathFacts => ({ kind: 'exists', resolved, type: 'file', size });

type Row = readonly [string, PathRequest, PathFacts, NodePathPolicy, Partial<PathDecision> & { kind: string }];
type Case = Readonly<{ name: string; req: PathRequest; facts: PathFacts; policy: NodePathPolicy; expected: Row[4] }>;

const ROWS: readonly Row[] = [
  [
    'a file inside a root',
    disk('/var/lib/tsvirt/disks/a.img'),
    file('/var/lib/tsvirt/disks/a.img'),
    POLICY,
    { kind: 'open', path: '/var/lib/tsvirt/disks/a.img', root: '/var/lib/tsvirt/disks' },
  ],
  ['a file outside every root', disk('/etc/shadow'), file('/etc/shadow'), POLICY, { kind: 'refuse', rule: 'outside' }],
  [
    'a path with ..',
    disk('/var/lib/tsvirt/disks/../../../etc/shadow'),
    file('/etc/shadow'),
    POLICY,
    { kind: 'refuse', rule: 'path' },
  ],
  [
    'a relative path',
    disk('var/lib/tsvirt/disks/a.img'),
    file('/var/lib/tsvirt/disks/a.img'),
    POLICY,
    { kind: 'refuse', rule: 'path' },
  ],
  [
    'a symlink inside a root pointing out',
    disk('/var/lib/tsvirt/disks/link.img'),
    file('/etc/shadow'),
    POLICY,
    { kind: 'refuse', rule: 'outside' },
  ],
  [
    'a symlink in a parent folder pointing out',
    disk('/var/lib/tsvirt/disks/dir/a.img'),
    file('/root/secrets/a.img'),
    POLICY,
    { kind: 'refuse', rule: 'outside' },
  ],
  [
    'a symlink pointing to another file inside the root',
    disk('/var/lib/tsvirt/disks/link.img'),
    file('/var/lib/tsvirt/disks/real.img'),
    POLICY,
    { kind: 'open', path: '/var/lib/tsvirt/disks/real.img' },
  ],
  ['a symlink loop', disk('/var/lib/tsvirt/disks/loop'), { kind: 'loop' }, POLICY, { kind: 'refuse', rule: 'loop' }],
  [
    'a dangling symlink',
    disk('/var/lib/tsvirt/disks/gone', 10),
    { kind: 'dangling', link: '/var/lib/tsvirt/disks/gone' },
    POLICY,
    { kind: 'refuse', rule: 'dangling' },
  ],
  [
    'a device',
    disk('/var/lib/tsvirt/disks/sda'),
    { kind: 'exists', resolved: '/var/lib/tsvirt/disks/sda', type: 'device', size: 0 },
    POLICY,
    { kind: 'refuse', rule: 'type' },
  ],
  [
    'a FIFO',
    disk('/var/lib/tsvirt/disks/fifo'),
    { kind: 'exists', resolved: '/var/lib/tsvirt/disks/fifo', type: 'fifo', size: 0 },
    POLICY,
    { kind: 'refuse', rule: 'type' },
  ],
  [
    'a directory',
    disk('/var/lib/tsvirt/disks/dir'),
    { kind: 'exists', resolved: '/var/lib/tsvirt/disks/dir', type: 'directory', size: 4096 },
    POLICY,
    { kind: 'refuse', rule: 'type' },
  ],
  [
    'the root itself',
    disk('/var/lib/tsvirt/disks'),
    file('/var/lib/tsvirt/disks'),
    POLICY,
    { kind: 'refuse', rule: 'outside' },
  ],
  [
    'a sibling folder sharing the root as a name prefix',
    disk('/var/lib/tsvirt/disks2/a.img'),
    file('/var/lib/tsvirt/disks2/a.img'),
    POLICY,
    { kind: 'refuse', rule: 'outside' },
  ],
  [
    'a missing file with a missing parent inside a root, DiskOrCreate',
    disk('/var/lib/tsvirt/disks/new/dir/a.img', 1 << 20),
    { kind: 'missing', resolved: '/var/lib/tsvirt/disks/new/dir/a.img' },
    POLICY,
    { kind: 'create', path: '/var/lib/tsvirt/disks/new/dir/a.img', bytes: 1 << 20 },
  ],
  [
    'a missing file whose parent resolves outside, DiskOrCreate',
    disk('/var/lib/tsvirt/disks/out/a.img', 1 << 20),
    { kind: 'missing', resolved: '/etc/cron.d/a.img' },
    POLICY,
    { kind: 'refuse', rule: 'outside' },
  ],
  [
    'a missing file, type Disk',
    disk('/var/lib/tsvirt/disks/none.img'),
    { kind: 'missing', resolved: '/var/lib/tsvirt/disks/none.img' },
    POLICY,
    { kind: 'missing' },
  ],
  [
    'DiskOrCreate on an existing file of the same size',
    disk('/var/lib/tsvirt/disks/a.img', 1024),
    file('/var/lib/tsvirt/disks/a.img', 1024),
    POLICY,
    { kind: 'open' },
  ],
  [
    'DiskOrCreate on an existing file of another size',
    disk('/var/lib/tsvirt/disks/a.img', 10 << 20),
    file('/var/lib/tsvirt/disks/a.img', 32),
    POLICY,
    { kind: 'refuse', rule: 'size' },
  ],
  [
    'DiskOrCreate on an existing file outside',
    disk('/etc/hostname', 10 << 20),
    file('/etc/hostname', 32),
    POLICY,
    { kind: 'refuse', rule: 'outside' },
  ],
  [
    "a path inside the handler's pinned folder",
    disk('/var/lib/tsvirt/disks/.tsvirt-pinned/uid/disk-root'),
    file('/var/lib/tsvirt/disks/.tsvirt-pinned/uid/disk-root'),
    POLICY,
    { kind: 'refuse', rule: 'reserved' },
  ],
  [
    'an over-long path',
    disk(`/var/lib/tsvirt/disks/${'a/'.repeat(PATH_MAX / 2)}x`),
    { kind: 'tooLong' },
    POLICY,
    { kind: 'refuse', rule: 'path' },
  ],
  [
    'a path that resolves to an over-long one',
    disk('/var/lib/tsvirt/disks/deep'),
    { kind: 'tooLong' },
    POLICY,
    { kind: 'refuse', rule: 'tooLong' },
  ],
  [
    'a name longer than NAME_MAX',
    disk(`/var/lib/tsvirt/disks/${'n'.repeat(256)}`),
    { kind: 'missing', resolved: `/var/lib/tsvirt/disks/${'n'.repeat(256)}` },
    POLICY,
    { kind: 'refuse', rule: 'path' },
  ],
  [
    'the gate off',
    disk('/var/lib/tsvirt/disks/a.img'),
    file('/var/lib/tsvirt/disks/a.img'),
    { ...POLICY, hostDiskGate: false },
    { kind: 'refuse', rule: 'gate' },
  ],
  [
    'a kernel inside the boot root, the gate off',
    { field: 'spec.domain.firmware.kernelBoot.kernelPath', path: '/var/lib/tsvirt/guest/vmlinuz', use: 'boot' },
    file('/var/lib/tsvirt/guest/vmlinuz'),
    { ...POLICY, hostDiskGate: false },
    { kind: 'open', root: '/var/lib/tsvirt/guest' },
  ],
  [
    'an initrd in the host disk root (not a boot root)',
    { field: 'spec.domain.firmware.kernelBoot.initrdPath', path: '/var/lib/tsvirt/disks/initrd', use: 'boot' },
    file('/var/lib/tsvirt/disks/initrd'),
    POLICY,
    { kind: 'refuse', rule: 'outside' },
  ],
  [
    'a file the node cannot resolve',
    disk('/var/lib/tsvirt/disks/x'),
    { kind: 'unreadable', code: 'EACCES' },
    POLICY,
    { kind: 'refuse', rule: 'unreadable' },
  ],
  [
    'no roots at all',
    disk('/var/lib/tsvirt/disks/a.img'),
    file('/var/lib/tsvirt/disks/a.img'),
    { ...POLICY, hostDiskRoots: [] },
    { kind: 'refuse', rule: 'outside' },
  ],
];

describe('decideHostPath', () => {
  const cases: readonly Case[] = ROWS.map(([name, req, facts, policy, expected]) => ({
    name,
    req,
    facts,
    policy,
    expected,
  }));
  it.each(cases)('$name', ({ req, facts, policy, expected }) => {
    const d = decideHostPath(req, facts, policy);
    expect(d).toMatchObject(expected);
    if (d.kind === 'refuse') expect(d.message.startsWith(`${req.field}: `)).toBe(true);
  });

  it('names the field, the resolved path and the flag to change when a path leads out', () => {
    const d = decideHostPath(disk('/var/lib/tsvirt/disks/link.img'), file('/etc/shadow'), POLICY);
    expect(d).toEqual({
      kind: 'refuse',
      field: FIELD,
      rule: 'outside',
      message: `${FIELD}: /var/lib/tsvirt/disks/link.img (resolves to /etc/shadow) is outside the node's host disk roots (/var/lib/tsvirt/disks); put the file under one of them (virt-handler --host-disk-root)`,
    });
  });
});

describe('lexicalProblem and rootOf', () => {
  it.each([
    ['/a/b', undefined],
    ['/a//b', 'segment'],
    ['/a/./b', 'segment'],
    ['/a/b/', 'segment'],
    ['a/b', 'absolute'],
  ])('%s', (path, problem) => {
    const got = lexicalProblem(path);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(problem);
  });

  it('finds the root a path lies strictly inside', () => {
    expect(rootOf(['/r', '/s'], '/s/x')).toBe('/s');
    expect(rootOf(['/r'], '/r')).toBeUndefined();
    expect(rootOf(['/r'], '/rx/y')).toBeUndefined();
  });
});

describe('hostPathRequests and withHostPaths', () => {
  const vmi: VirtualMachineInstance = {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { namespace: 'n', name: 'v', uid: 'u' },
    spec: {
      domain: {
        devices: { disks: [{ name: 'root' }] },
        firmware: { kernelBoot: { kernelPath: '/b/k', initrdPath: '/b/i', kernelArgs: 'console=ttyS0' } },
      },
      volumes: [
        { name: 'scratch', emptyDisk: { capacity: '1Mi' } },
        { name: 'root', hostDisk: { path: '/d/r.img', type: 'DiskOrCreate', capacity: '10Mi' } },
      ],
    },
  };

  it('lists every hostDisk volume and boot file with its field', () => {
    expect(hostPathRequests(vmi)).toEqual([
      {
        field: 'spec.volumes[1].hostDisk.path',
        path: '/d/r.img',
        use: 'hostDisk',
        pinName: 'disk-root',
        createBytes: 10 << 20,
      },
      { field: 'spec.domain.firmware.kernelBoot.kernelPath', path: '/b/k', use: 'boot', pinName: 'boot-kernel' },
      { field: 'spec.domain.firmware.kernelBoot.initrdPath', path: '/b/i', use: 'boot', pinName: 'boot-initrd' },
    ]);
  });

  it('puts the pinned paths in place and makes a created disk a plain Disk', () => {
    const out = withHostPaths(
      vmi,
      new Map([
        ['spec.volumes[1].hostDisk.path', '/d/.tsvirt-pinned/u/disk-root'],
        ['spec.domain.firmware.kernelBoot.kernelPath', '/b/.tsvirt-pinned/u/boot-kernel'],
        ['spec.domain.firmware.kernelBoot.initrdPath', '/b/.tsvirt-pinned/u/boot-initrd'],
      ]),
    );
    expect(out.spec.volumes?.[1]?.hostDisk).toEqual({ path: '/d/.tsvirt-pinned/u/disk-root', type: 'Disk' });
    expect(out.spec.volumes?.[0]).toBe(vmi.spec.volumes?.[0]);
    expect(out.spec.domain.firmware?.kernelBoot).toEqual({
      kernelPath: '/b/.tsvirt-pinned/u/boot-kernel',
      initrdPath: '/b/.tsvirt-pinned/u/boot-initrd',
      kernelArgs: 'console=ttyS0',
    });
  });
});
