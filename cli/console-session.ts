/**
 * `kubectl virt console`: wait for the VMI to run, open the console WebSocket through the API
 * server (virt-api relays it from the handler on the VMI's node), and join it to the terminal.
 * On a terminal: raw mode, Ctrl+] detaches. Without one: stdin is relayed as it comes, and once
 * it ends the session stays until {@link QUIET_MS} pass with no output, so
 * `printf 'uname -r\n' | kubectl virt console vm1` prints the guest's answer and exits 0.
 */
import { VMI_PLURAL } from '../api/names.js';
import {
  CONSOLE_SUBPROTOCOL,
  CONSOLE_SUBRESOURCE,
  CONSOLE_TAKEN_OVER,
  CONSOLE_UNAVAILABLE,
  subresourcePath,
} from '../api/subresources.js';
import type { ApiClient } from '../kube/api-client.js';
import { formatDuration } from './duration.js';
import { waitUntil } from './wait-until.js';
import { throughVirtApi } from './virt-api-absent.js';

/** Ctrl+], telnet's and virtctl's escape. */
export const ESCAPE_BYTE = 0x1d;
/** After stdin ends (no terminal): leave once the guest has been quiet this long. */
export const QUIET_MS = 1000;

export type ConsoleIo = Readonly<{
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  note: (line: string) => void;
}>;

/** What a close code means to the user; undefined for a normal end. Pure. */
export function closeMessage(code: number, reason: string): string | undefined {
  if (code === 1000 || code === 1005) return undefined;
  if (code === CONSOLE_TAKEN_OVER) return 'another console session on this VMI took over';
  if (code === CONSOLE_UNAVAILABLE) return reason === '' ? 'the guest serial port closed' : reason;
  return `the console closed (code ${code}${reason === '' ? '' : `: ${reason}`})`;
}

/** Splits a chunk at the escape byte: what to send, and whether the user asked to detach. Pure. */
export function splitAtEscape(chunk: Buffer): Readonly<{ send: Buffer; detach: boolean }> {
  const at = chunk.indexOf(ESCAPE_BYTE);
  return at < 0 ? { send: chunk, detach: false } : { send: chunk.subarray(0, at), detach: true };
}

/** Waits until the VMI is Running; returns an error line, or undefined when it is. */
async function waitForRunning(
  client: ApiClient,
  target: Readonly<{ namespace: string; name: string }>,
  timeoutMs: number,
): Promise<string | undefined> {
  const outcome = await waitUntil(
    client,
    { plural: VMI_PLURAL, ...target },
    (o) => {
      const phase = (o as { status?: { phase?: string } } | undefined)?.status?.phase;
      return { met: phase === 'Running', seen: o === undefined ? 'no VMI' : `phase ${phase ?? 'unset'}` };
    },
    { timeoutMs },
  );
  return outcome.met
    ? undefined
    : `timed out after ${formatDuration(timeoutMs)} waiting for VMI ${target.name} to run; last seen: ${outcome.seen}`;
}

/** Runs one console session; resolves with the error line, or undefined for a clean end. */
export async function runConsole(
  client: ApiClient,
  target: Readonly<{ namespace: string; name: string }>,
  timeoutMs: number,
  io: ConsoleIo,
): Promise<string | undefined> {
  const notRunning = await waitForRunning(client, target, timeoutMs);
  if (notRunning !== undefined) return notRunning;
  const path = subresourcePath(VMI_PLURAL, target.namespace, target.name, CONSOLE_SUBRESOURCE);
  const ws = await throughVirtApi(() => client.openWebSocket(path, CONSOLE_SUBPROTOCOL));
  const tty = io.stdin.isTTY === true;
  if (tty) io.note(`Successfully connected to ${target.name} console. The escape sequence is ^]`);
  return new Promise((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    let inputEnded = false;
    const finish = (error: string | undefined): void => {
      clearTimeout(quiet);
      io.stdin.off('data', onInput);
      io.stdin.off('end', onInputEnd);
      if (tty) io.stdin.setRawMode(false);
      io.stdin.pause();
      resolve(error);
    };
    const armQuiet = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(() => ws.close(1000), QUIET_MS);
    };
    const onInput = (chunk: Buffer): void => {
      const { send, detach } = tty ? splitAtEscape(chunk) : { send: chunk, detach: false };
      if (send.length > 0) ws.send(send, { binary: true });
      if (detach) ws.close(1000);
    };
    const onInputEnd = (): void => {
      inputEnded = true;
      armQuiet();
    };
    ws.on('message', (data: Buffer) => {
      io.stdout.write(data);
      if (inputEnded) armQuiet();
    });
    ws.on('close', (code: number, reason: Buffer) => finish(closeMessage(code, reason.toString())));
    ws.on('error', (err: Error) => finish(`the console failed: ${err.message}`));
    if (tty) io.stdin.setRawMode(true);
    io.stdin.on('data', onInput);
    io.stdin.on('end', onInputEnd);
    io.stdin.resume();
  });
}
