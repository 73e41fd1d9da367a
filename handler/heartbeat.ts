/**
 * The handler's heartbeat: a coordination.k8s.io Lease per node (`virt-handler-<node>` in
 * tsvirt-system), renewed every {@link HEARTBEAT_INTERVAL_MS}. The controller reads renewTime to
 * tell a dead handler (stale Lease, VMs may still run) from a dead VM (the handler reports it).
 * One small write per node per interval, whatever the number of VMs.
 */
import { COMPONENTS, SYSTEM_NAMESPACE } from '../api/names.js';
import { handlerLeaseName } from '../api/object-names.js';
import type { Lease } from '../kube/core.js';
import { isNotFound } from '../kube/errors.js';
import { LeaseKeeper, microTime } from '../kube/lease-keeper.js';
import type { KubeLogger } from '../kube/logger.js';
import type { ResourceClient } from '../kube/resources.js';

export const HEARTBEAT_INTERVAL_MS = 10_000;
/** A Lease not renewed for this long means the handler is gone. */
export const HEARTBEAT_LEASE_SECONDS = 40;

function acquireTime(node: string, now: Date, existing: Lease | undefined): string {
  const previous = existing?.spec?.holderIdentity === node ? existing.spec.acquireTime : undefined;
  return previous ?? microTime(now.getTime());
}

function transitions(node: string, existing: Lease | undefined): number {
  const before = existing?.spec?.leaseTransitions ?? 0;
  const holder = existing?.spec?.holderIdentity;
  return holder === undefined || holder === node ? before : before + 1;
}

/** The Lease as this handler wants it now. Pure. */
export function heartbeatLease(node: string, now: Date, existing: Lease | undefined): Lease {
  const meta = existing?.metadata ?? {};
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      ...meta,
      name: handlerLeaseName(node),
      namespace: SYSTEM_NAMESPACE,
      labels: { ...meta.labels, 'app.kubernetes.io/component': COMPONENTS.handler },
    },
    spec: {
      holderIdentity: node,
      leaseDurationSeconds: HEARTBEAT_LEASE_SECONDS,
      acquireTime: acquireTime(node, now, existing),
      renewTime: microTime(now.getTime()),
      leaseTransitions: transitions(node, existing),
    },
  };
}

/** Keeps the node's heartbeat Lease on kube/'s {@link LeaseKeeper}; a missed beat is logged and retried. */
export class Heartbeat {
  private readonly keeper: LeaseKeeper;
  private readonly abort = new AbortController();
  private running: Promise<unknown> | undefined;

  constructor(leases: ResourceClient<Lease>, node: string, log: KubeLogger, intervalMs = HEARTBEAT_INTERVAL_MS) {
    this.keeper = new LeaseKeeper({
      leases,
      namespace: SYSTEM_NAMESPACE,
      name: handlerLeaseName(node),
      decide: (existing, now) => ({
        kind: existing === undefined ? 'create' : 'update',
        lease: heartbeatLease(node, new Date(now), existing),
      }),
      // No deadline: the Lease is this node's alone, so the handler keeps beating whatever happened.
      timing: { renewPeriodMs: intervalMs, retryPeriodMs: intervalMs / 5, renewDeadlineMs: Infinity, jitter: 0.2 },
      logger: log,
      failureHint: (err) => (isNotFound(err) ? `; does namespace ${SYSTEM_NAMESPACE} exist?` : ''),
    });
  }

  start(): void {
    this.running = this.keeper.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }
}
