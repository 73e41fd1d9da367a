/**
 * Leader election on a coordination.k8s.io Lease, with client-go's timings (leaderelection.go):
 * a 15 s lease, renewed every 2 s, given up when it could not be renewed for 10 s. Only the
 * holder reconciles; a standby keeps its caches warm and takes over when the lease runs out.
 * The decision is pure ({@link leaseDecision}); the loop around it reads and writes the Lease with
 * its resourceVersion, so two candidates can never both win the same round.
 *
 * This lives in controllers/ only until kube/ exports its LeaderElector; it uses kube/'s Lease client.
 */
import type { Logger } from 'pino';
import type { KubeClients } from '../kube/clients.js';
import { leases, namespaces, type Lease } from '../kube/core.js';
import { isAlreadyExists, isConflict, isNotFound, toApiError } from '../kube/errors.js';

export const LEASE_DURATION_SECONDS = 15;
export const RENEW_DEADLINE_MS = 10_000;
export const RETRY_PERIOD_MS = 2_000;

export type LeaderOptions = Readonly<{
  namespace: string;
  name: string;
  identity: string;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}>;

export interface Leadership {
  /** Stops campaigning; a holder gives the lease up so a standby need not wait for it to expire. */
  release(): Promise<void>;
}

/** RFC 3339 with microseconds, as metav1.MicroTime serialises. */
function microTime(d: Date): string {
  return d.toISOString().replace('Z', '000Z');
}

export type LeaseDecision = Readonly<{ kind: 'acquire' | 'renew' } | { kind: 'wait'; holder: string }>;

/** When the current holder's claim runs out (ms since the epoch); NaN when it never renewed. */
function expiry(lease: Lease): number {
  const spec = lease.spec;
  const renewed = Date.parse(spec?.renewTime ?? spec?.acquireTime ?? '');
  return renewed + (spec?.leaseDurationSeconds ?? LEASE_DURATION_SECONDS) * 1000;
}

/** Whether `identity` may take or keep `lease` at `now`. Pure. */
export function leaseDecision(lease: Lease | undefined, identity: string, now: Date): LeaseDecision {
  const holder = lease?.spec?.holderIdentity ?? '';
  if (holder === identity) return { kind: 'renew' };
  if (lease === undefined || holder === '') return { kind: 'acquire' };
  const until = expiry(lease);
  return Number.isNaN(until) || until <= now.getTime() ? { kind: 'acquire' } : { kind: 'wait', holder };
}

function leaseFor(opts: LeaderOptions, old: Lease | undefined, decision: LeaseDecision, now: Date): Lease {
  const t = microTime(now);
  const spec = old?.spec ?? {};
  const transitions = (spec.leaseTransitions ?? 0) + (decision.kind === 'acquire' && old !== undefined ? 1 : 0);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...old?.metadata, name: opts.name, namespace: opts.namespace },
    spec: {
      holderIdentity: opts.identity,
      leaseDurationSeconds: LEASE_DURATION_SECONDS,
      acquireTime: decision.kind === 'acquire' ? t : (spec.acquireTime ?? t),
      renewTime: t,
      leaseTransitions: transitions,
    },
  };
}

class Elector implements Leadership {
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly client;

  constructor(
    private readonly clients: KubeClients,
    private readonly opts: LeaderOptions,
  ) {
    this.client = leases(clients);
  }

  start(): void {
    void this.ensureNamespace().finally(() => this.tick()); // both catch their own errors
  }

  /** The Lease's namespace may not exist on a fresh cluster; create it when allowed to. */
  private async ensureNamespace(): Promise<void> {
    try {
      await namespaces(this.clients).create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: this.opts.namespace },
      });
    } catch (err) {
      if (!isAlreadyExists(err)) this.opts.log.debug({ err: toApiError(err) }, 'Could not create the lease namespace');
    }
  }

  private schedule(): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), RETRY_PERIOD_MS);
  }

  private async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew();
    } catch (err) {
      this.opts.log.warn({ err: toApiError(err) }, 'Could not read or write the leader lease');
    }
    if (this.leading && Date.now() - this.lastRenew > RENEW_DEADLINE_MS) this.lose();
    this.schedule();
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const ref = { namespace: this.opts.namespace, name: this.opts.name };
    const old = await this.client.find(ref);
    const now = new Date();
    const decision = leaseDecision(old, this.opts.identity, now);
    if (decision.kind === 'wait') {
      if (this.leading) this.lose(); // someone else holds it: we must not write any more
      return;
    }
    try {
      const desired = leaseFor(this.opts, old, decision, now);
      await (old === undefined ? this.client.create(desired) : this.client.update(desired));
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err) || isNotFound(err)) return; // lost the race this round
      throw err;
    }
    this.lastRenew = Date.now();
    if (!this.leading && !this.stopped) {
      this.leading = true;
      this.opts.log.info(
        { identity: this.opts.identity, lease: `${ref.namespace}/${ref.name}` },
        'Acquired the leader lease',
      );
      this.opts.onStartedLeading();
    }
  }

  private lose(): void {
    this.leading = false;
    this.opts.onStoppedLeading();
  }

  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const old = await this.client.find({ namespace: this.opts.namespace, name: this.opts.name });
      if (old?.spec?.holderIdentity !== this.opts.identity) return;
      // client-go's ReleaseOnCancel: an empty holder lets a standby take over at once.
      await this.client.update({ ...old, spec: { ...old.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
      this.opts.log.info({}, 'Released the leader lease');
    } catch (err) {
      this.opts.log.warn({ err: toApiError(err) }, 'Could not release the leader lease');
    }
  }
}

/** Campaigns for the lease in the background until released. */
export function electLeader(clients: KubeClients, opts: LeaderOptions): Leadership {
  const e = new Elector(clients, opts);
  e.start();
  return e;
}
