import type { VirtualMachineInstance } from '../../../api/types.js';
import { OwnWrites, freshestVmi } from '../../../handler/own-writes.js';

function vmi(resourceVersion: string, phase: 'Scheduled' | 'Running' = 'Scheduled'): VirtualMachineInstance {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { namespace: 'ns', name: 'web', uid: 'u1', resourceVersion },
    spec: { domain: { devices: {} } },
    status: { phase },
  };
}

describe('freshestVmi', () => {
  const written = { baseResourceVersion: '10', vmi: vmi('11', 'Running') };

  it('is the cache when the handler wrote nothing', () => {
    expect(freshestVmi(vmi('10'), undefined)).toEqual({ vmi: vmi('10'), keep: false });
  });

  it('is the handler’s write while the cache still shows the object it was written over', () => {
    expect(freshestVmi(vmi('10'), written)).toEqual({ vmi: written.vmi, keep: true });
  });

  it('is the cache once it shows the write or anything newer, and the write is dropped', () => {
    expect(freshestVmi(vmi('11', 'Running'), written)).toEqual({ vmi: vmi('11', 'Running'), keep: false });
    expect(freshestVmi(vmi('12'), written)).toEqual({ vmi: vmi('12'), keep: false });
  });

  it('is no VMI once the cache has none (deleted meanwhile)', () => {
    expect(freshestVmi(undefined, written)).toEqual({ vmi: undefined, keep: false });
  });
});

describe('OwnWrites', () => {
  it('stands in for the stale cache after a write, then steps aside for good', () => {
    const writes = new OwnWrites();
    const base = vmi('10');
    const updated = vmi('11', 'Running');
    writes.wrote('u1', base, updated);
    expect(writes.read('u1', base)).toBe(updated);
    expect(writes.read('u1', updated)).toBe(updated);
    // Dropped: the cache at the base again (a relist from an old resourceVersion) is what is read.
    expect(writes.read('u1', base)).toBe(base);
  });

  it('keeps writes per uid and forgets them on request', () => {
    const writes = new OwnWrites();
    const base = vmi('10');
    writes.wrote('u1', base, vmi('11', 'Running'));
    expect(writes.read('u2', base)).toBe(base);
    writes.forget('u1');
    expect(writes.read('u1', base)).toBe(base);
  });
});
