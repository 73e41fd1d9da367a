/**
 * Waits until one object satisfies a check, by listing it (a field selector on its name, as
 * kubectl wait does) and then following changes through kube/list-watch.ts (no polling): every
 * change is evaluated as it arrives. A watch the server closes is resumed, a lost connection is
 * retried with backoff until the deadline, and after 410 Gone the fresh list is evaluated. Ends
 * with the last thing seen, so a timeout can say where the object got stuck.
 */
import type { ApiClient } from '../kube/api-client.js';
import type { Plural } from '../kube/cli-resources.js';
import { listWatch, tsvirtCollection } from '../kube/list-watch.js';
import type { Evaluation } from './wait-for.js';

export interface WaitTarget {
  readonly plural: Plural;
  readonly namespace: string;
  readonly name: string;
}

export interface WaitOutcome {
  readonly met: boolean;
  readonly seen: string;
}

export type Check = (o: unknown) => Evaluation | Promise<Evaluation>;

/**
 * Resolves when `check` is met (met: true) or when `timeoutMs` passes (met: false). `onSeen` is
 * called with each new evaluation, for progress lines. The first read's failure is thrown (the
 * command exits 1 with the API's error); later failures are retried.
 */
export async function waitUntil(
  client: ApiClient,
  target: WaitTarget,
  check: Check,
  opts: Readonly<{ timeoutMs: number; onSeen?: (seen: string) => void }>,
): Promise<WaitOutcome> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  let last: Evaluation = { met: false, seen: 'nothing yet' };
  const see = async (o: unknown): Promise<boolean> => {
    const e = await check(o);
    if (e.seen !== last.seen) opts.onSeen?.(e.seen);
    last = e;
    return e.met;
  };
  const source = tsvirtCollection(client, target.plural, {
    namespace: target.namespace,
    fieldSelector: `metadata.name=${target.name}`,
  });
  const first = await source.list();
  if (await see(first.items[0])) return { met: true, seen: last.seen };
  const stop = new AbortController();
  deadline.addEventListener('abort', () => stop.abort(), { once: true });
  // Checks may read other objects; run them one after another, in the order things were seen.
  // Once met, what arrived after is not evaluated: the outcome is the state that met the check.
  let chain = Promise.resolve();
  let met = false;
  let failed: { error: unknown } | undefined;
  const then = (o: unknown): void => {
    chain = chain
      .then(async () => {
        if (met || failed !== undefined) return;
        met = await see(o);
        if (met) stop.abort();
      })
      // A check that cannot read what it needs ends the wait with that error, as the first read's would.
      .catch((error: unknown) => {
        failed = { error };
        stop.abort();
      });
  };
  await listWatch(
    source,
    {
      list: (listed, relisted) => relisted && then(listed.items[0]),
      change: (c) => then(c.type === 'DELETED' ? undefined : c.object),
    },
    { signal: stop.signal, start: Promise.resolve(first) },
  );
  await chain;
  if (failed !== undefined) throw failed.error;
  return { met: last.met, seen: last.seen };
}
