// Local processes the cluster starts: each in its own process group with a log file and a pid
// file, health polled against a start timeout, stopped with SIGTERM and then SIGKILL, as
// controller-runtime's pkg/internal/testing/process/process.go does for envtest.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Every process the local cluster starts carries this variable (value: the state folder), and so
 * do their children unless they clear the environment. Teardown looks for it to prove nothing was left.
 */
export const MARKER_ENV = 'TSVIRT_CLUSTER_STATE';

export type ProcessSpec = Readonly<{
  name: string;
  command: string;
  args: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  logFile: string;
  pidFile: string;
}>;

export type ProcessRecord = Readonly<{
  name: string;
  pid: number;
  /** /proc/<pid>/stat starttime: tells our process from a later one that reuses the pid. */
  startTime: string;
  command: string;
  logFile: string;
  pidFile: string;
}>;

const POLL_MS = 50;

/** The fields of /proc/<pid>/stat after the command name, or undefined when there is no such process. */
async function statFields(pid: number): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True while the process exists and is not a zombie (a zombie has exited; only its parent has yet to reap it). */
export async function isAlive(pid: number): Promise<boolean> {
  const fields = await statFields(pid);
  return fields !== undefined && fields[0] !== 'Z' && fields[0] !== 'X';
}

/** True when `record.pid` is still the process we started, not a stranger that reuses its pid. */
export async function isRunning(record: ProcessRecord): Promise<boolean> {
  const fields = await statFields(record.pid);
  return fields !== undefined && fields[0] !== 'Z' && fields[0] !== 'X' && fields[19] === record.startTime;
}

/** Starts a process in its own process group, output appended to its log file, pid written to its pid file. */
export async function startProcess(spec: ProcessSpec): Promise<ProcessRecord> {
  const log = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], {
      detached: true, // own process group: a signal to -pid reaches it and all its children
      stdio: ['ignore', log, log],
      env: { ...process.env, ...spec.env },
      ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`Could not start ${spec.name} (${spec.command}): ${err.message}`)));
      child.once('spawn', () => resolve(child.pid ?? -1));
    });
    // The parent (up.sh's CLI) exits while the cluster keeps running.
    child.unref();
    const fields = await statFields(pid);
    await writeFile(spec.pidFile, `${pid}\n`);
    return {
      name: spec.name,
      pid,
      startTime: fields?.[19] ?? '',
      command: spec.command,
      logFile: spec.logFile,
      pidFile: spec.pidFile,
    };
  } finally {
    closeSync(log);
  }
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(file: string, lines = 25): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** What a health probe saw: true when healthy, otherwise a short description for error messages. */
export type ProbeResult = true | string;

/**
 * Polls `probe` until it reports healthy. Fails early when the process exits, and after
 * `timeoutMs` with what the probe last saw and the end of the process's log.
 */
export async function waitHealthy(
  record: ProcessRecord,
  probe: () => Promise<ProbeResult>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await isRunning(record))) {
      throw new Error(
        `${record.name} exited during start-up (log ${record.logFile}):\n${await logTail(record.logFile)}`,
      );
    }
    const result = await probe().catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    if (result === true) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${record.name} was not healthy within ${timeoutMs / 1000} s; last seen: ${result} (log ${record.logFile}):\n${await logTail(record.logFile)}`,
      );
    }
    await delay(POLL_MS);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await delay(POLL_MS);
  }
  return true;
}

export type StopOutcome = 'not running' | 'stopped' | 'killed';

/**
 * SIGTERM to the process group, SIGKILL to the group after `timeoutMs` (or at once when the
 * leader is gone but members remain). Never signals a pid that is no longer our process.
 */
export async function stopProcess(record: ProcessRecord, timeoutMs = 10_000): Promise<StopOutcome> {
  if (!(await isRunning(record))) return 'not running';
  signalGroup(record.pid, 'SIGTERM');
  const graceful = await waitGone(record.pid, timeoutMs);
  // Children that ignored SIGTERM or outlived the leader go too: nothing of ours stays behind.
  signalGroup(record.pid, 'SIGKILL');
  if (!graceful) await waitGone(record.pid, timeoutMs);
  return graceful ? 'stopped' : 'killed';
}

export type MarkedProcess = Readonly<{ pid: number; cmdline: string }>;

async function readMarker(pid: number): Promise<string | undefined> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    const entry = environ.split('\0').find((e) => e.startsWith(`${MARKER_ENV}=`));
    return entry?.slice(MARKER_ENV.length + 1);
  } catch {
    return undefined;
  }
}

/** Live processes whose environment carries MARKER_ENV=`marker`: what a cluster left running. */
export async function findMarkedProcesses(marker: string): Promise<MarkedProcess[]> {
  const pids = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  const found: MarkedProcess[] = [];
  for (const pid of pids) {
    if (pid === process.pid || (await readMarker(pid)) !== marker || !(await isAlive(pid))) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    found.push({ pid, cmdline: cmdline.split('\0').join(' ').trim() });
  }
  return found;
}

/** SIGKILLs every process that carries the marker; returns what it found. */
export async function killMarkedProcesses(marker: string): Promise<MarkedProcess[]> {
  const found = await findMarkedProcesses(marker);
  for (const p of found) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone between the scan and the signal.
    }
  }
  for (const p of found) await waitGone(p.pid, 5_000);
  return found;
}
