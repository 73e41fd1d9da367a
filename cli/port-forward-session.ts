/**
 * `kubectl virt port-forward` and the ssh / scp ProxyCommand behind it: each TCP connection to the
 * guest is one WebSocket on the VMI's `portforward/{port}/tcp` subresource, through the API server
 * (virt-api relays it from the handler on the VMI's node). `--stdio` joins one such connection to
 * stdin and stdout, which is what OpenSSH's ProxyCommand wants.
 */
import { VMI_PLURAL } from '../api/names.js';
import { CONSOLE_SUBPROTOCOL, portForwardSubresource, subresourcePath } from '../api/subresources.js';
import type { ApiClient } from '../kube/api-client.js';
import { UsageError } from './errors.js';
import { throughVirtApi } from './virt-api-absent.js';

export type VmiRef = Readonly<{ namespace: string; name: string }>;
export type PortSpec = Readonly<{ local: number; remote: number }>;

function portNumber(text: string, what: string, spec: string, min = 1): number {
  const n = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || n < min || n > 65535)
    throw new UsageError(
      `${what} port "${text}" in "${spec}" is not a port number`,
      'Write REMOTE or LOCAL:REMOTE, e.g. 2222:22.',
    );
  return n;
}

/** `REMOTE` or `LOCAL:REMOTE` (LOCAL 0: any free port), as kubectl port-forward writes them. Pure. */
export function parsePortSpec(spec: string): PortSpec {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const remote = portNumber(parts[0] ?? '', 'remote', spec);
    return { local: remote, remote };
  }
  if (parts.length !== 2) throw new UsageError(`"${spec}" is not [LOCAL:]REMOTE`, 'e.g. 8080:80 or 22');
  return { local: portNumber(parts[0] ?? '', 'local', spec, 0), remote: portNumber(parts[1] ?? '', 'remote', spec) };
}

/** Opens one forwarded connection to the guest's port. Throws with the API server's or virt-api's reason. */
export function openForward(client: ApiClient, vmi: VmiRef, port: number): ReturnType<ApiClient['openWebSocket']> {
  const path = subresourcePath(VMI_PLURAL, vmi.namespace, vmi.name, portForwardSubresource({ port, protocol: 'tcp' }));
  return throughVirtApi(() => client.openWebSocket(path, CONSOLE_SUBPROTOCOL));
}

type Ws = Awaited<ReturnType<ApiClient['openWebSocket']>>;
type Duplexish = Readonly<{ input: NodeJS.ReadableStream; output: NodeJS.WritableStream }>;

/**
 * Joins one WebSocket to a byte stream pair until either ends. Resolves with an error line, or
 * undefined for a clean end (the guest or the local side closed).
 */
export function join(ws: Ws, io: Duplexish): Promise<string | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (error: string | undefined): void => {
      if (done) return;
      done = true;
      io.input.removeListener('data', onData);
      resolve(error);
    };
    const onData = (chunk: Buffer): void => ws.send(chunk, { binary: true });
    ws.on('message', (data: Buffer) => io.output.write(data));
    ws.on('close', (code: number, reason: Buffer) =>
      finish(code === 1000 || code === 1005 ? undefined : `the forward closed (code ${code}: ${reason.toString()})`),
    );
    ws.on('error', (err: Error) => finish(`the forward failed: ${err.message}`));
    io.input.on('data', onData);
    // Local end of input: no more bytes for the guest; close, as a TCP half-close would end it.
    io.input.on('end', () => ws.close(1000));
    io.input.resume();
  });
}

/**
 * Listens on `address:local` and forwards each connection. Resolves with the bound port once
 * listening; `note` gets kubectl's "Forwarding from" line and per-connection failures.
 */
export async function listenAndForward(
  client: ApiClient,
  vmi: VmiRef,
  spec: PortSpec & { address: string },
  note: (line: string) => void,
): Promise<number> {
  const net = await import('node:net');
  const server = net.createServer((socket) => {
    socket.pause();
    openForward(client, vmi, spec.remote).then(
      async (ws) => {
        const error = await join(ws, { input: socket, output: socket });
        if (error !== undefined) note(`error: ${error}`);
        socket.end();
      },
      (err: unknown) => {
        note(`error: ${err instanceof Error ? err.message : String(err)}`);
        socket.destroy();
      },
    );
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(spec.local, spec.address, () => done());
  });
  const bound = (server.address() as { port: number }).port;
  note(`Forwarding from ${spec.address}:${bound} -> ${spec.remote}`);
  return bound;
}
