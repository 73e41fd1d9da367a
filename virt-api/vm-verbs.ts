/**
 * PUT virtualmachines/{name}/start|stop|restart: read the VM and its VMI, decide the single write
 * the controller understands (api/state-change-plan.ts, as KubeVirt's virt-api does), send it.
 * `stop` with a gracePeriod shortens the running VMI's grace period first, as KubeVirt's does.
 */
import { COMPONENTS, GROUP, VM_PLURAL } from '../api/names.js';
import { planRestart, planStart, planStop, type StatePlan } from '../api/state-change-plan.js';
import { isDryRun, type StopOptions, type VmVerb } from '../api/subresources.js';
import type { VirtualMachine, VirtualMachineInstance } from '../api/types.js';
import { isNotFound } from '../kube/errors.js';
import type { VirtualMachineClient, VirtualMachineInstanceClient } from '../kube/tsvirt.js';

/** What virt-api answers: a status code and a sentence. */
export type Answer = Readonly<{ code: number; message: string }>;

function planFor(
  verb: VmVerb,
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  opts: StopOptions,
): StatePlan {
  switch (verb) {
    case 'start':
      return planStart(vm, vmi);
    case 'stop':
      return planStop(vm, vmi, opts.gracePeriod !== undefined);
    case 'restart':
      return planRestart(vm, vmi);
    default:
      return verb satisfies never;
  }
}

/** The VMI's grace period, shortened before the stop; a VMI already gone has nothing to shorten. */
async function shortenGracePeriod(
  vmis: VirtualMachineInstanceClient,
  ref: Readonly<{ namespace: string; name: string }>,
  seconds: number,
  write: Readonly<{ fieldManager: string; dryRun: boolean }>,
): Promise<void> {
  try {
    await vmis.patch(ref, { type: 'merge', patch: { spec: { terminationGracePeriodSeconds: seconds } } }, write);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

const PAST: Readonly<Record<VmVerb, string>> = { start: 'start', stop: 'stop', restart: 'restart' };

/** Runs one verb. Throws KubeApiError when the API server refuses a read or the write. */
export async function runVmVerb(
  clients: Readonly<{ vms: VirtualMachineClient; vmis: VirtualMachineInstanceClient }>,
  target: Readonly<{ namespace: string; name: string; verb: VmVerb }>,
  opts: StopOptions,
): Promise<Answer> {
  const ref = { namespace: target.namespace, name: target.name };
  const [vm, vmi] = await Promise.all([clients.vms.find(ref), clients.vmis.find(ref)]);
  if (vm === undefined) return { code: 404, message: `${VM_PLURAL}.${GROUP} "${target.name}" not found` };
  const plan = planFor(target.verb, vm, vmi, opts);
  if (plan.kind === 'refuse') return { code: 409, message: plan.message };
  const write = { fieldManager: COMPONENTS.api, dryRun: isDryRun(opts) };
  if (target.verb === 'stop' && opts.gracePeriod !== undefined && vmi !== undefined)
    await shortenGracePeriod(clients.vmis, ref, opts.gracePeriod, write);
  const body = { type: 'json' as const, ops: plan.ops };
  if (plan.status) await clients.vms.patchStatus(ref, body, write);
  else await clients.vms.patch(ref, body, write);
  const dry = write.dryRun ? ' (dry run)' : '';
  return { code: 202, message: `VM ${target.name} was scheduled to ${PAST[target.verb]}${dry}` };
}
