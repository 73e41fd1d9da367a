// What every bench needs to drive this repository's processes: run a command to completion, start a
// bundle from dist/ in its own process group and stop it, poll until a value appears, and the
// percentiles the results report. No sleeps outside `until`'s polling.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..');
/** The Node 24 the project pins: components run on it, as cluster/sync.sh runs them. */
export const NODE_BIN = join(REPO, 'node_modules/.bin/node');

/** Runs `command` in the repository; resolves with stdout+stderr, rejects with them on a non-zero exit. */
export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}`)),
    );
  });
}

export type Proc = { child: ChildProcess; output: () => string };

/** Starts dist/<bundle> (`virt-controller.js`, `virt-handler.js`) in its own process group, capturing its output. */
export function startBundle(bundle: string, args: readonly string[]): Proc {
  const child = spawn(NODE_BIN, [join(REPO, 'dist', bundle), ...args], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** SIGTERM to the process group, SIGKILL after 10 s. */
export async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.pid === undefined) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  process.kill(-p.child.pid, 'SIGTERM');
  const t = setTimeout(() => process.kill(-(p.child.pid ?? 0), 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** Polls `f` every `intervalMs` until it returns a value; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  f: () => T | undefined | Promise<T | undefined>,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The nearest-rank percentile `p` of `xs`, rounded to a whole number. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN);
}
