import { Args } from '@oclif/core';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { connectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { vmNames } from '../targets.js';
import { UsageError } from '../errors.js';

export default class MigrateCancel extends KubeCommand {
  static override summary = "Cancel a VM's migration in progress: deletes its VirtualMachineInstanceMigration.";
  static override description = `virt-controller asks the source's virt-handler to abort before the migration object goes; the guest keeps running on its source node, and the migration ends Failed (MigrationAborted). A migration whose guest has already moved cannot be undone. Exit 1 when the VM has no migration in progress.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = { name: Args.string({ description: 'VM name', required: false }) };
  static override flags = { ...connectionFlags };
  static override examples = [
    { description: "Cancel web's migration", command: '<%= config.bin %> migrate-cancel web' },
  ];

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MigrateCancel);
    if (args.name === undefined)
      throw new UsageError('name the VM whose migration to cancel', 'kubectl virt migrate-cancel web');
    const [name = ''] = vmNames([args.name]);
    const conn = await this.connect(flags);
    const { cancelMigration } = await import('../migrations.js');
    const id = await cancelMigration(conn.client, conn.namespace, name);
    this.out(`virtualmachineinstancemigration.tsvirt.io/${id} deleted\n`);
  }
}
