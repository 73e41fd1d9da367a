// Boots the tiny guest under a private libvirtd, without Kubernetes, and times it:
// domain start → marker line on the serial console, and ACPI shutdown request → shut off.
//
//   npx tsx test/e2e/guest/boot-check.ts [--runs 5] [--json FILE] [--guest-dir DIR] [--keep-dir]
//
// Needs root (libvirtd.sh). Exits non-zero when a run misses a deadline; everything it started is
// stopped before it exits.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const MARKER = /TSVIRT-GUEST-READY (\S+)/;
const DOMAIN = 'tsvirt-guest-check';
const BOOT_DEADLINE_MS = 15_000;
const SHUTDOWN_DEADLINE_MS = 15_000;

interface DomainOptions {
  readonly name: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly serialSocket: string;
}

interface RunTiming {
  readonly run: number;
  /** QEMU started directly with the same guest and machine, no libvirt: the baseline of this run. */
  readonly directQemuStartToMarkerMs: number;
  readonly kernelRelease: string;
  readonly virshStartMs: number;
  readonly startToMarkerMs: number;
  readonly shutdownToShutoffMs: number;
  readonly stopReason: string;
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;');

/** The TCG domain FACTS.md measured: 1 vCPU, 128 MiB, direct kernel boot, serial on a unix socket. */
function domainXml(o: DomainOptions): string {
  const sock = escapeXml(o.serialSocket);
  return `<domain type='qemu'>
  <name>${escapeXml(o.name)}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${escapeXml(o.kernel)}</kernel>
    <initrd>${escapeXml(o.initrd)}</initrd>
    <cmdline>console=ttyS0 quiet</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='unix'><source mode='bind' path='${sock}'/><target port='0'/></serial>
    <console type='unix'><source mode='bind' path='${sock}'/><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>
`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const round = (ms: number): number => Math.round(ms);

async function virsh(uri: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('virsh', ['-q', '-c', uri, ...args]);
  return stdout.trim();
}

/** Resolves with the value `poll` returns first that is not undefined; rejects at the deadline with `describe()`. */
async function waitFor<T>(
  poll: () => T | undefined | Promise<T | undefined>,
  ms: number,
  describe: () => string,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await poll();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${describe()}`);
    await new Promise((r) => setTimeout(r, 20)); // poll interval, bounded by the deadline above
  }
}

/** The serial console: accumulates output and remembers when each marker was first seen. */
class SerialConsole {
  private text = '';
  private closedAt: number | undefined;
  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (this.text += chunk));
    socket.on('close', () => (this.closedAt = performance.now()));
    socket.on('error', () => undefined); // the close event reports the end
  }

  static async open(path: string): Promise<SerialConsole> {
    const socket = await waitFor(
      () => tryConnect(path),
      5_000,
      () => `the serial socket ${path}`,
    );
    return new SerialConsole(socket);
  }

  match(re: RegExp): RegExpMatchArray | undefined {
    return this.text.match(re) ?? undefined;
  }

  tail(): string {
    return JSON.stringify(this.text.slice(-400));
  }

  closed(): number | undefined {
    return this.closedAt;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  close(): void {
    this.socket.destroy();
  }
}

function tryConnect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
}

/** `virsh event --loop`: records when the Stopped lifecycle event arrives, to the millisecond. */
class LifecycleEvents {
  private out = '';
  stoppedAt: number | undefined;
  private constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.out += chunk;
      if (this.stoppedAt === undefined && /: Stopped /.test(this.out)) this.stoppedAt = performance.now();
    });
  }

  static follow(uri: string, domain: string): LifecycleEvents {
    const child = spawn('virsh', ['-c', uri, 'event', '--domain', domain, '--event', 'lifecycle', '--loop'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new LifecycleEvents(child);
  }

  seen(): string {
    return JSON.stringify(this.out);
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

/** Boots the same guest with QEMU directly and powers it off from its shell; returns start → marker. */
async function bootDirect(dir: string, guestDir: string, n: number): Promise<number> {
  const serialSocket = join(dir, `direct-${n}.sock`);
  const args = ['-accel', 'tcg', '-machine', 'pc', '-m', '128', '-smp', '1', '-nodefaults', '-display', 'none'];
  args.push('-kernel', join(guestDir, 'vmlinuz'), '-initrd', join(guestDir, 'initrd.img'));
  args.push('-append', 'console=ttyS0 quiet', '-serial', `unix:${serialSocket},server=on,wait=off`, '-no-reboot');
  const t0 = performance.now();
  const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));
  let serial: SerialConsole | undefined;
  try {
    const console_ = (serial = await SerialConsole.open(serialSocket));
    await waitFor(
      () => console_.match(MARKER),
      BOOT_DEADLINE_MS,
      () => `the marker (direct QEMU); ${console_.tail()}`,
    );
    const ms = performance.now() - t0;
    await waitFor(
      () => console_.match(/\/ # /),
      BOOT_DEADLINE_MS,
      () => `the prompt (direct QEMU); ${console_.tail()}`,
    );
    console_.write('poweroff\n');
    await waitFor(
      () => console_.closed(),
      SHUTDOWN_DEADLINE_MS,
      () => `QEMU to exit after poweroff; ${console_.tail()}`,
    );
    return round(ms);
  } finally {
    serial?.close();
    if (qemu.exitCode === null) qemu.kill('SIGKILL');
    await exited;
  }
}

async function bootOnce(
  uri: string,
  dir: string,
  guestDir: string,
  n: number,
): Promise<Omit<RunTiming, 'directQemuStartToMarkerMs'>> {
  const serialSocket = join(dir, `serial-${n}.sock`);
  const xmlPath = join(dir, `domain-${n}.xml`);
  await writeFile(
    xmlPath,
    domainXml({ name: DOMAIN, kernel: join(guestDir, 'vmlinuz'), initrd: join(guestDir, 'initrd.img'), serialSocket }),
  );
  await virsh(uri, 'define', xmlPath);
  const events = LifecycleEvents.follow(uri, DOMAIN);
  let serial: SerialConsole | undefined;
  try {
    const t0 = performance.now();
    await virsh(uri, 'start', DOMAIN);
    const started = performance.now();
    const console_ = (serial = await SerialConsole.open(serialSocket));
    const marker = await waitFor(
      () => console_.match(MARKER),
      BOOT_DEADLINE_MS,
      () => `the marker; serial so far: ${console_.tail()}`,
    );
    const markerAt = performance.now();
    await waitFor(
      () => console_.match(/\/ # /),
      BOOT_DEADLINE_MS,
      () => `the shell prompt; serial so far: ${console_.tail()}`,
    );
    const askedAt = performance.now();
    await virsh(uri, 'shutdown', DOMAIN);
    const offAt = await waitFor(
      () => events.stoppedAt,
      SHUTDOWN_DEADLINE_MS,
      () => `the Stopped event; events: ${events.seen()}; serial: ${console_.tail()}`,
    );
    const stopReason = await virsh(uri, 'domstate', '--reason', DOMAIN);
    // "shut off (destroyed)" would mean libvirt killed QEMU, not that the guest powered itself off.
    if (stopReason !== 'shut off (shutdown)')
      throw new Error(`Run ${n} ended as "${stopReason}", not "shut off (shutdown)"`);
    return {
      run: n,
      kernelRelease: marker[1] ?? '',
      virshStartMs: round(started - t0),
      startToMarkerMs: round(markerAt - t0),
      shutdownToShutoffMs: round(offAt - askedAt),
      stopReason,
    };
  } finally {
    serial?.close();
    events.stop();
    await virsh(uri, 'destroy', DOMAIN).catch(() => ''); // only when a deadline was missed
    await virsh(uri, 'undefine', DOMAIN);
  }
}

async function versions(): Promise<Record<string, string>> {
  const [qemu, libvirt] = await Promise.all([run('qemu-system-x86_64', ['--version']), run('libvirtd', ['--version'])]);
  return { qemu: qemu.stdout.split('\n')[0] ?? '', libvirtd: libvirt.stdout.trim() };
}

async function ensureGuest(guestDir: string | undefined): Promise<string> {
  if (guestDir !== undefined) return guestDir;
  await run(join(HERE, 'build.sh'), [], { maxBuffer: 1 << 20 });
  return process.env.TSVIRT_GUEST_INSTALL_DIR ?? '/var/lib/tsvirt/guest';
}

interface Report {
  readonly measuredAt: string;
  readonly host: Record<string, string | number>;
  readonly guest: Record<string, string>;
  readonly runs: readonly RunTiming[];
  readonly medianMs: {
    readonly startToMarker: number;
    readonly shutdownToShutoff: number;
    readonly virshStart: number;
    readonly directQemuStartToMarker: number;
  };
  /** libvirt's start → marker over direct QEMU's, both medians of this run: comparable across loaded machines. */
  readonly startToMarkerVsDirectQemu: number;
  readonly loadAverage: { readonly before: number; readonly after: number };
}

async function report(runs: readonly RunTiming[], guestDir: string, loadBefore: number): Promise<Report> {
  const inputs = await readFile(join(guestDir, 'inputs'), 'utf8').catch(() => '');
  const guest = Object.fromEntries(
    inputs
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return {
    measuredAt: new Date().toISOString(),
    host: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', accel: 'tcg', ...(await versions()) },
    guest: { dir: guestDir, ...guest },
    runs,
    medianMs: {
      startToMarker: median(runs.map((r) => r.startToMarkerMs)),
      shutdownToShutoff: median(runs.map((r) => r.shutdownToShutoffMs)),
      virshStart: median(runs.map((r) => r.virshStartMs)),
      directQemuStartToMarker: median(runs.map((r) => r.directQemuStartToMarkerMs)),
    },
    startToMarkerVsDirectQemu:
      Math.round(
        (median(runs.map((r) => r.startToMarkerMs)) / median(runs.map((r) => r.directQemuStartToMarkerMs))) * 100,
      ) / 100,
    loadAverage: { before: loadBefore, after: loadavg()[0] ?? 0 },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      json: { type: 'string' },
      'guest-dir': { type: 'string' },
      'keep-dir': { type: 'boolean', default: false },
    },
  });
  const guestDir = await ensureGuest(values['guest-dir']);
  const dir = await mkdtemp(join(tmpdir(), 'tsvirt-boot-'));
  const loadBefore = loadavg()[0] ?? 0;
  const libvirtd = join(HERE, '..', '..', '..', 'cluster', 'libvirtd.sh');
  const runs: RunTiming[] = [];
  try {
    const uri = (await run(libvirtd, ['start', dir])).stdout.trim();
    for (let n = 1; n <= Number(values.runs); n++) {
      const directQemuStartToMarkerMs = await bootDirect(dir, guestDir, n);
      const t = { ...(await bootOnce(uri, dir, guestDir, n)), directQemuStartToMarkerMs };
      process.stderr.write(
        `run ${n}: start→marker ${t.startToMarkerMs} ms (virsh start ${t.virshStartMs} ms; direct QEMU ${directQemuStartToMarkerMs} ms), shutdown→shut off ${t.shutdownToShutoffMs} ms, ${t.stopReason}\n`,
      );
      runs.push(t);
    }
  } finally {
    await run(libvirtd, ['stop', dir]);
    if (!values['keep-dir']) await rm(dir, { recursive: true, force: true });
  }
  const r = await report(runs, guestDir, loadBefore);
  const text = `${JSON.stringify(r, null, 2)}\n`;
  if (values.json !== undefined) {
    await mkdir(dirname(values.json), { recursive: true });
    await writeFile(values.json, text);
  }
  process.stdout.write(text);
}

await main();
