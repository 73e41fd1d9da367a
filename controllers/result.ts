/**
 * What one reconcile asks of the work queue (docs/conventions.md §2): expected outcomes are values, not
 * throws. Shaped to be kube/workqueue's QueueOutcome, with the cause kept for the log line.
 */
import type { QueueOutcome } from '../kube/workqueue.js';
import { toApiError, type ApiError } from '../kube/errors.js';

export type Result = QueueOutcome & Readonly<{ cause?: ApiError | Error }>;

export const DONE: Result = { kind: 'done' };
export const requeueAfter = (ms: number): Result => ({ kind: 'requeueAfter', ms: Math.max(1, Math.ceil(ms)) });

/** A failed API call: retried with the key's backoff when it may succeed later, else terminal. */
export function fromApiFailure(err: unknown): Result {
  const cause = toApiError(err);
  return cause.retryable ? { kind: 'retry', cause } : { kind: 'terminal', cause };
}
