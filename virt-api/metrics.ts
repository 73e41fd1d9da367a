/** virt-api's Prometheus metrics, served on its own port at /metrics (no identity needed). */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class VirtApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'tsvirt_api_requests_total',
    help: 'Requests virt-api answered, by route and status code',
    labelNames: ['route', 'code'] as const,
    registers: [this.registry],
  });
  readonly consoles = new Gauge({
    name: 'tsvirt_api_console_sessions',
    help: 'Console WebSockets open now',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
