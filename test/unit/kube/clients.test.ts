import { classifyWrite, parseApiPath } from '../../../kube/clients.js';
import { objectKey, parseObjectKey, resourcePath } from '../../../kube/resources.js';
import { VM_RESOURCE } from '../../../kube/tsvirt.js';
import { NODE_RESOURCE, POD_RESOURCE } from '../../../kube/core.js';

describe('parseApiPath', () => {
  it.each([
    [
      '/api/v1/namespaces/ns/pods/p/status',
      { group: '', namespace: 'ns', resource: 'pods', name: 'p', subresource: 'status' },
    ],
    ['/api/v1/nodes/n1', { group: '', namespace: '', resource: 'nodes', name: 'n1', subresource: '' }],
    ['/api/v1/namespaces/ns', { group: '', namespace: '', resource: 'namespaces', name: 'ns', subresource: '' }],
    [
      '/apis/tsvirt.io/v1alpha1/namespaces/ns/virtualmachines',
      { group: 'tsvirt.io', namespace: 'ns', resource: 'virtualmachines', name: '', subresource: '' },
    ],
    [
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1?x=1',
      { group: 'coordination.k8s.io', namespace: 'kube-node-lease', resource: 'leases', name: 'n1', subresource: '' },
    ],
  ])('splits %s', (path, parts) => {
    expect(parseApiPath(path)).toEqual(parts);
  });
});

describe('classifyWrite', () => {
  it('names the verb and resource of writes and ignores reads', () => {
    expect(classifyWrite('PATCH', '/apis/tsvirt.io/v1alpha1/namespaces/ns/virtualmachines/web/status', 200)).toEqual({
      verb: 'patch',
      resource: 'virtualmachines',
      subresource: 'status',
      group: 'tsvirt.io',
      namespace: 'ns',
      code: 200,
    });
    expect(classifyWrite('POST', '/api/v1/namespaces/ns/pods', 201)?.verb).toBe('create');
    expect(classifyWrite('PUT', '/api/v1/nodes/n/status', 200)?.verb).toBe('update');
    expect(classifyWrite('DELETE', '/api/v1/namespaces/ns/pods/p', 200)?.verb).toBe('delete');
    expect(classifyWrite('GET', '/api/v1/namespaces/ns/pods', 200)).toBeUndefined();
  });
});

describe('resourcePath', () => {
  it('builds core, group, cluster-scoped and subresource paths', () => {
    expect(resourcePath(POD_RESOURCE, { namespace: 'ns', name: 'p' }, 'status')).toBe(
      '/api/v1/namespaces/ns/pods/p/status',
    );
    expect(resourcePath(POD_RESOURCE, {})).toBe('/api/v1/pods');
    expect(resourcePath(NODE_RESOURCE, { namespace: 'ignored', name: 'n1' })).toBe('/api/v1/nodes/n1');
    expect(resourcePath(VM_RESOURCE, { namespace: 'ns' })).toBe(
      '/apis/tsvirt.io/v1alpha1/namespaces/ns/virtualmachines',
    );
  });

  it('round-trips object keys', () => {
    expect(objectKey({ metadata: { namespace: 'ns', name: 'a' } })).toBe('ns/a');
    expect(objectKey({ metadata: { name: 'n1' } })).toBe('n1');
    expect(parseObjectKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(parseObjectKey('n1')).toEqual({ namespace: '', name: 'n1' });
  });
});
