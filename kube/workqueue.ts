/**
 * A work queue of keys with client-go's semantics (k8s.io/client-go util/workqueue): a key waits at
 * most once (dedupe), never runs twice at once (an add while it runs queues one more run after it),
 * and failures back off per key, reset on success. Reconcilers return an outcome; the queue does
 * the bookkeeping.
 */
import { WORKQUEUE_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff.js';

/**
 * What one run of a key asks for next. Compatible with the controllers' Result type:
 * `done` forgets the key's failures; `requeueAfter` runs it again after `ms` (waiting on the clock,
 * not a failure); `retry` runs it again after the key's backoff; `terminal` forgets it until the
 * next add (the spec cannot be met as written).
 */
export type QueueOutcome = Readonly<
  { kind: 'done' } | { kind: 'requeueAfter'; ms: number } | { kind: 'retry' } | { kind: 'terminal' }
>;

/** Timer functions; injectable so tests run the clock by hand. */
export type QueueScheduler = Readonly<{
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}>;

const REAL_SCHEDULER: QueueScheduler = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Options for {@link WorkQueue}. */
export type WorkQueueOptions = Readonly<{
  /** Keys processed at the same time (different keys only); 1 unless told. */
  workers?: number;
  /** Per-key failure backoff; client-go's 5 ms → 1000 s unless told. */
  backoff?: BackoffPolicy;
  /** Called with the number of keys waiting whenever it changes (a queue-depth gauge). */
  onDepth?: (depth: number) => void;
  /** Called when the process function throws (a bug: it should return `retry`); the key is retried. */
  onError?: (key: string, err: unknown) => void;
  scheduler?: QueueScheduler;
}>;

/**
 * Keys in, one `process(key)` at a time per key, up to `workers` keys at once. Nothing runs until
 * {@link WorkQueue.start}. Never throws from add/addAfter/forget; adds after shutdown are ignored.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys that need a run: waiting in `queue`, or added again while processing. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { handle: unknown; at: number }>();
  private readonly failures = new Map<string, number>();
  private readonly workers: number;
  private readonly scheduler: QueueScheduler;
  private started = false;
  private shuttingDown = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly process: (key: string) => Promise<QueueOutcome>,
    private readonly opts: WorkQueueOptions = {},
  ) {
    this.workers = Math.max(1, opts.workers ?? 1);
    this.scheduler = opts.scheduler ?? REAL_SCHEDULER;
  }

  /** Keys waiting to run (not counting those running now). */
  get depth(): number {
    return this.queue.length;
  }

  /** Keys running now. */
  get active(): number {
    return this.processing.size;
  }

  /** Queues a key now; a key already waiting is not queued twice. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done() when the current run ends
    this.queue.push(key);
    this.reportDepth();
    this.pump();
  }

  /** Queues a key after `ms`; an earlier pending add of the same key wins. */
  addAfter(key: string, ms: number, now: number = Date.now()): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = now + ms;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      this.scheduler.clearTimeout(pending.handle);
    }
    const handle = this.scheduler.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { handle, at });
  }

  /** Queues a key after its backoff, which grows with each call until {@link WorkQueue.forget}. */
  addRateLimited(key: string): void {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    this.addAfter(key, backoffDelay(this.opts.backoff ?? WORKQUEUE_BACKOFF, attempt));
  }

  /** Resets a key's backoff, after a success. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many times the key was retried since its last success. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Starts the workers. Idempotent. */
  start(): void {
    this.started = true;
    this.pump();
  }

  /**
   * Stops accepting keys, drops delayed adds, lets waiting and running keys finish, then resolves.
   * Never rejects.
   */
  shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const { handle } of this.delayed.values()) this.scheduler.clearTimeout(handle);
    this.delayed.clear();
    if (!this.started) {
      this.queue.length = 0;
      this.dirty.clear();
      this.reportDepth();
    }
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.processing.size === 0;
  }

  private pump(): void {
    while (this.started && this.processing.size < this.workers && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.dirty.delete(key);
      this.processing.add(key);
      this.reportDepth();
      void this.runKey(key); // runKey catches everything itself
    }
  }

  private async runKey(key: string): Promise<void> {
    let outcome: QueueOutcome;
    try {
      outcome = await this.process(key);
    } catch (err) {
      this.opts.onError?.(key, err);
      outcome = { kind: 'retry' };
    }
    this.processing.delete(key);
    this.afterRun(key, outcome);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.queue.push(key);
      this.reportDepth();
    } else {
      this.dirty.delete(key);
    }
    this.pump();
    if (this.shuttingDown && this.isIdle()) this.drained?.();
  }

  private afterRun(key: string, outcome: QueueOutcome): void {
    switch (outcome.kind) {
      case 'done':
      case 'terminal':
        this.forget(key);
        return;
      case 'requeueAfter':
        this.forget(key);
        this.addAfter(key, outcome.ms);
        return;
      case 'retry':
        this.addRateLimited(key);
        return;
      default:
        outcome satisfies never;
    }
  }

  private reportDepth(): void {
    this.opts.onDepth?.(this.queue.length);
  }
}
