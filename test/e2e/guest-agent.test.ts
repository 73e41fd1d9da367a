// The guest agent path end to end on the tiny guest, which boots in seconds: its kernel command
// line has `tsvirt.agent`, so its /init starts the busybox agent stand-in (test/e2e/guest/README.md)
// on the virtio-serial port libvirt talks to. With a masquerade NIC on the pod network:
// AgentConnected turns True, status.guestOSInfo is what the stand-in answered, status.interfaces
// has the launcher Pod's IP first (matched to the stand-in's eth0 by MAC) and then the stand-in's
// own test interface; `kubectl virt soft-reboot` reboots the guest through the agent (the stand-in
// prints which guest-shutdown mode it was asked for, and a second boot marker follows on the same
// VMI); `kubectl virt stop` shuts it down through the agent too (the handler logs via agent).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  stopAllComponents,
  waitFor,
  type ComponentHandle,
} from '../harness/index.js';
import { startVirtApi, type VirtApi } from '../harness/virt-api.js';
import {
  MARKER,
  VM,
  domainOf,
  libvirtd,
  qemuProcesses,
  serialLogPath,
  startController,
  startHandler,
  virt,
  waitForMarker,
  watchVmi,
} from './guest-stack.js';

// What the stand-in reports (test/e2e/guest/build.sh, write_agent).
const STAND_IN = { osId: 'tsvirt-tiny', testMac: '02:00:00:00:a9:e1', testAddress: '192.0.2.15' } as const;
const AGENT_REBOOT = 'TSVIRT-AGENT guest-shutdown mode=reboot';
const AGENT_POWERDOWN = 'TSVIRT-AGENT guest-shutdown mode=powerdown';

/** examples/vm-tiny-guest.yaml with the stand-in switched on and one masquerade NIC on the pod network. */
async function tinyGuestWithAgent(): Promise<VirtualMachine> {
  const text = await readFile(join(clusterFromEnv().repoRoot, 'examples', 'vm-tiny-guest.yaml'), 'utf8');
  const vm = parse(text) as VirtualMachine;
  const spec = vm.spec.template.spec;
  const kernelBoot = spec.domain.firmware?.kernelBoot;
  if (kernelBoot?.kernelArgs === undefined) throw new Error('examples/vm-tiny-guest.yaml has no kernelArgs');
  return {
    ...vm,
    spec: {
      ...vm.spec,
      template: {
        ...vm.spec.template,
        spec: {
          ...spec,
          domain: {
            ...spec.domain,
            firmware: {
              ...spec.domain.firmware,
              kernelBoot: { ...kernelBoot, kernelArgs: `${kernelBoot.kernelArgs} tsvirt.agent` },
            },
            devices: { ...spec.domain.devices, interfaces: [{ name: 'default', masquerade: {} }] },
          },
          networks: [{ name: 'default', pod: {} }],
        },
      },
    },
  };
}

const vmiOf = async (ns: string): Promise<VirtualMachineInstance> =>
  JSON.parse((await virt(['get', 'vmi', VM, '-n', ns, '-o', 'json'])).stdout) as VirtualMachineInstance;

/** guest-ping through the node's libvirt: the agent's answer, or libvirt's error as text. */
const agentPing = (ns: string): Promise<string> =>
  libvirtd()
    .virsh(['qemu-agent-command', domainOf(ns), '{"execute":"guest-ping"}', '--timeout', '2'])
    .catch((e: unknown) => String(e));

const serialLog = (ns: string): Promise<string> => readFile(serialLogPath(ns), 'utf8').catch(() => '');

describe('the guest agent on the tiny guest (its busybox stand-in)', () => {
  let ns: string;
  let api: VirtApi | undefined;
  let handler: ComponentHandle | undefined;

  beforeAll(async () => {
    ns = await createTestNamespace('e2e-agent');
    await startController();
    handler = await startHandler();
    api = await startVirtApi();
    await virt(['create', '-f', '-', '-n', ns], JSON.stringify(await tinyGuestWithAgent()));
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

  it('connects, reports guestOSInfo and interfaces, reboots and stops through the agent', async () => {
    const watch = watchVmi(ns, VM);
    try {
      const t0 = Date.now();
      await virt(['start', VM, '-n', ns, '--wait']);
      const release = (await waitForMarker(ns, 30_000)).split(' ')[1] ?? '';
      await virt(['wait', `vm/${VM}`, '-n', ns, '--for=condition=AgentConnected', '--timeout', '60s']).catch(
        async (e: unknown) => {
          const ping = await agentPing(ns);
          throw new Error(`${String(e)}\n--- guest-ping: ${ping}\n--- console:\n${(await serialLog(ns)).slice(-1500)}`);
        },
      );
      const agentMs = Date.now() - t0;

      // guestOSInfo: the stand-in's guest-get-osinfo, read by the handler into KubeVirt's names.
      const vmi = await vmiOf(ns);
      expect(vmi.status?.guestOSInfo).toMatchObject({
        id: STAND_IN.osId,
        prettyName: 'tsvirt tiny guest (busybox)',
        kernelRelease: release,
        machine: 'x86_64',
      });

      // interfaces: [0] the spec's NIC with the launcher Pod's IP, matched to the stand-in's eth0
      // by MAC; then the stand-in's own interface, which the spec does not have.
      const podIP = await waitFor(
        async (seen) => {
          const pod = vmi.status?.launcherPodName ?? '';
          const ip = (await kubectl(['get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.status.podIP}'])).stdout.trim();
          seen(ip);
          return ip === '' ? undefined : ip;
        },
        { timeoutMs: 30_000, describe: "the launcher Pod's IP" },
      );
      const interfaces = await waitFor(
        async (seen) => {
          const got = (await vmiOf(ns)).status?.interfaces ?? [];
          seen(JSON.stringify(got));
          return got[0]?.ipAddress === podIP && got.length === 2 ? got : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, describe: "interfaces with the Pod's IP and the stand-in's address" },
      );
      expect(interfaces[0]).toMatchObject({
        name: 'default',
        ipAddress: podIP,
        interfaceName: 'eth0',
        infoSource: 'domain, guest-agent',
      });
      expect(interfaces[0]?.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
      expect(interfaces[1]).toEqual({
        mac: STAND_IN.testMac,
        ipAddress: STAND_IN.testAddress,
        ipAddresses: [STAND_IN.testAddress],
        interfaceName: 'agent0',
        infoSource: 'guest-agent',
      });

      // Soft reboot: the handler asks the agent (AgentConnected), the stand-in says which mode it
      // got and reboots; QEMU stays (same process), the VMI stays (same uid), the guest boots again.
      const uid = vmi.metadata.uid;
      const [qemu] = await qemuProcesses(domainOf(ns));
      const tReboot = Date.now();
      await virt(['soft-reboot', VM, '-n', ns]);
      const rebooted = await waitFor(
        async (seen) => {
          const log = await serialLog(ns);
          seen(log.slice(-300));
          return log.split('\n').filter((l) => MARKER.test(l)).length >= 2 ? log : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, describe: 'a second boot marker after soft-reboot' },
      );
      const rebootMs = Date.now() - tReboot;
      expect(rebooted).toContain(AGENT_REBOOT);
      expect(rebooted.indexOf(AGENT_REBOOT)).toBeLessThan(rebooted.lastIndexOf('TSVIRT-GUEST-READY'));
      expect(rebooted).not.toContain(AGENT_POWERDOWN);
      expect(await qemuProcesses(domainOf(ns))).toEqual([qemu]);
      expect((await vmiOf(ns)).metadata.uid).toBe(uid);

      // The stand-in of the second boot answers again before the stop, so the stop is the agent's.
      await waitFor(
        async (seen) => {
          const out = await agentPing(ns);
          seen(out);
          return out.includes('"return"');
        },
        { timeoutMs: 30_000, intervalMs: 500, describe: 'the agent to answer after the reboot' },
      );
      await virt(['wait', `vm/${VM}`, '-n', ns, '--for=condition=AgentConnected', '--timeout', '30s']);
      const tStop = Date.now();
      const stopping = virt(['stop', VM, '-n', ns, '--wait', '--timeout', '60s']);
      // Read while QEMU runs: the handler removes the VMI's run folder, serial log included, after.
      await waitFor(async () => (await serialLog(ns)).includes(AGENT_POWERDOWN), {
        timeoutMs: 60_000,
        intervalMs: 50,
        describe: `${AGENT_POWERDOWN} on the console after stop`,
      });
      await stopping;
      const stopMs = Date.now() - tStop;
      expect(handler?.logs()).toMatch(/"via":"agent"[^\n]*"msg":"Asked the guest to shut down"/);
      expect(handler?.logs()).not.toContain('The guest agent could not shut the guest down');
      expect(handler?.logs()).not.toContain('The guest agent could not reboot the guest');
      await waitFor(async () => (await qemuProcesses(domainOf(ns))).length === 0, {
        timeoutMs: 30_000,
        describe: 'QEMU to end after the stop',
      });
      const phases = watch.seen().filter((r) => r.uid === uid);
      expect(phases.map((r) => r.phase)).toContain('Succeeded');
      expect(phases.map((r) => r.phase)).not.toContain('Failed');
      process.stderr.write(
        `guest-agent e2e: start -> AgentConnected ${agentMs} ms, soft-reboot -> second marker ${rebootMs} ms, stop through the agent ${stopMs} ms\n`,
      );
    } finally {
      watch.stop();
    }
  }, 240_000);
});
