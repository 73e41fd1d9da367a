/**
 * One acquire-and-renew loop for every coordination.k8s.io Lease tsvirt keeps: the controller's
 * leader election (kube/leader.ts), the handler's heartbeat (handler/heartbeat.ts) and the local
 * node agent's node Lease (cluster/agent/node-heartbeat.ts). The owner says what the Lease should
 * look like ({@link LeaseKeeperConfig.decide}); the keeper reads, writes, waits and gives up.
 *
 * Renewals are one PUT on the Lease this process last wrote (its resourceVersion makes the write
 * conditional); after any failure the next try reads the Lease fresh, so a 409 costs one extra GET.
 * Failed tries are retried after a jittered retry period, as client-go's JitterUntil spreads them,
 * so many nodes or replicas that lost the API server together do not come back in one burst.
 */
import { sleep } from './backoff.js';
import type { Lease } from './core.js';
import { isConflict, toApiError } from './errors.js';
import { SILENT_LOGGER, type KubeLogger } from './logger.js';
import type { ResourceClient } from './resources.js';

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The outcome of one decision: write this lease (create or update), or wait because someone else holds it. */
export type LeaseDecision = Readonly<
  { kind: 'create'; lease: Lease } | { kind: 'update'; lease: Lease } | { kind: 'held'; holder: string }
>;

/** How often to renew, retry and when to give up. */
export type LeaseTiming = Readonly<{
  /** Wait after a successful write before the next renewal. */
  renewPeriodMs: number;
  /** Wait after a failed or refused try, before jitter. */
  retryPeriodMs: number;
  /** A held Lease not renewed for this long is lost; `Infinity` keeps trying for ever (heartbeats). */
  renewDeadlineMs: number;
  /** Up to this fraction of the retry period is added at random (client-go's 1.2 for elections). */
  jitter: number;
}>;

/** Where the loop stands: whether it holds the Lease, and when it last wrote it (keeper's clock). */
export type KeeperState = Readonly<{ holding: boolean; lastWriteAt: number | undefined; failures: number }>;

export const INITIAL_KEEPER_STATE: KeeperState = { holding: false, lastWriteAt: undefined, failures: 0 };

/** One try's outcome: the Lease was written, someone else holds it, or the API call failed. */
export type TryOutcome = 'written' | 'held' | 'failed';

/** One try as the decision sees it: its outcome, when it ended, and a random draw in [0, 1) for the jitter. */
export type TryResult = Readonly<{ outcome: TryOutcome; now: number; random: number }>;

/** What the loop does next: `acquired`/`renewed`/`retry` wait `waitMs` and try again; `lost` ends the loop. */
export type KeeperStep = Readonly<{
  kind: 'acquired' | 'renewed' | 'retry' | 'lost';
  waitMs: number;
  state: KeeperState;
}>;

/**
 * The renewal decision after one try. Pure: the time and the random draw come in with the try.
 * A held Lease is lost only once no write succeeded for renewDeadline, measured from the last
 * successful write, as client-go's renew loop measures it.
 */
export function nextStep(state: KeeperState, t: TryResult, timing: LeaseTiming): KeeperStep {
  const { outcome, now } = t;
  if (outcome === 'written') {
    return {
      kind: state.holding ? 'renewed' : 'acquired',
      waitMs: timing.renewPeriodMs,
      state: { holding: true, lastWriteAt: now, failures: 0 },
    };
  }
  const failures = outcome === 'failed' ? state.failures + 1 : 0;
  if (state.holding && state.lastWriteAt !== undefined && now - state.lastWriteAt >= timing.renewDeadlineMs) {
    return { kind: 'lost', waitMs: 0, state: { holding: false, lastWriteAt: state.lastWriteAt, failures } };
  }
  const waitMs = timing.retryPeriodMs * (1 + timing.jitter * t.random);
  return { kind: 'retry', waitMs, state: { ...state, failures } };
}

/** One Lease to keep: which, what it should say, timing and how to log. */
export type LeaseKeeperConfig = Readonly<{
  leases: ResourceClient<Lease>;
  namespace: string;
  name: string;
  /** What to write, given the Lease as read (undefined when absent) and the time. Pure. */
  decide: (existing: Lease | undefined, now: number) => LeaseDecision;
  timing: LeaseTiming;
  logger?: KubeLogger;
  /** Appended to the first warning of a failure streak (say, which namespace must exist). */
  failureHint?: (err: unknown) => string;
  now?: () => number;
  random?: () => number;
}>;

/** Hooks a loop reports to; each runs synchronously inside the loop. */
export type KeeperHooks = Readonly<{
  /** The first successful write (the Lease is ours). */
  onAcquired?: () => void;
  /** A different holder was seen (or ourselves after a write). */
  onHolder?: (identity: string) => void;
}>;

/** Keeps one Lease; see the module comment. */
export class LeaseKeeper {
  private readonly log: KubeLogger;
  private readonly now: () => number;
  /** The Lease this process last wrote; undefined after a failure, so the next try reads it fresh. */
  private written: Lease | undefined;
  private failing = false;

  constructor(private readonly config: LeaseKeeperConfig) {
    this.log = config.logger ?? SILENT_LOGGER;
    this.now = config.now ?? Date.now;
  }

  /** The Lease as this process last wrote it, for a release on shutdown. */
  last(): Lease | undefined {
    return this.written;
  }

  /** Where the loop logs from, `namespace/name`. */
  get ref(): string {
    return `${this.config.namespace}/${this.config.name}`;
  }

  /**
   * Tries until the Lease is ours, then renews it until `signal` aborts ('stopped') or the renew
   * deadline passes ('lost'). Never rejects: API errors are logged and retried.
   */
  async run(signal: AbortSignal, hooks: KeeperHooks = {}): Promise<'stopped' | 'lost'> {
    let state = INITIAL_KEEPER_STATE;
    // A Lease {@link writeOnce} just wrote needs no second write at once: wait a renewal period first.
    if (this.written !== undefined) {
      state = { holding: true, lastWriteAt: this.now(), failures: 0 };
      if (!(await sleep(this.config.timing.renewPeriodMs, signal))) return 'stopped';
    }
    while (!signal.aborted) {
      const outcome = await this.tryOnce(hooks);
      const random = (this.config.random ?? Math.random)();
      const step = nextStep(state, { outcome, now: this.now(), random }, this.config.timing);
      state = step.state;
      if (step.kind === 'acquired') hooks.onAcquired?.();
      if (step.kind === 'lost') return 'lost';
      if (!(await sleep(step.waitMs, signal))) break;
    }
    return 'stopped';
  }

  /** One read-decide-write; throws what the API server said (the node agent registers with it). */
  async writeOnce(): Promise<LeaseDecision> {
    try {
      const existing =
        this.written ?? (await this.config.leases.find({ namespace: this.config.namespace, name: this.config.name }));
      this.written = undefined;
      const decision = this.config.decide(existing, this.now());
      if (decision.kind === 'held') return decision;
      this.written =
        decision.kind === 'create'
          ? await this.config.leases.create(decision.lease)
          : await this.config.leases.update(decision.lease);
      return decision;
    } catch (err) {
      this.written = undefined;
      throw err;
    }
  }

  /** Writes `lease` as is (a release); logs and swallows a failure, since the Lease expires anyway. */
  async put(lease: Lease): Promise<boolean> {
    try {
      this.written = await this.config.leases.update(lease);
      return true;
    } catch (err) {
      this.log.warn({ err: toApiError(err), lease: this.ref }, 'Could not write the Lease');
      return false;
    }
  }

  private async tryOnce(hooks: KeeperHooks): Promise<TryOutcome> {
    try {
      const decision = await this.writeOnce();
      if (decision.kind === 'held') {
        hooks.onHolder?.(decision.holder);
        return 'held';
      }
      hooks.onHolder?.(decision.lease.spec?.holderIdentity ?? '');
      if (this.failing) this.log.info({ lease: this.ref }, 'Renewed the Lease again');
      this.failing = false;
      return 'written';
    } catch (err) {
      this.reportFailure(err);
      return 'failed';
    }
  }

  // The first failure of a streak is worth a line; a 409 is a lost race with another writer (the
  // resourceVersion moved), normal and not worth one.
  private reportFailure(err: unknown): void {
    if (this.failing || isConflict(err)) return;
    const hint = this.config.failureHint?.(err) ?? '';
    this.log.warn({ err: toApiError(err), lease: this.ref }, `Could not renew the Lease${hint}`);
    this.failing = true;
  }
}
