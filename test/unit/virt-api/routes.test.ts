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

  it('routes portforward/{port}[/{protocol}] on VMIs, tcp by default, and explains a bad port or protocol', () => {
    expect(routeOf('GET', `${base}/virtualmachineinstances/web/portforward/22`)).toEqual({
      kind: 'portforward',
      namespace: 'ns',
      name: 'web',
      forward: { port: 22, protocol: 'tcp' },
    });
    expect(routeOf('GET', `${base}/virtualmachineinstances/web/portforward/8080/tcp`)).toMatchObject({
      forward: { port: 8080, protocol: 'tcp' },
    });
    expect(routeOf('GET', `${base}/virtualmachineinstances/web/portforward/70000`)).toEqual({
      kind: 'bad-request',
      message: 'port must be a number from 1 to 65535, got "70000"',
    });
    expect(routeOf('GET', `${base}/virtualmachineinstances/web/portforward/53/udp`)).toMatchObject({
      kind: 'bad-request',
      message: expect.stringContaining('protocol must be tcp') as unknown,
    });
    expect(routeOf('PUT', `${base}/virtualmachineinstances/web/portforward/22`)).toEqual({
      kind: 'wrong-method',
      allowed: 'GET',
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
