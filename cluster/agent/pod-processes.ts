// Launcher processes on this machine, one per Pod uid, with what survives an agent restart:
// <state-dir>/pods/<uid>/record.json (pid + the process start time from /proc, so a reused pid
// is never mistaken for ours), stdout.log, stderr.log, and `exit`, which a small sh wrapper writes
// when the command ends, so the exit code is known even when the agent was down at that moment.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { KubeLogger } from '../../kube/logger.js';
import type { ProcessSpec } from './pod-env.js';
import type { RuntimeState } from './pod-status.js';

/** What record.json holds. */
export type PodRecord = Readonly<{
  namespace: string;
  name: string;
  uid: string;
  pid: number;
  procStart: string;
  startedAt: number;
}>;

type Tracked = { record: PodRecord; state: RuntimeState; poll?: NodeJS.Timeout | undefined };

// $0 is the exit file; "$@" the command. TERM/INT are relayed to the command, and the wrapper waits
// until it really ended (a graceful stop takes time), then records its exit code atomically.
const WRAPPER = [
  'exitfile="$0"',
  'trap \'kill -TERM "$child" 2>/dev/null\' TERM INT',
  '"$@" & child=$!',
  'wait "$child"; rc=$?',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done',
  'echo "$rc" > "$exitfile.tmp" && mv "$exitfile.tmp" "$exitfile"',
  'exit "$rc"',
].join('\n');

const ADOPTED_POLL_MS = 500;
const STDERR_TAIL_BYTES = 2048;
const STDERR_TAIL_LINES = 10;

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]; starttime is field 22. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** True while `pid` is the very process recorded (same start time) and not a zombie. */
export function isSameLiveProcess(pid: number, procStart: string): boolean {
  const s = procStat(pid);
  return s !== undefined && s.start === procStart && s.state !== 'Z' && s.state !== 'X';
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}

/** The last lines of a log file, for a terminated container's message. Never throws. */
export async function logTail(path: string): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, STDERR_TAIL_BYTES);
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, size - length);
      return buf.toString('utf8').trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/** Launcher processes by Pod uid. Calls `onChange(uid)` when a process ends. */
export class PodProcesses {
  private readonly tracked = new Map<string, Tracked>();
  private readonly podsDir: string;

  constructor(
    stateDir: string,
    private readonly log: KubeLogger,
    private readonly onChange: (uid: string) => void,
  ) {
    this.podsDir = join(stateDir, 'pods');
  }

  /** The directory of one Pod's record and logs. */
  podDir(uid: string): string {
    return join(this.podsDir, uid);
  }

  /** The process state of a Pod, or undefined when this agent never started one for it. */
  state(uid: string): RuntimeState | undefined {
    return this.tracked.get(uid)?.state;
  }

  /** Every Pod uid with a record. */
  uids(): string[] {
    return [...this.tracked.keys()];
  }

  /** The record of a Pod uid. */
  record(uid: string): PodRecord | undefined {
    return this.tracked.get(uid)?.record;
  }

  /**
   * Reads every record left by an earlier run: live processes are adopted (polled for their end),
   * ended ones get their recorded exit code, or `lost` when none was recorded.
   */
  async recover(): Promise<void> {
    mkdirSync(this.podsDir, { recursive: true });
    for (const uid of await readdir(this.podsDir)) {
      const record = await this.readRecord(uid);
      if (record === undefined) continue;
      if (isSameLiveProcess(record.pid, record.procStart)) {
        this.tracked.set(uid, { record, state: { kind: 'running', pid: record.pid, startedAt: record.startedAt } });
        this.watchAdopted(uid);
        this.log.info(
          { pod: `${record.namespace}/${record.name}`, pid: record.pid },
          'Adopted running launcher process',
        );
      } else {
        this.tracked.set(uid, { record, state: await this.endedState(record) });
      }
    }
  }

  private async readRecord(uid: string): Promise<PodRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.podDir(uid), 'record.json'), 'utf8')) as PodRecord;
    } catch {
      return undefined;
    }
  }

  private async endedState(record: PodRecord): Promise<RuntimeState> {
    const exitFile = join(this.podDir(record.uid), 'exit');
    try {
      const [text, info] = await Promise.all([readFile(exitFile, 'utf8'), stat(exitFile)]);
      const exitCode = Number(text.trim());
      if (!Number.isInteger(exitCode)) throw new Error(`bad exit file: ${text}`);
      const message = exitCode === 0 ? undefined : await logTail(join(this.podDir(record.uid), 'stderr.log'));
      return {
        kind: 'exited',
        pid: record.pid,
        startedAt: record.startedAt,
        finishedAt: info.mtimeMs,
        exitCode,
        message,
      };
    } catch {
      return { kind: 'lost', pid: record.pid, startedAt: record.startedAt, finishedAt: Date.now() };
    }
  }

  private watchAdopted(uid: string): void {
    const t = this.tracked.get(uid);
    if (t === undefined) return;
    // Not our child: no exit event. Poll /proc, then read the exit code the wrapper left.
    t.poll = setInterval(() => {
      if (isSameLiveProcess(t.record.pid, t.record.procStart)) return;
      clearInterval(t.poll);
      t.poll = undefined;
      void this.endedState(t.record).then((state) => {
        t.state = state;
        this.onChange(uid);
      });
    }, ADOPTED_POLL_MS);
  }

  /**
   * Starts the Pod's process in its own process group, output to files, through the exit-code
   * wrapper. Returns its running state; a process that cannot start ends at once with an exit code.
   */
  start(pod: Readonly<{ namespace: string; name: string; uid: string }>, spec: ProcessSpec): RuntimeState {
    const dir = this.podDir(pod.uid);
    mkdirSync(dir, { recursive: true });
    const out = openSync(join(dir, 'stdout.log'), 'a');
    const err = openSync(join(dir, 'stderr.log'), 'a');
    const startedAt = Date.now();
    try {
      const child = spawn('/bin/sh', ['-c', WRAPPER, join(dir, 'exit'), ...spec.argv], {
        detached: true,
        stdio: ['ignore', out, err],
        // The agent's environment (PATH, the cluster's marker) plus the Pod's, as a local process needs both.
        env: { ...process.env, ...spec.env },
        cwd: spec.workingDir ?? dir,
      });
      if (child.pid === undefined) {
        // spawn reports why (ENOENT of the working directory, ...) only through 'error', later.
        child.on('error', () => undefined);
        return {
          kind: 'invalid',
          message: `Could not start the process (working directory ${spec.workingDir ?? dir})`,
        };
      }
      const pid = child.pid;
      const record: PodRecord = { ...pod, pid, procStart: procStat(pid)?.start ?? '', startedAt };
      writeFileSync(join(dir, 'record.json'), JSON.stringify(record));
      const state: RuntimeState = { kind: 'running', pid, startedAt };
      this.tracked.set(pod.uid, { record, state });
      child.on('exit', (code, signal) => void this.onChildExit(pod.uid, code ?? 128 + signalNumber(signal)));
      child.on('error', (e) =>
        this.log.error({ err: e, pod: `${pod.namespace}/${pod.name}` }, 'Could not start launcher process'),
      );
      child.unref();
      return state;
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  private async onChildExit(uid: string, exitCode: number): Promise<void> {
    const t = this.tracked.get(uid);
    if (t === undefined) return;
    const finishedAt = Date.now();
    // Make sure the exit code survives an agent restart even when the wrapper itself was killed.
    const exitFile = join(this.podDir(uid), 'exit');
    await writeFile(`${exitFile}.agent`, String(exitCode))
      .then(() => rename(`${exitFile}.agent`, exitFile))
      .catch(() => undefined);
    const message = exitCode === 0 ? undefined : await logTail(join(this.podDir(uid), 'stderr.log'));
    t.state = { kind: 'exited', pid: t.record.pid, startedAt: t.record.startedAt, finishedAt, exitCode, message };
    this.log.info(
      { pod: `${t.record.namespace}/${t.record.name}`, pid: t.record.pid, exitCode },
      'Launcher process exited',
    );
    this.onChange(uid);
  }

  /**
   * Signals a running Pod process; false when it is not running. SIGKILL goes to the whole process
   * group; other signals to the wrapper only, which relays them once to the command (a signal to
   * the group would reach the command twice).
   */
  signal(uid: string, signal: NodeJS.Signals): boolean {
    const t = this.tracked.get(uid);
    if (t?.state.kind !== 'running' || !isSameLiveProcess(t.record.pid, t.record.procStart)) return false;
    try {
      process.kill(signal === 'SIGKILL' ? -t.record.pid : t.record.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Drops a Pod's record and logs once the Pod is gone from the API; kills a process left running. */
  async forget(uid: string): Promise<void> {
    this.signal(uid, 'SIGKILL');
    const t = this.tracked.get(uid);
    if (t?.poll !== undefined) clearInterval(t.poll);
    this.tracked.delete(uid);
    await rm(this.podDir(uid), { recursive: true, force: true });
  }

  /** Stops polling adopted processes; the processes themselves keep running (agent restart). */
  close(): void {
    for (const t of this.tracked.values()) if (t.poll !== undefined) clearInterval(t.poll);
  }
}
