// The CI user's flow on the Debian guest, booted once: an SSH key this test generates goes in
// through cloud-init; the guest agent connects (AgentConnected, guestOSInfo, the interface with
// the launcher Pod's address, as KubeVirt reports masquerade); `kubectl virt ssh` runs `hostname`
// and passes `exit 3` back; `kubectl virt scp` copies a file in and out unchanged; the guest
// reaches a service this test serves on the node's loopback on its subnet (the node-only guest
// network lets through only that port, and gives no default route) and nothing else; `kubectl
// virt soft-reboot` reboots it through the agent (a new boot id, ssh again); `kubectl virt stop`
// shuts it down through the agent. Every byte goes over loopback: QEMU's user network runs with
// restrict=on.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import { SERVICE_NODE_FLAGS } from '../../api/names.js';
import { handlerCommand } from '../../cluster/components.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  startComponent,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import { startVirtApi, type VirtApi } from '../harness/virt-api.js';
import { libvirtd, node, qemuCpuMs, qemuProcesses, startController, virt, type CliResult } from './guest-stack.js';
import { ensureTsvirtCerts } from '../../cluster/components.js';

const VM = 'deb-net';
const BOOT_TIMEOUT_MS = 400_000;

/**
 * `kubectl virt` whatever its exit code: ssh's code is the test's subject. Its own process group,
 * killed whole after `timeoutMs`: an ssh that waits for a banner would otherwise hold the pipes.
 */
function virtCode(args: readonly string[], timeoutMs = 120_000): Promise<CliResult> {
  const c = clusterFromEnv();
  const pluginDir = process.env['TSVIRT_E2E_PLUGIN_DIR'] ?? join(c.repoRoot, 'dist', 'bin');
  return new Promise((resolve, reject) => {
    const child = spawn(c.kubectl, ['virt', ...args], {
      env: { ...process.env, KUBECONFIG: c.kubeconfig, PATH: `${pluginDir}:${process.env['PATH'] ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const kill = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

function run(cmd: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/** The guest's own IPv4 addresses, asked of its agent through the node's libvirt (not the status). */
async function guestAddresses(domain: string): Promise<string[]> {
  const out = await libvirtd()
    .virsh(['qemu-agent-command', domain, '{"execute":"guest-network-get-interfaces"}', '--timeout', '5'])
    .catch(() => '{}');
  type Ifaces = { return?: { name: string; 'ip-addresses'?: { 'ip-address': string; 'ip-address-type': string }[] }[] };
  return ((JSON.parse(out) as Ifaces).return ?? [])
    .filter((i) => i.name !== 'lo')
    .flatMap((i) =>
      (i['ip-addresses'] ?? []).filter((a) => a['ip-address-type'] === 'ipv4').map((a) => a['ip-address']),
    );
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

describe('guest network, agent, port-forward and ssh on the Debian guest', () => {
  let ns: string;
  let dir: string;
  let api: VirtApi | undefined;
  let service: Server | undefined;
  let handler: Awaited<ReturnType<typeof startComponent>> | undefined;
  let servicePort = 0;
  const token = randomBytes(8).toString('hex');

  beforeAll(async () => {
    ns = await createTestNamespace('network');
    dir = await mkdtemp(join(tmpdir(), 'tsvirt-net-'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
    // QEMU holds one connection to it from the VM's start (guestfwd): answer each line, never close.
    service = createServer((s) => s.on('data', () => s.write(`NODE-SERVICE ${token}\n`)));
    await new Promise<void>((done) => service?.listen(0, '127.0.0.1', () => done()));
    servicePort = (service.address() as { port: number }).port;
    await startController();
    await ensureTsvirtCerts(clusterFromEnv().info);
    const args = handlerCommand(clusterFromEnv().info, node()).args.slice(SERVICE_NODE_FLAGS.length + 1);
    handler = await startComponent('virt-handler', [...args, `--guest-node-port=${servicePort}`]);
    await handler.waitForLog(/Started virt-handler/);
    api = await startVirtApi();
  }, 120_000);

  afterAll(async () => {
    await virt(['delete', VM, '-n', ns]).catch(() => undefined);
    await waitFor(async () => (await qemuProcesses(`${ns}_${VM}`)).length === 0, {
      timeoutMs: 120_000,
      describe: 'the Debian guest to be gone after delete',
    }).catch(() => undefined);
    await api?.unregister();
    await stopAllComponents();
    await deleteTestNamespace(ns);
    service?.close();
    await rm(dir, { recursive: true, force: true });
  }, 200_000);

  const ssh = (command: string, timeoutMs?: number): Promise<CliResult> =>
    virtCode(
      [
        'ssh',
        `debian@vm/${VM}`,
        '-n',
        ns,
        '-i',
        join(dir, 'key'),
        '--known-hosts',
        join(dir, 'known_hosts'),
        '-t',
        'StrictHostKeyChecking=accept-new',
        '-t',
        'BatchMode=yes',
        '-t',
        'ConnectTimeout=30',
        '-c',
        command,
      ],
      timeoutMs,
    );

  it(
    'connects the agent, logs in over ssh, copies files, and reaches the node service only',
    async () => {
      const c = clusterFromEnv();
      const pub = (await readFile(join(dir, 'key.pub'), 'utf8')).trim();
      const text = await readFile(join(c.repoRoot, 'examples', 'vm-debian.yaml'), 'utf8');
      const vm = parse(
        text
          .replaceAll('REGISTRY/', `${c.info.registry ?? 'no-registry'}/`)
          .replace('ssh-ed25519 AAAA...replace-with-your-public-key you@example', pub),
      ) as VirtualMachine;
      await virt(['create', '-f', '-', '-n', ns], JSON.stringify({ ...vm, metadata: { name: VM } }));
      const t0 = Date.now();
      await virt(['start', VM, '-n', ns, '--wait', '--timeout', '100s']).catch((e: unknown) => {
        throw new Error(`${String(e)}\n--- virt-handler ---\n${handler?.logs().slice(-6000) ?? ''}`);
      });

      // virt() gives a command 120 s; a loaded machine's TCG boot can take longer than that.
      const connected = await virtCode(
        ['wait', `vm/${VM}`, '-n', ns, '--for=condition=AgentConnected', '--timeout', `${BOOT_TIMEOUT_MS / 1000}s`],
        BOOT_TIMEOUT_MS + 10_000,
      );
      expect(connected).toMatchObject({ code: 0 }); // stderr shows in the diff when it fails
      const agentMs = Date.now() - t0;
      const [qemuPid] = await qemuProcesses(`${ns}_${VM}`);
      const agentCpuMs = await qemuCpuMs(qemuPid ?? 0);
      const vmi = JSON.parse((await virt(['get', 'vmi', VM, '-n', ns, '-o', 'json'])).stdout) as VirtualMachineInstance;
      expect(vmi.status?.guestOSInfo?.id).toBe('debian');
      expect(vmi.status?.interfaces?.[0]?.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);

      // KubeVirt's masquerade report: the launcher Pod's address, and the agent's name for the NIC.
      const pod = (
        await virt(['get', 'vmi', VM, '-n', ns, '-o', 'json']).then(
          (r) => JSON.parse(r.stdout) as VirtualMachineInstance,
        )
      ).status?.launcherPodName;
      const podIP = await waitFor(
        async (seen) => {
          const ip = (await kubectl(['get', 'pod', pod ?? '', '-n', ns, '-o', 'jsonpath={.status.podIP}'])).stdout;
          seen(ip);
          return ip.trim() === '' ? undefined : ip.trim();
        },
        { timeoutMs: 60_000, describe: "the launcher Pod's IP" },
      );
      await waitFor(
        async (seen) => {
          const r = await virt(['get', 'vmi', VM, '-n', ns, '-o', 'json']);
          const i = (JSON.parse(r.stdout) as VirtualMachineInstance).status?.interfaces?.[0];
          seen(JSON.stringify(i));
          return i?.infoSource === 'domain, guest-agent' && i.ipAddress === podIP && i.interfaceName !== undefined;
        },
        {
          timeoutMs: BOOT_TIMEOUT_MS,
          intervalMs: 2_000,
          describe: "interfaces[0] with the Pod's IP from both sources",
        },
      );
      // The agent starts before the guest's network is up: wait for its DHCP address, then for sshd.
      const domain = `${ns}_${VM}`;
      await waitFor(
        async (seen) => {
          const ips = await guestAddresses(domain);
          seen(ips);
          return ips.includes('10.0.2.2');
        },
        {
          timeoutMs: BOOT_TIMEOUT_MS,
          intervalMs: 2_000,
          describe: "the guest's DHCP address, as its agent reports it",
        },
      );
      const first = await waitFor(
        async (seen) => {
          const r = await ssh('hostname', 45_000);
          seen(`exit ${r.code}: ${r.stderr.slice(-300)}`);
          return r.code === 0 ? r : undefined;
        },
        { timeoutMs: 240_000, intervalMs: 2_000, describe: 'a first ssh login' },
      );
      const sshMs = Date.now() - t0;
      const sshCpuMs = await qemuCpuMs(qemuPid ?? 0);
      expect(first.stdout.trim()).toBe(VM);
      expect((await ssh('exit 3')).code).toBe(3);

      const rounds: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = Date.now();
        expect((await ssh('true')).code).toBe(0);
        rounds.push(Date.now() - t);
      }

      const local = join(dir, 'payload');
      const back = join(dir, 'payload.back');
      const payload = randomBytes(256 * 1024);
      await writeFile(local, payload);
      const scpFlags = [
        '-n',
        ns,
        '-i',
        join(dir, 'key'),
        '--known-hosts',
        join(dir, 'known_hosts'),
        '-t',
        'BatchMode=yes',
      ];
      expect((await virtCode(['scp', ...scpFlags, local, `debian@vm/${VM}:/tmp/payload`])).code).toBe(0);
      expect((await virtCode(['scp', ...scpFlags, `debian@vm/${VM}:/tmp/payload`, back])).code).toBe(0);
      expect((await readFile(back)).equals(payload)).toBe(true);

      // Node-only (restrict=on): QEMU's DHCP leaves out the router and DNS, so the guest has no
      // default route at all; the node's allowed port is on its own subnet, at 10.0.2.254.
      const route = await ssh(`awk '$2 == "00000000" { print $3 }' /proc/net/route`);
      expect([route.code, route.stdout.trim()]).toEqual([0, '']);
      const [pid] = await qemuProcesses(`${ns}_${VM}`);
      const cmdline = await readFile(`/proc/${pid ?? 0}/cmdline`, 'utf8');
      expect(cmdline).toContain('restrict=on');
      const reached = await ssh(
        `timeout 20 bash -c 'exec 3<>/dev/tcp/10.0.2.254/${servicePort}; echo hello >&3; head -n 1 <&3'`,
      );
      expect([reached.code, reached.stdout.trim()]).toEqual([0, `NODE-SERVICE ${token}`]);
      // restrict=on: the gateway (the node) answers nothing else.
      expect((await ssh(`timeout 10 bash -c 'exec 3<>/dev/tcp/10.0.2.1/${servicePort}'`)).code).not.toBe(0);

      // Soft reboot through the agent: qemu-ga's shutdown -r +0 goes through logind (D-Bus in the
      // image); the handler falls back to ACPI only when the agent's reboot fails, and says so.
      const bootId = async (): Promise<string> => (await ssh('cat /proc/sys/kernel/random/boot_id')).stdout.trim();
      const before = await bootId();
      expect(before).toMatch(/^[0-9a-f-]{36}$/);
      const tReboot = Date.now();
      expect((await virtCode(['soft-reboot', VM, '-n', ns])).code).toBe(0);
      const after = await waitFor(
        async (seen) => {
          const r = await ssh('cat /proc/sys/kernel/random/boot_id', 45_000);
          seen(`exit ${r.code}: ${r.stdout.trim()} ${r.stderr.slice(-200)}`);
          const id = r.stdout.trim();
          return r.code === 0 && id !== before ? id : undefined;
        },
        { timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 2_000, describe: 'ssh into the rebooted guest (a new boot id)' },
      ).catch(async (e: unknown) => {
        const serial = await readFile(join(node().handlerRunDir, domain, 'serial.log'), 'utf8').catch(() => '');
        throw new Error(`${String(e)}\n--- serial console, last 3000 characters ---\n${serial.slice(-3000)}`);
      });
      const rebootMs = Date.now() - tReboot;
      expect(after).toMatch(/^[0-9a-f-]{36}$/);
      expect(handler?.logs()).not.toContain('The guest agent could not reboot the guest');
      expect((await ssh('hostname')).stdout.trim()).toBe(VM);

      // A graceful stop goes through the agent too: the handler says which way it asked.
      const again = await virtCode(
        ['wait', `vm/${VM}`, '-n', ns, '--for=condition=AgentConnected', '--timeout', '300s'],
        310_000,
      );
      expect(again).toMatchObject({ code: 0 }); // stderr shows in the diff when it fails
      const tStop = Date.now();
      const stopped = await virtCode(['stop', VM, '-n', ns, '--wait', '--timeout', '300s'], 310_000);
      expect(stopped).toMatchObject({ code: 0 }); // stderr shows in the diff when it fails
      const stopMs = Date.now() - tStop;
      expect(handler?.logs()).toMatch(/"via":"agent"[^\n]*"msg":"Asked the guest to shut down"/);
      expect(handler?.logs()).not.toContain('The guest agent could not shut the guest down');
      await waitFor(async () => (await qemuProcesses(domain)).length === 0, {
        timeoutMs: 60_000,
        describe: 'QEMU to end after the stop',
      });

      process.stderr.write(
        `network e2e: start -> AgentConnected ${agentMs} ms (QEMU CPU ${agentCpuMs} ms), start -> first ssh ${sshMs} ms (QEMU CPU ${sshCpuMs} ms), ssh round trip ms ${JSON.stringify(rounds)} (median ${median(rounds)}), soft-reboot -> ssh ${rebootMs} ms, stop through the agent ${stopMs} ms\n`,
      );
    },
    3 * BOOT_TIMEOUT_MS,
  );
});
