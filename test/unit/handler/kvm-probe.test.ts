import { type KvmFacts, chooseEmulation } from '../../../handler/kvm-probe.js';

const CHAR_DEVICE = 0o020000;
const device = (mode: number, gid = 0): KvmFacts['device'] => ({ mode: CHAR_DEVICE | mode, uid: 0, gid });

describe('chooseEmulation', () => {
  it.each<[string, KvmFacts | undefined, 'kvm' | 'qemu', RegExp]>([
    ['no /dev/kvm', { device: undefined, kvmGid: 108, probe: 'skipped' }, 'qemu', /does not exist/],
    [
      'a root-only /dev/kvm (this machine)',
      { device: device(0o600), kvmGid: 108, probe: 'skipped' },
      'qemu',
      /mode 600, gid 0\) is not usable by QEMU's user/,
    ],
    [
      'a kvm-group /dev/kvm whose test guest hangs',
      { device: device(0o660, 108), kvmGid: 108, probe: 'timeout', probeDetail: 'no exit within 3000 ms' },
      'qemu',
      /hung: no exit within 3000 ms/,
    ],
    [
      'a world-usable /dev/kvm whose test guest fails',
      { device: device(0o666), kvmGid: undefined, probe: 'failed', probeDetail: 'Could not access KVM kernel module' },
      'qemu',
      /failed: Could not access KVM/,
    ],
    [
      'a kvm-group /dev/kvm that ran the test guest',
      { device: device(0o660, 108), kvmGid: 108, probe: 'ran' },
      'kvm',
      /ran a test guest/,
    ],
    [
      'a group-usable /dev/kvm of another group',
      { device: device(0o660, 5), kvmGid: 108, probe: 'ran' },
      'qemu',
      /not usable/,
    ],
    ['the test driver', undefined, 'qemu', /runs no real guests/],
  ])('picks TCG or KVM for %s', (_what, facts, type, why) => {
    const choice = chooseEmulation('auto', facts);
    expect(choice.domainType).toBe(type);
    expect(choice.why).toMatch(why);
  });

  it('obeys --emulation without looking', () => {
    expect(chooseEmulation('kvm', { device: undefined, kvmGid: undefined, probe: 'skipped' })).toEqual({
      domainType: 'kvm',
      why: '--emulation kvm',
    });
    expect(chooseEmulation('tcg', undefined)).toEqual({ domainType: 'qemu', why: '--emulation tcg' });
  });
});
