import { KubeConfigError } from '../../../kube/kubeconfig-error.js';
import {
  inClusterConfig,
  kubeconfigPaths,
  mergeKubeconfigs,
  resolveKubeconfig,
  SERVICE_ACCOUNT_DIR,
  withoutKubeconfigFile,
} from '../../../kube/kubeconfig.js';

const doc = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Config',
  'current-context': 'dev',
  clusters: [
    {
      name: 'c1',
      cluster: {
        server: 'https://127.0.0.1:6443/',
        'certificate-authority-data': Buffer.from('CA').toString('base64'),
      },
    },
  ],
  users: [
    {
      name: 'u1',
      user: { 'client-certificate': 'certs/u1.crt', 'client-key-data': Buffer.from('KEY').toString('base64') },
    },
  ],
  contexts: [
    { name: 'dev', context: { cluster: 'c1', user: 'u1', namespace: 'team' } },
    { name: 'bare', context: { cluster: 'c1', user: 'u1' } },
  ],
  ...over,
});

const reads: string[] = [];
const read = (p: string): Buffer => {
  reads.push(p);
  return Buffer.from(`file:${p}`);
};

describe('kubeconfigPaths', () => {
  it('takes --kubeconfig alone, else KUBECONFIG split on ":", else ~/.kube/config', () => {
    expect(kubeconfigPaths({ kubeconfig: '/k', env: { KUBECONFIG: '/a:/b' } })).toEqual(['/k']);
    expect(kubeconfigPaths({ env: { KUBECONFIG: '/a::/b' } })).toEqual(['/a', '/b']);
    expect(kubeconfigPaths({ env: { HOME: '/home/me' } })).toEqual(['/home/me/.kube/config']);
  });
});

describe('withoutKubeconfigFile', () => {
  it('falls back to the service account inside a Pod, unless --kubeconfig named a file', () => {
    expect(withoutKubeconfigFile({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } }, ['/home/u/.kube/config'])).toBe(
      'in-cluster',
    );
    const named = withoutKubeconfigFile({ kubeconfig: '/a', env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } }, ['/a']);
    expect(named).toBeInstanceOf(KubeConfigError);
  });

  it('elsewhere is an error that says where it looked and what to do, never localhost:8080', () => {
    const err = withoutKubeconfigFile({ env: {} }, ['/b', '/c']);
    expect(err).toBeInstanceOf(KubeConfigError);
    expect((err as KubeConfigError).message).toBe('no kubeconfig found (looked at /b:/c)');
    expect((err as KubeConfigError).fix).toMatch(/--kubeconfig/);
  });
});

describe('resolveKubeconfig', () => {
  it('resolves the current context with its namespace, CA, cert (relative to the file) and key', () => {
    const r = resolveKubeconfig(
      mergeKubeconfigs([{ file: '/cfg/config', doc: doc() }]),
      { env: {} },
      ['/cfg/config'],
      read,
    );
    expect(r).toMatchObject({
      server: 'https://127.0.0.1:6443',
      contextName: 'dev',
      namespace: 'team',
      insecureSkipTlsVerify: false,
    });
    expect(r.ca?.toString()).toBe('CA');
    expect(r.key?.toString()).toBe('KEY');
    expect(r.cert?.toString()).toBe('file:/cfg/certs/u1.crt');
  });

  it('lets -n and --context win, and defaults the namespace to default', () => {
    const merged = mergeKubeconfigs([{ file: '/c', doc: doc() }]);
    expect(resolveKubeconfig(merged, { namespace: 'x', env: {} }, ['/c'], read).namespace).toBe('x');
    expect(resolveKubeconfig(merged, { context: 'bare', env: {} }, ['/c'], read).namespace).toBe('default');
  });

  it('merges files as client-go does: the first to define a name or current-context wins', () => {
    const second = doc({
      'current-context': 'other',
      clusters: [{ name: 'c1', cluster: { server: 'https://elsewhere' } }],
    });
    const merged = mergeKubeconfigs([
      { file: '/a', doc: { contexts: [], clusters: [] } },
      { file: '/b', doc: doc() },
      { file: '/c', doc: second },
    ]);
    expect(merged.currentContext).toBe('dev');
    expect(merged.clusters.get('c1')?.body['server']).toBe('https://127.0.0.1:6443/');
  });

  it('reads a bearer token and an exec plugin', () => {
    const users = [
      {
        name: 'u1',
        user: {
          token: 'abc',
          exec: { command: 'get-token', args: ['--x'], apiVersion: 'client.authentication.k8s.io/v1' },
        },
      },
    ];
    const r = resolveKubeconfig(mergeKubeconfigs([{ file: '/c', doc: doc({ users }) }]), { env: {} }, ['/c'], read);
    expect(r.token).toBe('abc');
    expect(r.exec).toEqual({
      command: 'get-token',
      args: ['--x'],
      env: [],
      apiVersion: 'client.authentication.k8s.io/v1',
    });
  });

  it('says which context or cluster is missing', () => {
    const merged = mergeKubeconfigs([{ file: '/c', doc: doc() }]);
    expect(() => resolveKubeconfig(merged, { context: 'nope', env: {} }, ['/c'], read)).toThrow(
      new KubeConfigError('context "nope" does not exist in /c'),
    );
    const noCurrent = mergeKubeconfigs([{ file: '/c', doc: doc({ 'current-context': '' }) }]);
    expect(() => resolveKubeconfig(noCurrent, { env: {} }, ['/c'], read)).toThrow(/no current context/);
    const noCluster = mergeKubeconfigs([{ file: '/c', doc: doc({ clusters: [] }) }]);
    expect(() => resolveKubeconfig(noCluster, { env: {} }, ['/c'], read)).toThrow(
      'context "dev": cluster "c1" does not exist',
    );
  });

  it('refuses auth-provider users instead of sending no credentials', () => {
    const users = [{ name: 'u1', user: { 'auth-provider': { name: 'gcp' } } }];
    expect(() =>
      resolveKubeconfig(mergeKubeconfigs([{ file: '/c', doc: doc({ users }) }]), { env: {} }, ['/c'], read),
    ).toThrow(/auth-provider is not supported/);
  });
});

describe('inClusterConfig', () => {
  const files: Record<string, string> = {
    [`${SERVICE_ACCOUNT_DIR}/token`]: 'sa-token\n',
    [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: 'CA',
    [`${SERVICE_ACCOUNT_DIR}/namespace`]: 'tsvirt-system',
  };
  const read = (p: string): Buffer => {
    const f = files[p];
    if (f === undefined) throw new Error(`ENOENT: ${p}`);
    return Buffer.from(f);
  };

  it("uses the Pod's service account, as kubectl does inside a Pod with no kubeconfig", () => {
    const cfg = inClusterConfig(
      { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } },
      read,
    );
    expect(cfg).toMatchObject({
      server: 'https://10.96.0.1:443',
      namespace: 'tsvirt-system',
      token: 'sa-token',
      insecureSkipTlsVerify: false,
    });
    expect(cfg.ca?.toString()).toBe('CA');
  });

  it('brackets an IPv6 host and lets -n choose the namespace', () => {
    const cfg = inClusterConfig({ namespace: 'web', env: { KUBERNETES_SERVICE_HOST: 'fd00::1' } }, read);
    expect(cfg).toMatchObject({ server: 'https://[fd00::1]:443', namespace: 'web' });
  });

  it('says what to mount when the token is missing', () => {
    expect(() =>
      inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } }, () => Buffer.from('')),
    ).not.toThrow();
    expect(() =>
      inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } }, (p) => {
        throw new Error(`ENOENT: ${p}`);
      }),
    ).toThrow(KubeConfigError);
  });
});
