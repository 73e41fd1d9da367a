import {
  CONTROLLERS,
  apiserverCommand,
  controllerManagerCommand,
  etcdCommand,
  haproxyConfig,
  kubeconfigSpecs,
  nodeAgentCommand,
  nodeNames,
  schedulerCommand,
  serverUrl,
  statePaths,
  type Layout,
  type Ports,
} from '../../../cluster/layout.js';

const single: Ports = {
  etcdClient: 2379,
  etcdPeer: 2380,
  apiservers: [6443],
  controllerManager: 10257,
  scheduler: 10259,
};
const ha: Ports = { ...single, apiservers: [6443, 6444], haproxy: 7443 };
const layout = (ports: Ports): Layout => ({ paths: statePaths('/s'), binDir: '/bin', ports });
const flag = (args: readonly string[], name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('serverUrl', () => {
  it('is the one API server without HAProxy', () => {
    expect(serverUrl(single)).toBe('https://127.0.0.1:6443');
  });

  it('is HAProxy with --ha, so clients keep one address when an API server goes', () => {
    expect(serverUrl(ha)).toBe('https://127.0.0.1:7443');
  });
});

describe('apiserverCommand', () => {
  const args = apiserverCommand(layout(single), 0).args;

  it('listens on loopback only, with Node and RBAC authorization', () => {
    expect(flag(args, 'bind-address')).toBe('127.0.0.1');
    expect(flag(args, 'secure-port')).toBe('6443');
    expect(flag(args, 'authorization-mode')).toBe('Node,RBAC');
    expect(flag(args, 'etcd-servers')).toBe('http://127.0.0.1:2379');
  });

  it('has the front-proxy flags an aggregated API needs', () => {
    expect(flag(args, 'requestheader-client-ca-file')).toBe('/s/pki/front-proxy-ca.crt');
    expect(flag(args, 'requestheader-allowed-names')).toBe('front-proxy-client');
    expect(flag(args, 'proxy-client-cert-file')).toBe('/s/pki/front-proxy-client.crt');
    expect(flag(args, 'enable-aggregator-routing')).toBe('false');
  });

  it('signs and verifies service account tokens with the generated key pair', () => {
    expect(flag(args, 'service-account-key-file')).toBe('/s/pki/sa.pub');
    expect(flag(args, 'service-account-signing-key-file')).toBe('/s/pki/sa.key');
    expect(flag(args, 'service-account-issuer')).toMatch(/^https:\/\//);
  });

  it('gives each API server of an HA pair its own port', () => {
    expect(flag(apiserverCommand(layout(ha), 1).args, 'secure-port')).toBe('6444');
    expect(() => apiserverCommand(layout(ha), 2)).toThrow('No port for kube-apiserver 2');
  });
});

describe('controllerManagerCommand and schedulerCommand', () => {
  it('elect a leader and bind their health ports to loopback', () => {
    for (const cmd of [controllerManagerCommand(layout(single)), schedulerCommand(layout(single))]) {
      expect(flag(cmd.args, 'leader-elect')).toBe('true');
      expect(flag(cmd.args, 'bind-address')).toBe('127.0.0.1');
    }
    expect(flag(schedulerCommand(layout(single)).args, 'secure-port')).toBe('10259');
  });

  it('runs the garbage collector, namespace and service account controllers', () => {
    const controllers = flag(controllerManagerCommand(layout(single)).args, 'controllers')?.split(',');
    expect(controllers).toEqual([...CONTROLLERS]);
    expect(controllers).toEqual(
      expect.arrayContaining([
        'garbage-collector-controller',
        'namespace-controller',
        'serviceaccount-controller',
        'serviceaccount-token-controller',
      ]),
    );
  });
});

describe('etcdCommand', () => {
  it('serves clients and peers on loopback', () => {
    const args = etcdCommand(layout(single)).args;
    expect(flag(args, 'listen-client-urls')).toBe('http://127.0.0.1:2379');
    expect(flag(args, 'initial-cluster')).toBe('default=http://127.0.0.1:2380');
    expect(flag(args, 'data-dir')).toBe('/s/etcd');
  });
});

describe('haproxyConfig', () => {
  it('passes TLS through to every API server and checks their /readyz', () => {
    const config = haproxyConfig(ha);
    expect(config).toContain('bind 127.0.0.1:7443');
    expect(config).toContain('mode tcp');
    expect(config).toContain('option httpchk GET /readyz');
    expect(config).toContain('server kube-apiserver-0 127.0.0.1:6443');
    expect(config).toContain('server kube-apiserver-1 127.0.0.1:6444');
  });

  it('refuses a layout without an HAProxy port', () => {
    expect(() => haproxyConfig(single)).toThrow('No HAProxy port');
  });
});

describe('nodeAgentCommand', () => {
  it('runs dist/node-agent.js on the pinned Node with the brief flags', () => {
    const cmd = nodeAgentCommand('/repo', statePaths('/s'), 'node-2', { cpu: '2', memory: '8Gi', pods: '110' });
    expect(cmd.command).toBe('/repo/node_modules/.bin/node');
    expect(cmd.args).toEqual([
      '/repo/dist/node-agent.js',
      '--kubeconfig=/s/nodes/node-2/kubeconfig',
      '--node-name=node-2',
      '--state-dir=/s/nodes/node-2',
      '--cpu=2',
      '--memory=8Gi',
      '--pods=110',
      '--handler-run-dir=/s/nodes/node-2/handler',
    ]);
  });
});

describe('kubeconfigSpecs', () => {
  it('gives each node its own system:node identity and the admin one kubeconfig', () => {
    const specs = kubeconfigSpecs(statePaths('/s'), nodeNames(2));
    expect(specs.map((s) => s.path)).toEqual([
      '/s/kubeconfigs/admin.kubeconfig',
      '/s/kubeconfigs/kube-controller-manager.kubeconfig',
      '/s/kubeconfigs/kube-scheduler.kubeconfig',
      '/s/nodes/node-1/kubeconfig',
      '/s/nodes/node-2/kubeconfig',
    ]);
    expect(specs[3]?.cert).toBe('system-node-node-1');
  });
});
