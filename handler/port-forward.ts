/**
 * One port-forward connection into a guest: the handler asks the VMI's QEMU for a host forward
 * (`hostfwd_add`) on a loopback port it just found free, connects to it, and removes the forward
 * at once. QEMU 7.2's user-mode stack forwards only from TCP ports (no unix sockets), so the
 * listener exists for the few milliseconds of one connect, on 127.0.0.1 only; see
 * docs/adr/0007-guest-network-and-port-forward.md for what that means and what was measured.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { PortForwardTarget } from '../api/subresources.js';
import type { LibvirtConnection } from './libvirt/connection.js';

/** A guest port could not be reached; the message says why, for the user. */
export class GuestPortError extends Error {
  override readonly name = 'GuestPortError';
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * A TCP connection to `target.port` on the guest behind QEMU netdev `netdev` of `domain`.
 * @throws GuestPortError when QEMU refuses the forward or the connect fails.
 */
export async function connectGuestPort(
  libvirt: Pick<LibvirtConnection, 'monitorCommand'>,
  domain: string,
  netdev: string,
  target: PortForwardTarget,
): Promise<Socket> {
  const local = await freeLoopbackPort();
  const rule = `tcp:127.0.0.1:${local}`;
  // HMP prints nothing on success and the reason otherwise.
  const added = (
    await libvirt.monitorCommand(domain, `hostfwd_add ${netdev} ${rule}-:${target.port}`).catch((e: unknown) => {
      throw new GuestPortError(`could not reach the guest's QEMU: ${e instanceof Error ? e.message : String(e)}`);
    })
  ).trim();
  if (added !== '') throw new GuestPortError(`QEMU refused a forward to guest port ${target.port}: ${added}`);
  try {
    return await connect(local);
  } catch (e) {
    throw new GuestPortError(
      `could not connect to guest port ${target.port}: ${e instanceof Error ? e.message : String(e)}`,
    );
  } finally {
    // The connection, once accepted, outlives the rule; nobody else gets the listener.
    await libvirt.monitorCommand(domain, `hostfwd_remove ${netdev} ${rule}`).catch(() => undefined);
  }
}

/** Joins the WebSocket and the guest connection until either ends; bytes pass unchanged. */
export function bridge(ws: WebSocket, socket: Socket): void {
  ws.on('message', (data: Buffer) => {
    // Backpressure: a guest that reads slowly pauses the WebSocket's reads until it drains.
    if (!socket.write(data)) {
      ws.pause();
      socket.once('drain', () => ws.resume());
    }
  });
  socket.on('data', (d: Buffer) => ws.send(d, { binary: true }));
  socket.on('end', () => ws.close(1000, 'the guest closed the connection'));
  socket.on('error', () => ws.close(1011, 'the guest connection failed'));
  ws.on('close', () => socket.end());
  ws.on('error', () => socket.destroy());
}
