import { vmiEvent } from '../../../handler/vmi-events.js';

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
