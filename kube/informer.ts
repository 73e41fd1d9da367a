/**
 * An informer: list, then watch from the list's resourceVersion (with bookmarks), into an
 * in-memory cache with indexes, calling add/update/delete handlers. Unlike client-node's
 * ListWatch, it never stops on its own: 410 Gone relists and diffs (deletes are emitted for what
 * vanished meanwhile), any other error or a closed watch reconnects with backoff, by the same
 * decision (kube/watch-step.ts) as the CLI's list-watch.
 * The cache and diff logic are pure functions ({@link relistDiff}, {@link applyWatchEvent}).
 */
import { Backoff, RECONNECT_BACKOFF, sleep, type BackoffPolicy } from './backoff.js';
import { stepAfter, watchEventError, type Outcome, type Step } from './watch-step.js';
import { SILENT_LOGGER, type KubeLogger } from './logger.js';
import { objectKey, withKind, type KubeObject, type ResourceClient } from './resources.js';
import { watchEvents, type WatchEvent } from './watch-lines.js';

/** One change the cache went through, as handlers see it. */
export type CacheChange<T> = Readonly<
  { type: 'add'; obj: T } | { type: 'update'; old: T; obj: T } | { type: 'delete'; obj: T }
>;

/** What a relist changed: added, updated (resourceVersion moved) and vanished objects. */
export function relistDiff<T extends KubeObject>(cache: ReadonlyMap<string, T>, items: readonly T[]): CacheChange<T>[] {
  const changes: CacheChange<T>[] = [];
  const seen = new Set<string>();
  for (const obj of items) {
    const key = objectKey(obj);
    seen.add(key);
    const old = cache.get(key);
    if (old === undefined) changes.push({ type: 'add', obj });
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
      changes.push({ type: 'update', old, obj });
  }
  for (const [key, obj] of cache) if (!seen.has(key)) changes.push({ type: 'delete', obj });
  return changes;
}

/** The cache change one watch event makes, or undefined (bookmarks, unknown types). Pure. */
export function applyWatchEvent<T extends KubeObject>(
  cache: ReadonlyMap<string, T>,
  event: Readonly<{ type: string; object: T }>,
): CacheChange<T> | undefined {
  const obj = event.object;
  const old = cache.get(objectKey(obj));
  switch (event.type) {
    case 'ADDED':
    case 'MODIFIED':
      return old === undefined ? { type: 'add', obj } : { type: 'update', old, obj };
    case 'DELETED':
      return { type: 'delete', obj };
    default:
      return undefined;
  }
}

/**
 * The object without metadata.managedFields, as controller-runtime caches it: the server-side-apply
 * bookkeeping is often the largest part of an object and nothing here reads it from the cache
 * (an update that omits managedFields leaves the server's copy as it is). Pure; the input is not changed.
 */
export function withoutManagedFields<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as (KubeObject['metadata'] & { managedFields?: unknown }) | undefined;
  if (meta === undefined || !('managedFields' in meta)) return obj;
  const { managedFields: _dropped, ...rest } = meta;
  return { ...obj, metadata: rest };
}

/** Handlers called after the cache changed. They must not throw (errors are logged) and should be quick. */
export type InformerHandlers<T> = Readonly<{
  add?: (obj: T) => void;
  update?: (old: T, obj: T) => void;
  delete?: (obj: T) => void;
}>;

/** Options for {@link Informer}. */
export type InformerOptions<T> = Readonly<{
  /** Namespace to watch; all namespaces when omitted. */
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  /** e.g. `spec.nodeName=node-1` (Pods) or `status.nodeName=node-1`, if the CRD declares it selectable. */
  fieldSelector?: string | undefined;
  /** Named index functions: each returns the index values of an object. */
  indexers?: Readonly<Record<string, (obj: T) => readonly string[]>>;
  backoff?: BackoffPolicy;
  logger?: KubeLogger;
  /**
   * Watch length chosen at random in [min, 2*min) seconds, as client-go does; 140 unless told, so the
   * server ends every watch before undici's 300 s body timeout would, even when no bookmark comes.
   */
  minWatchTimeoutSeconds?: number;
}>;

/**
 * A cache of one resource kind (optionally one namespace and selectors), kept current by list+watch.
 * Objects in the cache are shared: copy before editing. Start with {@link Informer.start}.
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly abort = new AbortController();
  private readonly log: KubeLogger;
  private readonly backoff: Backoff;
  private resourceVersion: string | undefined;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  private relistCount = 0;
  private goneInARow = 0;

  constructor(
    private readonly resource: ResourceClient<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.log = opts.logger ?? SILENT_LOGGER;
    this.backoff = new Backoff(opts.backoff ?? RECONNECT_BACKOFF);
    for (const name of Object.keys(opts.indexers ?? {})) this.indices.set(name, new Map());
  }

  /** Registers handlers; objects already cached are replayed to `add` so late handlers miss nothing. */
  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
    if (h.add !== undefined) for (const obj of this.cache.values()) this.call(() => h.add?.(obj));
  }

  /** Starts list+watch in the background. Idempotent. Failures are retried, never thrown. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops watching; resolves when the loop ended. The cache stays readable. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** True once the first list landed in the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, or false when `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (v: boolean): void => resolve(v);
      this.syncWaiters.push(() => done(true));
      signal?.addEventListener('abort', () => done(false), { once: true });
      this.abort.signal.addEventListener('abort', () => done(false), { once: true });
    });
  }

  /** The cached object with this namespace and name (cluster-scoped: namespace ''). */
  get(namespace: string, name: string): T | undefined {
    return this.cache.get(namespace === '' ? name : `${namespace}/${name}`);
  }

  /** The cached object with this key (`namespace/name` or `name`). */
  getByKey(key: string): T | undefined {
    return this.cache.get(key);
  }

  /** Every cached object, optionally of one namespace. */
  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  /** Cached objects whose index `name` contains `value`. Throws for an index not configured. */
  byIndex(name: string, value: string): T[] {
    const index = this.indices.get(name);
    if (index === undefined) throw new Error(`Informer has no index "${name}"`);
    return [...(index.get(value) ?? [])].flatMap((k) => {
      const o = this.cache.get(k);
      return o === undefined ? [] : [o];
    });
  }

  /** The resourceVersion the cache reflects ('' before the first list). */
  get lastSyncResourceVersion(): string {
    return this.resourceVersion ?? '';
  }

  /** How many times the informer listed (1 after start; more after 410 Gone). */
  get relists(): number {
    return this.relistCount;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  // The step after each attempt is kube/watch-step.ts's stepAfter, the decision the CLI's loop makes
  // too. A cache has no "probe" (nobody is told it reconnects): it watches again from its version,
  // and if that version is gone the watch's 410 relists.
  private async run(): Promise<void> {
    let step: Step = { next: 'list', backoff: false };
    while (!this.stopped) {
      if (step.backoff) await this.wait(step);
      if (this.stopped) break;
      const outcome = await this.attempt(step.next === 'list' ? 'list' : 'watch');
      if (this.stopped) break;
      step = stepAfter(outcome, { resourceVersion: this.resourceVersion ?? '', goneInARow: this.goneInARow });
      if (step.cause?.kind === 'gone') {
        this.goneInARow += 1;
        // Our resourceVersion fell out of etcd's window: list again and diff against the cache.
        this.log.info({ kind: this.resource.type.kind }, 'Relisted after the watch expired');
      }
    }
  }

  /** One list or watch; its failure becomes the outcome stepAfter reads. */
  private async attempt(kind: 'list' | 'watch'): Promise<Outcome> {
    const started = Date.now();
    try {
      if (kind === 'list') {
        await this.relist();
        return { attempt: 'list' };
      }
      const events = await this.watchOnce(this.resourceVersion ?? '');
      return { attempt: 'watch', events, elapsedMs: Date.now() - started };
    } catch (error) {
      return { attempt: kind, error };
    }
  }

  private async wait(step: Step): Promise<void> {
    const delay = this.backoff.next();
    if (step.cause?.kind === 'failed')
      this.log.warn(
        { kind: this.resource.type.kind, err: step.cause.message, delayMs: Math.round(delay) },
        'Watch failed, reconnecting',
      );
    await sleep(delay, this.abort.signal);
  }

  private async relist(): Promise<void> {
    const list = await this.resource.list({
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      signal: this.abort.signal,
    });
    this.relistCount += 1;
    if (list.skipped.length > 0)
      this.log.warn(
        { kind: this.resource.type.kind, skipped: list.skipped },
        'Left out list items that are not this kind',
      );
    for (const change of relistDiff(
      this.cache,
      list.items.map((o) => withoutManagedFields(o)),
    ))
      this.apply(change);
    this.resourceVersion = list.resourceVersion;
    this.backoff.reset();
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters) w();
      this.syncWaiters = [];
    }
  }

  /** Runs one watch to its end; resolves with the number of events it carried. */
  private async watchOnce(fromVersion: string): Promise<number> {
    const min = this.opts.minWatchTimeoutSeconds ?? 140;
    const timeoutSeconds = Math.floor(min * (1 + Math.random()));
    // The server ends the watch after timeoutSeconds; the client deadline catches a dead connection.
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout((timeoutSeconds + 30) * 1000)]);
    const stream = await this.resource.watchStream({
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      resourceVersion: fromVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
      signal,
    });
    let events = 0;
    for await (const event of watchEvents(stream)) {
      this.onEvent(event);
      this.backoff.reset();
      this.goneInARow = 0;
      events += 1;
    }
    return events;
  }

  private onEvent(event: WatchEvent): void {
    if (event.type === 'ERROR') throw watchEventError(event.object);
    const obj = withKind(this.resource.type, withoutManagedFields(event.object as T)) as T;
    const change = applyWatchEvent(this.cache, { type: event.type, object: obj });
    if (change !== undefined) this.apply(change);
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '') this.resourceVersion = rv;
  }

  private apply(change: CacheChange<T>): void {
    const key = objectKey(change.obj);
    const old = this.cache.get(key);
    if (old !== undefined) this.unindex(key, old);
    if (change.type === 'delete') this.cache.delete(key);
    else {
      this.cache.set(key, change.obj);
      this.index(key, change.obj);
    }
    for (const h of this.handlers) this.dispatch(h, change);
  }

  private dispatch(h: InformerHandlers<T>, change: CacheChange<T>): void {
    switch (change.type) {
      case 'add':
        this.call(() => h.add?.(change.obj));
        return;
      case 'update':
        this.call(() => h.update?.(change.old, change.obj));
        return;
      case 'delete':
        this.call(() => h.delete?.(change.obj));
        return;
      default:
        change satisfies never;
    }
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ kind: this.resource.type.kind, err }, 'Informer handler threw');
    }
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.opts.indexers ?? {})) {
      const index = this.indices.get(name);
      for (const value of fn(obj)) {
        const keys = index?.get(value) ?? new Set<string>();
        keys.add(key);
        index?.set(value, keys);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.opts.indexers ?? {})) {
      const index = this.indices.get(name);
      for (const value of fn(obj)) {
        const keys = index?.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index?.delete(value);
      }
    }
  }
}
