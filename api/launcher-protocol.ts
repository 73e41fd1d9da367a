/**
 * The messages virt-launcher and virt-handler exchange over the handler's unix socket
 * (`<run-dir>/handler.sock`): newline-delimited JSON, one object per line.
 *
 * The launcher speaks first (`hello`), then the handler tells it what the domain is doing
 * (`status`) until the domain is gone (`exit`, which carries the launcher's exit code). On SIGTERM
 * the launcher sends `stop` and waits for `exit`. Either side may see the other vanish: the
 * launcher reconnects and says `hello` again (a handler restart must not end a VM); the handler
 * treats a closed launcher connection as the launcher's death and stops the domain.
 *
 * Everything read from the socket is `unknown` until one of the guards below accepts it.
 */

export const LAUNCHER_PROTOCOL_VERSION = 1;

/** The socket's file name inside the handler's run folder. */
export const HANDLER_SOCKET_NAME = 'handler.sock';

/** The environment variables a launcher reads (set by the Pod spec / the local node agent). */
export const LAUNCHER_ENV = {
  socket: 'TSVIRT_HANDLER_SOCKET',
  vmiName: 'VMI_NAME',
  vmiNamespace: 'VMI_NAMESPACE',
  vmiUid: 'VMI_UID',
  podName: 'POD_NAME',
  podNamespace: 'POD_NAMESPACE',
  /** Seconds to wait after SIGTERM before giving up on the handler; the VMI's grace period. */
  graceSeconds: 'TSVIRT_GRACE_SECONDS',
} as const;

/** Launcher exit codes: what the launcher Pod's container status tells the controller. */
export const LAUNCHER_EXIT_CODES = {
  /** The guest shut down, or was stopped on request. */
  succeeded: 0,
  /** The domain crashed, vanished, or could not be defined or started. */
  failed: 1,
  /** The launcher was started without its VMI identity or socket path. */
  usage: 2,
} as const;

export interface VmiIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** What the handler knows about the domain, sent whenever it changes. */
export const DOMAIN_LIFECYCLES = ['Waiting', 'Starting', 'Running', 'Paused', 'Stopping'] as const;
export type DomainLifecycle = (typeof DOMAIN_LIFECYCLES)[number];

export interface HelloMessage {
  readonly type: 'hello';
  readonly version: number;
  readonly vmi: VmiIdentity;
  readonly pid: number;
}

export interface StopMessage {
  readonly type: 'stop';
  readonly reason: string;
}

export type LauncherMessage = HelloMessage | StopMessage;

export interface StatusMessage {
  readonly type: 'status';
  readonly domain: DomainLifecycle;
  /** The VMI's terminationGracePeriodSeconds, so the launcher knows how long a stop may take. */
  readonly graceSeconds: number;
}

export interface ExitMessage {
  readonly type: 'exit';
  /** One of LAUNCHER_EXIT_CODES. */
  readonly code: number;
  /** A CamelCase reason (REASONS in names.ts). */
  readonly reason: string;
  readonly message: string;
}

export type HandlerMessage = StatusMessage | ExitMessage;

function isRecord(u: unknown): u is Readonly<Record<string, unknown>> {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

function isNonEmptyString(u: unknown): u is string {
  return typeof u === 'string' && u.length > 0;
}

function isVmiIdentity(u: unknown): u is VmiIdentity {
  return isRecord(u) && isNonEmptyString(u['namespace']) && isNonEmptyString(u['name']) && isNonEmptyString(u['uid']);
}

function isHello(u: Readonly<Record<string, unknown>>): boolean {
  return typeof u['version'] === 'number' && Number.isInteger(u['pid']) && isVmiIdentity(u['vmi']);
}

/** True when `u` is a message a launcher may send; anything else is dropped by the handler. */
export function isLauncherMessage(u: unknown): u is LauncherMessage {
  if (!isRecord(u)) return false;
  if (u['type'] === 'hello') return isHello(u);
  if (u['type'] === 'stop') return typeof u['reason'] === 'string';
  return false;
}

/** True when `u` is a message a handler may send; anything else is ignored by the launcher. */
export function isHandlerMessage(u: unknown): u is HandlerMessage {
  if (!isRecord(u)) return false;
  if (u['type'] === 'status') {
    return (DOMAIN_LIFECYCLES as ReadonlyArray<unknown>).includes(u['domain']) && typeof u['graceSeconds'] === 'number';
  }
  if (u['type'] === 'exit') {
    return Number.isInteger(u['code']) && typeof u['reason'] === 'string' && typeof u['message'] === 'string';
  }
  return false;
}

/**
 * Splits a stream of bytes into JSON lines. Feed it chunks; it returns the values parsed from
 * every complete line (a line that is not JSON comes back as a `SyntaxError` value, so one bad
 * line never drops the ones after it). Lines longer than `maxLineBytes` are discarded whole.
 */
export class JsonLineDecoder {
  private buffered = '';
  constructor(private readonly maxLineBytes = 64 * 1024) {}

  push(chunk: string): ReadonlyArray<unknown> {
    this.buffered += chunk;
    const lines = this.buffered.split('\n');
    this.buffered = lines.pop() ?? '';
    if (this.buffered.length > this.maxLineBytes) this.buffered = '';
    return lines.filter((l) => l.trim().length > 0 && l.length <= this.maxLineBytes).map(parseLine);
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (err) {
    return err instanceof SyntaxError ? err : new SyntaxError(String(err));
  }
}

/** One message as a protocol line. */
export function encodeMessage(m: LauncherMessage | HandlerMessage): string {
  return `${JSON.stringify(m)}\n`;
}
