import { vmiEvent, vmiEventBuilder } from '../../../handler/vmi-events.js';

describe('vmiEvent', () => {
  it('points a Warning at the VMI and names the handler and node as its source', () => {
    const vmi = {
      apiVersion: 'tsvirt.io/v1alpha1' as const,
      kind: 'VirtualMachineInstance' as const,
      metadata: { namespace: 'ns', name: 'web', uid: 'u1', resourceVersion: '7' },
      spec: { domain: { devices: {} } },
    };
    const ev = vmiEvent(
      vmi,
      {
        type: 'Warning',
        reason: 'FailedDefine',
        message: 'spec.volumes[0].hostDisk.path: /x does not exist on node node-1',
      },
      'node-1',
      new Date('2026-11-25T14:00:00Z'),
    );
    expect(ev).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: 'web.', namespace: 'ns' },
      involvedObject: {
        apiVersion: 'tsvirt.io/v1alpha1',
        kind: 'VirtualMachineInstance',
        namespace: 'ns',
        name: 'web',
        uid: 'u1',
        resourceVersion: '7',
      },
      type: 'Warning',
      reason: 'FailedDefine',
      message: 'spec.volumes[0].hostDisk.path: /x does not exist on node node-1',
      source: { component: 'virt-handler', host: 'node-1' },
      reportingComponent: 'virt-handler',
      reportingInstance: 'node-1',
      firstTimestamp: '2026-11-25T14:00:00.000Z',
      lastTimestamp: '2026-11-25T14:00:00.000Z',
      count: 1,
    });
  });
});

describe('vmiEventBuilder', () => {
  it("builds the runtime recorder's first Event of a key as vmiEvent does, from the node and the recorder's clock", () => {
    const vmi = { metadata: { namespace: 'ns', name: 'web', uid: 'u1' } };
    const facts = { type: 'Warning' as const, reason: 'DomainCrashed', message: 'gone', component: 'virt-handler' };
    const now = Date.parse('2026-11-25T14:00:00Z');
    expect(vmiEventBuilder('node-1')(vmi, { ...facts, host: 'node-1', now })).toEqual(
      vmiEvent(vmi, facts, 'node-1', new Date(now)),
    );
  });
});
