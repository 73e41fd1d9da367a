/**
 * virt-handler's Prometheus metrics; kube/manager.ts's probe server serves this registry on
 * --metrics-port (/metrics beside /healthz and /readyz).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { WriteRecord } from '../kube/clients.js';

export class HandlerMetrics {
  readonly registry = new Registry();
  readonly apiWrites = new Counter({
    name: 'tsvirt_handler_api_writes_total',
    help: 'API writes by virt-handler, by verb, resource and subresource',
    labelNames: ['verb', 'resource', 'subresource'] as const,
    registers: [this.registry],
  });
  readonly domains = new Gauge({
    name: 'tsvirt_handler_domains',
    help: 'tsvirt domains on this node at the last poll',
    registers: [this.registry],
  });
  readonly pollSeconds = new Gauge({
    name: 'tsvirt_handler_last_poll_seconds',
    help: 'Duration of the last libvirt poll',
    registers: [this.registry],
  });
  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  observePoll(ms: number, domains: number): void {
    this.pollSeconds.set(ms / 1000);
    this.domains.set(domains);
  }

  onWrite(w: WriteRecord): void {
    this.apiWrites.inc({ verb: w.verb, resource: w.resource, subresource: w.subresource });
  }
}
