import { NODE_LEASE_NAMESPACE, newNode, nodeLease, nodeStatus } from '../../../cluster/agent/node-object.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const res = { cpu: '2', memory: '8Gi', pods: '110' };

describe('newNode', () => {
  it('registers capacity = allocatable, the kubelet labels, a local address and Ready=True', () => {
    const n = newNode('node-1', res, T0);
    expect(n.metadata?.labels).toMatchObject({ 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux' });
    expect(n.status?.capacity).toEqual(res);
    expect(n.status?.allocatable).toEqual(res);
    expect(n.status?.addresses).toEqual([
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: 'node-1' },
    ]);
    expect(n.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'KubeletReady',
      lastHeartbeatTime: '2026-11-25T12:00:00Z',
    });
  });
});

describe('nodeStatus', () => {
  it('moves the heartbeat but keeps lastTransitionTime while Ready stays True', () => {
    const n = newNode('node-1', res, T0);
    const later = nodeStatus(res, n, T0 + 40_000);
    const ready = later.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({
      lastHeartbeatTime: '2026-11-25T12:00:40Z',
      lastTransitionTime: '2026-11-25T12:00:00Z',
    });
  });

  it('moves lastTransitionTime when Ready comes back from Unknown', () => {
    const n = newNode('node-1', res, T0);
    const conditions = (n.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c));
    const unknown = { ...n, status: { ...n.status, conditions } };
    expect(nodeStatus(res, unknown, T0 + 90_000).conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe(
      '2026-11-25T12:01:30Z',
    );
  });
});

describe('nodeLease', () => {
  it('holds the lease in kube-node-lease for 40 s, owned by the Node, keeping the resourceVersion read', () => {
    const l = nodeLease('node-1', 'node-uid', { metadata: { name: 'node-1', resourceVersion: '9' } }, T0);
    expect(l.metadata).toMatchObject({
      name: 'node-1',
      namespace: NODE_LEASE_NAMESPACE,
      resourceVersion: '9',
      ownerReferences: [{ kind: 'Node', name: 'node-1', uid: 'node-uid' }],
    });
    expect(l.spec).toEqual({
      holderIdentity: 'node-1',
      leaseDurationSeconds: 40,
      renewTime: '2026-11-25T12:00:00.000000Z',
    });
  });
});
