/**
 * Leader election on a coordination.k8s.io Lease, with client-go's timing and rules
 * (k8s.io/client-go tools/leaderelection): 15 s lease, 10 s renew deadline, 2 s retry. A lease
 * counts as expired only after leaseDuration of *local* time without a change, so clock skew
 * between machines cannot make two leaders. Every write carries the resourceVersion it read.
 * Losing the lease calls onStoppedLeading; the owner exits the process (controller-runtime does).
 */
import type { KubeClients } from './clients.js';
import { leases, type Lease } from './core.js';
import { LeaseKeeper, microTime, type LeaseDecision } from './lease-keeper.js';
import { SILENT_LOGGER, type KubeLogger } from './logger.js';

export { microTime, type LeaseDecision } from './lease-keeper.js';

/** Timing, client-go's defaults. */
export const LEADER_ELECTION_DEFAULTS = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
} as const;

/** One election: which Lease, who we are, timing and callbacks. */
export type LeaderElectionConfig = Readonly<{
  namespace: string;
  name: string;
  /** Unique per process, e.g. `${hostname}_${uuid}`. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called once the lease is ours; `signal` aborts when leadership ends. */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called once when leadership ends (lost or released). The process should exit. */
  onStoppedLeading: () => void;
  /** Called whenever a different holder is observed (including ourselves). */
  onNewLeader?: (identity: string) => void;
  /** On a clean stop, give the lease up so a successor need not wait for it to expire. */
  releaseOnCancel?: boolean;
  logger?: KubeLogger;
}>;

/** What we last saw of the lease and when (local clock): the base of the expiry decision. */
export type LeaseObservation = Readonly<{ holder: string; renewTime: string; transitions: number; observedAt: number }>;

function recordOf(lease: Lease): Omit<LeaseObservation, 'observedAt'> {
  const spec = lease.spec ?? {};
  return {
    holder: spec.holderIdentity ?? '',
    renewTime: spec.renewTime ?? '',
    transitions: spec.leaseTransitions ?? 0,
  };
}

/** Updates the observation when the lease record changed since last time. Pure. */
export function observe(
  prev: LeaseObservation | undefined,
  lease: Lease | undefined,
  now: number,
): LeaseObservation | undefined {
  if (lease === undefined) return undefined;
  const record = recordOf(lease);
  const same =
    prev !== undefined &&
    prev.holder === record.holder &&
    prev.renewTime === record.renewTime &&
    prev.transitions === record.transitions;
  return same ? prev : { ...record, observedAt: now };
}

type DecideContext = Readonly<{
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  now: number;
}>;

function newLease(ctx: DecideContext): Lease {
  const now = microTime(ctx.now);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { namespace: ctx.namespace, name: ctx.name },
    spec: {
      holderIdentity: ctx.identity,
      leaseDurationSeconds: Math.ceil(ctx.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    },
  };
}

function takenLease(existing: Lease, ctx: DecideContext): Lease {
  const now = microTime(ctx.now);
  const spec = existing.spec ?? {};
  const ours = spec.holderIdentity === ctx.identity;
  const transitions = spec.leaseTransitions ?? 0;
  return {
    ...existing,
    spec: {
      ...spec,
      holderIdentity: ctx.identity,
      leaseDurationSeconds: Math.ceil(ctx.leaseDurationMs / 1000),
      // A renewal keeps acquireTime and the transition count; a takeover resets one and bumps the other.
      acquireTime: ours ? (spec.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: ours ? transitions : transitions + 1,
    },
  };
}

/**
 * Decides one acquire-or-renew try, as client-go's tryAcquireOrRenew does. Pure.
 * `existing` is the lease as read (undefined when absent); `observation` comes from {@link observe}.
 * Someone else's lease is taken only after leaseDuration of local time without a change, or when empty.
 */
export function decideLease(
  existing: Lease | undefined,
  observation: LeaseObservation | undefined,
  ctx: DecideContext,
): LeaseDecision {
  if (existing === undefined) return { kind: 'create', lease: newLease(ctx) };
  const holder = existing.spec?.holderIdentity ?? '';
  const expired = observation === undefined || observation.observedAt + ctx.leaseDurationMs <= ctx.now;
  if (holder !== '' && holder !== ctx.identity && !expired) return { kind: 'held', holder };
  return { kind: 'update', lease: takenLease(existing, ctx) };
}

/** Runs the election for one process on a {@link LeaseKeeper}. Use {@link LeaderElector.run} once. */
export class LeaderElector {
  private readonly log: KubeLogger;
  private readonly keeper: LeaseKeeper;
  private observation: LeaseObservation | undefined;
  private leading = false;
  private reportedLeader = '';

  constructor(
    clients: KubeClients,
    private readonly config: LeaderElectionConfig,
  ) {
    this.log = config.logger ?? SILENT_LOGGER;
    const leaseDurationMs = config.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs;
    const retryPeriodMs = config.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
    this.keeper = new LeaseKeeper({
      leases: leases(clients),
      namespace: config.namespace,
      name: config.name,
      // Renewals come every retryPeriod, as client-go's renew loop polls; only failed tries are jittered.
      timing: {
        renewPeriodMs: retryPeriodMs,
        retryPeriodMs,
        renewDeadlineMs: config.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs,
        jitter: 1.2,
      },
      decide: (existing, now) => {
        this.observation = observe(this.observation, existing, now);
        return decideLease(existing, this.observation, { ...config, leaseDurationMs, now });
      },
      logger: this.log,
    });
  }

  /** True while this process holds the lease. */
  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Acquires the lease (retrying every retryPeriod, jittered), then renews it until a renewal has
   * not succeeded for renewDeadline or `signal` aborts. Resolves after onStoppedLeading ran (if it
   * led). Never rejects: API errors are retried and logged.
   */
  async run(signal: AbortSignal): Promise<void> {
    const leadership = new AbortController();
    const ref = `${this.config.namespace}/${this.config.name}`;
    const outcome = await this.keeper.run(signal, {
      onHolder: (identity) => this.reportLeader(identity),
      onAcquired: () => {
        this.leading = true;
        this.log.info({ lease: ref, identity: this.config.identity }, 'Acquired leader lease');
        try {
          this.config.onStartedLeading(leadership.signal);
        } catch (err) {
          this.log.error({ err }, 'onStartedLeading threw');
        }
      },
    });
    if (!this.leading) return;
    if (outcome === 'lost') this.log.error({ lease: ref }, 'Lost leader lease: not renewed within the renew deadline');
    this.leading = false;
    leadership.abort();
    if (signal.aborted && this.config.releaseOnCancel === true) await this.release();
    this.config.onStoppedLeading();
  }

  private reportLeader(identity: string): void {
    if (identity === this.reportedLeader) return;
    this.reportedLeader = identity;
    this.config.onNewLeader?.(identity);
  }

  private async release(): Promise<void> {
    const lease = this.keeper.last();
    if (lease?.spec?.holderIdentity !== this.config.identity) return;
    const now = microTime(Date.now());
    const released = await this.keeper.put({
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
    });
    if (released) this.log.info({ lease: this.keeper.ref }, 'Released leader lease');
  }
}
