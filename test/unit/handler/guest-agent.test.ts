import { interfacesOf, osInfoOf } from '../../../handler/guest-agent.js';

// Answers as Debian 12's qemu-guest-agent 7.2 gives them (trimmed).
const OSINFO = {
  return: {
    name: 'Debian GNU/Linux',
    'kernel-release': '6.1.0-56-cloud-amd64',
    version: '12 (bookworm)',
    'pretty-name': 'Debian GNU/Linux 12 (bookworm)',
    'version-id': '12',
    'kernel-version': '#1 SMP PREEMPT_DYNAMIC Debian 6.1.140-1',
    machine: 'x86_64',
    id: 'debian',
  },
};
const INTERFACES = {
  return: [
    {
      name: 'lo',
      'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 }],
      'hardware-address': '00:00:00:00:00:00',
    },
    {
      name: 'enp1s0',
      'ip-addresses': [
        { 'ip-address-type': 'ipv6', 'ip-address': 'fe80::2:ff:fe00:1', prefix: 64 },
        { 'ip-address-type': 'ipv6', 'ip-address': 'fec0::2', prefix: 64 },
        { 'ip-address-type': 'ipv4', 'ip-address': '10.0.2.2', prefix: 24 },
      ],
      'hardware-address': '02:AB:00:00:00:01',
    },
  ],
};

describe('osInfoOf', () => {
  it("reads guest-get-osinfo into KubeVirt's guestOSInfo names", () => {
    expect(osInfoOf(OSINFO)).toEqual({
      id: 'debian',
      name: 'Debian GNU/Linux',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      version: '12 (bookworm)',
      versionId: '12',
      kernelRelease: '6.1.0-56-cloud-amd64',
      kernelVersion: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.140-1',
      machine: 'x86_64',
    });
  });

  it('gives nothing for an answer without a return object', () => {
    expect(osInfoOf({ error: { class: 'CommandNotFound' } })).toEqual({});
    expect(osInfoOf('garbage')).toEqual({});
  });
});

describe('interfacesOf', () => {
  it('leaves out loopback and link-local addresses and lists IPv4 first', () => {
    expect(interfacesOf(INTERFACES)).toEqual([
      { name: 'enp1s0', mac: '02:ab:00:00:00:01', addresses: ['10.0.2.2', 'fec0::2'] },
    ]);
  });

  it('skips entries that are not interfaces', () => {
    expect(interfacesOf({ return: [42, { name: 'x' }, null] })).toEqual([]);
    expect(interfacesOf({ return: {} })).toEqual([]);
  });
});
