/**
 * virt-controller's Prometheus metrics (prom-client), served on --metrics-port at /metrics:
 * work-queue depth, reconcile duration and errors per controller, API writes by verb and
 * resource (every write of kube/'s clients passes through onWrite), and whether this replica leads.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WriteRecord } from '../kube/clients.js';

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly queueDepth = new Gauge({
    name: 'tsvirt_controller_queue_depth',
    help: 'Keys waiting in the work queue',
    labelNames: ['controller'],
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'tsvirt_controller_reconcile_duration_seconds',
    help: 'Time one reconcile of one key took',
    labelNames: ['controller', 'result'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'tsvirt_controller_reconcile_errors_total',
    help: 'Reconciles that ended in retry, terminal or a thrown error',
    labelNames: ['controller', 'kind'],
    registers: [this.registry],
  });
  readonly apiWrites = new Counter({
    name: 'tsvirt_controller_api_writes_total',
    help: 'Writes sent to the API server, by verb, resource and HTTP status',
    labelNames: ['verb', 'resource', 'subresource', 'code'],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'tsvirt_controller_is_leader',
    help: '1 while this replica holds the lease',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** kube/'s onWrite hook. Never throws. */
  readonly countWrite = (w: WriteRecord): void => {
    this.apiWrites.inc({
      verb: w.verb,
      resource: w.resource,
      subresource: w.subresource,
      code: w.code === undefined ? '' : String(w.code),
    });
  };
}
