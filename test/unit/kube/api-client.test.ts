import { buildPath } from '../../../kube/api-client.js';
import { tsvirtPath } from '../../../kube/cli-resources.js';
import { EVENT_RESOURCE } from '../../../kube/core.js';
import { resourcePath } from '../../../kube/resources.js';

describe('API client paths', () => {
  it('builds tsvirt and core paths, namespaced or across namespaces', () => {
    expect(tsvirtPath('virtualmachines', { namespace: 'dev' })).toBe(
      '/apis/tsvirt.io/v1alpha1/namespaces/dev/virtualmachines',
    );
    expect(tsvirtPath('virtualmachines', { namespace: 'dev', allNamespaces: true })).toBe(
      '/apis/tsvirt.io/v1alpha1/virtualmachines',
    );
    expect(tsvirtPath('virtualmachines', { namespace: 'dev', allNamespaces: true }, 'web', 'status')).toBe(
      '/apis/tsvirt.io/v1alpha1/namespaces/dev/virtualmachines/web/status',
    );
    expect(resourcePath(EVENT_RESOURCE, { namespace: 'dev' })).toBe('/api/v1/namespaces/dev/events');
  });

  it('leaves empty query values out', () => {
    expect(buildPath('/x', { labelSelector: 'app=web', fieldSelector: undefined, watch: '' })).toBe(
      '/x?labelSelector=app%3Dweb',
    );
    expect(buildPath('/x', undefined)).toBe('/x');
  });
});
