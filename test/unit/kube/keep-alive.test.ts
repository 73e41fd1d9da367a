import { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { KeepAliveAuthentication, dispatcherKey } from '../../../kube/keep-alive.js';

const CA = Buffer.from('ca-bytes').toString('base64');

function kubeConfig(user: Record<string, string>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: CA, skipTLSVerify: false }],
    users: [{ name: 'u', ...user }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

async function applied(auth: {
  applySecurityAuthentication(c: RequestContext): Promise<void>;
}): Promise<RequestContext> {
  const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/pods', 'GET');
  await auth.applySecurityAuthentication(ctx);
  return ctx;
}

describe('KeepAliveAuthentication', () => {
  it('gives every request the same dispatcher, where client-node builds a new one each time', async () => {
    const kc = kubeConfig({ token: 't0k3n' });
    const plain = [await applied(kc), await applied(kc)];
    expect(plain[0]?.getDispatcher()).toBeDefined();
    expect(plain[0]?.getDispatcher()).not.toBe(plain[1]?.getDispatcher());

    const auth = new KeepAliveAuthentication(kc);
    const [a, b] = [await applied(auth), await applied(auth)];
    expect(a.getDispatcher()).toBeDefined();
    expect(a.getDispatcher()).toBe(b.getDispatcher());
    expect(auth.dispatcher).toBe(a.getDispatcher());
    expect(b.getHeaders().Authorization).toBe('Bearer t0k3n');
    await auth.close();
    expect(auth.dispatcher).toBeUndefined();
  });

  it('keeps client-certificate users on one dispatcher and builds a new one when the certificate changes', async () => {
    const kc = kubeConfig({
      certData: Buffer.from('cert-1').toString('base64'),
      keyData: Buffer.from('key-1').toString('base64'),
    });
    const auth = new KeepAliveAuthentication(kc);
    const first = (await applied(auth)).getDispatcher();
    expect((await applied(auth)).getDispatcher()).toBe(first);
    const user = kc.getCurrentUser();
    if (user === null) throw new Error('The test kubeconfig has no user');
    Object.assign(user, { certData: Buffer.from('cert-2').toString('base64') });
    const second = (await applied(auth)).getDispatcher();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    await auth.close();
  });

  it('leaves the shared KubeConfig as it was', async () => {
    const kc = kubeConfig({ token: 't' });
    await applied(new KeepAliveAuthentication(kc));
    expect(Object.prototype.hasOwnProperty.call(kc, 'createDispatcher')).toBe(false);
  });
});

describe('dispatcherKey', () => {
  const cluster = { server: 'https://127.0.0.1:6443' };
  it('depends on the TLS material, not on object identity', () => {
    const a = dispatcherKey(cluster, { ca: Buffer.from('x'), cert: Buffer.from('c') });
    expect(dispatcherKey({ ...cluster }, { ca: Buffer.from('x'), cert: Buffer.from('c') })).toBe(a);
    expect(dispatcherKey(cluster, { ca: Buffer.from('x'), cert: Buffer.from('d') })).not.toBe(a);
    expect(
      dispatcherKey(cluster, { ca: Buffer.from('x'), cert: Buffer.from('c'), rejectUnauthorized: false }),
    ).not.toBe(a);
    expect(
      dispatcherKey({ server: 'https://127.0.0.1:6444' }, { ca: Buffer.from('x'), cert: Buffer.from('c') }),
    ).not.toBe(a);
  });
});
