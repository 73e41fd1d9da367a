import { caArgs, certSpecs, leafArgs } from '../../../cluster/pki.js';

const after = (args: readonly string[], flag: string): string[] =>
  args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));

describe('certSpecs', () => {
  const specs = certSpecs(['node-1']);
  const byName = new Map(specs.map((s) => [s.name, s]));

  it('makes the admin a member of system:masters', () => {
    expect(byName.get('admin')?.subject).toBe('/O=system:masters/CN=kubernetes-admin');
  });

  it('gives nodes the identity the Node authorizer expects', () => {
    expect(byName.get('system-node-node-1')?.subject).toBe('/O=system:nodes/CN=system:node:node-1');
  });

  it('names the controller-manager and scheduler as their default RBAC roles do', () => {
    expect(byName.get('kube-controller-manager')?.subject).toBe('/CN=system:kube-controller-manager');
    expect(byName.get('kube-scheduler')?.subject).toBe('/CN=system:kube-scheduler');
  });

  it('signs the front-proxy client with its own CA', () => {
    expect(byName.get('front-proxy-client')?.issuer).toBe('front-proxy-ca');
    expect(specs.filter((s) => s.issuer === 'front-proxy-ca')).toHaveLength(1);
  });

  it('serves the API server for 127.0.0.1 and localhost', () => {
    expect(byName.get('apiserver')?.usage).toBe('server');
    expect(byName.get('apiserver')?.sans).toEqual(expect.arrayContaining(['IP:127.0.0.1', 'DNS:localhost']));
  });
});

describe('openssl arguments', () => {
  it('makes a CA that can sign certificates', () => {
    const args = caArgs('/p', 'ca');
    expect(after(args, '-addext')).toContain('basicConstraints=critical,CA:TRUE');
    expect(after(args, '-keyout')).toEqual(['/p/ca.key']);
  });

  it('signs a leaf with its issuer and adds SANs only when there are some', () => {
    const [server, admin] = certSpecs([]);
    if (server === undefined || admin === undefined) throw new Error('certSpecs lost its first entries');
    expect(after(leafArgs('/p', server), '-CA')).toEqual(['/p/ca.crt']);
    expect(after(leafArgs('/p', server), '-addext')).toContain('extendedKeyUsage=serverAuth');
    expect(after(leafArgs('/p', server), '-addext').some((e) => e.startsWith('subjectAltName=IP:127.0.0.1'))).toBe(
      true,
    );
    expect(after(leafArgs('/p', admin), '-addext')).toContain('extendedKeyUsage=clientAuth');
    expect(after(leafArgs('/p', admin), '-addext').some((e) => e.startsWith('subjectAltName'))).toBe(false);
  });
});
