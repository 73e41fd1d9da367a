/**
 * The handler's heartbeat: a coordination.k8s.io Lease per node (`virt-handler-<node>` in
 * tsvirt-system), renewed every {@link HEARTBEAT_INTERVAL_MS}. The controller reads renewTime to
 * tell a dead handler (stale Lease, VMs may still run) from a dead VM (the handler reports it).
 * One small write per node per interval, whatever the number of VMs.
 */
import { COMPONENTS, SYSTEM_NAMESPACE } from '../api/names.js';
import { handlerLeaseName } from '../api/object-names.js';
import type { Lease } from '../kube/core.js';
import { isNotFound, toApiError } from '../kube/errors.js';
import type { KubeLogger } from '../kube/logger.js';
import type { ResourceClient } from '../kube/resources.js';

export const HEARTBEAT_INTERVAL_MS = 10_000;
/** A Lease not renewed for this long means the handler is gone. */
export const HEARTBEAT_LEASE_SECONDS = 40;

/** Microsecond RFC 3339, as metav1.MicroTime serialises. */
function microTime(d: Date): string {
  return d.toISOString().replace('Z', '000Z');
}

function acquireTime(node: string, now: Date, existing: Lease | undefined): string {
  const previous = existing?.spec?.holderIdentity === node ? existing.spec.acquireTime : undefined;
  return previous ?? microTime(now);
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
      renewTime: microTime(now),
      leaseTransitions: transitions(node, existing),
    },
  };
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private beating: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly leases: ResourceClient<Lease>,
    private readonly node: string,
    private readonly log: KubeLogger,
    private readonly intervalMs = HEARTBEAT_INTERVAL_MS,
  ) {}

  start(): void {
    this.beating = this.beat().finally(() => this.schedule());
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.beating = this.beat().finally(() => this.schedule());
    }, this.intervalMs);
  }

  /** Renews (or creates) the Lease once. Never throws: a missed beat is logged and tried again. */
  async beat(): Promise<void> {
    try {
      const ref = { namespace: SYSTEM_NAMESPACE, name: handlerLeaseName(this.node) };
      const existing = await this.leases.find(ref);
      const lease = heartbeatLease(this.node, new Date(), existing);
      if (existing === undefined) await this.leases.create(lease);
      else await this.leases.update(lease);
      if (this.failing) this.log.info({ lease: ref.name }, 'Renewed the handler Lease again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        const hint = isNotFound(err) ? `; does namespace ${SYSTEM_NAMESPACE} exist?` : '';
        this.log.warn({ err: toApiError(err) }, `Could not renew the handler Lease${hint}`);
      }
      this.failing = true;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.beating;
  }
}
