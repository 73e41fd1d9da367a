/**
 * The console's two hops joined: the user's WebSocket (through kube-apiserver's proxy) and the
 * handler's (mutual TLS). Bytes pass as they come, both ways; a close on one side closes the other
 * with the same code, so "another session took over" reaches the user. virt-api pings the user's
 * side: a proxy that sees no traffic drops a WebSocket with 1006 after its idle timeout.
 */
import type { WebSocket } from 'ws';
import { CONSOLE_PING_INTERVAL_MS } from '../api/subresources.js';

/** Close codes a peer may not send on the wire (1005, 1006, 1015 are reserved). */
const sendable = (code: number): number => (code === 1005 || code === 1006 || code === 1015 ? 1011 : code);

function forward(from: WebSocket, to: WebSocket): void {
  from.on('message', (data: Buffer, isBinary: boolean) => {
    if (to.readyState === to.OPEN) to.send(data, { binary: isBinary });
  });
  from.on('close', (code: number, reason: Buffer) => {
    if (to.readyState === to.OPEN || to.readyState === to.CONNECTING) to.close(sendable(code), reason.toString());
  });
  from.on('error', () => to.terminate());
}

/** Relays until either side closes. */
export function relay(user: WebSocket, handler: WebSocket): void {
  forward(user, handler);
  forward(handler, user);
  let alive = true;
  user.on('pong', () => (alive = true));
  const ping = setInterval(() => {
    if (!alive) return void user.terminate();
    alive = false;
    user.ping();
  }, CONSOLE_PING_INTERVAL_MS);
  user.on('close', () => clearInterval(ping));
}
