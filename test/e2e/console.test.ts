// The console, pause and soft reboot on the real tiny guest: `kubectl virt console` scripted from
// a pipe answers `uname -r` with the guest kernel's release; the keystroke echo round trip through
// kube-apiserver, virt-api and the handler; pause stops QEMU's vCPUs (libvirt says paused, the
// guest prints nothing), unpause resumes them; soft-reboot boots the guest a second time.
import { readFile } from 'node:fs/promises';
import { WebSocket } from 'ws';
import { VMI_PLURAL } from '../../api/names.js';
import { CONSOLE_SUBPROTOCOL, CONSOLE_SUBRESOURCE, subresourcePath } from '../../api/subresources.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import { pkiFile, startVirtApi, type VirtApi } from '../harness/virt-api.js';
import {
  MARKER,
  VM,
  domainOf,
  libvirtd,
  qemuProcesses,
  serialLogPath,
  startAndBoot,
  startController,
  startHandler,
  virt,
} from './guest-stack.js';
import { join } from 'node:path';

const EXAMPLE = (): string => join(clusterFromEnv().repoRoot, 'examples', 'vm-tiny-guest.yaml');

/** A console WebSocket through kube-apiserver as the admin; `text()` is everything received. */
async function openConsole(ns: string): Promise<Readonly<{ ws: WebSocket; text: () => string }>> {
  const c = clusterFromEnv();
  const [ca, cert, key] = await Promise.all([pkiFile('ca.crt'), pkiFile('admin.crt'), pkiFile('admin.key')]);
  const url = `${c.server.replace(/^https/, 'wss')}${subresourcePath(VMI_PLURAL, ns, VM, CONSOLE_SUBRESOURCE)}`;
  const ws = new WebSocket(url, CONSOLE_SUBPROTOCOL, { ca, cert, key });
  let text = '';
  ws.on('message', (d: Buffer) => (text += d.toString('latin1')));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, text: () => text };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

describe('the tiny guest console, pause and soft reboot through virt-api', () => {
  let ns: string;
  let api: VirtApi | undefined;
  const domstate = async (): Promise<string> => (await libvirtd().virsh(['domstate', domainOf(ns)])).trim();
  const markers = async (): Promise<number> =>
    (await readFile(serialLogPath(ns), 'utf8')).split('\n').filter((l) => MARKER.test(l)).length;

  beforeAll(async () => {
    ns = await createTestNamespace('e2e-console');
    await startController();
    await startHandler();
    api = await startVirtApi();
    await virt(['create', '-f', EXAMPLE(), '-n', ns]);
    await startAndBoot(ns);
  }, 120_000);

  afterAll(async () => {
    await virt(['delete', VM, '-n', ns]).catch(() => undefined);
    await waitFor(async () => (await qemuProcesses(domainOf(ns))).length === 0, {
      timeoutMs: 40_000,
      describe: 'the guest to be gone after delete',
    }).catch(() => undefined);
    await api?.unregister();
    await stopAllComponents();
    await deleteTestNamespace(ns);
  });

  it("answers `printf 'uname -r\\n' | kubectl virt console` with the guest kernel's release", async () => {
    const release = (MARKER.exec(await readFile(serialLogPath(ns), 'utf8'))?.[0] ?? '').split(' ')[1] ?? '';
    expect(release).toMatch(/^\d+\.\d+/);
    const r = await virt(['console', VM, '-n', ns, '--timeout', '60s'], 'uname -r\n');
    expect(r.stdout).toContain(release);
  });

  it('echoes a keystroke back through kube-apiserver, virt-api and the handler (median round trip)', async () => {
    const session = await openConsole(ns);
    const rounds: number[] = [];
    for (let i = 0; i < 15; i++) {
      const key = String.fromCharCode(97 + i);
      const before = session.text().length;
      const t0 = performance.now();
      session.ws.send(Buffer.from(key));
      await waitFor(() => session.text().slice(before).includes(key), {
        timeoutMs: 5000,
        intervalMs: 1,
        describe: `echo of ${key}`,
      });
      rounds.push(performance.now() - t0);
    }
    session.ws.send(Buffer.from('\u0015')); // Ctrl+U: leave the shell's line empty
    session.ws.close();
    process.stderr.write(
      `console echo round trip: median ${median(rounds).toFixed(1)} ms over ${rounds.length} keys\n`,
    );
    expect(median(rounds)).toBeLessThan(500);
  });

  it('pause stops QEMU and unpause resumes it; the console answers again after', async () => {
    await virt(['pause', VM, '-n', ns]);
    expect(await domstate()).toBe('paused');
    const status = await virt(['get', 'vm', VM, '-n', ns]);
    await waitFor(async () => (await virt(['get', 'vm', VM, '-n', ns])).stdout.includes('Paused'), {
      timeoutMs: 10_000,
      describe: `the VM to read Paused (seen ${status.stdout})`,
    });
    await virt(['unpause', VM, '-n', ns]);
    expect(await domstate()).toBe('running');
    const r = await virt(['console', VM, '-n', ns, '--timeout', '10s'], 'echo back-$((40+2))\n');
    expect(r.stdout).toContain('back-42');
  });

  it('soft-reboot boots the guest again: a second marker on its console', async () => {
    expect(await markers()).toBe(1);
    await virt(['soft-reboot', VM, '-n', ns]);
    await waitFor(async () => (await markers()) >= 2, { timeoutMs: 30_000, describe: 'a second boot marker' });
    expect(await qemuProcesses(domainOf(ns))).toHaveLength(1);
  });
});
