/**
 * virt-api's HTTPS server: every request is routed (routes.ts), authenticated as proxied by
 * kube-apiserver (front-proxy.ts), authorised by a SubjectAccessReview on its subresource
 * (access-review.ts), then served: discovery, the VM verbs, the VMI verbs through the handler,
 * and the console as a WebSocket relayed to the handler. Health and metrics need no identity.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { GROUP, SUBRESOURCES_GROUP, VMI_PLURAL, VM_PLURAL } from '../api/names.js';
import {
  CONSOLE_SUBPROTOCOL,
  CONSOLE_SUBRESOURCE,
  PORTFORWARD_SUBRESOURCE,
  SUBRESOURCES_API_VERSION,
  SUBRESOURCES_VERSION,
  parseVerbOptions,
  subresourceDiscovery,
} from '../api/subresources.js';
import type { KubeClients } from '../kube/clients.js';
import { nodes } from '../kube/core.js';
import { toApiError } from '../kube/errors.js';
import { virtualMachineInstances, virtualMachines } from '../kube/tsvirt.js';
import { forbiddenMessage, review, type ResourceAttributes } from './access-review.js';
import { relay } from './console-relay.js';
import { authenticate, type RequestHeaderConfig } from './front-proxy.js';
import { handlerOf, openHandlerConsole, putToHandler, type HandlerTarget, type HandlerTls } from './handler-client.js';
import type { VirtApiMetrics } from './metrics.js';
import { routeOf, type Route } from './routes.js';
import { runVmVerb, type Answer } from './vm-verbs.js';

export type ServerDeps = Readonly<{
  clients: KubeClients;
  requestHeader: RequestHeaderConfig;
  handlerTls: HandlerTls;
  metrics: VirtApiMetrics;
  log: Logger;
}>;

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  422: 'Invalid',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
};

/** A metav1.Status, which kubectl and kube/errors.ts read the message of. Pure. */
export function statusBody(a: Answer): unknown {
  const ok = a.code >= 200 && a.code < 300;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: ok ? 'Success' : 'Failure',
    message: a.message,
    ...(ok ? {} : { reason: REASONS[a.code] ?? 'Unknown' }),
    code: a.code,
  };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function answerFromError(err: unknown): Answer {
  const e = toApiError(err);
  return { code: e.code === 0 ? 503 : e.code, message: e.message };
}

function discovery(what: 'apis' | 'group' | 'version'): unknown {
  const version = { groupVersion: SUBRESOURCES_API_VERSION, version: SUBRESOURCES_VERSION };
  const group = { name: SUBRESOURCES_GROUP, versions: [version], preferredVersion: version };
  if (what === 'version') return subresourceDiscovery();
  if (what === 'group') return { kind: 'APIGroup', apiVersion: 'v1', ...group };
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group] };
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      try {
        resolve(text.trim() === '' ? undefined : (JSON.parse(text) as unknown));
      } catch {
        reject(new Error('the body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

type ObjectRoute = Extract<Route, { kind: 'vm' | 'vmi' | 'console' | 'portforward' }>;

function attributesOf(route: ObjectRoute): ResourceAttributes {
  const common = { namespace: route.namespace, name: route.name };
  if (route.kind === 'console')
    return { ...common, verb: 'get', resource: VMI_PLURAL, subresource: CONSOLE_SUBRESOURCE };
  // KubeVirt's edit role grants get on virtualmachineinstances/portforward; view does not.
  if (route.kind === 'portforward')
    return { ...common, verb: 'get', resource: VMI_PLURAL, subresource: PORTFORWARD_SUBRESOURCE };
  return { ...common, verb: 'update', resource: route.kind === 'vm' ? VM_PLURAL : VMI_PLURAL, subresource: route.verb };
}

/** The routes that get only an explanation. Pure. */
function unserved(
  req: IncomingMessage,
  route: Extract<Route, { kind: 'unknown' | 'wrong-method' | 'console' | 'portforward' | 'bad-request' }>,
): Answer {
  if (route.kind === 'bad-request') return { code: 400, message: route.message };
  if (route.kind === 'portforward')
    return {
      code: 400,
      message: 'portforward is a WebSocket: connect with an Upgrade request (kubectl virt port-forward)',
    };
  if (route.kind === 'unknown')
    return { code: 404, message: `the server could not find the requested resource (${req.url ?? ''})` };
  if (route.kind === 'wrong-method')
    return { code: 405, message: `${req.method ?? ''} is not allowed here; use ${route.allowed}` };
  return { code: 400, message: 'console is a WebSocket: connect with an Upgrade request (kubectl virt console)' };
}

class VirtApiServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (p) => (p.has(CONSOLE_SUBPROTOCOL) ? CONSOLE_SUBPROTOCOL : false),
  });

  constructor(private readonly deps: ServerDeps) {}

  private identify(req: IncomingMessage): ReturnType<typeof authenticate> {
    const socket = req.socket as TLSSocket;
    const cn = socket.getPeerCertificate().subject?.CN;
    return authenticate(
      { verified: socket.authorized, commonName: typeof cn === 'string' ? cn : undefined },
      // Distinct: node joins repeated X-Remote-Group headers with ", " otherwise.
      req.headersDistinct,
      this.deps.requestHeader,
    );
  }

  /** Authenticates and authorises an object route; undefined when allowed, else the refusal. */
  private async refusal(req: IncomingMessage, route: ObjectRoute): Promise<Answer | undefined> {
    const who = this.identify(req);
    if (!who.ok) return { code: 401, message: who.message };
    const attrs = attributesOf(route);
    const decision = await review(this.deps.clients, who.user, attrs);
    if (decision.allowed) return undefined;
    return { code: 403, message: forbiddenMessage(who.user, attrs) };
  }

  async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = routeOf(req.method ?? 'GET', req.url ?? '/');
    const answer = await this.answer(req, res, route);
    if (answer === undefined) return;
    this.deps.metrics.requests.inc({ route: route.kind, code: String(answer.code) });
    send(res, answer.code, statusBody(answer));
  }

  private async answer(req: IncomingMessage, res: ServerResponse, route: Route): Promise<Answer | undefined> {
    if (route.kind === 'health') return this.health(res, route.what);
    if (route.kind === 'discovery') return this.discover(req, res, route.what);
    if (route.kind === 'vm' || route.kind === 'vmi')
      return (await this.refusal(req, route)) ?? (await this.verb(req, route));
    // Every other route only gets an explanation; the parameter's type keeps this exhaustive.
    return unserved(req, route);
  }

  private async health(res: ServerResponse, what: 'healthz' | 'readyz' | 'metrics'): Promise<undefined> {
    if (what !== 'metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return undefined;
    }
    res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType });
    res.end(await this.deps.metrics.registry.metrics());
    return undefined;
  }

  private discover(req: IncomingMessage, res: ServerResponse, what: 'apis' | 'group' | 'version'): Answer | undefined {
    // Discovery is public to anyone the front proxy vouches for, as the built-in system:discovery role makes it.
    const socket = req.socket as TLSSocket;
    if (!socket.authorized) return { code: 401, message: 'no front-proxy client certificate' };
    send(res, 200, discovery(what));
    return undefined;
  }

  private async verb(req: IncomingMessage, route: Extract<Route, { kind: 'vm' | 'vmi' }>): Promise<Answer> {
    const clients = this.deps.clients;
    try {
      if (route.kind === 'vmi') return await this.vmiVerb(route);
      const opts = parseVerbOptions(route.verb, await readBody(req).catch(() => ({ notJson: true })));
      if (!opts.ok) return { code: 400, message: opts.message };
      return await runVmVerb(
        { vms: virtualMachines(clients), vmis: virtualMachineInstances(clients) },
        route,
        opts.value,
      );
    } catch (err) {
      return answerFromError(err);
    }
  }

  private async vmiVerb(route: Extract<Route, { kind: 'vmi' }>): Promise<Answer> {
    const vmi = await virtualMachineInstances(this.deps.clients).find(route);
    if (vmi === undefined)
      return {
        code: 404,
        message: `${VMI_PLURAL}.${GROUP} "${route.name}" not found`,
      };
    const target = await handlerOf(nodes(this.deps.clients), vmi, route.verb);
    if (!target.ok) return target.answer;
    return putToHandler(target.url, this.deps.handlerTls);
  }

  /** The handler URL of a console or port-forward, or why there is none. */
  private async streamTarget(route: Extract<Route, { kind: 'console' | 'portforward' }>): Promise<HandlerTarget> {
    const vmi = await virtualMachineInstances(this.deps.clients).find(route);
    if (vmi === undefined)
      return { ok: false, answer: { code: 404, message: `${VMI_PLURAL}.${GROUP} "${route.name}" not found` } };
    return route.kind === 'console'
      ? handlerOf(nodes(this.deps.clients), vmi, 'console')
      : handlerOf(nodes(this.deps.clients), vmi, 'portforward', route.forward);
  }

  async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const route = routeOf(req.method ?? 'GET', req.url ?? '/');
    if (route.kind === 'bad-request') return refuseUpgrade(socket, { code: 400, message: route.message });
    if (route.kind !== 'console' && route.kind !== 'portforward')
      return refuseUpgrade(socket, { code: 404, message: 'only console and portforward take a WebSocket' });
    const refused = (await this.refusal(req, route)) ?? undefined;
    if (refused !== undefined) return refuseUpgrade(socket, refused);
    const target = await this.streamTarget(route);
    if (!target.ok) return refuseUpgrade(socket, target.answer);
    const opened = await openHandlerConsole(target.url, this.deps.handlerTls);
    if ('answer' in opened) return refuseUpgrade(socket, opened.answer);
    this.wss.handleUpgrade(req, socket, head, (user) => {
      this.deps.metrics.consoles.inc();
      user.on('close', () => this.deps.metrics.consoles.dec());
      relay(user, opened.ws);
    });
  }
}

function refuseUpgrade(socket: Duplex, a: Answer): void {
  const body = JSON.stringify(statusBody(a));
  socket.end(
    `HTTP/1.1 ${a.code} ${REASONS[a.code] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export type ServingTls = Readonly<{ cert: Buffer; key: Buffer }>;

/** Listens on `host:port` (0: any free port). */
export async function startServer(tls: ServingTls, host: string, port: number, deps: ServerDeps): Promise<Server> {
  const api = new VirtApiServer(deps);
  // The requestheader CA verifies the front proxy; a request without a certificate still reaches
  // the health routes, and is refused everywhere else (front-proxy.ts).
  const server = createServer({
    ...tls,
    ca: deps.requestHeader.clientCa,
    requestCert: true,
    rejectUnauthorized: false,
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    api.onRequest(req, res).catch((err: unknown) => {
      deps.log.warn({ err, url: req.url }, 'Could not serve a request');
      if (!res.headersSent) send(res, 500, statusBody(answerFromError(err)));
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    api.onUpgrade(req, socket, head).catch((err: unknown) => {
      deps.log.warn({ err, url: req.url }, 'Could not open a console');
      refuseUpgrade(socket, {
        code: 502,
        message: `could not reach the VMI's handler: ${err instanceof Error ? err.message : String(err)}`,
      });
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => done());
  });
  return server;
}
