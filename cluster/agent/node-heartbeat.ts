// Registers the Node, renews its Lease every 10 s (kube/lease-keeper.ts) and posts its status
// (Ready) every --node-status-report-seconds, as a kubelet does; the node-lifecycle controller
// reads the Lease.
import { backoffDelay, RECONNECT_BACKOFF, sleep } from '../../kube/backoff.js';
import type { KubeClients } from '../../kube/clients.js';
import { leases, nodes, type Node } from '../../kube/core.js';
import { isAlreadyExists, toApiError } from '../../kube/errors.js';
import { LeaseKeeper } from '../../kube/lease-keeper.js';
import type { KubeLogger } from '../../kube/logger.js';
import { NODE_LEASE_NAMESPACE, newNode, nodeLabels, nodeLease, nodeStatus, type NodeResources } from './node-object.js';

const LEASE_RENEW_MS = 10_000;

export class NodeHeartbeat {
  private readonly nodes;
  private readonly lease: LeaseKeeper;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private nodeUid: string | undefined;

  constructor(
    clients: KubeClients,
    private readonly nodeName: string,
    private readonly resources: NodeResources,
    private readonly opts: Readonly<{ log: KubeLogger; statusReportMs: number }>,
  ) {
    this.nodes = nodes(clients);
    this.lease = new LeaseKeeper({
      leases: leases(clients),
      namespace: NODE_LEASE_NAMESPACE,
      name: nodeName,
      decide: (existing, now) => ({
        kind: existing === undefined ? 'create' : 'update',
        lease: nodeLease(nodeName, this.nodeUid, existing, now),
      }),
      // The kubelet's node lease controller: renew every 10 s, retry soon, never give the Lease up.
      timing: { renewPeriodMs: LEASE_RENEW_MS, retryPeriodMs: 1000, renewDeadlineMs: Infinity, jitter: 0.2 },
      logger: opts.log,
    });
  }

  /** Creates or refreshes the Node; throws when the API refuses (the agent cannot run without it). */
  async register(): Promise<void> {
    try {
      const created = await this.nodes.create(newNode(this.nodeName, this.resources, Date.now()));
      this.nodeUid = created.metadata?.uid;
      this.opts.log.info({}, 'Registered Node');
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const patched = await this.nodes.patch(
        { name: this.nodeName },
        { type: 'merge', patch: { metadata: { labels: nodeLabels(this.nodeName) } } },
      );
      this.nodeUid = patched.metadata?.uid;
      await this.postStatus(patched);
      this.opts.log.info({}, 'Refreshed existing Node');
    }
    await this.lease.writeOnce();
  }

  /** Starts the Lease and status loops. */
  start(): void {
    this.loops = [
      this.lease.run(this.abort.signal).then(() => undefined),
      this.every(this.opts.statusReportMs, () => this.postStatus()),
    ];
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async every(ms: number, fn: () => Promise<void>): Promise<void> {
    let failures = 0;
    while (await sleep(failures === 0 ? ms : backoffDelay(RECONNECT_BACKOFF, failures - 1), this.abort.signal)) {
      try {
        await fn();
        failures = 0;
      } catch (e) {
        failures += 1;
        this.opts.log.warn({ err: toApiError(e) }, 'Node heartbeat failed, retrying');
      }
    }
  }

  private async postStatus(current?: Node): Promise<void> {
    const existing = current ?? (await this.nodes.get({ name: this.nodeName }));
    await this.nodes.patchStatus(
      { name: this.nodeName },
      { type: 'merge', patch: { status: nodeStatus(this.resources, existing, Date.now()) } },
    );
  }
}
