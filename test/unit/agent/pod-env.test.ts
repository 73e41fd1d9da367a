import { expandVars, PodSpecError, processSpecFor } from '../../../cluster/agent/pod-env.js';
import type { Pod } from '../../../kube/core.js';

const pod = (container: Record<string, unknown>): Pod => ({
  metadata: {
    name: 'virt-launcher-web-abcde',
    namespace: 'prod',
    uid: 'uid-1',
    labels: { 'tsvirt.io/vmi-name': 'web' },
  },
  spec: { nodeName: 'node-1', containers: [{ name: 'compute', image: 'x', ...container }] },
});

describe('processSpecFor', () => {
  it('runs command then args with values, downward-API fieldRefs and the extra env', () => {
    const spec = processSpecFor(
      pod({
        command: ['/usr/bin/node', '/opt/dist/virt-launcher.cjs'],
        args: ['--vmi', '$(VMI_NAME)'],
        env: [
          { name: 'VMI_NAME', value: 'web' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tsvirt.io/vmi-name']" } } },
        ],
      }),
      { TSVIRT_HANDLER_SOCKET: '/run/h/handler.sock' },
    );
    expect(spec.argv).toEqual(['/usr/bin/node', '/opt/dist/virt-launcher.cjs', '--vmi', 'web']);
    expect(spec.env).toEqual({
      TSVIRT_HANDLER_SOCKET: '/run/h/handler.sock',
      VMI_NAME: 'web',
      POD_NAME: 'virt-launcher-web-abcde',
      POD_NAMESPACE: 'prod',
      POD_UID: 'uid-1',
      NODE: 'node-1',
      IP: '127.0.0.1',
      LABEL: 'web',
    });
  });

  it('refuses a container without a command, since there is no image entrypoint to fall back to', () => {
    expect(() => processSpecFor(pod({ args: ['x'] }), {})).toThrow(PodSpecError);
  });

  it('refuses env sources it cannot resolve', () => {
    expect(() =>
      processSpecFor(
        pod({ command: ['x'], env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }),
        {},
      ),
    ).toThrow('only value and fieldRef');
    expect(() =>
      processSpecFor(
        pod({ command: ['x'], env: [{ name: 'S', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }] }),
        {},
      ),
    ).toThrow('spec.hostname is not supported');
  });
});

describe('expandVars', () => {
  it('expands known $(NAME), keeps unknown ones and unescapes $$', () => {
    expect(expandVars('$(A)-$(B)-$$(A)', { A: '1' })).toBe('1-$(B)-$(A)');
  });
});
