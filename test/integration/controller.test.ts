// virt-controller against the real control plane and node agents: every run strategy from VM to
// Scheduled and to the launcher Pod's end, start/stop/restart requests, deletion, and a VM too big
// for any node. There is no virt-handler here, so no VMI reaches Running; the launcher Pod runs
// TEST_LAUNCHER_COMMAND, whose outcome the VM's name picks (fail-* exits 1, done-* exits 0).
import { FINALIZERS, GROUP, LABELS, LAUNCHER_IMAGE, VM_KIND, VM_PLURAL, VMI_NODE_FIELD } from '../../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import {
  applyObjects,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  kubectlJson,
  waitFor,
  type ComponentHandle,
} from '../harness/index.js';
import {
  getVm,
  getVmi,
  launcherPods,
  listVmis,
  requestStateChange,
  setRunStrategy,
  startController,
  testVm,
  deleteVmsAndWait,
} from './controller-vms.js';

const TEST_TIMEOUT_MS = 90_000;

let ns: string;
let controller: ComponentHandle;

beforeAll(async () => {
  ns = await createTestNamespace('controller');
  controller = await startController();
  await controller.waitForLog(/Started reconciling/, 60_000);
}, 90_000);

afterAll(async () => {
  await deleteVmsAndWait(ns);
  await controller.stop();
  await deleteTestNamespace(ns);
}, 90_000);

const phaseOf = (vmi: VirtualMachineInstance | undefined): string => vmi?.status?.phase ?? '(none)';

async function vmiIn(name: string, phases: readonly string[], timeoutMs = 30_000): Promise<VirtualMachineInstance> {
  return waitFor(
    async (seen) => {
      const vmi = await getVmi(ns, name);
      seen({ phase: phaseOf(vmi), status: vmi?.status });
      return vmi !== undefined && phases.includes(phaseOf(vmi)) ? vmi : undefined;
    },
    { timeoutMs, describe: `VMI ${name} in ${phases.join('|')}` },
  );
}

async function vmStatus(name: string, printable: string, timeoutMs = 30_000): Promise<VirtualMachine> {
  return waitFor(
    async (seen) => {
      const vm = await getVm(ns, name);
      seen(vm?.status);
      return vm?.status?.printableStatus === printable ? vm : undefined;
    },
    { timeoutMs, describe: `VM ${name} to be ${printable}` },
  );
}

async function noVmi(name: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async (seen) => {
      const vmi = await getVmi(ns, name);
      seen(vmi?.status ?? '(gone)');
      return vmi === undefined;
    },
    { timeoutMs, describe: `VMI ${name} to be gone` },
  );
}

/** The VM once its crash-loop record counts `n` failures. */
async function failures(name: string, n: number): Promise<VirtualMachine> {
  return waitFor(
    async (seen) => {
      const v = await getVm(ns, name);
      seen(v?.status);
      return v?.status?.startFailure?.consecutiveFailCount === n ? v : undefined;
    },
    { timeoutMs: 40_000, describe: `${name}'s failure number ${n} counted` },
  );
}

/** A VMI other than `uid` under this name, in one of `phases`. */
async function successor(
  name: string,
  uid: string | undefined,
  phases: readonly string[],
  timeoutMs: number,
): Promise<VirtualMachineInstance> {
  return waitFor(
    async (seen) => {
      const vmi = await getVmi(ns, name);
      seen({ uid: vmi?.metadata.uid, phase: phaseOf(vmi) });
      return vmi !== undefined && vmi.metadata.uid !== uid && phases.includes(phaseOf(vmi)) ? vmi : undefined;
    },
    { timeoutMs, describe: `a new VMI ${name} (not ${uid ?? ''}) in ${phases.join('|')}` },
  );
}

describe('virt-controller run strategies', () => {
  it(
    'Always: creates a VMI owned by the VM and a launcher Pod sized for it, and schedules it',
    async () => {
      await applyObjects([testVm('always', 'Always')], ns);
      const vmi = await vmiIn('always', ['Scheduled']);
      // A handler finds its node's VMIs by the selectable field status.nodeName, in the same write
      // as Scheduled: the API server itself answers the selection.
      const onNode = await kubectlJson<{ items: VirtualMachineInstance[] }>([
        'get',
        'vmis',
        '-n',
        ns,
        '--field-selector',
        `${VMI_NODE_FIELD}=${vmi.status?.nodeName ?? ''}`,
      ]);
      expect(onNode.items.map((i) => i.metadata.name)).toContain('always');
      const vm = await vmStatus('always', 'Starting');
      expect(vmi.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: VM_KIND, name: 'always', uid: vm.metadata.uid, controller: true }),
      ]);
      expect(vmi.metadata.finalizers).toContain(FINALIZERS.vmiCleanup);
      expect(vmi.metadata.labels).toMatchObject({ app: 'always' });
      const pods = await launcherPods(ns, vmi.metadata.uid);
      expect(pods).toHaveLength(1);
      const pod = pods[0];
      expect(pod?.spec?.nodeName).toBe(vmi.status?.nodeName);
      expect(pod?.spec?.containers[0]?.image).toBe(LAUNCHER_IMAGE);
      expect(pod?.spec?.containers[0]?.resources?.requests).toEqual({
        cpu: '20m',
        memory: expect.any(String) as unknown,
      });
      // Memory is limited at its request; CPU is not limited unless the VM sets limits.cpu (KubeVirt's sizing).
      expect(pod?.spec?.containers[0]?.resources?.limits).toEqual({
        memory: pod?.spec?.containers[0]?.resources?.requests?.['memory'],
      });
      expect(vm.status).toMatchObject({ created: true, ready: false, observedGeneration: 1 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'Always: a failing VMI is replaced after the crash-loop back-off, shown as CrashLoopBackOff',
    async () => {
      await applyObjects([testVm('fail-always', 'Always')], ns);
      // Each failed VMI lives about a second; the VM's crash-loop record is what stays readable.
      const once = await failures('fail-always', 1);
      expect(once.status?.printableStatus).toBe('CrashLoopBackOff');
      const twice = await failures('fail-always', 2);
      expect(twice.status?.startFailure?.lastFailedVMIUID).not.toBe(once.status?.startFailure?.lastFailedVMIUID);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'RerunOnFailure: recreates a VMI whose Pod exited 1, backing off 10 s then 20 s',
    async () => {
      await applyObjects([testVm('fail-rerun', 'RerunOnFailure')], ns);
      const once = await failures('fail-rerun', 1);
      const twice = await failures('fail-rerun', 2);
      const counted = Date.now();
      expect(twice.status?.startFailure?.lastFailedVMIUID).not.toBe(once.status?.startFailure?.lastFailedVMIUID);
      expect(twice.status?.printableStatus).toBe('CrashLoopBackOff');
      const retryIn = Date.parse(twice.status?.startFailure?.retryAfterTimestamp ?? '') - counted;
      expect(retryIn).toBeGreaterThan(15_000);
      expect(retryIn).toBeLessThanOrEqual(21_000);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'RerunOnFailure: a VMI that succeeded is removed and not started again',
    async () => {
      await applyObjects([testVm('done-rerun', 'RerunOnFailure')], ns);
      // The VMI lives about a second; the Event the controller recorded when it removed the finished
      // VMI, and the VM's status after, are what stay readable.
      await waitFor(
        async (seen) => {
          const events = await kubectl([
            'get',
            'events',
            '-n',
            ns,
            '--field-selector',
            'involvedObject.name=done-rerun',
            '-o',
            'jsonpath={.items[*].message}',
          ]);
          seen(events.stdout);
          return /deleting the virtual machine instance .* \(Finished\)/.test(events.stdout);
        },
        { timeoutMs: 30_000, describe: 'the finished VMI of done-rerun to be removed' },
      );
      await noVmi('done-rerun');
      const vm = await vmStatus('done-rerun', 'Stopped');
      // What tells the controller not to start it: the strategy recorded, no Start request queued.
      expect(vm.status).toMatchObject({ runStrategy: 'RerunOnFailure', created: false });
      expect(vm.status?.startFailure).toBeUndefined();
      expect(vm.status?.stateChangeRequests ?? []).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'Once: runs one VMI and keeps it when it ends',
    async () => {
      await applyObjects([testVm('done-once', 'Once')], ns);
      const vmi = await vmiIn('done-once', ['Succeeded']);
      await vmStatus('done-once', 'Stopped');
      expect((await getVmi(ns, 'done-once'))?.metadata.uid).toBe(vmi.metadata.uid);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'Halted: no VMI until started by setting runStrategy, none again when set back',
    async () => {
      await applyObjects([testVm('halted', 'Halted')], ns);
      await vmStatus('halted', 'Stopped');
      expect(await getVmi(ns, 'halted')).toBeUndefined();
      await setRunStrategy(ns, 'halted', 'Always');
      const vmi = await vmiIn('halted', ['Scheduled']);
      await setRunStrategy(ns, 'halted', 'Halted');
      await noVmi('halted');
      await vmStatus('halted', 'Stopped');
      await waitFor(async () => (await launcherPods(ns, vmi.metadata.uid)).length === 0, {
        timeoutMs: 30_000,
        describe: 'the launcher Pod to be gone',
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'Manual: starts and stops only on state-change requests, and consumes them',
    async () => {
      await applyObjects([testVm('manual', 'Manual')], ns);
      await vmStatus('manual', 'Stopped');
      expect(await getVmi(ns, 'manual')).toBeUndefined();
      await requestStateChange(ns, 'manual', [{ action: 'Start' }]);
      const vmi = await vmiIn('manual', ['Scheduled']);
      await waitFor(async () => ((await getVm(ns, 'manual'))?.status?.stateChangeRequests ?? []).length === 0, {
        timeoutMs: 15_000,
        describe: 'the Start request to be consumed',
      });
      await requestStateChange(ns, 'manual', [{ action: 'Stop', uid: vmi.metadata.uid }]);
      await noVmi('manual');
      const vm = await vmStatus('manual', 'Stopped');
      expect(vm.status?.stateChangeRequests ?? []).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'restart: [Stop uid, Start] replaces the VMI with a new one',
    async () => {
      await applyObjects([testVm('restart', 'Always')], ns);
      const first = await vmiIn('restart', ['Scheduled']);
      await requestStateChange(ns, 'restart', [{ action: 'Stop', uid: first.metadata.uid }, { action: 'Start' }]);
      const second = await successor('restart', first.metadata.uid, ['Scheduled'], 30_000);
      expect(second.metadata.uid).not.toBe(first.metadata.uid);
      await waitFor(async () => ((await getVm(ns, 'restart'))?.status?.stateChangeRequests ?? []).length === 0, {
        timeoutMs: 15_000,
        describe: 'the restart requests to be consumed',
      });
      expect(await launcherPods(ns, first.metadata.uid)).toHaveLength(0);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('virt-controller deletion and scheduling', () => {
  it(
    'deleting a VM removes its VMI and launcher Pod (owner references and the cleanup finalizer)',
    async () => {
      await applyObjects([testVm('doomed', 'Always')], ns);
      const vmi = await vmiIn('doomed', ['Scheduled']);
      await kubectl(['delete', `${VM_PLURAL}.${GROUP}`, 'doomed', '-n', ns, '--wait=false']);
      await noVmi('doomed', 60_000);
      await waitFor(async () => (await launcherPods(ns, vmi.metadata.uid)).length === 0, {
        timeoutMs: 30_000,
        describe: 'the launcher Pod to be gone',
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'sizes launcher Pods by vCPUs / cpuAllocationRatio: ten 2-vCPU VMs fit on two 2-CPU nodes, and a new ratio sizes the next Pod',
    async () => {
      // At a whole CPU per vCPU only two of these would fit; KubeVirt's ratio 10 asks 200m each.
      const names = Array.from({ length: 10 }, (_, i) => `ratio-${i}`);
      await applyObjects(
        names.map((n) => testVm(n, 'Always', 2)),
        ns,
      );
      for (const n of names) await vmiIn(n, ['Scheduled']);
      const first = (await launcherPods(ns, (await getVmi(ns, 'ratio-0'))?.metadata.uid))[0];
      expect(first?.spec?.containers[0]?.resources?.requests?.['cpu']).toBe('210m');

      const config = ['-n', 'tsvirt-system', 'configmap', 'tsvirt-config'];
      const before = (await kubectl(['get', ...config, '-o', 'jsonpath={.data.cpuAllocationRatio}'])).stdout;
      await kubectl(['patch', ...config, '--type=merge', '-p', JSON.stringify({ data: { cpuAllocationRatio: '2' } })]);
      try {
        await applyObjects([testVm('ratio-two', 'Always', 2)], ns);
        const vmi = await vmiIn('ratio-two', ['Scheduling', 'Scheduled']);
        const pod = await waitFor(async () => (await launcherPods(ns, vmi.metadata.uid))[0], {
          timeoutMs: 30_000,
          describe: 'the launcher Pod of ratio-two',
        });
        // 2 vCPUs / 2 + the launcher's 10m. The ConfigMap's watch event reaches the controller in
        // milliseconds, while VM → VMI → Pod takes two reconciles and their writes.
        expect(pod.spec?.containers[0]?.resources?.requests?.['cpu']).toBe('1010m');
      } finally {
        const restore = before === '' ? null : before;
        await kubectl([
          'patch',
          ...config,
          '--type=merge',
          '-p',
          JSON.stringify({ data: { cpuAllocationRatio: restore } }),
        ]);
        await kubectl(['delete', `${VM_PLURAL}.${GROUP}`, ...names, 'ratio-two', '-n', ns, '--wait=false']);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a VM asking for 64 CPUs shows ErrorUnschedulable with the scheduler's message",
    async () => {
      await applyObjects([testVm('huge', 'Always', 64)], ns);
      const vm = await vmStatus('huge', 'ErrorUnschedulable');
      const cond = vm.status?.conditions?.find((c) => c.type === 'PodScheduled');
      expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
      expect(cond?.message).toMatch(/Insufficient cpu/);
      expect(phaseOf(await getVmi(ns, 'huge'))).toBe('Scheduling');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'never made two VMIs for one VM, nor two launcher Pods for one VMI',
    async () => {
      const vmis = await listVmis(ns);
      const pods = await launcherPods(ns);
      const live = pods.filter(
        (p) => p.metadata?.deletionTimestamp === undefined && !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
      );
      const perVmi = new Map<string, number>();
      for (const p of live) {
        const uid = p.metadata?.labels?.[LABELS.createdBy] ?? '';
        perVmi.set(uid, (perVmi.get(uid) ?? 0) + 1);
      }
      expect([...perVmi.values()].every((n) => n === 1)).toBe(true);
      expect(new Set(vmis.map((v) => v.metadata.name)).size).toBe(vmis.length);
    },
    TEST_TIMEOUT_MS,
  );
});
