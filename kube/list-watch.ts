/**
 * The one list-then-watch loop of `kubectl virt` (get -w, watch, view, wait and every --wait):
 * list, watch from the list's resourceVersion with bookmarks, resume from the last resourceVersion
 * seen when a connection drops, list again when the API server no longer holds that version (410
 * Gone: an HTTP 410, or the ERROR event with code 410 it sends on a watch), and wait a
 * kube/backoff.ts delay between failed attempts, reset once the API server answers again. The caller
 * hears every list, every change and every change of the link's health, so it can say
 * "reconnecting…". The decisions are pure (kube/watch-step.ts, shared with kube/informer.ts, with
 * table tests); {@link listWatch} only does what they say.
 */
import { VM_PLURAL, type VMI_PLURAL } from '../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { Backoff, RECONNECT_BACKOFF, sleep, type BackoffPolicy } from './backoff.js';
import { listVmis, listVms, tsvirtPath, watchTsvirt, type ListOptions, type Plural } from './cli-resources.js';
import type { KubeApiError } from './errors.js';
import { nextResourceVersion, stepAfter, watchEventError, type Outcome, type Step } from './watch-step.js';
import type { WatchEvent } from './watch-lines.js';

/** A whole collection and the resourceVersion it was read at. */
export type Listed<T> = Readonly<{ items: readonly T[]; resourceVersion: string }>;

/** One change a watch reported (bookmarks and errors are the loop's own business). */
export type Change = Readonly<{ type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: unknown }>;

/** The three calls the loop makes on one collection (one resource, scope and selectors). */
export interface Collection<T> {
  list(): Promise<Listed<T>>;
  /** A one-item read: proof that the API server answers again, before a watch resumes. */
  probe(signal: AbortSignal): Promise<void>;
  /** Follows changes after `resourceVersion` until the server ends the watch or `signal` aborts. */
  watch(resourceVersion: string, signal: AbortSignal, onEvent: (e: WatchEvent) => void): Promise<void>;
}

/** The link's health, as the loop reports it when it changes. */
export type LinkState = Readonly<
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number; retryInMs: number; reason: string }
  | { kind: 'relisted'; reason: string }
>;

/** What the caller hears. Called synchronously from the loop; they must not throw. */
export interface ListWatchSink<T> {
  /** A whole list: the first one (`relisted` false), then each list that replaces what was known. */
  list(listed: Listed<T>, relisted: boolean): void;
  change(change: Change): void;
  link?(state: LinkState): void;
}

export type ListWatchOptions<T> = Readonly<{
  signal: AbortSignal;
  /** A list already made or under way; it stands for the first list (a rejection is a failed one). */
  start?: Promise<Listed<T>>;
  policy?: BackoffPolicy;
  /**
   * Each watch is ended by the client after a random time in [min, 2*min) seconds and resumed,
   * so a connection that died without a word is noticed; 140 unless told (kube/informer.ts's value).
   */
  minWatchSeconds?: number;
}>;

/** Runs until `opts.signal` aborts. Never throws for a failed call: it reports it and tries again. */
export async function listWatch<T>(
  source: Collection<T>,
  sink: ListWatchSink<T>,
  opts: ListWatchOptions<T>,
): Promise<void> {
  await new Loop(source, sink, opts).run();
}

class Loop<T> {
  private resourceVersion = '';
  private goneInARow = 0;
  private hasListed = false;
  private start: Promise<Listed<T>> | undefined;
  private readonly backoff: Backoff;
  private readonly signal: AbortSignal;

  constructor(
    private readonly source: Collection<T>,
    private readonly sink: ListWatchSink<T>,
    private readonly opts: ListWatchOptions<T>,
  ) {
    this.signal = opts.signal;
    this.start = opts.start;
    this.backoff = new Backoff(opts.policy ?? RECONNECT_BACKOFF);
  }

  async run(): Promise<void> {
    let step: Step = { next: 'list', backoff: false };
    while (!this.signal.aborted) {
      if (step.backoff && !(await this.wait(step))) return;
      const outcome = await this.attempt(step);
      if (this.signal.aborted) return;
      step = stepAfter(outcome, { resourceVersion: this.resourceVersion, goneInARow: this.goneInARow });
      if (step.cause?.kind === 'gone') this.goneInARow += 1;
    }
  }

  /** Sleeps the next backoff delay, saying why when something failed; false when aborted meanwhile. */
  private wait(step: Step): Promise<boolean> {
    const retryInMs = this.backoff.next();
    if (step.cause?.kind === 'failed')
      this.sink.link?.({ kind: 'reconnecting', attempt: this.backoff.attempts, retryInMs, reason: step.cause.message });
    return sleep(retryInMs, this.signal);
  }

  /** One call; only the API's failures become an outcome, a throwing sink is a bug and propagates. */
  private async attempt(step: Step): Promise<Outcome> {
    const failed = (error: unknown): Outcome => ({ attempt: step.next, error });
    switch (step.next) {
      case 'list': {
        const pending = this.start;
        this.start = undefined;
        const listed = await (pending ?? this.source.list()).catch(failed);
        if ('attempt' in listed) return listed;
        this.listed(listed, step);
        return { attempt: 'list' };
      }
      case 'probe': {
        const error = await this.source.probe(this.signal).then(() => undefined, failed);
        if (error !== undefined) return error;
        this.sink.link?.({ kind: 'connected' });
        return { attempt: 'probe' };
      }
      case 'watch':
        return this.watch().catch(failed);
      default:
        return step.next satisfies never;
    }
  }

  private listed(listed: Listed<T>, step: Step): void {
    this.resourceVersion = listed.resourceVersion;
    this.backoff.reset();
    this.sink.list(listed, this.hasListed);
    this.hasListed = true;
    const gone = step.cause?.kind === 'gone' ? step.cause.message : undefined;
    this.sink.link?.(gone === undefined ? { kind: 'connected' } : { kind: 'relisted', reason: gone });
  }

  private async watch(): Promise<Outcome> {
    const started = Date.now();
    const min = this.opts.minWatchSeconds ?? 140;
    const ended = new AbortController();
    const signal = AbortSignal.any([
      this.signal,
      ended.signal,
      AbortSignal.timeout(Math.floor(min * (1 + Math.random()) * 1000)),
    ]);
    let events = 0;
    let error: KubeApiError | undefined;
    await this.source.watch(this.resourceVersion, signal, (e) => {
      if (error !== undefined) return;
      if (e.type === 'ERROR') {
        // The server closes the watch after an ERROR; end it here too, so nothing after counts.
        error = watchEventError(e.object);
        ended.abort();
        return;
      }
      events += 1;
      this.resourceVersion = nextResourceVersion(this.resourceVersion, e);
      this.goneInARow = 0;
      this.backoff.reset();
      if (e.type !== 'BOOKMARK') this.sink.change({ type: e.type, object: e.object });
    });
    return error === undefined
      ? { attempt: 'watch', events, elapsedMs: Date.now() - started }
      : { attempt: 'watch', error };
  }
}

/** VMs or VMIs of a scope (one namespace or all, with the caller's selectors) as a {@link Collection}. */
export function tsvirtCollection(
  client: ApiClient,
  plural: typeof VM_PLURAL,
  scope: ListOptions,
): Collection<VirtualMachine>;
export function tsvirtCollection(
  client: ApiClient,
  plural: typeof VMI_PLURAL,
  scope: ListOptions,
): Collection<VirtualMachineInstance>;
export function tsvirtCollection(
  client: ApiClient,
  plural: Plural,
  scope: ListOptions,
): Collection<VirtualMachine | VirtualMachineInstance>;
export function tsvirtCollection(
  client: ApiClient,
  plural: Plural,
  scope: ListOptions,
): Collection<VirtualMachine | VirtualMachineInstance> {
  return {
    list: () => (plural === VM_PLURAL ? listVms(client, scope) : listVmis(client, scope)),
    probe: async (signal) => {
      await client.request({
        path: tsvirtPath(plural, scope),
        query: { labelSelector: scope.labelSelector, fieldSelector: scope.fieldSelector, limit: '1' },
        signal,
      });
    },
    watch: (resourceVersion, signal, onEvent) =>
      watchTsvirt(client, plural, { ...scope, resourceVersion, signal }, onEvent),
  };
}
