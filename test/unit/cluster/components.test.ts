import { plannedComponents } from '../../../cluster/components.js';
import type { ClusterInfo } from '../../../cluster/local-cluster.js';

const info = {
  repoRoot: '/repo',
  stateDir: '/s',
  kubeconfig: '/s/kubeconfigs/admin.kubeconfig',
  nodes: [
    {
      name: 'node-1',
      kubeconfig: '',
      stateDir: '/s/nodes/node-1',
      handlerRunDir: '/s/nodes/node-1/handler',
      libvirtUri: 'test:///default',
    },
    {
      name: 'node-2',
      kubeconfig: '',
      stateDir: '/s/nodes/node-2',
      handlerRunDir: '/s/nodes/node-2/handler',
      libvirtUri: 'qemu:///system',
    },
  ],
} as unknown as ClusterInfo;

describe('plannedComponents', () => {
  it('runs one controller and one handler per node, each handler on its node libvirt', () => {
    const { commands, skipped } = plannedComponents(info, () => true);
    expect(commands.map((c) => c.name)).toEqual([
      'virt-controller',
      'virt-handler-node-1',
      'virt-handler-node-2',
      'virt-api',
    ]);
    expect(commands[1]?.args).toContain('--libvirt-uri=test:///default');
    expect(commands[2]?.args).toContain('--libvirt-uri=qemu:///system');
    expect(commands[2]?.args).toContain('--run-dir=/s/nodes/node-2/handler');
    expect(skipped).toEqual([]);
  });

  it('gives the handler of a node with a private libvirtd its URI and log folder', () => {
    const withLibvirtd = {
      ...info,
      nodes: [
        {
          name: 'node-1',
          kubeconfig: '',
          stateDir: '/s/nodes/node-1',
          handlerRunDir: '/s/nodes/node-1/handler',
          libvirtUri: 'qemu:///system?socket=/s/libvirt/node-1/sock/libvirt-sock',
          libvirtDir: '/s/libvirt/node-1',
          libvirtLogDir: '/s/libvirt/node-1/log/qemu',
        },
      ],
    } as unknown as ClusterInfo;
    const [, handler] = plannedComponents(withLibvirtd, () => true).commands;
    expect(handler?.args).toEqual(
      expect.arrayContaining([
        '--libvirt-uri=qemu:///system?socket=/s/libvirt/node-1/sock/libvirt-sock',
        '--libvirt-log-dir=/s/libvirt/node-1/log/qemu',
      ]),
    );
    expect(plannedComponents(info, () => true).commands[1]?.args.join(' ')).not.toContain('--libvirt-log-dir');
  });

  it('skips a component whose bundle is not built yet, and says so', () => {
    const { commands, skipped } = plannedComponents(info, (name) => name === 'virt-controller');
    expect(commands.map((c) => c.name)).toEqual(['virt-controller']);
    expect(skipped).toEqual([
      expect.stringContaining('dist/virt-handler.js is not built yet'),
      expect.stringContaining('dist/virt-api.js is not built yet'),
    ]);
  });

  it('runs virt-api on loopback with certificates from the cluster PKI, and handlers with their endpoint', () => {
    const { commands } = plannedComponents(info, () => true, 4443);
    const api = commands.find((c) => c.name === 'virt-api');
    expect(api?.args).toEqual(
      expect.arrayContaining(['--address=127.0.0.1', '--port=4443', '--tls-cert-file=/s/pki/virt-api.crt']),
    );
    expect(commands[1]?.args).toEqual(
      expect.arrayContaining(['--tls-cert-file=/s/pki/virt-handler.crt', '--client-ca-file=/s/pki/ca.crt']),
    );
  });
});
