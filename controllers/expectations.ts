/**
 * Expectations, as client-go's and kubevirt's controllers keep them (pkg/controller/expectations.go):
 * after a write, remember what the cache must show before the key is reconciled again, so a stale
 * cache never makes a second VMI or Pod, nor repeats a status write that would only meet a 409.
 * Observed through the informers' handlers; forgotten after {@link EXPECTATION_TTL_MS} in case an
 * event was missed (client-go waits 5 min; our watches relist and diff, so a minute is plenty).
 * In memory only: a restarted controller lists everything fresh, which satisfies them all.
 */

export const EXPECTATION_TTL_MS = 60_000;

type Expected = Readonly<
  { kind: 'object'; uid: string; resourceVersion: string; at: number } | { kind: 'deletion'; uid: string; at: number }
>;

/** What an informer shows of an object: enough to tell whether an expectation is met. */
export type Observed = Readonly<{
  metadata?: Readonly<{ uid?: string; resourceVersion?: string; deletionTimestamp?: string | Date }>;
}>;

/** resourceVersions are opaque to clients but etcd's are integers; compare them as such when they are. */
function atLeast(seen: string | undefined, wanted: string): boolean {
  if (seen === undefined) return false;
  if (/^\d+$/.test(seen) && /^\d+$/.test(wanted)) return BigInt(seen) >= BigInt(wanted);
  return seen === wanted;
}

function met(e: Expected, obj: Observed, deleted: boolean): boolean {
  const uid = obj.metadata?.uid;
  if (uid !== e.uid) return e.kind === 'deletion'; // another incarnation: the old one is gone
  if (deleted) return true;
  if (e.kind === 'deletion') return obj.metadata?.deletionTimestamp !== undefined;
  return atLeast(obj.metadata?.resourceVersion, e.resourceVersion);
}

type Seen = Readonly<{ obj: Observed; deleted: boolean }>;

export class Expectations {
  private readonly pending = new Map<string, Expected[]>();
  /**
   * The last thing the informer showed per key. A watch event can arrive before the response of
   * the write that caused it; then the expectation is met before it is even registered.
   */
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** After a create or update: wait until the cache shows this uid at this resourceVersion or later. */
  expectObject(key: string, obj: Observed): void {
    const uid = obj.metadata?.uid;
    const rv = obj.metadata?.resourceVersion;
    if (uid === undefined || rv === undefined) return;
    this.push(key, { kind: 'object', uid, resourceVersion: rv, at: this.clock() });
  }

  /** After a delete: wait until the cache shows the object marked for deletion or gone. */
  expectDeletion(key: string, uid: string | undefined): void {
    if (uid === undefined) return;
    this.push(key, { kind: 'deletion', uid, at: this.clock() });
  }

  /** Called from informer handlers for every add, update and delete under `key`. */
  observe(key: string, obj: Observed, deleted: boolean): void {
    this.seen.set(key, { obj, deleted });
    const list = this.pending.get(key);
    if (list === undefined) return;
    const left = list.filter((e) => !met(e, obj, deleted));
    if (left.length === 0) this.pending.delete(key);
    else this.pending.set(key, left);
  }

  /** 0 when the key may be reconciled; otherwise how long at most until an expectation times out. */
  waitMs(key: string): number {
    const list = this.pending.get(key);
    if (list === undefined) return 0;
    const now = this.clock();
    const live = list.filter((e) => now - e.at < EXPECTATION_TTL_MS);
    if (live.length === 0) {
      this.pending.delete(key);
      return 0;
    }
    this.pending.set(key, live);
    return Math.max(1, ...live.map((e) => EXPECTATION_TTL_MS - (now - e.at)));
  }

  /** Drops what was expected for a key whose object is gone. */
  forget(key: string): void {
    this.pending.delete(key);
    this.seen.delete(key);
  }

  private push(key: string, e: Expected): void {
    const seen = this.seen.get(key);
    if (seen !== undefined && met(e, seen.obj, seen.deleted)) return;
    this.pending.set(key, [...(this.pending.get(key) ?? []), e]);
  }
}

/** The part of an informer {@link enqueueFrom} needs. */
export type HandlerSource<T> = Readonly<{
  addHandlers(h: Readonly<{ add: (o: T) => void; update: (old: T, o: T) => void; delete: (o: T) => void }>): void;
}>;

/**
 * Feeds `queue` with the key each object of `source` belongs to (undefined: none of ours), and shows
 * `expectations` every add, update and delete first, so the key runs with what it waited for met.
 */
export function enqueueFrom<T extends Observed>(
  source: HandlerSource<T>,
  queue: Readonly<{ add(key: string): void }>,
  keyOf: (o: T) => string | undefined,
  expectations: Expectations,
): void {
  const on = (o: T, deleted: boolean): void => {
    const key = keyOf(o);
    if (key === undefined) return;
    expectations.observe(key, o, deleted);
    queue.add(key);
  };
  source.addHandlers({ add: (o) => on(o, false), update: (_old, o) => on(o, false), delete: (o) => on(o, true) });
}
