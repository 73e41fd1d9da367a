/**
 * Waits until one object satisfies a check, by reading it once and then following a watch on it
 * (no polling): every change is evaluated as it arrives. Ends with the last thing seen, so a
 * timeout can say where the object got stuck. A watch the server closes is resumed.
 */
import type { ApiClient } from '../kube/api-client.js';
import { isGone } from '../kube/errors.js';
import { findOptional, getObject, watchTsvirt, type Plural } from '../kube/cli-resources.js';
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

const isRec = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

function resourceVersionOf(o: unknown): string {
  const meta = isRec(o) && isRec(o['metadata']) ? o['metadata'] : {};
  return typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '';
}

/**
 * Resolves when `check` is met (met: true) or when `timeoutMs` passes (met: false). `onSeen` is
 * called with each new evaluation, for progress lines.
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
  while (!deadline.aborted) {
    const current = await findOptional(() => getObject(client, target.plural, target.namespace, target.name));
    if (await see(current)) return { met: true, seen: last.seen };
    const stop = new AbortController();
    deadline.addEventListener('abort', () => stop.abort(), { once: true });
    let chain = Promise.resolve();
    try {
      await watchTsvirt(
        client,
        target.plural,
        {
          namespace: target.namespace,
          fieldSelector: `metadata.name=${target.name}`,
          resourceVersion: current === undefined ? '' : resourceVersionOf(current),
          signal: stop.signal,
        },
        (e) => {
          if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
          // Checks may read other objects; run them one after another, in event order.
          chain = chain.then(async () => {
            if (await see(e.type === 'DELETED' ? undefined : e.object)) stop.abort();
          });
        },
      );
      await chain;
    } catch (err) {
      if (!isGone(err)) throw err;
    }
    if (last.met) return { met: true, seen: last.seen };
  }
  return { met: false, seen: last.seen };
}
