/**
 * start, stop and restart on each named or selected VM: one PUT on the VM's subresource in
 * subresources.tsvirt.io (virt-api decides and sends the single write, api/state-change-plan.ts),
 * so RBAC can grant `virtualmachines/start` without `update virtualmachines`; with --wait, follow
 * the VM until the state is reached. A refusal for one VM does not stop the others; the exit code
 * says whether all succeeded.
 */
import { VM_PLURAL } from '../api/names.js';
import { subresourcePath, type StopOptions } from '../api/subresources.js';
import { KubeApiError } from '../kube/errors.js';
import type { ApiClient } from '../kube/api-client.js';
import { findVmi, listVms } from '../kube/cli-resources.js';
import { checkVmGoal, type VmGoal } from './vm-waits.js';
import { waitUntil } from './wait-until.js';
import { formatDuration } from './duration.js';
import { reportError } from './errors.js';
import { throughVirtApi } from './virt-api-absent.js';

export type Verb = 'start' | 'stop' | 'restart';

export interface LifecycleOptions {
  readonly verb: Verb;
  readonly namespace: string;
  readonly wait: boolean;
  readonly timeoutMs: number;
  /** stop --force --grace-period: the VMI's grace period is shortened first. */
  readonly gracePeriodSeconds?: number;
  readonly force?: boolean;
  /** start --wait-for-agent: Running is not enough, the guest agent must answer (AgentConnected). */
  readonly agent?: boolean;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Progress lines, only when stderr is a terminal. */
  readonly progress?: (line: string) => void;
}

const PAST: Readonly<Record<Verb, string>> = { start: 'start', stop: 'stop', restart: 'restart' };
const ING: Readonly<Record<Verb, string>> = { start: 'starting', stop: 'stopping', restart: 'restarting' };

/** The names -l selects, sorted, so bulk verbs act in a stable order. */
export async function selectVmNames(client: ApiClient, namespace: string, selector: string): Promise<string[]> {
  const list = await listVms(client, { namespace, labelSelector: selector });
  return list.items.map((vm) => vm.metadata.name ?? '').sort();
}

function goalOf(verb: Verb, oldVmiUid: string | undefined, agent: boolean): VmGoal {
  if (verb === 'start') return agent ? { kind: 'agent' } : { kind: 'running' };
  if (verb === 'stop') return { kind: 'stopped' };
  return { kind: 'restarted', oldVmiUid };
}

/** Waits for the VM to reach `goal`; returns an error line, or undefined when reached. */
export async function waitForGoal(
  client: ApiClient,
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
  const want =
    goal.kind === 'stopped' ? 'Stopped' : goal.kind === 'agent' ? 'Running with its guest agent connected' : 'Running';
  return `timed out after ${formatDuration(opts.timeoutMs)} waiting for VM ${target.name} to be ${want}; last seen: ${outcome.seen}`;
}

function bodyOf(o: LifecycleOptions): StopOptions {
  return o.verb === 'stop' && o.force === true && o.gracePeriodSeconds !== undefined
    ? { gracePeriod: o.gracePeriodSeconds }
    : {};
}

/** One VM: true when it was done (and, with --wait, reached its state). */
async function actOnOne(client: ApiClient, name: string, o: LifecycleOptions): Promise<boolean> {
  // The VMI before the verb: a restart is done when a VMI with another uid runs.
  const vmi = o.wait && o.verb === 'restart' ? await findVmi(client, o.namespace, name) : undefined;
  try {
    await throughVirtApi(() =>
      client.request({ method: 'PUT', path: subresourcePath(VM_PLURAL, o.namespace, name, o.verb), body: bodyOf(o) }),
    );
  } catch (err) {
    // 409: virt-api's refusal ("VM is already running"); anything else is the caller's to report.
    if (!(err instanceof KubeApiError) || err.code !== 409) throw err;
    o.err(`error: ${ING[o.verb]} VM ${name}: ${err.message}`);
    return false;
  }
  o.out(`VM ${name} was scheduled to ${PAST[o.verb]}`);
  if (!o.wait) return true;
  const failed = await waitForGoal(
    client,
    { namespace: o.namespace, name },
    goalOf(o.verb, vmi?.metadata.uid, o.agent === true),
    o,
  );
  if (failed !== undefined) o.err(`error: ${failed}`);
  return failed === undefined;
}

/** Acts on every VM in turn; true when all succeeded. API errors for one VM are reported and counted. */
export async function actOnEach(client: ApiClient, names: readonly string[], o: LifecycleOptions): Promise<boolean> {
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
