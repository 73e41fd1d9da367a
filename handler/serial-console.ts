/**
 * The guest's serial port, relayed to a WebSocket. QEMU serves the port on a unix socket in bind
 * mode and talks to ONE client at a time: while one is connected it stops accepting, and a second
 * connect waits in the backlog until the first leaves. So the handler keeps one session per VMI and
 * a new session takes over, as KubeVirt's does: the old WebSocket is closed with
 * {@link CONSOLE_TAKEN_OVER} and its socket ended before the new one connects.
 */
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { CONSOLE_PING_INTERVAL_MS, CONSOLE_TAKEN_OVER, CONSOLE_UNAVAILABLE } from '../api/subresources.js';

/** Above this many queued bytes toward the WebSocket the serial socket is paused (backpressure). */
const HIGH_WATER_BYTES = 1 << 20;

class Session {
  private readonly serial: Socket;
  private readonly ping: NodeJS.Timeout;
  private alive = true;
  private ended = false;

  constructor(
    socketPath: string,
    private readonly ws: WebSocket,
    private readonly onEnd: () => void,
  ) {
    this.serial = connect(socketPath);
    this.serial.on('data', (chunk: Buffer) => this.toClient(chunk));
    this.serial.on('error', (err: NodeJS.ErrnoException) =>
      this.end(CONSOLE_UNAVAILABLE, `The serial port is not available (${err.code ?? err.message})`),
    );
    this.serial.on('close', () => this.end(CONSOLE_UNAVAILABLE, 'The serial port closed'));
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      this.serial.write(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.end(1000, ''));
    ws.on('error', () => this.end(1011, ''));
    // Pings keep proxies from dropping an idle console, and find a peer that vanished.
    this.ping = setInterval(() => {
      if (!this.alive) return void ws.terminate();
      this.alive = false;
      ws.ping();
    }, CONSOLE_PING_INTERVAL_MS);
  }

  private toClient(chunk: Buffer): void {
    this.ws.send(chunk, { binary: true }, () => {
      if (this.serial.isPaused() && this.ws.bufferedAmount < HIGH_WATER_BYTES) this.serial.resume();
    });
    if (this.ws.bufferedAmount >= HIGH_WATER_BYTES) this.serial.pause();
  }

  end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.ping);
    this.serial.destroy();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
    this.onEnd();
  }
}

/** One console session per VMI key; the newest wins. */
export class SerialConsoles {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly log: Logger) {}

  /** Relays `ws` to the serial socket at `socketPath`, ending the VMI's previous session first. */
  attach(key: string, socketPath: string, ws: WebSocket): void {
    const previous = this.sessions.get(key);
    if (previous !== undefined) {
      this.log.info({ vmi: key }, 'Ended a console session: another one took over');
      previous.end(CONSOLE_TAKEN_OVER, 'Another console session on this VMI took over');
    }
    const session: Session = new Session(socketPath, ws, () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    });
    this.sessions.set(key, session);
    this.log.info({ vmi: key }, 'Opened a console session');
  }

  /** Sessions open now (a metric and a test's view). */
  get size(): number {
    return this.sessions.size;
  }

  closeAll(): void {
    for (const s of [...this.sessions.values()]) s.end(1001, 'virt-handler is stopping');
  }
}
