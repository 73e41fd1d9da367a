// A loopback TCP relay to the API server that a test owns, so it can cut a client's connection
// (every socket closed, the port refusing) and give it back on the same port, as when the API
// server goes away and returns. It carries the real TLS of the real API server untouched.
import { readFile, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { parse, stringify } from 'yaml';

/** Listens on a free loopback port (kept across {@link Relay.cut} and reopening) and pipes to host:targetPort. */
export class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.host, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') this.port = addr.port;
    this.server = server;
  }

  /** Every connection dropped and new ones refused, as when the API server goes away. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Writes a copy of `kubeconfig` whose clusters point at this relay to `file`, for a process
   * that should reach the API server through it. The API server's certificate names 127.0.0.1,
   * so the relay's port verifies as the server's own does.
   */
  async kubeconfig(kubeconfig: string, file: string): Promise<string> {
    const cfg = parse(await readFile(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    for (const entry of cfg.clusters) entry.cluster.server = `https://127.0.0.1:${this.port}`;
    await writeFile(file, stringify(cfg));
    return file;
  }
}
