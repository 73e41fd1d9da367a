// virt-controller when processes die: a SIGKILL in the middle of creating VMIs and Pods must not
// leave two of anything, and of two replicas only the lease holder writes, the other taking over
// within 20 s of the holder's death.
import type { VirtualMachineInstance } from '../../api/types.js';
import {
  applyObjects,
  createTestNamespace,
  deleteTestNamespace,
  stopAllComponents,
  waitFor,
  type ComponentHandle,
} from '../harness/index.js';
import { deleteVmsAndWait, launcherPods, listVmis, startController, testVm } from './controller-vms.js';

const TEST_TIMEOUT_MS = 120_000;
let ns: string;

beforeAll(async () => {
  ns = await createTestNamespace('controller-resilience');
}, 60_000);

afterAll(async () => {
  await stopAllComponents();
  // A controller to remove the VMIs' finalizers while the VMs go.
  const cleaner = await startController();
  await deleteVmsAndWait(ns, 90_000);
  await cleaner.stop();
  await deleteTestNamespace(ns);
}, 150_000);

async function allScheduled(names: readonly string[], timeoutMs: number): Promise<VirtualMachineInstance[]> {
  return waitFor(
    async (seen) => {
      const vmis = (await listVmis(ns)).filter((v) => names.includes(v.metadata.name ?? ''));
      const scheduled = vmis.filter((v) => v.status?.phase === 'Scheduled');
      seen({ vmis: vmis.length, scheduled: scheduled.length });
      return scheduled.length === names.length ? scheduled : undefined;
    },
    { timeoutMs, describe: `${names.length} VMIs Scheduled` },
  );
}

/** The metrics port a controller logged at start. */
function metricsPort(c: ComponentHandle): number {
  const m = /"metricsPort":(\d+)/.exec(c.logs());
  if (m === null) throw new Error(`no metrics port in the logs of ${c.name}`);
  return Number(m[1]);
}

/** Writes a controller made to VMs, VMIs and Pods, from its own /metrics. */
async function objectWrites(c: ComponentHandle): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort(c)}/metrics`)).text();
  return text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('tsvirt_controller_api_writes_total{') &&
        /resource="(virtualmachines|virtualmachineinstances|pods)"/.test(l),
    )
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('virt-controller resilience', () => {
  it(
    'SIGKILLed while creating VMIs and Pods and restarted: one VMI per VM, one Pod per VMI, all Scheduled',
    async () => {
      const first = await startController();
      await first.waitForLog(/Started reconciling/, 60_000);
      const names = Array.from({ length: 30 }, (_, i) => `kill-${i}`);
      await applyObjects(
        names.map((n) => testVm(n, 'Always')),
        ns,
      );
      await first.waitForLog(/Created virt-launcher Pod/, 30_000);
      first.kill('SIGKILL');
      await first.exited;
      // The dead replica's lease has to run out (15 s) before the new one may lead.
      const second = await startController();
      await second.waitForLog(/Started reconciling/, 60_000);
      const vmis = await allScheduled(names, 60_000);
      expect(vmis.map((v) => v.metadata.name).sort()).toEqual([...names].sort());
      const pods = await launcherPods(ns);
      for (const vmi of vmis) {
        expect(pods.filter((p) => p.metadata?.labels?.['tsvirt.io/created-by'] === vmi.metadata.uid)).toHaveLength(1);
      }
      expect(pods).toHaveLength(vmis.length);
      await second.stop();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'two replicas: only the lease holder writes; the other takes over within 20 s of its death',
    async () => {
      const a = await startController();
      await a.waitForLog(/Started reconciling/, 60_000);
      const b = await startController();
      await b.waitForLog(/Synced caches/, 30_000);
      const names = ['pair-0', 'pair-1', 'pair-2'];
      await applyObjects(
        names.map((n) => testVm(n, 'Always')),
        ns,
      );
      await allScheduled(names, 30_000);
      expect(await objectWrites(a)).toBeGreaterThan(0);
      expect(await objectWrites(b)).toBe(0);
      expect(b.logs()).not.toMatch(/Started reconciling/);

      a.kill('SIGKILL');
      await a.exited;
      const killedAt = Date.now();
      await b.waitForLog(/Started reconciling/, 25_000);
      expect(Date.now() - killedAt).toBeLessThan(20_000);
      await applyObjects([testVm('pair-late', 'Always')], ns);
      await allScheduled(['pair-late'], 30_000);
      expect(await objectWrites(b)).toBeGreaterThan(0);
      await b.stop();
    },
    TEST_TIMEOUT_MS,
  );
});
