import { plannedComponents } from '../../../cluster/components.js';
import type { ClusterInfo } from '../../../cluster/local-cluster.js';

const info = {
  repoRoot: '/repo',
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
    expect(commands.map((c) => c.name)).toEqual(['virt-controller', 'virt-handler-node-1', 'virt-handler-node-2']);
    expect(commands[1]?.args).toContain('--libvirt-uri=test:///default');
    expect(commands[2]?.args).toContain('--libvirt-uri=qemu:///system');
    expect(commands[2]?.args).toContain('--run-dir=/s/nodes/node-2/handler');
    expect(skipped).toEqual([]);
  });

  it('skips a component whose bundle is not built yet, and says so', () => {
    const { commands, skipped } = plannedComponents(info, (name) => name === 'virt-controller');
    expect(commands.map((c) => c.name)).toEqual(['virt-controller']);
    expect(skipped).toEqual([expect.stringContaining('dist/virt-handler.js is not built yet')]);
  });
});
