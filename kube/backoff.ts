/**
 * Exponential backoff, the one policy every retry in tsvirt uses (work queue, informer reconnects,
 * leader election, the node agent's status writes). Pure delay arithmetic plus an abortable sleep.
 */

/** How a delay grows: `baseMs * factor^attempt`, capped at `capMs`, optionally jittered. */
export type BackoffPolicy = Readonly<{
  baseMs: number;
  capMs: number;
  /** Growth per attempt; 2 unless told. */
  factor?: number;
  /** Fraction of the delay added at random (0..1); 0 unless told. Spreads reconnect storms. */
  jitter?: number;
}>;

/** client-go's default per-item rate limiter: 5 ms doubling up to 1000 s. */
export const WORKQUEUE_BACKOFF: BackoffPolicy = { baseMs: 5, capMs: 1_000_000 };

/** Reconnects of watches and retries of periodic writes: 200 ms doubling up to 30 s, 20 % jitter. */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 200, capMs: 30_000, jitter: 0.2 };

/**
 * The delay before retry number `attempt` (0 = the first retry).
 * Never negative, never above `capMs` (jitter included), never NaN for huge attempts.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const factor = policy.factor ?? 2;
  const exponent = Math.max(0, Math.floor(attempt));
  // Compare in log space first: factor ** 2000 is Infinity, and Infinity * 0 jitter is NaN.
  const raw =
    exponent * Math.log(factor) > Math.log(policy.capMs / Math.max(policy.baseMs, 1e-9))
      ? policy.capMs
      : policy.baseMs * factor ** exponent;
  const jittered = raw * (1 + (policy.jitter ?? 0) * random());
  return Math.min(policy.capMs, Math.max(0, jittered));
}

/** A stateful counter over a policy: `next()` returns the next delay, `reset()` starts over. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay to wait now; each call grows the next one. */
  next(): number {
    const delay = backoffDelay(this.policy, this.attempt, this.random);
    this.attempt += 1;
    return delay;
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Back to the base delay, after a success. */
  reset(): void {
    this.attempt = 0;
  }
}

/**
 * Resolves after `ms`, or early (without throwing) when `signal` aborts, so a stopping component
 * never waits out a long backoff. Returns true when the full time passed.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
