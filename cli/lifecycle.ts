/**
 * start, stop and restart on each named or selected VM: read the VM and its VMI, decide the one
 * write (api/state-change-plan.ts), send it, and with --wait follow the VM until the state is reached.
 * A refusal for one VM does not stop the others; the exit code says whether all succeeded.
 */
import { VM_PLURAL, VMI_PLURAL } from '../api/names.js';
import type { LeanClient } from '../kube/lean-client.js';
import { findVmi, getVm, jsonPatch, listVms, mergePatch } from '../kube/lean-resources.js';
import { planRestart, planStart, planStop, type StatePlan } from '../api/state-change-plan.js';
import { checkVmGoal, type VmGoal } from './vm-waits.js';
import { waitUntil } from './wait-until.js';
import { formatDuration } from './duration.js';
import { reportError } from './errors.js';

export type Verb = 'start' | 'stop' | 'restart';

export interface LifecycleOptions {
  readonly verb: Verb;
  readonly namespace: string;
  readonly wait: boolean;
  readonly timeoutMs: number;
  /** stop --force --grace-period: the VMI's grace period is shortened first. */
  readonly gracePeriodSeconds?: number;
  readonly force?: boolean;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Progress lines, only when stderr is a terminal. */
  readonly progress?: (line: string) => void;
}

const PAST: Readonly<Record<Verb, string>> = { start: 'start', stop: 'stop', restart: 'restart' };
const ING: Readonly<Record<Verb, string>> = { start: 'starting', stop: 'stopping', restart: 'restarting' };

/** The names -l selects, sorted, so bulk verbs act in a stable order. */
export async function selectVmNames(client: LeanClient, namespace: string, selector: string): Promise<string[]> {
  const list = await listVms(client, { namespace, labelSelector: selector });
  return list.items.map((vm) => vm.metadata.name ?? '').sort();
}

function goalOf(verb: Verb, oldVmiUid: string | undefined): VmGoal {
  if (verb === 'start') return { kind: 'running' };
  if (verb === 'stop') return { kind: 'stopped' };
  return { kind: 'restarted', oldVmiUid };
}

/** Waits for the VM to reach `goal`; returns an error line, or undefined when reached. */
export async function waitForGoal(
  client: LeanClient,
  target: Readonly<{ namespace: string; name: string }>,
  goal: VmGoal,
  opts: Pick<LifecycleOptions, 'timeoutMs' | 'progress'>,
): Promise<string | undefined> {
  const outcome = await waitUntil(
    client,
    { plural: VM_PLURAL, ...target },
    async (o) => {
      const uid =
        goal.kind === 'restarted' ? (await findVmi(client, target.namespace, target.name))?.metadata.uid : undefined;
      return checkVmGoal(goal, o, uid);
    },
    {
      timeoutMs: opts.timeoutMs,
      ...(opts.progress === undefined ? {} : { onSeen: (seen: string) => opts.progress?.(`${target.name}: ${seen}`) }),
    },
  );
  if (outcome.met) return undefined;
  const want = goal.kind === 'stopped' ? 'Stopped' : 'Running';
  return `timed out after ${formatDuration(opts.timeoutMs)} waiting for VM ${target.name} to be ${want}; last seen: ${outcome.seen}`;
}

async function shortenGracePeriod(client: LeanClient, namespace: string, name: string, seconds: number): Promise<void> {
  await mergePatch(
    client,
    { plural: VMI_PLURAL, namespace, name },
    { spec: { terminationGracePeriodSeconds: seconds } },
  );
}

function plan(
  verb: Verb,
  vm: Parameters<typeof planStart>[0],
  vmi: Parameters<typeof planStart>[1],
  force: boolean,
): StatePlan {
  if (verb === 'start') return planStart(vm, vmi);
  if (verb === 'stop') return planStop(vm, vmi, force);
  return planRestart(vm, vmi);
}

/** One VM: true when it was done (and, with --wait, reached its state). */
async function actOnOne(client: LeanClient, name: string, o: LifecycleOptions): Promise<boolean> {
  const [vm, vmi] = await Promise.all([getVm(client, o.namespace, name), findVmi(client, o.namespace, name)]);
  const decided = plan(o.verb, vm, vmi, o.force === true);
  if (decided.kind === 'refuse') {
    o.err(`error: ${ING[o.verb]} VM ${name}: ${decided.message}`);
    return false;
  }
  if (o.verb === 'stop' && o.force === true && o.gracePeriodSeconds !== undefined && vmi !== undefined) {
    await shortenGracePeriod(client, o.namespace, name, o.gracePeriodSeconds);
  }
  await jsonPatch(client, { plural: VM_PLURAL, namespace: o.namespace, name, status: decided.status }, decided.ops);
  o.out(`VM ${name} was scheduled to ${PAST[o.verb]}`);
  if (!o.wait) return true;
  const failed = await waitForGoal(client, { namespace: o.namespace, name }, goalOf(o.verb, vmi?.metadata.uid), o);
  if (failed !== undefined) o.err(`error: ${failed}`);
  return failed === undefined;
}

/** Acts on every VM in turn; true when all succeeded. API errors for one VM are reported and counted. */
export async function actOnEach(client: LeanClient, names: readonly string[], o: LifecycleOptions): Promise<boolean> {
  let ok = true;
  for (const name of names) {
    try {
      ok = (await actOnOne(client, name, o)) && ok;
    } catch (err) {
      // With one VM the command's own error handling prints it (with --verbose's stack); with several, go on.
      if (names.length === 1) throw err;
      for (const line of reportError(err, false).lines) o.err(line);
      ok = false;
    }
  }
  return ok;
}
