import {
  activeMigration,
  completionTimeoutSeconds,
  hasMigrationEnded,
  notMigratableReason,
} from '../../../api/migration.js';
import { migrationTargetPodName } from '../../../api/object-names.js';
import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../../../api/types.js';

function vmi(
  status: VirtualMachineInstanceStatus,
  extra: Partial<VirtualMachineInstance['spec']> = {},
): VirtualMachineInstance {
  return {
    apiVersion: 'tsvirt.io/v1alpha1',
    kind: 'VirtualMachineInstance',
    metadata: { namespace: 'ns', name: 'web', uid: 'u1' },
    spec: { domain: { memory: { guest: '3Gi' }, devices: {} }, ...extra },
    status,
  };
}

describe('notMigratableReason', () => {
  it('lets a running VMI without volumes move', () => {
    expect(notMigratableReason(vmi({ phase: 'Running', nodeName: 'node-1' }))).toBeUndefined();
  });

  it('refuses a VMI that is not Running, and one with volumes, saying why', () => {
    expect(notMigratableReason(vmi({ phase: 'Scheduled', nodeName: 'node-1' }))).toBe(
      'VirtualMachineInstance web is Scheduled, not Running: only a running VMI can migrate',
    );
    const withDisk = vmi(
      { phase: 'Running', nodeName: 'node-1' },
      { volumes: [{ name: 'root', emptyDisk: { capacity: '1Gi' } }] },
    );
    expect(notMigratableReason(withDisk)).toMatch(
      /^volumes root live on node node-1 only and block migration is not supported yet/,
    );
  });
});

describe('the migration state', () => {
  it('is active until completed or failed', () => {
    const state = { migrationUid: 'm1' };
    expect(activeMigration(vmi({ phase: 'Running', migrationState: state }))).toEqual(state);
    expect(hasMigrationEnded({ ...state, completed: true })).toBe(true);
    expect(activeMigration(vmi({ phase: 'Running', migrationState: { ...state, failed: true } }))).toBeUndefined();
  });
});

describe('completionTimeoutSeconds', () => {
  it('is completionTimeoutPerGiB per started GiB of guest memory, 1 GiB at least', () => {
    const limits = { bandwidthBytesPerSecond: 0, completionTimeoutPerGiB: 150, progressTimeoutSeconds: 150 };
    expect(completionTimeoutSeconds(vmi({}), limits)).toBe(450);
    expect(completionTimeoutSeconds(vmi({}, { domain: { memory: { guest: '128Mi' }, devices: {} } }), limits)).toBe(
      150,
    );
  });
});

describe('migrationTargetPodName', () => {
  it("is virt-launcher-<vmi>-<first 8 of the migration's uid>, within 63 characters", () => {
    expect(migrationTargetPodName('web', '33333333-aaaa-bbbb')).toBe('virt-launcher-web-33333333');
    expect(migrationTargetPodName('a'.repeat(63), '33333333').length).toBeLessThanOrEqual(63);
  });
});
