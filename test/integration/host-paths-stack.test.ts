// Host paths through the whole stack (real API server with the host-path ValidatingAdmissionPolicy,
// virt-controller, virt-handler on node-1's test driver, `kubectl virt` as built): what needs no node
// is refused at `kubectl virt create` with the field and the fix; what only the node can see (a
// symlink out of a root) fails the VMI with HostPathNotAllowed, an Event and describe's why-line;
// the HostDisk gate in tsvirt-config is read by both. The local cluster's roots are the defaults,
// so the files live in a temp folder under /var/lib/tsvirt/disks, removed afterwards.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLUSTER_CONFIG_NAME, DEFAULT_HOST_DISK_ROOT } from '../../api/cluster-config.js';
import { REASONS, SYSTEM_NAMESPACE } from '../../api/names.js';
import type { VirtualMachine } from '../../api/types.js';
import {
  type ComponentHandle,
  type KubectlResult,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  kubectlJson,
  stopAllComponents,
  waitFor,
  kubectlVirt,
} from '../harness/index.js';
import { createVms, deleteAllVms, startController, startHandler, vmManifest, waitVmiPhase } from './handler-stack.js';

const NODE = 'node-1';
const TIMEOUT = 90_000;

async function fingerprint(path: string): Promise<unknown> {
  const st = await stat(path);
  const sha256 = createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
  return { sha256, size: st.size, uid: st.uid, gid: st.gid, mode: st.mode, mtimeMs: st.mtimeMs };
}

// Once: a failed VMI stays (Always would delete it and back off), so describe can show why.
function hostDiskVm(name: string, path: string, runStrategy: 'Once' | 'Halted' = 'Once'): VirtualMachine {
  return vmManifest(name, {
    node: NODE,
    runStrategy,
    spec: {
      domain: {
        memory: { guest: '32Mi' },
        resources: { requests: { cpu: '10m' } },
        devices: { disks: [{ name: 'root' }] },
      },
      volumes: [{ name: 'root', hostDisk: { path, type: 'Disk' } }],
    },
  });
}

const setGates = (gates: string): Promise<KubectlResult> =>
  kubectl([
    'patch',
    'configmap',
    CLUSTER_CONFIG_NAME,
    '-n',
    SYSTEM_NAMESPACE,
    '--type=merge',
    '-p',
    JSON.stringify({ data: { featureGates: gates } }),
  ]);

describe('host paths through the stack', () => {
  let ns: string;
  let dir: string;
  let outside: string;
  let handler: ComponentHandle | undefined;

  beforeAll(async () => {
    ns = await createTestNamespace('host-paths');
    await mkdir(DEFAULT_HOST_DISK_ROOT, { recursive: true, mode: 0o755 });
    dir = await mkdtemp(join(DEFAULT_HOST_DISK_ROOT, 'it-'));
    outside = await mkdtemp('/tmp/tsvirt-outside-');
    await startController();
  }, 60_000);

  afterAll(async () => {
    await setGates('HostDisk');
    await deleteAllVms(ns);
    await stopAllComponents();
    await deleteTestNamespace(ns);
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  }, 90_000);

  it(
    'refuses at kubectl virt create a hostDisk outside the roots, naming the field and the fix; nothing is stored',
    async () => {
      const vm = hostDiskVm('outside', '/etc/shadow');
      const res = await kubectlVirt(['create', '-f', '-', '-n', ns], JSON.stringify(vm));
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(
        '  spec.template.spec.volumes[0].hostDisk.path: /etc/shadow is outside the host disk roots (/var/lib/tsvirt/disks/); put the disk under one of them (hostDiskRoots in ConfigMap tsvirt-system/tsvirt-config)',
      );
      expect((await kubectl(['get', 'vm', 'outside', '-n', ns], { allowFailure: true })).stderr).toMatch(/NotFound/);
      const kernel = vmManifest('kernel', {
        node: NODE,
        spec: {
          domain: { memory: { guest: '32Mi' }, devices: {}, firmware: { kernelBoot: { kernelPath: '/boot/vmlinuz' } } },
        },
      });
      const k = await kubectlVirt(['create', '-f', '-', '-n', ns], JSON.stringify(kernel));
      expect(k.code).toBe(1);
      expect(k.stderr).toContain(
        '  spec.template.spec.domain.firmware.kernelBoot.kernelPath: /boot/vmlinuz is outside the boot roots',
      );
    },
    TIMEOUT,
  );

  it(
    'fails the VMI of a symlink out of a root with HostPathNotAllowed, an Event and the why-line, and leaves the target as it was',
    async () => {
      handler ??= await startHandler({ node: NODE });
      const target = join(outside, 'root-only');
      await writeFile(target, 'secret\n', { mode: 0o600 });
      const link = join(dir, 'link.img');
      await symlink(target, link);
      const before = await fingerprint(target);
      await createVms(ns, [hostDiskVm('link', link)]);
      const failed = await waitVmiPhase(ns, 'link', 'Failed');
      expect(failed.status?.reason).toBe(REASONS.hostPathNotAllowed);
      const message = `spec.volumes[0].hostDisk.path: ${link} (resolves to ${target}) is outside the node's host disk roots (/var/lib/tsvirt/disks); put the file under one of them (virt-handler --host-disk-root)`;
      expect(failed.status?.conditions?.find((c) => c.type === 'Ready')?.message).toBe(message);
      const events = await waitFor(
        async (seen) => {
          const list = await kubectlJson<{
            items: { reason: string; message: string; involvedObject: { name: string } }[];
          }>(['get', 'events', '-n', ns]);
          seen(list.items.map((e) => `${e.involvedObject.name}: ${e.reason}`));
          const mine = list.items.filter(
            (e) => e.involvedObject.name === 'link' && e.reason === REASONS.hostPathNotAllowed,
          );
          return mine.length > 0 ? mine : undefined;
        },
        { timeoutMs: 15_000, describe: 'a HostPathNotAllowed Event for link' },
      );
      expect(events[0]?.message).toBe(message);
      const describe = await kubectlVirt(['describe', 'link', '-n', ns]);
      expect(describe.stdout).toContain(`the VMI failed (HostPathNotAllowed): ${message}`);
      expect(await fingerprint(target)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    'with the HostDisk gate off: refuses a hostDisk at create, and a node refuses a VMI admitted before',
    async () => {
      await handler?.stop();
      handler = undefined;
      const disk = join(dir, 'ok.img');
      await writeFile(disk, Buffer.alloc(4096));
      const before = await fingerprint(disk);
      await createVms(ns, [hostDiskVm('admitted', disk)]);
      await waitFor(
        async (seen) => {
          const v = await kubectlJson<{ status?: { phase?: string } }>(['get', 'vmi', 'admitted', '-n', ns]).catch(
            () => undefined,
          );
          seen(v?.status);
          return v?.status?.phase === 'Scheduled' ? v : undefined;
        },
        { timeoutMs: 30_000, describe: 'VMI admitted to be Scheduled (no handler runs)' },
      );
      await setGates('');
      // The policy reads its params from an informer: wait until it sees the gate off.
      const refused = await waitFor(
        async (seen) => {
          const r = await kubectlVirt(
            ['create', '--dry-run=server', '-f', '-', '-n', ns],
            JSON.stringify(hostDiskVm('gated', disk)),
          );
          seen(r.stderr.trim());
          return r.code === 1 && r.stderr.includes('feature gate HostDisk') ? r : undefined;
        },
        { timeoutMs: 15_000, describe: 'the admission policy to refuse a hostDisk with the gate off' },
      );
      expect(refused.stderr).toContain(
        '  spec.template.spec.volumes[0].hostDisk: hostDisk volumes are off in this cluster (feature gate HostDisk); use an emptyDisk volume, or ask the cluster admin to add HostDisk to featureGates in ConfigMap tsvirt-system/tsvirt-config',
      );
      handler = await startHandler({ node: NODE });
      const failed = await waitVmiPhase(ns, 'admitted', 'Failed');
      expect(failed.status?.reason).toBe(REASONS.hostPathNotAllowed);
      expect(failed.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain('feature gate HostDisk');
      expect(await fingerprint(disk)).toEqual(before);
      // A VM that was admitted can still be deleted with the gate off: metadata writes are not checked.
      await kubectl(['delete', 'vm', 'admitted', '-n', ns, '--timeout=60s']);
    },
    TIMEOUT,
  );
});
