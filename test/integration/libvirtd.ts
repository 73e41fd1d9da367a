// A private libvirtd for tests whose domains must outlive the handler (test:///default lives inside
// the process that opened it, so a killed handler takes its domains along).
//
// How: libvirtd in session mode, run as the unprivileged user nobody (65534) with HOME and the XDG
// folders in a temp folder, so its socket, config, domain definitions, logs and QEMU pid files all
// live there and nothing collides with a system libvirtd or another test run. Root (the tests)
// can use its 0700 socket. QEMU runs as nobody under TCG (/dev/kvm is root-only here). qemu.conf
// sets stdio_handler = "file" so no virtlogd is needed (session libvirtd would spawn one and leave
// it behind). Connect with `qemu:///session?socket=<dir>/run/libvirt/libvirt-sock`.
// stop() destroys and undefines every domain, stops libvirtd, kills any QEMU left (by its pid
// file) and removes the folder: nothing is left behind.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const NOBODY = 65534;
const exec = promisify(execFile);

export type PrivateLibvirtd = Readonly<{
  dir: string;
  uri: string;
  /** Where libvirt writes `<domain>.log` (the handler's --libvirt-log-dir). */
  logDir: string;
  pid: () => number;
  /** Runs `virsh -c <uri> <args>`; resolves with stdout. */
  virsh: (args: readonly string[]) => Promise<string>;
  /** Pids of the QEMU processes of running domains, by domain name. */
  qemuPids: () => Promise<ReadonlyMap<string, number>>;
  /** Stops and starts libvirtd only; running domains keep running. */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}>;

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function chownTree(path: string): Promise<void> {
  await chown(path, NOBODY, NOBODY);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(p);
    else await chown(p, NOBODY, NOBODY);
  }
}

/** Starts a private session-mode libvirtd as nobody in a new temp folder and waits until it answers. */
export async function startPrivateLibvirtd(): Promise<PrivateLibvirtd> {
  // Short path: unix socket paths must stay under 108 bytes.
  const dir = await mkdtemp('/tmp/tsvirt-lvd-');
  await chmod(dir, 0o755);
  for (const sub of ['run', 'config/libvirt', 'cache', 'home']) await mkdir(join(dir, sub), { recursive: true });
  await writeFile(join(dir, 'config/libvirt/qemu.conf'), 'stdio_handler = "file"\n');
  await chownTree(dir);
  const socket = join(dir, 'run/libvirt/libvirt-sock');
  const uri = `qemu:///session?socket=${socket}`;
  const env = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: join(dir, 'home'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
  };
  const virsh = async (args: readonly string[]): Promise<string> =>
    (await exec('virsh', ['-c', uri, ...args], { timeout: 30_000 })).stdout;
  let daemon: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    await rm(socket, { force: true });
    const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'libvirtd'], {
      cwd: dir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
    daemon = child;
    await waitUntil('the private libvirtd to answer', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`libvirtd exited ${child.exitCode}: ${output}`);
      await virsh(['list', '--all', '--name']);
      return true;
    });
  };

  const stopDaemon = async (): Promise<void> => {
    const child = daemon;
    if (child?.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 10_000);
    await exitOf(child);
    clearTimeout(timer);
    daemon = undefined;
  };

  const qemuPids = async (): Promise<ReadonlyMap<string, number>> => {
    const runDir = join(dir, 'run/libvirt/qemu/run');
    const pids = new Map<string, number>();
    const files = await readdir(runDir).catch(() => [] as string[]);
    for (const f of files) {
      if (!f.endsWith('.pid') || f === 'driver.pid') continue;
      const pid = Number((await readFile(join(runDir, f), 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0) pids.set(f.slice(0, -'.pid'.length), pid);
    }
    return pids;
  };

  const stop = async (): Promise<void> => {
    if (daemon !== undefined) {
      const names = (await virsh(['list', '--all', '--name']).catch(() => ''))
        .split('\n')
        .filter((n) => n.trim() !== '');
      for (const name of names) {
        await virsh(['destroy', name]).catch(() => undefined);
        await virsh(['undefine', name]).catch(() => undefined);
      }
    }
    const leftover = await qemuPids();
    await stopDaemon();
    for (const pid of leftover.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  await launch();
  return {
    dir,
    uri,
    logDir: join(dir, 'cache/libvirt/qemu/log'),
    pid: () => daemon?.pid ?? -1,
    virsh,
    qemuPids,
    restart: async () => {
      await stopDaemon();
      await launch();
    },
    stop,
  };
}
