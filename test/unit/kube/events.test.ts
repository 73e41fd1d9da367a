import { eventKey, newEvent } from '../../../kube/events.js';

const vm = {
  apiVersion: 'tsvirt.io/v1alpha1',
  kind: 'VirtualMachine',
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', resourceVersion: '42' },
};

describe('eventKey', () => {
  it('is equal for repeats and differs when type, reason, message or object differ', () => {
    const k = eventKey(vm, 'Normal', 'SuccessfulCreate', 'Created VMI web');
    expect(eventKey(vm, 'Normal', 'SuccessfulCreate', 'Created VMI web')).toBe(k);
    expect(eventKey(vm, 'Warning', 'SuccessfulCreate', 'Created VMI web')).not.toBe(k);
    expect(eventKey(vm, 'Normal', 'Other', 'Created VMI web')).not.toBe(k);
    expect(eventKey(vm, 'Normal', 'SuccessfulCreate', 'Created VMI web2')).not.toBe(k);
    expect(
      eventKey({ ...vm, metadata: { ...vm.metadata, uid: 'u-2' } }, 'Normal', 'SuccessfulCreate', 'Created VMI web'),
    ).not.toBe(k);
  });
});

describe('newEvent', () => {
  it('builds a core/v1 Event about the object with source, count 1 and second-precision times', () => {
    const e = newEvent(vm, {
      type: 'Warning',
      reason: 'FailedCreate',
      message: 'quota',
      component: 'virt-controller',
      host: 'ctl-0',
      now: Date.UTC(2026, 0, 1, 0, 0, 0, 500),
    });
    expect(e).toMatchObject({
      metadata: { namespace: 'prod' },
      involvedObject: {
        apiVersion: 'tsvirt.io/v1alpha1',
        kind: 'VirtualMachine',
        name: 'web',
        namespace: 'prod',
        uid: 'u-1',
        resourceVersion: '42',
      },
      reason: 'FailedCreate',
      message: 'quota',
      type: 'Warning',
      source: { component: 'virt-controller', host: 'ctl-0' },
      reportingComponent: 'virt-controller',
      reportingInstance: 'ctl-0',
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-01T00:00:00Z',
      count: 1,
    });
    expect(e.metadata?.name).toMatch(/^web\.[0-9a-f]+$/);
  });

  it('puts Events about cluster-scoped objects in the default namespace', () => {
    const e = newEvent(
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'n' } },
      { type: 'Normal', reason: 'R', message: 'm', component: 'c', now: 0 },
    );
    expect(e.metadata?.namespace).toBe('default');
    expect(e.involvedObject).not.toHaveProperty('namespace');
  });
});
