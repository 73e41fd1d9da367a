/**
 * virt-api → the handler on a VMI's node, over mutual TLS: virt-api shows its client certificate
 * (CN {@link VIRT_API_CLIENT_CN}), and checks that the handler shows a cluster-CA certificate for
 * {@link HANDLER_TLS_SERVER_NAME}, so an address on a Node cannot lead it anywhere else.
 * The address comes from the Node's {@link HANDLER_ENDPOINT_ANNOTATION}, written by that handler.
 */
import { request } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { WebSocket } from 'ws';
import {
  CONSOLE_SUBPROTOCOL,
  HANDLER_ENDPOINT_ANNOTATION,
  HANDLER_TLS_SERVER_NAME,
  handlerPath,
  type HandlerAction,
  type PortForwardTarget,
} from '../api/subresources.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { nodes } from '../kube/core.js';
import type { Answer } from './vm-verbs.js';

export type HandlerTls = Readonly<{ cert: Buffer; key: Buffer; ca: Buffer }>;

/** Where a VMI's handler is, or why it cannot be reached (a 409 or 503 for the user). */
export type HandlerTarget = Readonly<{ ok: true; url: string } | { ok: false; answer: Answer }>;

/** The node of a Running VMI; undefined when it does not run. */
function runningOn(vmi: VirtualMachineInstance): string | undefined {
  const node = vmi.status?.nodeName;
  return vmi.status?.phase === 'Running' && node !== undefined && node !== '' ? node : undefined;
}

function addressOf(
  node: Readonly<{ metadata?: { annotations?: Readonly<Record<string, string>> } }> | undefined,
): string | undefined {
  const address = node?.metadata?.annotations?.[HANDLER_ENDPOINT_ANNOTATION];
  return address === undefined || address === '' ? undefined : address;
}

/** Finds the handler endpoint of the VMI's node. */
export async function handlerOf(
  nodeClient: ReturnType<typeof nodes>,
  vmi: VirtualMachineInstance,
  action: HandlerAction,
  forward?: PortForwardTarget,
): Promise<HandlerTarget> {
  const node = runningOn(vmi);
  if (node === undefined) return { ok: false, answer: { code: 409, message: 'VMI is not running' } };
  const address = addressOf(await nodeClient.find({ name: node }));
  if (address === undefined)
    return {
      ok: false,
      answer: {
        code: 503,
        message: `the virt-handler on node ${node} serves no endpoint (no ${HANDLER_ENDPOINT_ANNOTATION})`,
      },
    };
  const path = handlerPath(vmi.metadata.namespace ?? '', vmi.metadata.name ?? '', action, forward);
  return { ok: true, url: `https://${address}${path}` };
}

const tlsOptions = (tls: HandlerTls): Readonly<Record<string, unknown>> => ({
  cert: tls.cert,
  key: tls.key,
  ca: tls.ca,
  servername: HANDLER_TLS_SERVER_NAME,
  // The address is an IP; the identity checked is the service name the certificate must carry.
  checkServerIdentity: (_host: string, cert: PeerCertificate) => checkName(cert),
});

function checkName(cert: PeerCertificate): Error | undefined {
  const names = (cert.subjectaltname ?? '').split(', ').map((n) => n.replace(/^DNS:/, ''));
  return names.includes(HANDLER_TLS_SERVER_NAME)
    ? undefined
    : new Error(
        `the handler's certificate is not for ${HANDLER_TLS_SERVER_NAME} (it names ${cert.subjectaltname ?? 'nothing'})`,
      );
}

/** PUT on the handler; resolves with its code and message. Throws on a network or TLS failure. */
export function putToHandler(url: string, tls: HandlerTls, timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', ...tlsOptions(tls), timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 500, message: messageOf(text) }));
    });
    req.on('timeout', () => req.destroy(new Error(`the handler did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : text;
  } catch {
    return text;
  }
}

/** Opens a console or port-forward WebSocket to the handler (raw bytes both ways); resolves once it is open, or with the handler's refusal. */
export function openHandlerConsole(url: string, tls: HandlerTls): Promise<{ ws: WebSocket } | { answer: Answer }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^https:/, 'wss:'), CONSOLE_SUBPROTOCOL, {
      ...tlsOptions(tls),
      handshakeTimeout: 10_000,
    });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ answer: { code: res.statusCode ?? 502, message: messageOf(text) } }));
    });
    ws.once('error', reject);
  });
}
