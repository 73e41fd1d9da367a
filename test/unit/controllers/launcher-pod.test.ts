import { launcherPodFor } from '../../../controllers/vmi/launcher-pod.js';
import { launcherPodName } from '../../../api/object-names.js';
import { VMI_UID, vmi } from './fixtures.js';

const CONFIG = { launcherCommand: ['/usr/bin/node', '/opt/tsvirt/dist/virt-launcher.cjs'] };

describe('launcherPodFor', () => {
  const p = launcherPodFor(
    {
      ...vmi(undefined),
      spec: { ...vmi(undefined).spec, nodeSelector: { disk: 'ssd' }, terminationGracePeriodSeconds: 60 },
    },
    CONFIG,
  );
  const c = p.spec?.containers[0];

  it('is owned by the VMI as its controller, blocking the VMI’s deletion', () => {
    expect(p.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'tsvirt.io/v1alpha1',
        kind: 'VirtualMachineInstance',
        name: 'web',
        uid: VMI_UID,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('is labelled with the VMI’s uid and name and the launcher component', () => {
    expect(p.metadata?.labels).toMatchObject({
      'tsvirt.io/created-by': VMI_UID,
      'tsvirt.io/vmi-name': 'web',
      'tsvirt.io/component': 'virt-launcher',
    });
  });

  it('runs the configured command in the compute container of the launcher image', () => {
    expect(c).toMatchObject({
      name: 'compute',
      image: 'tsvirt.io/virt-launcher:v1alpha1',
      command: CONFIG.launcherCommand,
    });
  });

  it('passes the VMI identity and the Pod identity through the downward API', () => {
    expect(c?.env).toEqual([
      { name: 'VMI_NAME', value: 'web' },
      { name: 'VMI_UID', value: VMI_UID },
      { name: 'VMI_NAMESPACE', value: 'ns' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
  });

  it('requests the guest’s CPU and memory plus the launcher overhead, limiting memory only', () => {
    // 2 vCPUs / ratio 10 + 10m; 256Mi guest + 48Mi launcher + 32Mi QEMU + 2 × 8Mi + 256Mi/512.
    const memory = String(256 * 2 ** 20 + 48 * 2 ** 20 + 32 * 2 ** 20 + 16 * 2 ** 20 + 2 ** 19);
    expect(c?.resources).toEqual({ requests: { cpu: '210m', memory }, limits: { memory } });
  });

  it('divides the vCPUs by the cluster’s cpuAllocationRatio, read at each build', () => {
    let ratio = 4;
    const config = { ...CONFIG, cpuAllocationRatio: () => ratio };
    expect(launcherPodFor(vmi(undefined), config).spec?.containers[0]?.resources?.requests?.['cpu']).toBe('510m');
    ratio = 1;
    expect(launcherPodFor(vmi(undefined), config).spec?.containers[0]?.resources?.requests?.['cpu']).toBe('2010m');
  });

  it('keeps the node selector, never restarts, and outlives the VMI’s grace period by 15 s', () => {
    expect(p.spec).toMatchObject({
      nodeSelector: { disk: 'ssd' },
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 75,
      automountServiceAccountToken: false,
    });
  });

  it('has a deterministic name per VMI incarnation', () => {
    expect(p.metadata?.name).toBe('virt-launcher-web-22222222');
    expect(launcherPodName(vmi(undefined, { uid: 'abcdef12-0000' }))).toBe('virt-launcher-web-abcdef12');
    const long = { ...vmi(undefined), metadata: { ...vmi(undefined).metadata, name: 'x'.repeat(200) } };
    expect(launcherPodName(long).length).toBeLessThanOrEqual(63);
  });

  it('runs the launcher without root, privilege or a writable root file system', () => {
    expect(c?.securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('mounts no host folder unless the handlers’ run folder is configured', () => {
    expect(p.spec?.volumes).toBeUndefined();
    expect(c?.volumeMounts).toBeUndefined();
  });

  it('mounts the handlers’ run folder at the same path when configured, so the container reaches handler.sock', () => {
    const real = launcherPodFor(vmi(undefined), { ...CONFIG, handlerRunDir: '/var/run/tsvirt' });

    expect(real.spec?.volumes).toEqual([
      { name: 'handler-run', hostPath: { path: '/var/run/tsvirt', type: 'Directory' } },
    ]);
    expect(real.spec?.containers[0]?.volumeMounts).toEqual([{ name: 'handler-run', mountPath: '/var/run/tsvirt' }]);
  });
});
