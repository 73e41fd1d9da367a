// A private, privileged libvirtd (+ virtlogd) with all its state in one folder: the one way tsvirt
// starts a real libvirtd, for `cluster/up.sh --libvirt`, the e2e tier and the handler's integration
// tests. cluster/libvirtd.sh does the work (a mount namespace that bind-mounts the folder over
// libvirt's hard-coded paths, /dev/kvm hidden when QEMU's user cannot use it, see its header and
// test/e2e/guest/README.md); this module drives it and adds what callers read: the URI, the log
// folder (the handler's --libvirt-log-dir) and QEMU's pids.
// Why system mode and not a session libvirtd as nobody: it is what a real node runs (qemu:///system,
// QEMU as libvirt-qemu, virtlogd, the DAC driver), it shares the QEMU capabilities cache across
// instances (a fresh probe costs ~4 s), and a restart of libvirtd alone keeps its domains running.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** cluster/libvirtd.sh, found from this file or from the bundle in dist/. */
export const LIBVIRTD_SCRIPT = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'cluster', 'libvirtd.sh');

export type PrivateLibvirtd = Readonly<{
  dir: string;
  uri: string;
  /** Where libvirt writes `<domain>.log`, as seen from outside the namespace (the handler's --libvirt-log-dir). */
  logDir: string;
  /** libvirtd's pid (-1 when it does not run). */
  pid: () => number;
  /** Runs `virsh -c <uri> <args>`; resolves with stdout. */
  virsh: (args: readonly string[]) => Promise<string>;
  /** Pids of the QEMU processes of running domains, by domain name. */
  qemuPids: () => Promise<ReadonlyMap<string, number>>;
  /** Stops libvirtd alone and starts it again in the same namespace; running domains keep running. */
  restart: () => Promise<void>;
  /** Destroys the running domains, stops libvirtd and virtlogd. */
  stop: () => Promise<void>;
}>;

/** The URI of the libvirtd whose state lives in `dir`. */
export function libvirtdUri(dir: string): string {
  return `qemu:///system?socket=${dir}/sock/libvirt-sock`;
}

/** libvirt's QEMU log folder of the libvirtd in `dir` (bind-mounted over /var/log/libvirt inside). */
export function libvirtdLogDir(dir: string): string {
  return join(dir, 'log', 'qemu');
}

async function script(command: string, dir: string): Promise<string> {
  try {
    return (await exec(LIBVIRTD_SCRIPT, [command, dir], { timeout: 90_000 })).stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`cluster/libvirtd.sh ${command} ${dir} failed: ${stderr.trim() || String(err)}`, { cause: err });
  }
}

async function qemuPidsIn(dir: string): Promise<ReadonlyMap<string, number>> {
  const runDir = join(dir, 'run', 'qemu');
  const pids = new Map<string, number>();
  for (const f of await readdir(runDir).catch(() => [] as string[])) {
    if (!f.endsWith('.pid') || f === 'driver.pid') continue;
    const pid = Number((await readFile(join(runDir, f), 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0) pids.set(f.slice(0, -'.pid'.length), pid);
  }
  return pids;
}

/** A handle on the libvirtd whose state lives in `dir` (running or not). */
export function libvirtdAt(dirPath: string): PrivateLibvirtd {
  const dir = resolve(dirPath);
  const uri = libvirtdUri(dir);
  return {
    dir,
    uri,
    logDir: libvirtdLogDir(dir),
    pid: () => {
      try {
        return Number(readFileSync(join(dir, 'libvirtd.pid'), 'utf8').trim());
      } catch {
        return -1;
      }
    },
    virsh: async (args) => (await exec('virsh', ['-c', uri, ...args], { timeout: 30_000 })).stdout,
    qemuPids: () => qemuPidsIn(dir),
    restart: async () => void (await script('restart-libvirtd', dir)),
    stop: async () => void (await script('stop', dir)),
  };
}

/** Starts libvirtd and virtlogd with their state in `dir` and waits until libvirtd answers. */
export async function startLibvirtd(dir: string): Promise<PrivateLibvirtd> {
  await script('start', resolve(dir));
  return libvirtdAt(dir);
}

/** Stops the libvirtd in `dir` (destroying its running domains); nothing when none runs there. */
export async function stopLibvirtd(dir: string): Promise<void> {
  await script('stop', resolve(dir));
}

/**
 * A libvirtd in a new temp folder, for a test; its stop() also removes the folder. The folder is
 * short (/tmp/tsvirt-lvd-*): unix socket paths must stay under 108 bytes.
 */
export async function startPrivateLibvirtd(): Promise<PrivateLibvirtd> {
  const dir = await mkdtemp('/tmp/tsvirt-lvd-');
  let lvd: PrivateLibvirtd;
  try {
    lvd = await startLibvirtd(dir);
  } catch (err) {
    await stopLibvirtd(dir).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...lvd,
    stop: async () => {
      await lvd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
