import { unusedVolumes } from '../../../api/volumes.js';
import type { VirtualMachineInstanceSpec } from '../../../api/types.js';

const spec = (disks: string[], volumes: string[]): VirtualMachineInstanceSpec => ({
  domain: { memory: { guest: '64Mi' }, devices: { disks: disks.map((name) => ({ name })) } },
  volumes: volumes.map((name) => ({ name, emptyDisk: { capacity: '1Gi' } })),
});

describe('unusedVolumes', () => {
  it('names the volumes no disk uses, in spec order', () => {
    expect(unusedVolumes(spec(['root'], ['spare', 'root', 'extra']))).toEqual(['spare', 'extra']);
  });

  it('finds none when every volume has its disk, or when there are no volumes', () => {
    expect(unusedVolumes(spec(['root', 'data'], ['data', 'root']))).toEqual([]);
    expect(unusedVolumes({ domain: { devices: {} } })).toEqual([]);
  });
});
