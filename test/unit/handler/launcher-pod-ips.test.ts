import type { Pod } from '../../../kube/core.js';
import { podIPsOf } from '../../../handler/launcher-pod-ips.js';

describe("podIPsOf: the launcher Pod's addresses", () => {
  it.each<[string, Pod | undefined, ReadonlyArray<string>]>([
    ['no Pod', undefined, []],
    ['a Pod not yet given an address', { status: { phase: 'Pending' } }, []],
    [
      'status.podIPs in order, the primary first',
      { status: { podIPs: [{ ip: '10.244.1.7' }, { ip: 'fd10::7' }] } },
      ['10.244.1.7', 'fd10::7'],
    ],
    ['status.podIP alone (an older API server)', { status: { podIP: '10.244.1.7' } }, ['10.244.1.7']],
    ['empty strings are no address', { status: { podIP: '', podIPs: [{ ip: '' }] } }, []],
  ])('%s', (_what, pod, expected) => {
    expect(podIPsOf(pod)).toEqual(expected);
  });
});
