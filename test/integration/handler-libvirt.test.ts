// virt-handler's libvirt shell against real libvirt: the test driver (in process) and a private
// libvirtd running QEMU under TCG, the code path of real nodes and of the e2e tier.
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { VirtualMachineInstance } from '../../api/types.js';
import type { HostFacts } from '../../handler/domain/host-facts.js';
import { shutoffCauseFromLog } from '../../handler/domain/state.js';
import { planDomain } from '../../handler/domain/vmi-to-domain.js';
import { LibvirtConnection, LibvirtUnavailableError } from '../../handler/libvirt/connection.js';
import { NO_NODE_DISKS, prepareAndStart, type StartOptions } from '../../handler/start-domain.js';
import { waitFor } from '../harness/index.js';
import { startPrivateLibvirtd, type PrivateLibvirtd } from '../../cluster/libvirtd.js';

function vmi(name: string, uid: string, extra: Partial<VirtualMachineInstance['spec']> = {}): VirtualMachineInstance {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { namespace: 'it', name, uid },
    spec: { terminationGracePeriodSeconds: 1, domain: { memory: { guest: '32Mi' }, devices: {} }, ...extra },
  };
}

/** Start options for a node whose host disk root is `root` (gate on) and that has no boot root. */
function startOptions(node: string, root: string): StartOptions {
  const policy = { hostDiskRoots: [root], bootRoots: [], hostDiskGate: true };
  return { node, hostPaths: () => Promise.resolve(policy), disks: NO_NODE_DISKS };
}

describe('LibvirtConnection on the test driver', () => {
  let runDir: string;
  let conn: LibvirtConnection;
  beforeAll(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'tsvirt-h-'));
    conn = new LibvirtConnection('test:///default');
    await conn.open();
  });
  afterAll(async () => {
    await conn.close();
    await rm(runDir, { recursive: true, force: true });
  });

  it('sees only domains with tsvirt metadata, and follows one through start, shutdown and undefine', async () => {
    const host: HostFacts = { domainType: 'qemu', arch: 'x86_64', machine: 'pc', runDir };
    const v = vmi('a', '0a000000-0000-4000-8000-000000000001');
    // test:///default starts with a domain named "test" that is not ours.
    expect(await conn.listTsvirtDomains()).toEqual([]);
    expect(await conn.ownerOf('test')).toBe('foreign');
    expect(await prepareAndStart(v, host, conn, startOptions('node-t', runDir))).toEqual({ kind: 'started' });
    expect(await conn.listTsvirtDomains()).toEqual([
      { name: 'it_a', meta: { uid: v.metadata.uid, namespace: 'it', name: 'a', graceSeconds: 1 }, state: 'Running' },
    ]);
    expect(await conn.observe('it_a', v.metadata.uid ?? '')).toEqual({ kind: 'present', state: 'Running' });
    expect(await conn.observe('it_a', 'another-uid')).toEqual({ kind: 'missing' });
    await conn.shutdown('it_a');
    expect(await conn.observe('it_a', v.metadata.uid ?? '')).toEqual({ kind: 'present', state: 'Shutoff' });
    await conn.undefine('it_a');
    expect(await conn.observe('it_a', v.metadata.uid ?? '')).toEqual({ kind: 'missing' });
    // Acting on a domain that is gone is not an error: the goal is reached.
    await conn.destroy('it_a');
  });

  it('fails a VMI whose host disk is missing, naming the field and the node', async () => {
    const host: HostFacts = { domainType: 'qemu', arch: 'x86_64', machine: 'pc', runDir };
    const v = vmi('b', '0a000000-0000-4000-8000-000000000002', {
      domain: { memory: { guest: '32Mi' }, devices: { disks: [{ name: 'root' }] } },
      volumes: [{ name: 'root', hostDisk: { path: join(runDir, 'nope.img'), type: 'Disk' } }],
    });
    const result = await prepareAndStart(v, host, conn, startOptions('node-t', runDir));
    expect(result).toMatchObject({ kind: 'failed', verdict: { phase: 'Failed', reason: 'FailedDefine' } });
    if (result.kind === 'failed')
      expect(result.verdict.message).toBe(
        `spec.volumes[0].hostDisk.path: ${join(runDir, 'nope.img')} does not exist on node node-t`,
      );
    expect(await conn.observe('it_b', v.metadata.uid ?? '')).toEqual({ kind: 'missing' });
  });

  it('creates emptyDisk images and DiskOrCreate host disks before define', async () => {
    const host: HostFacts = { domainType: 'qemu', arch: 'x86_64', machine: 'pc', runDir };
    const created = join(runDir, 'created.img');
    const v = vmi('c', '0a000000-0000-4000-8000-000000000003', {
      domain: { memory: { guest: '32Mi' }, devices: { disks: [{ name: 'scratch' }, { name: 'data' }] } },
      volumes: [
        { name: 'scratch', emptyDisk: { capacity: '8Mi' } },
        { name: 'data', hostDisk: { path: created, type: 'DiskOrCreate', capacity: '4Mi' } },
      ],
    });
    expect(await prepareAndStart(v, host, conn, startOptions('node-t', runDir))).toEqual({ kind: 'started' });
    const plan = planDomain(v, host);
    const { statSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    // The emptyDisk is a sparse qcow2 of its capacity; the DiskOrCreate host disk a sparse raw file.
    const [scratch, data] = plan.files.map((f) => f.path);
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '--output=json', scratch ?? ''], { encoding: 'utf8' }),
    ) as {
      format: string;
      'virtual-size': number;
    };
    expect(info).toMatchObject({ format: 'qcow2', 'virtual-size': 8 * 2 ** 20 });
    expect(statSync(data ?? '').size).toBe(4 * 2 ** 20);
    await conn.destroy('it_c');
    await conn.undefine('it_c');
  });
});

describe('LibvirtConnection on a private libvirtd with QEMU (TCG)', () => {
  let lvd: PrivateLibvirtd;
  let runDir: string;
  let conn: LibvirtConnection;
  let host: HostFacts;
  beforeAll(async () => {
    lvd = await startPrivateLibvirtd();
    runDir = await mkdtemp('/tmp/tsvirt-hr-');
    // QEMU runs as libvirt-qemu and binds the serial socket in the VMI's folder under here.
    const { chmod } = await import('node:fs/promises');
    await chmod(runDir, 0o755);
    host = { domainType: 'qemu', arch: 'x86_64', machine: 'pc', runDir };
    conn = new LibvirtConnection(lvd.uri);
    await conn.open();
  }, 60_000);
  afterAll(async () => {
    await conn?.close();
    await lvd?.stop();
    await rm(runDir, { recursive: true, force: true });
  });

  const cause = (name: string): string => shutoffCauseFromLog(readFileSync(join(lvd.logDir, `${name}.log`), 'utf8'));

  it('runs a QEMU domain and tells a killed QEMU from a destroy by the log', async () => {
    const v = vmi('q', '0b000000-0000-4000-8000-000000000001');
    expect(await prepareAndStart(v, host, conn, startOptions('node-q', runDir))).toEqual({ kind: 'started' });
    expect(await conn.observe('it_q', v.metadata.uid ?? '')).toEqual({ kind: 'present', state: 'Running' });
    const pid = (await lvd.qemuPids()).get('it_q');
    expect(pid).toBeGreaterThan(0);
    process.kill(pid ?? 0, 'SIGKILL');
    await waitFor(
      async (seen) => {
        const o = await conn.observe('it_q', v.metadata.uid ?? '');
        seen(o);
        return o.kind === 'present' && o.state === 'Shutoff';
      },
      { timeoutMs: 10_000, describe: 'the killed domain to be shut off' },
    );
    expect(cause('it_q')).toBe('crashed');

    await lvd.virsh(['start', 'it_q']);
    await lvd.virsh(['destroy', 'it_q']);
    expect(cause('it_q')).toBe('destroyed');
    await conn.undefine('it_q');
  });

  it('reconnects after libvirtd restarts, and the domain keeps running meanwhile', async () => {
    const v = vmi('r', '0b000000-0000-4000-8000-000000000002');
    expect(await prepareAndStart(v, host, conn, startOptions('node-q', runDir))).toEqual({ kind: 'started' });
    const pidBefore = (await lvd.qemuPids()).get('it_r');
    await lvd.restart();
    // The first call after the restart may find the old connection dead; it never claims the domain is gone.
    const first = await conn.listTsvirtDomains().catch((e: unknown) => e);
    if (first instanceof Error) expect(first).toBeInstanceOf(LibvirtUnavailableError);
    const domains = await waitFor(async () => conn.listTsvirtDomains(), {
      timeoutMs: 10_000,
      describe: 'libvirt to answer again',
    });
    expect(domains.map((d) => [d.name, d.state])).toEqual([['it_r', 'Running']]);
    expect((await lvd.qemuPids()).get('it_r')).toBe(pidBefore);
    await conn.destroy('it_r');
    await conn.undefine('it_r');
  });
});
