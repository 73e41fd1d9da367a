/**
 * The probe and metrics server of a service: `/healthz`, `/readyz` and `/metrics` (prom-client),
 * on 127.0.0.1 unless told otherwise (the manifests' probes fetch from inside the container).
 * {@link probeAnswer} is the pure routing and readiness decision; {@link serveProbes} the socket.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { KubeLogger } from './logger.js';

/** What the probes report on: caches synced (workers may run), and whether the process is stopping. */
export type ProbeState = Readonly<{ synced: boolean; stopping: boolean }>;

/** Which endpoints one server carries: health (/healthz, /readyz), metrics (/metrics), or both. */
export type ProbeRoutes = Readonly<{ health: boolean; metrics: boolean }>;

/** The answer to one request: a status and body, or "render the metrics registry". */
export type ProbeAnswer = Readonly<{ kind: 'text'; status: number; body: string } | { kind: 'metrics' }>;

/**
 * Answers one probe. Pure. Neither /healthz nor /readyz is ok before the caches synced (a
 * service that cannot see its objects is no use yet, and was never reported healthy before);
 * /readyz also fails once the process is stopping, so a Service sends it no new work.
 */
export function probeAnswer(path: string | undefined, state: ProbeState, routes: ProbeRoutes): ProbeAnswer {
  const url = (path ?? '').split('?')[0];
  if (routes.metrics && url === '/metrics') return { kind: 'metrics' };
  if (routes.health && (url === '/healthz' || url === '/readyz')) return health(url, state);
  return { kind: 'text', status: 404, body: 'not found' };
}

function health(url: '/healthz' | '/readyz', state: ProbeState): ProbeAnswer {
  if (!state.synced) return { kind: 'text', status: 503, body: 'caches not synced' };
  if (url === '/readyz' && state.stopping) return { kind: 'text', status: 503, body: 'stopping' };
  return { kind: 'text', status: 200, body: 'ok' };
}

/** One listening probe server. */
export type ProbeServer = Readonly<{ server: Server; port: number; close: () => Promise<void> }>;

/** Options of {@link serveProbes}. */
export type ProbeServerOptions = Readonly<{
  port: number;
  host?: string;
  routes: ProbeRoutes;
  state: () => ProbeState;
  registry?: Registry | undefined;
  /** Logged as `${what}Port` in `Started serving ${what}`: tests and bench read the metrics port there. */
  what: string;
  logger: KubeLogger;
}>;

/** Listens on `port` (0: a free one) and resolves once bound. */
export function serveProbes(opts: ProbeServerOptions): Promise<ProbeServer> {
  const server = createServer((req, res) => {
    const answer = probeAnswer(req.url, opts.state(), opts.routes);
    if (answer.kind === 'text') {
      res.writeHead(answer.status).end(answer.body);
      return;
    }
    const registry = opts.registry;
    if (registry === undefined) {
      res.writeHead(404).end('no metrics');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      opts.logger.info({ [`${opts.what}Port`]: port }, `Started serving ${opts.what}`);
      const close = (): Promise<void> =>
        new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        });
      resolve({ server, port, close });
    });
  });
}
