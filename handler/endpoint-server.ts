/**
 * The handler's endpoint for virt-api: pause, unpause and soft reboot of a VMI on this node, and its
 * serial console as a WebSocket. Mutual TLS: the client certificate must chain to the cluster CA
 * and name virt-api ({@link VIRT_API_CLIENT_CN}); anyone else is refused before any path is read.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import {
  CONSOLE_SUBPROTOCOL,
  VIRT_API_CLIENT_CN,
  parseHandlerPath,
  type HandlerAction,
  type PortForwardTarget,
} from '../api/subresources.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { DomainObservation } from './domain/state.js';
import type { SerialConsoles } from './serial-console.js';
import { decideAction } from './vmi-actions.js';
import { bridge, GuestPortError } from './port-forward.js';

export type EndpointTls = Readonly<{ cert: Buffer; key: Buffer; clientCa: Buffer }>;

export type EndpointDeps = Readonly<{
  nodeName: string;
  /** The cached VMI on this node, if any. */
  findVmi: (namespace: string, name: string) => VirtualMachineInstance | undefined;
  /** The VMI's domain as libvirt sees it now. */
  observe: (vmi: VirtualMachineInstance) => Promise<DomainObservation>;
  /** Runs pause / unpause / softreboot on the VMI's domain; throws with libvirt's reason. */
  act: (action: Exclude<HandlerAction, 'console'>, vmi: VirtualMachineInstance) => Promise<void>;
  serialSocket: (vmi: VirtualMachineInstance) => string;
  /** A TCP connection to the guest's port; throws GuestPortError with the reason. */
  connectGuest: (vmi: VirtualMachineInstance, target: PortForwardTarget) => Promise<Socket>;
  consoles: SerialConsoles;
  log: Logger;
}>;

/** Whether the peer is virt-api: a verified chain (checked by TLS) and virt-api's CN. */
function isVirtApi(socket: TLSSocket): boolean {
  return socket.authorized && socket.getPeerCertificate().subject?.CN === VIRT_API_CLIENT_CN;
}

function reply(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code, message }));
}

type Resolved = Readonly<
  | { ok: true; vmi: VirtualMachineInstance; action: HandlerAction; forward?: PortForwardTarget }
  | { ok: false; code: number; message: string }
>;

async function resolve(req: IncomingMessage, deps: EndpointDeps): Promise<Resolved> {
  if (!isVirtApi(req.socket as TLSSocket))
    return { ok: false, code: 403, message: 'only virt-api may call this endpoint' };
  const target = parseHandlerPath(req.url ?? '');
  if (target === undefined) return { ok: false, code: 404, message: `no such path: ${req.url ?? ''}` };
  const vmi = deps.findVmi(target.namespace, target.name);
  const domain: DomainObservation = vmi === undefined ? { kind: 'missing' } : await deps.observe(vmi);
  const decided = decideAction(target.action, vmi, domain, deps.nodeName);
  if (decided.kind === 'refuse') return { ok: false, code: decided.code, message: decided.message };
  return {
    ok: true,
    vmi: vmi as VirtualMachineInstance,
    action: target.action,
    ...(target.forward === undefined ? {} : { forward: target.forward }),
  };
}

async function onRequest(req: IncomingMessage, res: ServerResponse, deps: EndpointDeps): Promise<void> {
  const r = await resolve(req, deps);
  if (!r.ok) return reply(res, r.code, r.message);
  if (r.action === 'console' || r.action === 'portforward' || req.method !== 'PUT')
    return reply(
      res,
      405,
      `${r.action} takes ${r.action === 'softreboot' || r.action === 'pause' || r.action === 'unpause' ? 'PUT' : 'a WebSocket upgrade'}`,
    );
  await deps.act(r.action, r.vmi);
  deps.log.info({ namespace: r.vmi.metadata.namespace, name: r.vmi.metadata.name, action: r.action }, 'Ran VMI action');
  reply(res, 200, `${r.action} done`);
}

function refuseUpgrade(socket: Duplex, code: number, message: string): void {
  const body = JSON.stringify({ code, message });
  socket.end(
    `HTTP/1.1 ${code} ${code === 403 ? 'Forbidden' : 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

type Upgrade = Readonly<{ req: IncomingMessage; socket: Duplex; head: Buffer }>;

async function onUpgrade(wss: WebSocketServer, { req, socket, head }: Upgrade, deps: EndpointDeps): Promise<void> {
  const r = await resolve(req, deps);
  if (!r.ok) return refuseUpgrade(socket, r.code, r.message);
  if (r.action === 'portforward' && r.forward !== undefined) return forwardUpgrade(wss, { req, socket, head }, r, deps);
  if (r.action !== 'console') return refuseUpgrade(socket, 405, `${r.action} takes PUT`);
  const vmi = r.vmi;
  wss.handleUpgrade(req, socket, head, (ws) => {
    deps.consoles.attach(`${vmi.metadata.namespace ?? ''}/${vmi.metadata.name ?? ''}`, deps.serialSocket(vmi), ws);
  });
}

async function forwardUpgrade(
  wss: WebSocketServer,
  { req, socket, head }: Upgrade,
  r: Readonly<{ vmi: VirtualMachineInstance; forward?: PortForwardTarget }>,
  deps: EndpointDeps,
): Promise<void> {
  const { vmi, forward } = r;
  if (forward === undefined) return refuseUpgrade(socket, 404, 'portforward needs a port');
  let guest: Socket;
  try {
    guest = await deps.connectGuest(vmi, forward);
  } catch (err) {
    if (err instanceof GuestPortError) return refuseUpgrade(socket, 502, err.message);
    throw err;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    deps.log.info(
      { namespace: vmi.metadata.namespace, name: vmi.metadata.name, port: forward.port },
      'Opened a port-forward connection',
    );
    bridge(ws, guest);
  });
}

/** Starts the endpoint on `host:port` (0: any free port); resolves with the server once it listens. */
export async function startEndpoint(tls: EndpointTls, host: string, port: number, deps: EndpointDeps): Promise<Server> {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(CONSOLE_SUBPROTOCOL) ? CONSOLE_SUBPROTOCOL : false),
  });
  const server = createServer({
    cert: tls.cert,
    key: tls.key,
    ca: tls.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res, deps).catch((err: unknown) => {
      deps.log.warn({ err, url: req.url }, 'Could not run a VMI action');
      if (!res.headersSent) reply(res, 500, err instanceof Error ? err.message : String(err));
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(wss, { req, socket, head }, deps).catch((err: unknown) => {
      deps.log.warn({ err, url: req.url }, 'Could not open a console session');
      refuseUpgrade(socket, 500, err instanceof Error ? err.message : String(err));
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => done());
  });
  return server;
}
