import { CONDITION_TYPES, REASONS } from '../../../api/names.js';
import type { VirtualMachineInstance } from '../../../api/types.js';
import { interfacesFor, statusForVerdict } from '../../../handler/sync/vmi-status.js';
import type { AgentFacts } from '../../../handler/guest-agent.js';

const T0 = new Date('2026-11-25T14:00:00Z');
const T1 = new Date('2026-11-25T14:05:00Z');
const RUNNING = {
  phase: 'Running' as const,
  reason: REASONS.domainRunning,
  message: 'The domain is running',
  paused: false,
};

function scheduled(): VirtualMachineInstance {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { namespace: 'ns', name: 'web', uid: 'u1' },
    spec: {
      domain: { devices: { interfaces: [{ name: 'default', masquerade: {}, macAddress: '02:00:00:AA:BB:CC' }] } },
      networks: [{ name: 'default', pod: {} }],
    },
    status: {
      phase: 'Scheduled',
      nodeName: 'node-1',
      launcherPodName: 'virt-launcher-web-1234',
      conditions: [{ type: CONDITION_TYPES.podScheduled, status: 'True', lastTransitionTime: '2026-11-25T13:59:59Z' }],
      phaseTransitionTimestamps: [{ phase: 'Scheduled', phaseTransitionTimestamp: '2026-11-25T13:59:59Z' }],
    },
  };
}

const AGENT: AgentFacts = {
  osInfo: { id: 'debian', prettyName: 'Debian GNU/Linux 12 (bookworm)', kernelRelease: '6.1.0-56-cloud-amd64' },
  interfaces: [{ name: 'enp1s0', mac: '02:00:00:aa:bb:cc', addresses: ['10.0.2.2', 'fec0::2'] }],
};

describe('statusForVerdict with a guest agent', () => {
  it('sets AgentConnected, guestOSInfo and the addresses the agent reports for the interface with its MAC', () => {
    const s = statusForVerdict(scheduled(), RUNNING, { emulation: 'qemu', agent: AGENT }, T0);
    expect(s?.conditions?.find((c) => c.type === CONDITION_TYPES.agentConnected)?.status).toBe('True');
    expect(s?.guestOSInfo).toEqual(AGENT.osInfo);
    expect(s?.interfaces).toEqual([
      {
        name: 'default',
        mac: '02:00:00:aa:bb:cc',
        ipAddress: '10.0.2.2',
        ipAddresses: ['10.0.2.2', 'fec0::2'],
        interfaceName: 'enp1s0',
        infoSource: 'domain, guest-agent',
      },
    ]);
  });

  it('drops AgentConnected and guestOSInfo once the agent stops answering', () => {
    const connected = statusForVerdict(scheduled(), RUNNING, { emulation: 'qemu', agent: AGENT }, T0) ?? {};
    const s = statusForVerdict({ ...scheduled(), status: connected }, RUNNING, { emulation: 'qemu' }, T1);
    expect(s?.conditions?.some((c) => c.type === CONDITION_TYPES.agentConnected)).toBe(false);
    expect(s?.guestOSInfo).toBeUndefined();
    expect(s?.interfaces?.[0]?.infoSource).toBe('domain');
  });

  it('writes nothing when the agent says the same again', () => {
    const connected = statusForVerdict(scheduled(), RUNNING, { emulation: 'qemu', agent: AGENT }, T0) ?? {};
    const again = statusForVerdict(
      { ...scheduled(), status: connected },
      RUNNING,
      { emulation: 'qemu', agent: AGENT },
      T1,
    );
    expect(again).toBeUndefined();
  });
});

describe('statusForVerdict', () => {
  it('moves a Scheduled VMI to Running and keeps what the controller wrote', () => {
    const s = statusForVerdict(scheduled(), RUNNING, { emulation: 'qemu' }, T0);
    expect(s).toEqual({
      phase: 'Running',
      nodeName: 'node-1',
      launcherPodName: 'virt-launcher-web-1234',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-25T13:59:59Z' },
        {
          type: 'Ready',
          status: 'True',
          reason: REASONS.domainRunning,
          message: 'The domain is running',
          lastTransitionTime: '2026-11-25T14:00:00Z',
        },
        {
          type: 'SoftwareEmulation',
          status: 'True',
          reason: REASONS.kvmUnavailable,
          message: expect.stringContaining('TCG') as unknown,
          lastTransitionTime: '2026-11-25T14:00:00Z',
        },
      ],
      interfaces: [
        {
          name: 'default',
          ipAddress: '10.0.2.2',
          ipAddresses: ['10.0.2.2'],
          mac: '02:00:00:aa:bb:cc',
          infoSource: 'domain',
        },
      ],
      phaseTransitionTimestamps: [
        { phase: 'Scheduled', phaseTransitionTimestamp: '2026-11-25T13:59:59Z' },
        { phase: 'Running', phaseTransitionTimestamp: '2026-11-25T14:00:00Z' },
      ],
    });
  });

  it('says SoftwareEmulation False on a KVM node', () => {
    const s = statusForVerdict(scheduled(), RUNNING, { emulation: 'kvm' }, T0);
    expect(s?.conditions?.find((c) => c.type === 'SoftwareEmulation')?.status).toBe('False');
  });

  it('writes nothing when the status already says it, even later and with keys in another order', () => {
    const s = statusForVerdict(scheduled(), RUNNING, { emulation: 'qemu' }, T0);
    const reordered = JSON.parse(JSON.stringify(s, Object.keys(s ?? {}).sort())) as typeof s;
    const vmi = { ...scheduled(), status: { ...reordered, ...s } };
    expect(statusForVerdict(vmi, RUNNING, { emulation: 'qemu' }, T1)).toBeUndefined();
  });

  it('keeps Ready’s transition time while it stays True and adds Paused when paused', () => {
    const running = { ...scheduled(), status: statusForVerdict(scheduled(), RUNNING, { emulation: 'qemu' }, T0) ?? {} };
    const paused = statusForVerdict(
      running,
      { ...RUNNING, message: 'The domain is paused', paused: true },
      { emulation: 'qemu' },
      T1,
    );
    expect(paused?.conditions?.find((c) => c.type === 'Paused')).toMatchObject({
      status: 'True',
      lastTransitionTime: '2026-11-25T14:05:00Z',
    });
    expect(paused?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      lastTransitionTime: '2026-11-25T14:05:00Z',
    });
    expect(paused?.phaseTransitionTimestamps).toHaveLength(2);
  });

  it('ends a Running VMI Failed with the reason and a Ready False condition', () => {
    const running = { ...scheduled(), status: statusForVerdict(scheduled(), RUNNING, { emulation: 'qemu' }, T0) ?? {} };
    const failed = statusForVerdict(
      running,
      { phase: 'Failed', reason: REASONS.domainCrashed, message: 'QEMU ended unexpectedly', paused: false },
      { emulation: 'qemu' },
      T1,
    );
    expect(failed).toMatchObject({ phase: 'Failed', reason: REASONS.domainCrashed });
    expect(failed?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: REASONS.domainCrashed,
      message: 'QEMU ended unexpectedly',
    });
  });

  it('never changes a final phase', () => {
    const failed = { ...scheduled(), status: { phase: 'Failed' as const, reason: REASONS.podFailed } };
    expect(statusForVerdict(failed, RUNNING, { emulation: 'qemu' }, T1)).toBeUndefined();
  });
});

describe('interfacesFor, as KubeVirt reports a masquerade interface on the pod network', () => {
  const POD_IPS = ['10.244.1.7', 'fd10:244::7'];
  const ENP1S0 = { name: 'enp1s0', mac: '02:00:00:aa:bb:cc', addresses: ['10.0.2.2', 'fec0::2'] };
  const DUMMY = { name: 'dummy0', mac: '0a:58:00:00:00:09', addresses: ['192.0.2.9'] };
  const agentWith = (...interfaces: AgentFacts['interfaces']): AgentFacts => ({ osInfo: {}, interfaces });
  const spec = { name: 'default', mac: '02:00:00:aa:bb:cc' };
  // The spec interface as KubeVirt reports it when the Pod's address and the agent both know it.
  const BOTH = {
    ...spec,
    ipAddress: '10.244.1.7',
    ipAddresses: POD_IPS,
    interfaceName: 'enp1s0',
    infoSource: 'domain, guest-agent',
  };

  it.each<[string, AgentFacts | undefined, ReadonlyArray<string>, ReadonlyArray<Record<string, unknown>>]>([
    [
      "the Pod's addresses, no agent: domain",
      undefined,
      POD_IPS,
      [{ ...spec, ipAddress: '10.244.1.7', ipAddresses: POD_IPS, infoSource: 'domain' }],
    ],
    ["the Pod's addresses win over the agent's; the agent adds the guest's name", agentWith(ENP1S0), POD_IPS, [BOTH]],
    [
      'an agent that knows the interface before DHCP: both sources, the Pod address',
      agentWith({ ...ENP1S0, addresses: [] }),
      ['10.244.1.7'],
      [
        {
          ...spec,
          ipAddress: '10.244.1.7',
          ipAddresses: ['10.244.1.7'],
          interfaceName: 'enp1s0',
          infoSource: 'domain, guest-agent',
        },
      ],
    ],
    [
      "the Pod's address not read yet: the agent's addresses",
      agentWith(ENP1S0),
      [],
      [
        {
          ...spec,
          ipAddress: '10.0.2.2',
          ipAddresses: ['10.0.2.2', 'fec0::2'],
          interfaceName: 'enp1s0',
          infoSource: 'domain, guest-agent',
        },
      ],
    ],
    [
      'neither: the masquerade guest address DHCP hands out',
      undefined,
      [],
      [{ ...spec, ipAddress: '10.0.2.2', ipAddresses: ['10.0.2.2'], infoSource: 'domain' }],
    ],
    [
      'an interface only the guest has (another MAC) follows, from the agent alone',
      agentWith(ENP1S0, DUMMY),
      POD_IPS,
      [
        BOTH,
        {
          mac: '0a:58:00:00:00:09',
          ipAddress: '192.0.2.9',
          ipAddresses: ['192.0.2.9'],
          interfaceName: 'dummy0',
          infoSource: 'guest-agent',
        },
      ],
    ],
    [
      'a guest-only interface without addresses carries no IP fields',
      agentWith({ ...DUMMY, addresses: [] }),
      POD_IPS,
      [
        { ...spec, ipAddress: '10.244.1.7', ipAddresses: POD_IPS, infoSource: 'domain' },
        { mac: '0a:58:00:00:00:09', interfaceName: 'dummy0', infoSource: 'guest-agent' },
      ],
    ],
  ])('%s', (_what, agent, podIPs, expected) => {
    expect(interfacesFor(scheduled(), agent, podIPs)).toEqual(expected);
  });

  it("writes the Pod's addresses into the status once they are known, and nothing when they stay", () => {
    const before = statusForVerdict(scheduled(), RUNNING, { emulation: 'qemu', agent: AGENT }, T0) ?? {};
    const vmi = { ...scheduled(), status: before };
    const after = statusForVerdict(vmi, RUNNING, { emulation: 'qemu', agent: AGENT, podIPs: POD_IPS }, T1);
    expect(after?.interfaces?.[0]).toMatchObject({ ipAddress: '10.244.1.7', infoSource: 'domain, guest-agent' });
    const same = { ...scheduled(), status: after ?? {} };
    expect(statusForVerdict(same, RUNNING, { emulation: 'qemu', agent: AGENT, podIPs: POD_IPS }, T1)).toBeUndefined();
  });
});
