// The node's host-path policy against a real private libvirtd running QEMU (TCG): each escape a
// tenant could try through a VMI spec fails the VMI with its reason and leaves the target exactly
// as it was (content hash, size, owner, mode, mtime: stat before and after); a legitimate host disk
// inside a root still runs and keeps its data across a restart of its domain.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { VirtualMachineInstance } from '../../api/types.js';
import type { HostFacts } from '../../handler/domain/host-facts.js';
import { LibvirtConnection } from '../../handler/libvirt/connection.js';
import { inspectHostPath, pinHostFile, pinnedDir, unpinHostFiles } from '../../handler/host-paths/node-paths.js';
import { type NodePathPolicy, decideHostPath } from '../../handler/host-paths/policy.js';
import { prepareAndStart, type StartOptions, type StartResult, NO_NODE_DISKS } from '../../handler/start-domain.js';
import { startPrivateLibvirtd, type PrivateLibvirtd } from '../../cluster/libvirtd.js';

type Snapshot = Readonly<{ sha256: string; size: number; uid: number; gid: number; mode: number; mtimeMs: number }>;

async function snapshot(path: string): Promise<Snapshot> {
  const st = await stat(path);
  const sha256 = createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
  return { sha256, size: st.size, uid: st.uid, gid: st.gid, mode: st.mode, mtimeMs: st.mtimeMs };
}

let seq = 0;
function vmi(name: string, spec: Partial<VirtualMachineInstance['spec']>): VirtualMachineInstance {
  seq += 1;
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { namespace: 'hp', name, uid: `0c000000-0000-4000-8000-${String(seq).padStart(12, '0')}` },
    spec: { terminationGracePeriodSeconds: 1, domain: { memory: { guest: '32Mi' }, devices: {} }, ...spec },
  };
}

function hostDiskVmi(
  name: string,
  hostDisk: NonNullable<VirtualMachineInstance['spec']['volumes']>[number]['hostDisk'],
) {
  return vmi(name, {
    domain: { memory: { guest: '32Mi' }, devices: { disks: [{ name: 'root' }] } },
    volumes: [{ name: 'root', ...(hostDisk === undefined ? {} : { hostDisk }) }],
  });
}

describe('host paths on a private libvirtd with QEMU (TCG)', () => {
  let lvd: PrivateLibvirtd;
  let conn: LibvirtConnection;
  let base: string;
  let disks: string;
  let boot: string;
  let outside: string;
  let host: HostFacts;
  let policy: NodePathPolicy;
  const opts = (p: NodePathPolicy = policy): StartOptions => ({
    node: 'node-hp',
    hostPaths: () => Promise.resolve(p),
    disks: NO_NODE_DISKS,
  });

  beforeAll(async () => {
    lvd = await startPrivateLibvirtd();
    base = await mkdtemp('/tmp/tsvirt-hp-');
    // QEMU runs as libvirt-qemu: it must traverse down to the run folder and the pinned files.
    await chmod(base, 0o711);
    [disks, boot, outside] = [join(base, 'disks'), join(base, 'boot'), join(base, 'outside')];
    for (const d of [disks, boot, outside, join(base, 'run')]) await mkdir(d, { mode: 0o755 });
    host = { domainType: 'qemu', arch: 'x86_64', machine: 'pc', runDir: join(base, 'run') };
    policy = { hostDiskRoots: [disks], bootRoots: [boot], hostDiskGate: true };
    conn = new LibvirtConnection(lvd.uri);
    await conn.open();
  }, 60_000);
  afterAll(async () => {
    await conn?.close();
    await lvd?.stop();
    await rm(base, { recursive: true, force: true });
  });

  async function secret(name: string, content = 'root only\n'): Promise<string> {
    const path = join(outside, name);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  }

  type Expected = Readonly<{ reason: string; message: RegExp; policy?: NodePathPolicy }>;
  async function expectRefused(v: VirtualMachineInstance, target: string, expected: Expected): Promise<void> {
    const { reason, message } = expected;
    const before = await snapshot(target);
    const result: StartResult = await prepareAndStart(v, host, conn, opts(expected.policy ?? policy));
    expect(result).toMatchObject({ kind: 'failed', verdict: { phase: 'Failed', reason } });
    if (result.kind === 'failed') expect(result.verdict.message).toMatch(message);
    expect(await snapshot(target)).toEqual(before);
    expect(await conn.observe(`hp_${v.metadata.name ?? ''}`, v.metadata.uid ?? '')).toEqual({ kind: 'missing' });
    expect(existsSync(pinnedDir(disks, v.metadata.uid ?? ''))).toBe(false);
  }

  it('refuses a root-only file outside the roots', async () => {
    const target = await secret('shadow');
    await expectRefused(hostDiskVmi('outside', { path: target, type: 'Disk' }), target, {
      reason: 'HostPathNotAllowed',
      message: /^spec\.volumes\[0\]\.hostDisk\.path: .*shadow is outside the node's host disk roots/,
    });
  });

  it('refuses a symlink inside a root that points out', async () => {
    const target = await secret('link-target');
    await symlink(target, join(disks, 'link.img'));
    await expectRefused(hostDiskVmi('link', { path: join(disks, 'link.img'), type: 'Disk' }), target, {
      reason: 'HostPathNotAllowed',
      message: /link\.img \(resolves to .*link-target\) is outside/,
    });
  });

  it('refuses a symlink swapped in after the VM was admitted', async () => {
    const target = await secret('swapped-target');
    const path = join(disks, 'swap.img');
    await writeFile(path, 'legit\n');
    // The admission check (the API server's prefix rule) passed for this path; then the file is swapped.
    await rm(path);
    await symlink(target, path);
    await expectRefused(hostDiskVmi('swapped', { path, type: 'Disk' }), target, {
      reason: 'HostPathNotAllowed',
      message: /resolves to .*swapped-target\) is outside/,
    });
  });

  it('pins the checked inode: a folder swapped between the check and the pin is caught', async () => {
    const target = await secret('race.img', 'secret\n');
    await mkdir(join(disks, 'dir'));
    const path = join(disks, 'dir', 'race.img');
    await writeFile(path, 'legit\n');
    const decision = decideHostPath(
      { field: 'spec.volumes[0].hostDisk.path', path, use: 'hostDisk' },
      await inspectHostPath(path),
      policy,
    );
    expect(decision).toMatchObject({ kind: 'open', path });
    // Between the handler's check and its open: the folder becomes a symlink to one outside.
    await rename(join(disks, 'dir'), join(disks, 'dir-old'));
    await symlink(outside, join(disks, 'dir'));
    const before = await snapshot(target);
    if (decision.kind !== 'open') throw new Error('unreachable');
    const pinned = await pinHostFile(decision, 'race-uid', 'disk-root');
    expect(pinned).toMatchObject({ kind: 'refused' });
    if (pinned.kind === 'refused')
      expect(pinned.message).toMatch(/changed while virt-handler checked it \(it leads to .*outside\/race\.img now\)/);
    expect(await snapshot(target)).toEqual(before);
    expect(existsSync(join(pinnedDir(disks, 'race-uid'), 'disk-root'))).toBe(false);
    await unpinHostFiles(policy, 'race-uid');
  });

  it('refuses DiskOrCreate on an existing file outside, and neither grows nor re-owns it', async () => {
    const target = await secret('small', 'x'.repeat(32));
    await expectRefused(hostDiskVmi('grow-outside', { path: target, type: 'DiskOrCreate', capacity: '10Mi' }), target, {
      reason: 'HostPathNotAllowed',
      message: /is outside the node's host disk roots/,
    });
  });

  it('refuses DiskOrCreate on an existing file inside whose size differs, and never resizes it', async () => {
    const path = join(disks, 'small.img');
    await writeFile(path, 'y'.repeat(32), { mode: 0o600 });
    await expectRefused(hostDiskVmi('grow-inside', { path, type: 'DiskOrCreate', capacity: '10Mi' }), path, {
      reason: 'HostPathNotAllowed',
      message: /exists with 32 bytes, not the capacity's 10485760; DiskOrCreate never resizes/,
    });
  });

  it('refuses an initrd outside the boot roots', async () => {
    const kernel = join(boot, 'vmlinuz');
    await writeFile(kernel, 'not a kernel');
    const target = await secret('initrd');
    await expectRefused(
      vmi('initrd', {
        domain: {
          memory: { guest: '32Mi' },
          devices: {},
          firmware: { kernelBoot: { kernelPath: kernel, initrdPath: target } },
        },
      }),
      target,
      {
        reason: 'HostPathNotAllowed',
        message: /^spec\.domain\.firmware\.kernelBoot\.initrdPath: .*initrd is outside the node's boot roots/,
      },
    );
  });

  it('refuses a hostDisk while the gate is off, even inside a root', async () => {
    const path = join(disks, 'gated.img');
    await writeFile(path, 'z'.repeat(512));
    await expectRefused(hostDiskVmi('gated', { path, type: 'Disk' }), path, {
      reason: 'HostPathNotAllowed',
      message: /feature gate HostDisk/,
      policy: { ...policy, hostDiskGate: false },
    });
  });

  it('refuses a FIFO inside a root without blocking on it', async () => {
    const path = join(disks, 'fifo');
    execFileSync('mkfifo', [path]);
    const v = hostDiskVmi('fifo', { path, type: 'Disk' });
    const result = await prepareAndStart(v, host, conn, opts());
    expect(result).toMatchObject({ kind: 'failed', verdict: { reason: 'HostPathNotAllowed' } });
    if (result.kind === 'failed') expect(result.verdict.message).toContain('is a fifo, not a regular file');
  });

  it('runs a legitimate host disk from its pinned link and keeps its data across a restart', async () => {
    const path = join(disks, 'data.img');
    await writeFile(path, Buffer.alloc(1 << 20, 7), { mode: 0o600 });
    const before = await snapshot(path);
    const v = hostDiskVmi('legit', { path, type: 'Disk' });
    const uid = v.metadata.uid ?? '';
    expect(await prepareAndStart(v, host, conn, opts())).toEqual({ kind: 'started' });
    const xml = await lvd.virsh(['dumpxml', 'hp_legit']);
    expect(xml).toContain(`<source file='${join(pinnedDir(disks, uid), 'disk-root')}'`);
    expect(xml).not.toContain(`'${path}'`);
    await conn.destroy('hp_legit');
    await lvd.virsh(['start', 'hp_legit']);
    expect(await conn.observe('hp_legit', uid)).toEqual({ kind: 'present', state: 'Running' });
    await conn.destroy('hp_legit');
    await conn.undefine('hp_legit');
    await unpinHostFiles(policy, uid);
    const after = await snapshot(path);
    // libvirt's DAC driver re-owned the file while the domain ran and gave it back on shutdown.
    expect(after).toEqual({ ...before, mtimeMs: after.mtimeMs });
    expect(after.sha256).toBe(before.sha256);
    expect(existsSync(pinnedDir(disks, uid))).toBe(false);
  });

  it('creates a DiskOrCreate image exclusively, sparse, with its missing folders, inside the root', async () => {
    const path = join(disks, 'new', 'deeper', 'created.img');
    const v = hostDiskVmi('create', { path, type: 'DiskOrCreate', capacity: '8Mi' });
    expect(await prepareAndStart(v, host, conn, opts())).toEqual({ kind: 'started' });
    const st = await stat(path);
    expect(st.size).toBe(8 << 20);
    expect(st.blocks * 512).toBeLessThan(1 << 20);
    await conn.destroy('hp_create');
    await conn.undefine('hp_create');
    await unpinHostFiles(policy, v.metadata.uid ?? '');
  });
});
