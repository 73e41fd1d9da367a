// virt-handler with virt-controller and the node agents on the real control plane, libvirt's
// test:///default driver on node-1: VMs reach Running under every run strategy and stop cleanly,
// a dead launcher stops its domain and fails its VMI, a VMI the node cannot run fails once with
// the cause.
import { vmiEmulation } from '../../api/conditions.js';
import { CONDITION_TYPES, REASONS } from '../../api/names.js';
import type { ComponentHandle } from '../harness/index.js';
import { createTestNamespace, deleteTestNamespace, kubectlJson, stopAllComponents, waitFor } from '../harness/index.js';
import {
  createVms,
  deleteAllVms,
  getVmi,
  launcherPid,
  patchVm,
  startController,
  startHandler,
  vmManifest,
  waitVmStatus,
  waitVmiPhase,
} from './handler-stack.js';

const NODE = 'node-1';
// The project's testTimeout does not reach tests in a multi-project config; each test says its own.
const TIMEOUT = 60_000;

describe('virt-handler on the test driver', () => {
  let ns: string;
  let handler: ComponentHandle;

  beforeAll(async () => {
    ns = await createTestNamespace('handler');
    await startController();
    handler = await startHandler({ node: NODE });
  }, 60_000);

  afterAll(async () => {
    await deleteAllVms(ns);
    await stopAllComponents();
    await deleteTestNamespace(ns);
  }, 60_000);

  it(
    'runs a VM: VMI Running with Ready and SoftwareEmulation, then stops it: VM Stopped, VMI gone',
    async () => {
      await createVms(ns, [vmManifest('web', { node: NODE })]);
      const vmi = await waitVmiPhase(ns, 'web', 'Running');
      expect(vmi.status?.nodeName).toBe(NODE);
      expect(vmi.status?.conditions?.find((c) => c.type === CONDITION_TYPES.ready)).toMatchObject({
        status: 'True',
        reason: REASONS.domainRunning,
      });
      expect(vmi.status?.conditions?.find((c) => c.type === CONDITION_TYPES.softwareEmulation)).toMatchObject({
        status: 'True',
      });
      // The emulation is in that condition alone: no second write of an annotation per start.
      expect(vmiEmulation(vmi.status?.conditions)).toBe('qemu');
      expect(vmi.metadata.annotations?.['tsvirt.io/emulation']).toBeUndefined();
      expect(vmi.status?.phaseTransitionTimestamps?.map((t) => t.phase)).toContain('Running');
      await waitVmStatus(ns, 'web', 'Running');

      await patchVm(ns, 'web', { spec: { runStrategy: 'Halted' } });
      await waitVmStatus(ns, 'web', 'Stopped');
      await waitFor(
        async (seen) => {
          const v = await getVmi(ns, 'web');
          seen(v?.status);
          return v === undefined;
        },
        { timeoutMs: 30_000, describe: 'the stopped VM’s VMI to be gone' },
      );
      expect(handler.logs()).toMatch(
        /"name":"web"[^\n]*Sent the domain an ACPI shutdown|Sent the domain an ACPI shutdown[^\n]*"name":"web"/,
      );
    },
    TIMEOUT,
  );

  it.each([
    ['Always', 'always'],
    ['RerunOnFailure', 'rerun'],
    ['Once', 'once'],
  ] as const)(
    'brings a VM with runStrategy %s to Running',
    async (runStrategy, name) => {
      await createVms(ns, [vmManifest(name, { node: NODE, runStrategy })]);
      await waitVmiPhase(ns, name, 'Running');
      await waitVmStatus(ns, name, 'Running');
    },
    TIMEOUT,
  );

  it(
    'brings a Halted VM to Running when started, and a Manual VM on a Start request',
    async () => {
      await createVms(ns, [
        vmManifest('halted', { node: NODE, runStrategy: 'Halted' }),
        vmManifest('manual', { node: NODE, runStrategy: 'Manual' }),
      ]);
      await waitVmStatus(ns, 'halted', 'Stopped');
      await patchVm(ns, 'halted', { spec: { runStrategy: 'Always' } });
      await waitVmiPhase(ns, 'halted', 'Running');
      await patchVm(ns, 'manual', { status: { stateChangeRequests: [{ action: 'Start' }] } }, 'status');
      await waitVmiPhase(ns, 'manual', 'Running');
    },
    TIMEOUT,
  );

  it(
    'stops the domain and fails the VMI when its launcher is killed; the Pod tells the truth',
    async () => {
      await createVms(ns, [vmManifest('victim', { node: NODE, runStrategy: 'Once' })]);
      const vmi = await waitVmiPhase(ns, 'victim', 'Running');
      const podName = vmi.status?.launcherPodName ?? '';
      const pod = await kubectlJson<{ metadata: { uid: string } }>(['get', 'pod', podName, '-n', ns]);
      process.kill(await launcherPid(NODE, pod.metadata.uid), 'SIGKILL');
      const failed = await waitVmiPhase(ns, 'victim', 'Failed');
      expect([REASONS.launcherExited, REASONS.podFailed]).toContain(failed.status?.reason);
      // Whoever sees it first — the handler (launcher gone: destroy) or the controller (Pod failed:
      // the handler then stops the final VMI's domain) — the domain ends and is undefined.
      await handler.waitForLog(/"name":"victim"[^\n]*Undefined the domain/);
      const podAfter = await waitFor(
        async (seen) => {
          const p = await kubectlJson<{ status?: { phase?: string } }>(['get', 'pod', podName, '-n', ns]).catch(
            () => undefined,
          );
          seen(p?.status);
          return p === undefined || p.status?.phase === 'Failed' ? (p ?? 'gone') : undefined;
        },
        { timeoutMs: 30_000, describe: 'the launcher Pod to be Failed (or gone)' },
      );
      expect(podAfter).toBeDefined();
    },
    TIMEOUT,
  );

  it(
    'fails a VMI whose host disk does not exist on the node, once, with the field, and an Event',
    async () => {
      const spec = {
        domain: {
          memory: { guest: '32Mi' },
          resources: { requests: { cpu: '10m' } },
          devices: { disks: [{ name: 'root' }] },
        },
        volumes: [
          {
            name: 'root',
            hostDisk: { path: '/var/lib/tsvirt/disks/nonexistent-tsvirt/root.img', type: 'Disk' as const },
          },
        ],
      };
      await createVms(ns, [vmManifest('nodisk', { node: NODE, runStrategy: 'Once', spec })]);
      const failed = await waitVmiPhase(ns, 'nodisk', 'Failed');
      expect(failed.status?.reason).toBe(REASONS.failedDefine);
      expect(failed.status?.conditions?.find((c) => c.type === CONDITION_TYPES.ready)?.message).toBe(
        `spec.volumes[0].hostDisk.path: /var/lib/tsvirt/disks/nonexistent-tsvirt/root.img does not exist on node ${NODE}`,
      );
      const events = await waitFor(
        async (seen) => {
          const list = await kubectlJson<{
            items: { reason: string; message: string; involvedObject: { name: string } }[];
          }>(['get', 'events', '-n', ns]);
          const mine = list.items.filter(
            (e) => e.involvedObject.name === 'nodisk' && e.reason === REASONS.failedDefine,
          );
          seen(list.items.map((e) => `${e.involvedObject.name}: ${e.reason}`));
          return mine.length > 0 ? mine : undefined;
        },
        { timeoutMs: 15_000, describe: 'a FailedDefine Event for nodisk' },
      );
      expect(events[0]?.message).toContain('/var/lib/tsvirt/disks/nonexistent-tsvirt/root.img does not exist');
      // No hot retry loop: one attempt, logged once.
      expect(handler.logs().match(/"name":"nodisk"[^\n]*Could not start the domain/g)).toHaveLength(1);
    },
    TIMEOUT,
  );
});
