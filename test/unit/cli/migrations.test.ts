import { describeMigration, migrationOutcome } from '../../../cli/migrations.js';
import type { VirtualMachineInstanceMigration, VirtualMachineInstanceMigrationStatus } from '../../../api/types.js';

const vmim = (status?: VirtualMachineInstanceMigrationStatus): VirtualMachineInstanceMigration => ({
  apiVersion: 'tsvirt.io/v1alpha1',
  kind: 'VirtualMachineInstanceMigration',
  metadata: { name: 'web-migration-x7k2p', namespace: 'ns' },
  spec: { vmiName: 'web' },
  ...(status === undefined ? {} : { status }),
});

describe('kubectl virt migrate --wait', () => {
  it('shows a migration without a phase as Pending, and a failed one with its reason and message', () => {
    expect(describeMigration(vmim())).toBe('Pending');
    expect(
      describeMigration(vmim({ phase: 'Failed', reason: 'Unschedulable', message: '0/2 nodes are available' })),
    ).toBe('Failed (Unschedulable: 0/2 nodes are available)');
  });

  it('ends with the nodes and the time on success, exit 1 otherwise', () => {
    const o = { vmi: 'web', timeout: '5m', ms: 3456 };
    expect(migrationOutcome(vmim({ phase: 'Succeeded', sourceNode: 'node-1', targetNode: 'node-2' }), o)).toEqual({
      ok: true,
      line: 'VMI web migrated from node-1 to node-2 in 3.5s',
    });
    expect(migrationOutcome(vmim({ phase: 'Failed', reason: 'MigrationFailed', message: 'Broken pipe' }), o)).toEqual({
      ok: false,
      line: 'error: migration web-migration-x7k2p of VMI web Failed (MigrationFailed: Broken pipe); the guest runs on where it was',
    });
    expect(migrationOutcome(vmim({ phase: 'Running' }), o)).toEqual({
      ok: false,
      line: 'error: timed out after 5m waiting for migration web-migration-x7k2p; last seen: Running',
    });
  });
});
