/**
 * The live migrations this node's handler runs as a source: one `virsh migrate` process per VMI uid,
 * in the background so the uid's work-queue runs go on (a cancel must reach `virsh domjobabort`
 * while the copy runs). The binding has no migrate call (docs/adr/0009-live-migration-transport.md
 * says why the direct form over loopback, and what it means on a real cluster). A job's end queues
 * its uid again; the pure decision (./decide.ts) reads the job's view and says what to write.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the decision sees of a uid's job. */
export type JobView = Readonly<{
  startedAt: number;
  /** When the data left to copy last went below its lowest so far (the start, before the first reading). */
  progressAt: number;
  abortSent: boolean;
  /** Set once virsh exited: ok, or libvirt's message. */
  result?: Readonly<{ ok: true; ms: number } | { ok: false; message: string }>;
}>;

export type MigrateRequest = Readonly<{
  sourceUri: string;
  targetUri: string;
  domain: string;
  /** tcp://ADDRESS: where QEMU streams memory; libvirt on the target picks the port. */
  migrateUri: string;
  /** The target's own domain XML (its run folder, serial socket, pinned files). */
  targetXml: string;
  /** Bytes per second; 0 = unlimited. */
  bandwidthBytesPerSecond: number;
}>;

/** virsh's argv for a live migration (pure, unit-tested). */
export function migrateArgs(req: MigrateRequest, xmlPath: string): string[] {
  const args = ['-c', req.sourceUri, 'migrate', '--live', '--persistent', '--undefinesource'];
  // virsh takes MiB/s; a bandwidth below 1 MiB/s is rounded up, never to 0 (unlimited).
  if (req.bandwidthBytesPerSecond > 0)
    args.push('--bandwidth', String(Math.max(1, Math.ceil(req.bandwidthBytesPerSecond / 2 ** 20))));
  args.push('--xml', xmlPath, req.domain, req.targetUri, '--migrateuri', req.migrateUri);
  return args;
}

/** How often a running job's progress is read (`virsh domjobinfo --rawstats`). */
export const PROGRESS_POLL_MS = 1000;

/** `data_remaining` from `virsh domjobinfo --rawstats`: bytes left to copy, or undefined (no job, no figure). */
export function dataRemaining(rawstats: string): number | undefined {
  const m = /^\s*data_remaining\s*:\s*(\d+)\s*$/m.exec(rawstats);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** virsh writes "error: ..." lines; the ones after the first say why. */
function libvirtMessage(stderr: string, code: number | null): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^error:\s*/, '').trim())
    .filter((l) => l !== '' && !/^Failed to migrate/i.test(l));
  return lines.join('; ') || `virsh migrate exited with code ${String(code)}`;
}

type Job = {
  startedAt: number;
  progressAt: number;
  lowest: number;
  abortSent: boolean;
  result?: JobView['result'];
  domain: string;
  uri: string;
};

export class MigrationJobs {
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly changed: (uid: string) => void,
    private readonly now: () => number,
  ) {}

  view(uid: string): JobView | undefined {
    const j = this.jobs.get(uid);
    if (j === undefined) return undefined;
    return {
      startedAt: j.startedAt,
      progressAt: j.progressAt,
      abortSent: j.abortSent,
      ...(j.result === undefined ? {} : { result: j.result }),
    };
  }

  /** Starts the migration in the background; its end queues `uid`. */
  async start(uid: string, req: MigrateRequest): Promise<void> {
    if (this.jobs.has(uid)) return;
    const dir = await mkdtemp(join(tmpdir(), 'tsvirt-migrate-'));
    const xmlPath = join(dir, 'target.xml');
    await writeFile(xmlPath, req.targetXml, { mode: 0o600 });
    const now = this.now();
    const job: Job = {
      startedAt: now,
      progressAt: now,
      lowest: Infinity,
      abortSent: false,
      domain: req.domain,
      uri: req.sourceUri,
    };
    this.jobs.set(uid, job);
    const child = spawn('virsh', migrateArgs(req, xmlPath), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const end = (result: NonNullable<JobView['result']>): void => {
      if (job.result !== undefined) return;
      job.result = result;
      clearInterval(poll);
      void rm(dir, { recursive: true, force: true }); // a temp file: nothing to report if it stays
      this.changed(uid);
    };
    // A reading that fails (the job just ended, libvirt busy) is skipped: the next one counts.
    const poll = setInterval(() => void this.readProgress(job), PROGRESS_POLL_MS);
    child.on('error', (err) => end({ ok: false, message: `could not run virsh: ${err.message}` }));
    child.on('close', (code) =>
      end(
        code === 0
          ? { ok: true, ms: this.now() - job.startedAt }
          : { ok: false, message: libvirtMessage(stderr, code) },
      ),
    );
  }

  private async readProgress(job: Job): Promise<void> {
    const out = await new Promise<string>((resolve) =>
      execFile('virsh', ['-c', job.uri, 'domjobinfo', job.domain, '--rawstats'], { timeout: 5000 }, (err, stdout) =>
        resolve(err === null ? String(stdout) : ''),
      ),
    );
    const left = dataRemaining(out);
    if (left === undefined || left >= job.lowest) return;
    job.lowest = left;
    job.progressAt = this.now();
  }

  /** Asks libvirt to abort the running job (`virsh domjobabort`); virsh migrate then fails. */
  async abort(uid: string): Promise<void> {
    const job = this.jobs.get(uid);
    if (job === undefined || job.result !== undefined) return;
    job.abortSent = true;
    await new Promise<void>((resolve) => {
      const child = spawn('virsh', ['-c', job.uri, 'domjobabort', job.domain], { stdio: 'ignore' });
      // A job that ended meanwhile has nothing to abort: its own exit reports the outcome.
      child.on('error', () => resolve());
      child.on('close', () => resolve());
    });
  }

  forget(uid: string): void {
    const job = this.jobs.get(uid);
    if (job?.result !== undefined) this.jobs.delete(uid);
  }
}
