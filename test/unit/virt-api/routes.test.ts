import { routeOf } from '../../../virt-api/routes.js';

const base = '/apis/subresources.tsvirt.io/v1alpha1/namespaces/ns';

describe('routeOf', () => {
  it('routes the VM verbs on PUT, and names the method a GET should have used', () => {
    expect(routeOf('PUT', `${base}/virtualmachines/web/start`)).toEqual({
      kind: 'vm',
      namespace: 'ns',
      name: 'web',
      verb: 'start',
    });
    expect(routeOf('GET', `${base}/virtualmachines/web/stop`)).toEqual({ kind: 'wrong-method', allowed: 'PUT' });
  });

  it('routes pause, unpause, softreboot and the console on VMIs', () => {
    expect(routeOf('PUT', `${base}/virtualmachineinstances/web/softreboot`)).toMatchObject({
      kind: 'vmi',
      verb: 'softreboot',
    });
    expect(routeOf('GET', `${base}/virtualmachineinstances/web/console?x=1`)).toEqual({
      kind: 'console',
      namespace: 'ns',
      name: 'web',
    });
  });

  it('serves discovery and health, and nothing else', () => {
    expect(routeOf('GET', '/apis')).toEqual({ kind: 'discovery', what: 'apis' });
    expect(routeOf('GET', '/apis/subresources.tsvirt.io')).toEqual({ kind: 'discovery', what: 'group' });
    expect(routeOf('GET', '/apis/subresources.tsvirt.io/v1alpha1')).toEqual({ kind: 'discovery', what: 'version' });
    expect(routeOf('GET', '/healthz')).toEqual({ kind: 'health', what: 'healthz' });
    for (const path of [
      `${base}/virtualmachines/web/console`,
      `${base}/virtualmachineinstances/web/start`,
      `${base}/pods/web/start`,
      `${base}/virtualmachines/web/start/extra`,
      '/apis/tsvirt.io/v1alpha1/namespaces/ns/virtualmachines/web/start',
    ])
      expect([path, routeOf('PUT', path).kind]).toEqual([path, 'unknown']);
  });
});
