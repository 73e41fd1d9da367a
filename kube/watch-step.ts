/**
 * What a list-then-watch loop does after each attempt, as pure functions: the CLI's loop
 * (kube/list-watch.ts) and the services' informer (kube/informer.ts) both follow them, so a 410,
 * a dropped connection and a watch the server closes at once are handled the same way everywhere.
 */
import { apiErrorFromStatus, formatApiError, isGone, KubeApiError, toApiError } from './errors.js';
import type { WatchEvent } from './watch-lines.js';

/** What the loop did last. */
export type Attempt = 'list' | 'probe' | 'watch';

/** How an attempt ended: `error` when it failed; for a watch, how many lines it carried and for how long. */
export type Outcome = Readonly<{ attempt: Attempt; error?: unknown; events?: number; elapsedMs?: number }>;

/** What the loop does next, and whether it waits a backoff delay first. */
export type Step = Readonly<{
  next: Attempt;
  backoff: boolean;
  /** Why: a failure ("reconnecting…") or a version the server no longer holds (a relist); absent when routine. */
  cause?: Readonly<{ kind: 'failed' | 'gone'; message: string }>;
}>;

/** A watch the server ends sooner than this, with nothing in it, is not resumed at once (no busy loop). */
export const QUICK_CLOSE_MS = 1000;

const messageOf = (err: unknown): string => formatApiError(toApiError(err));

/**
 * The next step after an attempt. `goneInARow` counts the 410s since the last watch event: the
 * first relists at once, a second in a row waits, so a server that keeps answering 410 is not
 * hammered. Any other failure waits; a watch then resumes from `resourceVersion` once a probe
 * answers (nothing missed), and only a loop that has no version yet lists. Pure.
 */
export function stepAfter(o: Outcome, ctx: Readonly<{ resourceVersion: string; goneInARow: number }>): Step {
  if (o.error === undefined) {
    const idle = o.attempt === 'watch' && (o.events ?? 0) === 0 && (o.elapsedMs ?? 0) < QUICK_CLOSE_MS;
    return { next: 'watch', backoff: idle };
  }
  const message = messageOf(o.error);
  if (isGone(o.error)) return { next: 'list', backoff: ctx.goneInARow > 0, cause: { kind: 'gone', message } };
  const next = o.attempt === 'list' || ctx.resourceVersion === '' ? 'list' : 'probe';
  return { next, backoff: true, cause: { kind: 'failed', message } };
}

const isRec = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * The resourceVersion to resume from after an event: the object's (a bookmark carries only that),
 * or the current one when the event has none (an ERROR's Status). Pure.
 */
export function nextResourceVersion(current: string, e: WatchEvent): string {
  if (e.type === 'ERROR') return current;
  const meta = isRec(e.object) && isRec(e.object['metadata']) ? e.object['metadata'] : {};
  const rv = meta['resourceVersion'];
  return typeof rv === 'string' && rv !== '' ? rv : current;
}

/** The `metav1.Status` of an ERROR watch event as the error kube/errors.ts maps (410 → isGone). Pure. */
export function watchEventError(status: unknown): KubeApiError {
  const code = isRec(status) && typeof status['code'] === 'number' ? status['code'] : 500;
  return new KubeApiError(apiErrorFromStatus(code, status));
}
