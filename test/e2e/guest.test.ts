// The tiny guest (a Debian cloud kernel and a busybox initramfs) under a real libvirtd and QEMU on
// node-1, driven through `kubectl virt` as a kubectl plugin: it boots, answers the ACPI power
// button, and survives a killed QEMU (a new VMI), a libvirtd restart and a virt-handler restart.
import { join } from 'node:path';
import { REASONS } from '../../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectlJson,
  stopAllComponents,
  waitFor,
  type ComponentHandle,
} from '../harness/index.js';
import {
  VM,
  domainOf,
  libvirtd,
  qemuProcesses,
  startAndBoot,
  startController,
  startHandler,
  virt,
  waitForMarker,
  watchVmi,
} from './guest-stack.js';
import { startVirtApi, type VirtApi } from '../harness/virt-api.js';

const EXAMPLE = (): string => join(clusterFromEnv().repoRoot, 'examples', 'vm-tiny-guest.yaml');

describe('the tiny guest through kubectl virt on a real libvirtd', () => {
  let ns: string;
  let handler: ComponentHandle;

  const vm = (): Promise<VirtualMachine> => kubectlJson<VirtualMachine>(['get', 'vm', VM, '-n', ns]);
  const vmi = (): Promise<VirtualMachineInstance> => kubectlJson<VirtualMachineInstance>(['get', 'vmi', VM, '-n', ns]);
  const noQemuLeft = (): Promise<boolean> =>
    waitFor(
      async (seen) => {
        const pids = await qemuProcesses(domainOf(ns));
        seen(pids);
        return pids.length === 0;
      },
      { timeoutMs: 10_000, describe: `no QEMU left for ${domainOf(ns)}` },
    );

  /** stop --wait: the guest powers itself off on ACPI, the VMI ends Succeeded, the VM is Stopped, QEMU is gone. */
  const stopCleanly = async (): Promise<void> => {
    const watch = watchVmi(ns, VM);
    try {
      await virt(['stop', VM, '-n', ns, '--wait']);
      await waitFor(() => watch.seen().some((r) => r.phase === 'Succeeded'), {
        timeoutMs: 10_000,
        describe: 'the VMI to pass through Succeeded',
      }).catch((err: unknown) => {
        throw new Error(`${String(err)}\nphases seen: ${JSON.stringify(watch.seen())}`);
      });
    } finally {
      watch.stop();
    }
    expect(watch.seen().some((r) => r.phase === 'Failed')).toBe(false);
    expect((await vm()).status?.printableStatus).toBe('Stopped');
    await noQemuLeft();
    const log = await libvirtd().virsh(['list', '--all', '--name']);
    expect(log.trim()).toBe('');
  };

  let api: VirtApi | undefined;

  beforeAll(async () => {
    ns = await createTestNamespace('e2e');
    await startController();
    handler = await startHandler();
    // start and stop go through virt-api's subresources.
    api = await startVirtApi();
    await virt(['create', '-f', EXAMPLE(), '-n', ns]);
  });

  afterAll(async () => {
    await virt(['delete', VM, '-n', ns]).catch(() => undefined);
    await waitFor(async () => (await qemuProcesses(domainOf(ns))).length === 0, {
      timeoutMs: 40_000,
      describe: 'the guest to be gone after delete',
    }).catch(() => undefined);
    await api?.unregister();
    await stopAllComponents();
    await deleteTestNamespace(ns);
  });

  it('boots to the marker within 15 s of start, and stop powers it off through ACPI', async () => {
    const { ms } = await startAndBoot(ns);
    expect(ms).toBeLessThan(15_000);
    expect((await vmi()).status?.phase).toBe('Running');
    expect(await qemuProcesses(domainOf(ns))).toHaveLength(1);
    await stopCleanly();
  });

  it('fails the VMI with a reason when QEMU is killed, and runStrategy Always boots a new one', async () => {
    await startAndBoot(ns);
    const first = await vmi();
    expect((await vm()).spec.runStrategy).toBe('Always');
    const [pid] = await qemuProcesses(domainOf(ns));
    const watch = watchVmi(ns, VM);
    try {
      process.kill(pid ?? 0, 'SIGKILL');
      const failed = await waitFor(
        () => watch.seen().find((r) => r.uid === first.metadata.uid && r.phase === 'Failed'),
        { timeoutMs: 15_000, describe: 'the first VMI to be Failed' },
      );
      expect(failed.reason).toBe(REASONS.domainCrashed);
      const next = await waitFor(
        async (seen) => {
          const v = await vmi().catch(() => undefined);
          seen(v?.status);
          return v !== undefined && v.metadata.uid !== first.metadata.uid && v.status?.phase === 'Running'
            ? v
            : undefined;
        },
        { timeoutMs: 30_000, describe: 'a new VMI to be Running' },
      );
      expect(next.metadata.uid).not.toBe(first.metadata.uid);
    } finally {
      watch.stop();
    }
    await waitForMarker(ns, 15_000);
    expect(await qemuProcesses(domainOf(ns))).toHaveLength(1);
    await stopCleanly();
  });

  it('keeps the guest running while libvirtd restarts, and the handler reconnects', async () => {
    await startAndBoot(ns);
    const before = await vmi();
    const pids = await qemuProcesses(domainOf(ns));
    const lvd = libvirtd();
    const libvirtdPid = lvd.pid();
    await lvd.restart();
    expect(lvd.pid()).not.toBe(libvirtdPid);
    // libvirtd took the running QEMU back: same process, still running.
    expect(await lvd.virsh(['domstate', domainOf(ns)])).toMatch(/running/);
    expect(await qemuProcesses(domainOf(ns))).toEqual(pids);
    // The handler's next polls go through a new connection and find the domain as it was.
    await waitFor(async () => (await lvd.virsh(['list', '--name'])).includes(domainOf(ns)), {
      timeoutMs: 5_000,
      describe: 'the domain listed by the new libvirtd',
    });
    const after = await vmi();
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.status?.phase).toBe('Running');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    // Only a handler that reconnected can send the ACPI shutdown that stop needs.
    await stopCleanly();
    expect(handler.logs()).not.toMatch(/"level":(50|60)/);
  });

  it('keeps the guest running while virt-handler restarts, with no second QEMU', async () => {
    await startAndBoot(ns);
    const before = await vmi();
    const pids = await qemuProcesses(domainOf(ns));
    handler.kill('SIGKILL');
    await handler.exited;
    handler = await startHandler();
    // The launcher reconnects to the new handler, which then has the VMI, its launcher and the domain.
    await handler.waitForLog(/Launcher connected/);
    expect(await qemuProcesses(domainOf(ns))).toEqual(pids);
    const after = await vmi();
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.status?.phase).toBe('Running');
    expect(handler.logs()).not.toMatch(/Defined and started the domain/);
    await stopCleanly();
  });
});
