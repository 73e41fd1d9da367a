import { defaultMacAddress, interfaceMacAddress } from '../../../api/guest-network.js';

describe('defaultMacAddress', () => {
  it('gives the same locally administered unicast MAC for the same VMI and interface', () => {
    const mac = defaultMacAddress('6f1b2c3d-0000-4000-8000-000000000005', 'default');
    expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(defaultMacAddress('6f1b2c3d-0000-4000-8000-000000000005', 'default')).toBe(mac);
  });

  it('differs between VMIs and between interfaces of one VMI', () => {
    const macs = new Set(
      ['a', 'b', 'c'].flatMap((uid) => ['default', 'second'].map((name) => defaultMacAddress(uid, name))),
    );
    expect(macs.size).toBe(6);
  });
});

describe('interfaceMacAddress', () => {
  it("keeps the spec's MAC, lower case with colons", () => {
    expect(interfaceMacAddress('u', { name: 'default', macAddress: '02-00-00-AA-BB-CC' })).toBe('02:00:00:aa:bb:cc');
  });

  it('derives one when the spec names none', () => {
    expect(interfaceMacAddress('u', { name: 'default' })).toBe(defaultMacAddress('u', 'default'));
  });
});
