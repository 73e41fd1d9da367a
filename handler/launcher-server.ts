/**
 * The handler's side of the launcher socket (`<run-dir>/handler.sock`, api/launcher-protocol.ts).
 * It keeps, per VMI uid, what the reconcile decision needs: is a launcher connected, did it ask
 * for a stop, did its connection close before the handler told it to exit (it died), and what it
 * was last told. A launcher's close after an `exit` is a normal end.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import {
  JsonLineDecoder,
  encodeMessage,
  isLauncherMessage,
  type DomainLifecycle,
  type HandlerMessage,
  type LauncherMessage,
  type VmiIdentity,
} from '../api/launcher-protocol.js';
import type { LauncherView } from './sync/decide.js';

interface UidState {
  socket: Socket | undefined;
  identity: VmiIdentity;
  stopRequested: boolean;
  lost: boolean;
  exitSent: boolean;
  told: DomainLifecycle | undefined;
}

export interface LauncherServerEvents {
  /** Something about this uid's launcher changed: reconcile it. */
  changed(uid: string): void;
  log(level: 'info' | 'warn', fields: Readonly<Record<string, unknown>>, msg: string): void;
}

const NO_LAUNCHER: LauncherView = { connected: false, stopRequested: false, lost: false, exitSent: false };

export class LauncherServer {
  private readonly server: Server;
  private readonly byUid = new Map<string, UidState>();
  private closing = false;

  constructor(
    readonly socketPath: string,
    private readonly events: LauncherServerEvents,
  ) {
    this.server = createServer((s) => this.accept(s));
  }

  async listen(): Promise<void> {
    // A socket file left by a killed handler would make listen fail with EADDRINUSE.
    rmSync(this.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // Launchers run as whatever user their Pod has; the folder's permissions guard the socket.
    chmodSync(this.socketPath, 0o666);
  }

  view(uid: string): LauncherView {
    const s = this.byUid.get(uid);
    if (s === undefined) return NO_LAUNCHER;
    return {
      connected: s.socket !== undefined,
      stopRequested: s.stopRequested,
      lost: s.lost,
      exitSent: s.exitSent,
      ...(s.told === undefined ? {} : { told: s.told }),
    };
  }

  /** The uids of every launcher the server knows (connected or lost). */
  uids(): ReadonlyArray<string> {
    return [...this.byUid.keys()];
  }

  identity(uid: string): VmiIdentity | undefined {
    return this.byUid.get(uid)?.identity;
  }

  send(uid: string, m: HandlerMessage): void {
    const s = this.byUid.get(uid);
    if (s === undefined) return;
    if (m.type === 'exit') s.exitSent = true;
    else s.told = m.domain;
    s.socket?.write(encodeMessage(m));
  }

  /** Drops what is known about a uid whose VMI and domain are gone. */
  forget(uid: string): void {
    const s = this.byUid.get(uid);
    if (s !== undefined && s.socket === undefined) this.byUid.delete(uid);
  }

  private accept(socket: Socket): void {
    const decoder = new JsonLineDecoder();
    let uid: string | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      for (const m of decoder.push(chunk)) {
        if (!isLauncherMessage(m)) {
          this.events.log('warn', {}, 'Ignored a message from a launcher that is not in the protocol');
          continue;
        }
        uid = this.receive(socket, uid, m);
      }
    });
    socket.on('error', () => {
      // 'close' follows; a launcher vanishing is handled there.
    });
    socket.on('close', () => {
      if (uid !== undefined) this.closed(socket, uid);
    });
  }

  private receive(socket: Socket, uid: string | undefined, m: LauncherMessage): string | undefined {
    if (m.type === 'hello') return this.hello(socket, m.vmi, m.pid);
    if (uid === undefined) return uid;
    const s = this.byUid.get(uid);
    if (s !== undefined && !s.stopRequested) {
      s.stopRequested = true;
      this.events.log(
        'info',
        { namespace: s.identity.namespace, name: s.identity.name, uid, reason: m.reason },
        'Launcher asked for a graceful stop',
      );
      this.events.changed(uid);
    }
    return uid;
  }

  private hello(socket: Socket, vmi: VmiIdentity, pid: number): string {
    const old = this.byUid.get(vmi.uid);
    if (old?.socket !== undefined && old.socket !== socket) old.socket.destroy();
    // A reconnect keeps what was asked before (a stop survives a handler restart on the launcher's side).
    const state: UidState = old ?? {
      socket,
      identity: vmi,
      stopRequested: false,
      lost: false,
      exitSent: false,
      told: undefined,
    };
    state.socket = socket;
    state.lost = false;
    state.told = undefined;
    this.byUid.set(vmi.uid, state);
    this.events.log('info', { namespace: vmi.namespace, name: vmi.name, uid: vmi.uid, pid }, 'Launcher connected');
    this.events.changed(vmi.uid);
    return vmi.uid;
  }

  private closed(socket: Socket, uid: string): void {
    const s = this.byUid.get(uid);
    // The handler closing its own end is not a launcher dying.
    if (s?.socket !== socket || this.closing) return;
    s.socket = undefined;
    if (!s.exitSent) {
      s.lost = true;
      this.events.log(
        'warn',
        { namespace: s.identity.namespace, name: s.identity.name, uid },
        'Launcher disconnected before its domain ended',
      );
    }
    this.events.changed(uid);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.byUid.values()) s.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.socketPath, { force: true });
  }
}
