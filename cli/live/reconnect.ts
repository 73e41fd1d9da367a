/**
 * The live data of `kubectl virt view` and `get -w`: one list-watch per resource (kube/list-watch.ts,
 * VMs and their VMIs, or VMIs alone) keeping one LiveState current. Each loop lists, watches,
 * resumes after a dropped connection and lists again after 410 Gone on its own; a list replaces
 * its resource's objects, so a VM deleted while the connection was down disappears and none
 * appears twice. The sink hears every state, the keys each change touched, and the health of the
 * two links as one, which the view shows as "reconnecting…".
 */
import { VM_PLURAL, VMI_PLURAL } from '../../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import type { BackoffPolicy } from '../../kube/backoff.js';
import type { ApiClient } from '../../kube/api-client.js';
import type { ListOptions, Plural } from '../../kube/cli-resources.js';
import { listWatch, tsvirtCollection, type LinkState, type Listed } from '../../kube/list-watch.js';
import { formatDuration } from '../duration.js';
import { vmiScopeOf } from '../list-options.js';
import type { Resource } from '../targets.js';
import type { LiveSource } from './follow.js';
import { affectedKey, applyEvent, changedKeys, EMPTY_STATE, replaceAll, type LiveState } from './state.js';

export type LinkStatus = Readonly<
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; attempt: number; retryInMs: number; error: string }
>;

export interface LiveSink {
  readonly state: (s: LiveState) => void;
  readonly status: (s: LinkStatus) => void;
}

/** The health of several links as one: down when any is down, live once every one has listed. Pure. */
export function combineLinks(links: readonly (LinkState | undefined)[]): LinkStatus {
  for (const l of links)
    if (l?.kind === 'reconnecting')
      return { kind: 'reconnecting', attempt: l.attempt, retryInMs: l.retryInMs, error: l.reason };
  return links.every((l) => l !== undefined) ? { kind: 'live' } : { kind: 'connecting' };
}

/** The line that says why the link is down and when the next try is. */
export function reconnectingText(link: Extract<LinkStatus, { kind: 'reconnecting' }>): string {
  return `reconnecting… attempt ${link.attempt}, next try in ${formatDuration(Math.round(link.retryInMs))}: ${link.error}`;
}

export interface StateSink {
  /** The state after a list or a change, and the row keys it touched. */
  readonly change: (s: LiveState, keys: readonly string[]) => void;
  readonly status: (s: LinkStatus) => void;
}

export type Follow = Readonly<{
  resource: Resource;
  list: ListOptions;
  signal: AbortSignal;
  /** A list already made or under way (the view starts one while ink loads): the loops start from it. */
  first?: Promise<LiveSource>;
  policy?: BackoffPolicy;
}>;

type Watched = VirtualMachine | VirtualMachineInstance;

const mapOf = (s: LiveState, r: Plural): ReadonlyMap<string, Watched> => (r === VM_PLURAL ? s.vms : s.vmis);

/** Runs until `signal` aborts; never throws for a lost or refused connection, the loops retry. */
export async function followState(client: ApiClient, f: Follow, sink: StateSink): Promise<void> {
  let state = EMPTY_STATE;
  // A first list the caller made stands for the loops' first: nothing in it counts as a change.
  if (f.first !== undefined) state = (await f.first.catch(() => undefined))?.state ?? EMPTY_STATE;
  const plurals: Plural[] = f.resource === VM_PLURAL ? [VM_PLURAL, VMI_PLURAL] : [VMI_PLURAL];
  const links = new Map<Plural, LinkState | undefined>(plurals.map((p) => [p, undefined]));
  const follow = (p: Plural): Promise<void> => {
    // With VMs, the VMIs of the same names: the VMI scope follows the VMs' namespace, not their labels.
    const scope = p === VMI_PLURAL && f.resource === VM_PLURAL ? vmiScopeOf(f.list) : f.list;
    const start = f.first?.then((s): Listed<Watched> => ({
      items: [...mapOf(s.state, p).values()],
      resourceVersion: s.resourceVersions[p],
    }));
    return listWatch(
      tsvirtCollection(client, p, scope),
      {
        list: (listed) => {
          const before = state;
          state = replaceAll(state, p, listed.items);
          sink.change(state, changedKeys(mapOf(before, p), mapOf(state, p)));
        },
        change: (c) => {
          const e = { resource: p, ...c };
          state = applyEvent(state, e);
          const key = affectedKey(e);
          sink.change(state, key === undefined ? [] : [key]);
        },
        link: (l) => {
          links.set(p, l);
          sink.status(combineLinks([...links.values()]));
        },
      },
      { signal: f.signal, ...(start === undefined ? {} : { start }), ...(f.policy ? { policy: f.policy } : {}) },
    );
  };
  await Promise.all(plurals.map(follow));
}

/** The view's data: every state and the link's health, until `signal` aborts. */
export async function followLive(
  client: ApiClient,
  list: ListOptions,
  sink: LiveSink,
  opts: Readonly<{ signal: AbortSignal; policy?: BackoffPolicy; first?: Promise<LiveSource> }>,
): Promise<void> {
  await followState(
    client,
    { resource: VM_PLURAL, list, ...opts },
    { change: (s) => sink.state(s), status: (s) => sink.status(s) },
  );
}
