/**
 * virt-launcher's logic: one connection to the node's handler, kept across handler restarts,
 * for as long as the domain lives. It has no Kubernetes credentials and imports nothing but api/:
 * every MB counts, there is one launcher per VM (DESIGN.md: ≤ 45 MB RSS).
 */
import type { Socket } from 'node:net';
import {
  JsonLineDecoder,
  LAUNCHER_EXIT_CODES,
  LAUNCHER_PROTOCOL_VERSION,
  encodeMessage,
  isHandlerMessage,
  type HandlerMessage,
  type LauncherMessage,
  type VmiIdentity,
} from '../api/launcher-protocol.js';

export interface LauncherConfig {
  readonly socketPath: string;
  readonly vmi: VmiIdentity;
  /** Until the handler says otherwise (its status messages carry the VMI's grace period). */
  readonly graceSeconds: number;
}

/** What the launcher does to the world; main.ts passes the real ones, nothing else is global. */
export interface LauncherIo {
  log(level: 'info' | 'warn' | 'error', msg: string, fields?: Readonly<Record<string, unknown>>): void;
  exit(code: number, stderrMessage?: string): void;
  connect(path: string): Socket;
}

/** Reconnect back-off: quick at first (a handler restart takes well under a second), capped. */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;
/** After SIGTERM the handler needs the grace period; this margin covers its poll and undefine. */
const STOP_MARGIN_SECONDS = 5;

export class Launcher {
  private socket: Socket | undefined;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopTimer: NodeJS.Timeout | undefined;
  private graceSeconds: number;
  private stopping = false;
  private finished = false;
  private everConnected = false;
  private outage = false;

  constructor(
    private readonly config: LauncherConfig,
    private readonly io: LauncherIo,
  ) {
    this.graceSeconds = config.graceSeconds;
  }

  start(): void {
    this.connect();
  }

  /** SIGTERM: ask for a graceful stop and wait for the handler's exit, up to the grace period. */
  requestStop(signal: string): void {
    if (this.stopping || this.finished) return;
    this.stopping = true;
    this.io.log('info', 'Received a stop signal; asked the handler to stop the domain', {
      signal,
      graceSeconds: this.graceSeconds,
    });
    this.send({ type: 'stop', reason: signal });
    this.stopTimer = setTimeout(
      () => {
        this.finish(
          LAUNCHER_EXIT_CODES.failed,
          `virt-launcher: the domain did not stop within ${this.graceSeconds + STOP_MARGIN_SECONDS}s of ${signal}`,
        );
      },
      (this.graceSeconds + STOP_MARGIN_SECONDS) * 1000,
    );
  }

  private connect(): void {
    const socket = this.io.connect(this.config.socketPath);
    this.socket = socket;
    const decoder = new JsonLineDecoder();
    socket.setEncoding('utf8');
    socket.on('connect', () => this.onConnect());
    socket.on('data', (chunk: string) => {
      for (const m of decoder.push(chunk)) this.onMessage(m);
    });
    socket.on('error', () => {
      // 'close' follows every 'error'; the reconnect happens there.
    });
    socket.on('close', () => this.onClose(socket));
  }

  private onConnect(): void {
    this.retryMs = RETRY_MIN_MS;
    if (this.outage || !this.everConnected)
      this.io.log('info', 'Connected to virt-handler', { socket: this.config.socketPath });
    this.everConnected = true;
    this.outage = false;
    this.send({ type: 'hello', version: LAUNCHER_PROTOCOL_VERSION, vmi: this.config.vmi, pid: process.pid });
    // A stop asked for while the handler was away is asked again.
    if (this.stopping) this.send({ type: 'stop', reason: 'SIGTERM' });
  }

  private onClose(socket: Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    if (this.finished) return;
    if (!this.outage)
      this.io.log('warn', 'Lost virt-handler; reconnecting (the domain keeps running)', {
        socket: this.config.socketPath,
      });
    this.outage = true;
    this.retryTimer = setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private onMessage(m: unknown): void {
    if (!isHandlerMessage(m)) {
      this.io.log('warn', 'Ignored a message the launcher does not understand');
      return;
    }
    this.handle(m);
  }

  private handle(m: HandlerMessage): void {
    switch (m.type) {
      case 'status':
        this.graceSeconds = m.graceSeconds;
        return;
      case 'exit':
        this.finish(
          m.code,
          m.code === LAUNCHER_EXIT_CODES.succeeded ? undefined : `virt-launcher: ${m.reason}: ${m.message}`,
          m,
        );
        return;
      default:
        m satisfies never;
    }
  }

  private send(m: LauncherMessage): void {
    if (this.socket?.readyState === 'open') this.socket.write(encodeMessage(m));
  }

  private finish(code: number, stderrMessage: string | undefined, m?: HandlerMessage): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stopTimer);
    this.io.log(code === 0 ? 'info' : 'error', 'The domain is gone; virt-launcher exited', {
      code,
      ...(m?.type === 'exit' ? { reason: m.reason } : {}),
    });
    this.socket?.end();
    this.io.exit(code, stderrMessage);
  }
}

/** The launcher's configuration from its environment, or the message naming what is missing. */
export function configFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  flagSocket: string | undefined,
): LauncherConfig | string {
  const nonEmpty = (v: string | undefined): string => v ?? '';
  const fields = {
    VMI_NAME: nonEmpty(env['VMI_NAME']),
    VMI_NAMESPACE: nonEmpty(env['VMI_NAMESPACE'] ?? env['POD_NAMESPACE']),
    VMI_UID: nonEmpty(env['VMI_UID']),
    'TSVIRT_HANDLER_SOCKET (or --handler-socket)': nonEmpty(flagSocket ?? env['TSVIRT_HANDLER_SOCKET']),
  };
  const missing = Object.entries(fields).filter(([, v]) => v === '');
  if (missing.length > 0) return `virt-launcher: missing ${missing.map(([k]) => k).join(', ')}`;
  const grace = Number(env['TSVIRT_GRACE_SECONDS'] ?? '30');
  return {
    socketPath: fields['TSVIRT_HANDLER_SOCKET (or --handler-socket)'],
    vmi: { name: fields.VMI_NAME, namespace: fields.VMI_NAMESPACE, uid: fields.VMI_UID },
    graceSeconds: Number.isFinite(grace) && grace >= 0 ? grace : 30,
  };
}
