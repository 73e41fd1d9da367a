/**
 * virt-handler's Prometheus metrics on --metrics-port (/metrics, and /healthz for probes).
 * Bound to 127.0.0.1 unless told otherwise; port 0 picks a free one (logged at start).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  private server: Server | undefined;

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

  /** Serves /metrics and /healthz; resolves with the bound port. */
  async listen(port: number, host = '127.0.0.1', healthy: () => boolean = () => true): Promise<number> {
    this.server = createServer((req, res) => {
      if (req.url === '/healthz') {
        const ok = healthy();
        res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'unhealthy');
        return;
      }
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
