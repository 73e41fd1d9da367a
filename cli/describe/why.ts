/**
 * One line saying why a VM is not running, from what `describe` read: the VM, its VMI, the
 * launcher Pod and the handler's heartbeat on the VMI's node. First matching rule wins, as in
 * the controller's printable status table (docs/conventions.md §2). Pure; `now` is handed in.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import { CONDITION_TYPES, REASONS } from '../../api/names.js';
import { runStrategyOf } from '../../api/lifecycle.js';
import { humanDuration } from '../printers/age.js';
import type { ContainerView, PodView, TerminatedView } from './views.js';

/** Beyond this a heartbeat Lease is stale (handler/heartbeat.ts renews every 10 s, lasts 40 s). */
export const HANDLER_STALE_MS = 40_000;

export interface WhyInput {
  readonly vm: VirtualMachine;
  readonly vmi?: VirtualMachineInstance | undefined;
  readonly pod?: PodView | undefined;
  /** renewTime of `virt-handler-<node>` in tsvirt-system, when the VMI has a node; undefined when absent. */
  readonly handlerRenewTime?: string | undefined;
  readonly now: number;
}

type Rule = (i: WhyInput) => string | undefined;

const ago = (t: string | undefined, now: number): string =>
  t === undefined ? 'never' : `${humanDuration(now - Date.parse(t))} ago`;

function exitText(t: TerminatedView): string {
  return `exit code ${t.exitCode}${t.reason === undefined ? '' : ` (${t.reason})`}`;
}

function lastExit(c: ContainerView | undefined): TerminatedView | undefined {
  return c?.terminated ?? c?.lastTerminated;
}

const stopped: Rule = (i) => {
  if (i.vm.status?.printableStatus !== 'Stopped' && !(runStrategyOf(i.vm) === 'Halted' && i.vmi === undefined))
    return undefined;
  const strategy = runStrategyOf(i.vm);
  return strategy === 'Halted' || strategy === 'Manual'
    ? `Stopped: runStrategy is ${strategy}; start it with "kubectl virt start ${i.vm.metadata.name ?? ''}"`
    : `Stopped: the guest finished and runStrategy ${strategy} does not start it again`;
};

const terminating: Rule = (i) =>
  i.vm.metadata.deletionTimestamp === undefined
    ? undefined
    : 'Terminating: the VM is being deleted; its VMI goes first';

const stopping: Rule = (i) =>
  i.vm.status?.printableStatus === 'Stopping'
    ? `Stopping: the guest has ${i.vmi?.spec.terminationGracePeriodSeconds ?? 'its'} seconds to shut down before it is destroyed`
    : undefined;

function schedulerMessage(i: WhyInput): string | undefined {
  const podCond = i.pod?.conditions.find((c) => c.type === CONDITION_TYPES.podScheduled && c.status === 'False');
  if (podCond?.message !== undefined) return podCond.message;
  return i.vm.status?.conditions?.find((c) => c.reason === REASONS.unschedulable)?.message;
}

const unschedulable: Rule = (i) => {
  const message = schedulerMessage(i);
  if (message === undefined && i.vm.status?.printableStatus !== 'ErrorUnschedulable') return undefined;
  return `Unschedulable: ${message ?? 'the scheduler found no node for the launcher Pod'}`;
};

function backoffText(i: WhyInput): string {
  const failure = i.vm.status?.startFailure;
  const count =
    failure?.consecutiveFailCount === undefined ? '' : ` ${failure.consecutiveFailCount} failed starts in a row;`;
  const retry =
    failure?.retryAfterTimestamp === undefined
      ? ''
      : `; next try ${humanDuration(Date.parse(failure.retryAfterTimestamp) - i.now)} from now`;
  return `${count}|${retry}`;
}

/** The message of the VMI's Ready=False condition that carries the VMI's reason (the handler's why). */
function failureMessage(vmi: VirtualMachineInstance): string | undefined {
  const reason = vmi.status?.reason;
  if (reason === undefined) return undefined;
  return vmi.status?.conditions?.find(
    (c) => c.type === CONDITION_TYPES.ready && c.status !== 'True' && c.reason === reason,
  )?.message;
}

/** Why the last start failed: the handler's message when the VMI still has one, else the launcher's exit. */
function lastFailure(i: WhyInput): string {
  const message = i.vmi === undefined ? undefined : failureMessage(i.vmi);
  if (message !== undefined && message !== '') return `the VMI failed (${i.vmi?.status?.reason ?? ''}): ${message}`;
  const exit = lastExit(i.pod?.containers[0]);
  return `the launcher last exited with ${exit === undefined ? 'an unknown exit' : exitText(exit)}`;
}

const crashLoop: Rule = (i) => {
  if (i.vm.status?.printableStatus !== 'CrashLoopBackOff') return undefined;
  const [count, retry] = backoffText(i).split('|');
  return `Crash loop:${count ?? ''} ${lastFailure(i)}${retry ?? ''}`;
};

const vmiFailed: Rule = (i) => {
  if (i.vmi?.status?.phase !== 'Failed') return undefined;
  const exit = lastExit(i.pod?.containers[0]);
  const message = failureMessage(i.vmi);
  if (message !== undefined && message !== '') return `The VMI failed (${i.vmi.status.reason ?? ''}): ${message}`;
  return `The VMI failed${i.vmi.status.reason === undefined ? '' : ` (${i.vmi.status.reason})`}${exit === undefined ? '' : `: the launcher exited with ${exitText(exit)}`}`;
};

const waitingForHandler: Rule = (i) => {
  const node = i.vmi?.status?.nodeName;
  if (node === undefined || i.vmi?.status?.phase === 'Running') return undefined;
  if (i.handlerRenewTime === undefined)
    return `Waiting for the handler on node ${node}: no virt-handler has a heartbeat there`;
  if (i.now - Date.parse(i.handlerRenewTime) > HANDLER_STALE_MS)
    return `Waiting for the handler on node ${node}: its heartbeat stopped ${ago(i.handlerRenewTime, i.now)}`;
  return `Waiting for the handler on node ${node} to start the domain`;
};

const waitingForScheduler: Rule = (i) => {
  if (i.vmi === undefined || i.vmi.status?.nodeName !== undefined) return undefined;
  return i.pod === undefined
    ? 'Waiting for the controller to create the launcher Pod'
    : `Waiting for the scheduler to place launcher Pod ${i.pod.name}`;
};

const noVmi: Rule = (i) => (i.vmi === undefined ? 'Waiting for the controller to create the VMI' : undefined);

const notReady: Rule = (i) => {
  const ready = i.vm.status?.conditions?.find((c) => c.type === CONDITION_TYPES.ready && c.status !== 'True');
  return ready?.message === undefined ? undefined : `Not ready: ${ready.message}`;
};

const RULES: readonly Rule[] = [
  terminating,
  stopping,
  stopped,
  unschedulable,
  crashLoop,
  vmiFailed,
  waitingForHandler,
  waitingForScheduler,
  noVmi,
  notReady,
];

/** Why the VM is not running, or undefined when it is (printableStatus Running). */
export function whyNotRunning(i: WhyInput): string | undefined {
  if (i.vm.status?.printableStatus === 'Running') return undefined;
  for (const rule of RULES) {
    const line = rule(i);
    if (line !== undefined) return line;
  }
  return `Status ${i.vm.status?.printableStatus ?? 'unknown'}: the controller has not reported more`;
}
