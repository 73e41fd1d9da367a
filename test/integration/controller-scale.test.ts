// virt-controller at a hundred VMs: all created at once reach Scheduled, and once they have, the
// cluster is quiet: no write to VMs, VMIs, Pods or Events for 30 s, counted by the API server's
// own apiserver_request_total (not by the controller's word).
import { setTimeout as delay } from 'node:timers/promises';
import {
  applyObjects,
  createTestNamespace,
  deleteTestNamespace,
  kubectlJson,
  waitFor,
  type ComponentHandle,
} from '../harness/index.js';
import { GROUP, VM_PLURAL, VMI_PLURAL } from '../../api/names.js';
import type { Pod } from '../../kube/core.js';
import {
  apiServerWrites,
  deleteVmsAndWait,
  listVmis,
  listVms,
  startController,
  sum,
  testVm,
} from './controller-vms.js';

const WATCHED = ['virtualmachines', 'virtualmachineinstances', 'pods', 'events'];
const IDLE_WINDOW_MS = 30_000;
let ns: string;
let controller: ComponentHandle;

beforeAll(async () => {
  ns = await createTestNamespace('controller-scale');
  controller = await startController();
  await controller.waitForLog(/Started reconciling/, 60_000);
}, 90_000);

afterAll(async () => {
  await deleteVmsAndWait(ns);
  await controller.stop();
  await deleteTestNamespace(ns);
}, 150_000);

describe('virt-controller with 100 VMs', () => {
  const names = Array.from({ length: 100 }, (_, i) => `vm-${String(i).padStart(3, '0')}`);

  it('schedules 100 VMs created at once', async () => {
    await applyObjects(
      names.map((n) => testVm(n, 'Always')),
      ns,
    );
    await waitFor(
      async (seen) => {
        const scheduled = (await listVmis(ns)).filter((v) => v.status?.phase === 'Scheduled').length;
        seen({ scheduled });
        return scheduled === names.length;
      },
      { timeoutMs: 120_000, describe: '100 VMIs Scheduled' },
    );
  }, 150_000);

  it('writes nothing to VMs, VMIs, Pods or Events for 30 s once they are settled', async () => {
    // Settled: every VM says Starting, every launcher Pod runs (the node agents have reported), and
    // no other test's VMs or Pods are still going away (the counters cannot tell namespaces apart).
    await waitFor(
      async (seen) => {
        const vms = (await listVms(ns)).filter((v) => v.status?.printableStatus === 'Starting').length;
        const pods = (await kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', ns])).items.filter(
          (p) => p.status?.phase === 'Running',
        ).length;
        type Obj = {
          kind?: string;
          metadata: { namespace?: string; name?: string; deletionTimestamp?: string };
          status?: { phase?: string };
        };
        const all = await kubectlJson<{ items: Obj[] }>([
          'get',
          `${VM_PLURAL}.${GROUP},${VMI_PLURAL}.${GROUP},pods`,
          '-A',
        ]);
        // Pods of other tests that neither come nor go write nothing; ones still changing do.
        const changing = (o: Obj): boolean =>
          o.kind !== 'Pod' || o.metadata.deletionTimestamp !== undefined || o.status?.phase === 'Pending';
        const elsewhere = all.items
          .filter((o) => o.metadata.namespace !== ns && changing(o))
          .map((o) => `${o.kind ?? ''} ${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`);
        seen({ vmsStarting: vms, podsRunning: pods, elsewhere });
        return vms === names.length && pods === names.length && elsewhere.length === 0;
      },
      { timeoutMs: 90_000, describe: 'all VMs Starting, all launcher Pods Running, nothing else left' },
    );
    // The last settling writes (a node agent's final Pod report, the status and Events that follow
    // it) can land just after the check above: start the window once 5 s passed with no write. A
    // periodic write or a hot loop still shows within the 30 s that follow.
    let quiet = { counts: await apiServerWrites(WATCHED), since: Date.now() };
    await waitFor(
      async (seen) => {
        const counts = await apiServerWrites(WATCHED);
        if (WATCHED.some((r) => counts[r] !== quiet.counts[r])) quiet = { counts, since: Date.now() };
        seen({ quietForMs: Date.now() - quiet.since, counts });
        return Date.now() - quiet.since >= 5_000;
      },
      { timeoutMs: 60_000, describe: '5 s with no write to VMs, VMIs, Pods or Events' },
    );
    const before = quiet.counts;
    const start = Date.now();
    // A window to measure, not a wait for something: a write fails the test at once.
    while (Date.now() - start < IDLE_WINDOW_MS) {
      await delay(2_000);
      const now = await apiServerWrites(WATCHED);
      const grew = WATCHED.filter((r) => (now[r] ?? 0) !== (before[r] ?? 0));
      expect({ writesDuringIdle: Object.fromEntries(grew.map((r) => [r, (now[r] ?? 0) - (before[r] ?? 0)])) }).toEqual({
        writesDuringIdle: {},
      });
    }
    expect(sum(await apiServerWrites(WATCHED), WATCHED) - sum(before, WATCHED)).toBe(0);
  }, 200_000);
});
