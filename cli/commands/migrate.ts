import { Args, Flags } from '@oclif/core';
import { EXIT_CODES, EXIT_CODES_HELP } from '../exit-codes.js';
import { connectionFlags, waitFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { parseDuration } from '../duration.js';
import { vmNames } from '../targets.js';
import { UsageError } from '../errors.js';

export default class Migrate extends KubeCommand {
  static override summary =
    'Live-migrate a running VM to another node: creates a VirtualMachineInstanceMigration (vmim).';
  static override description = `virt-controller places a target virt-launcher Pod on another node (never the VMI's own), the target's virt-handler defines the domain there, and the source's runs libvirt's live migration; the guest keeps running throughout. A migration that fails (no node can take the target Pod, libvirt refuses, it is cancelled) leaves the guest running where it was. A VMI with volumes cannot migrate yet (they live on its node only). With --wait, follows the migration until it Succeeded (exit 0) or Failed (exit 1, with why).\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = { name: Args.string({ description: 'VM name', required: false }) };
  static override flags = {
    ...connectionFlags,
    ...waitFlags,
    wait: Flags.boolean({
      description: 'Follow the migration until it Succeeded, or Failed (exit 1, with why; also on --timeout).',
      default: false,
    }),
  };
  static override examples = [
    {
      description: 'Move web to another node and wait until it runs there',
      command: '<%= config.bin %> migrate web --wait',
    },
    {
      description: 'Start the move and follow it with kubectl',
      command: '<%= config.bin %> migrate web && kubectl get vmim -w',
    },
  ];

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Migrate);
    if (args.name === undefined) throw new UsageError('name the VM to migrate', 'kubectl virt migrate web');
    const [name = ''] = vmNames([args.name]);
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const conn = await this.connect(flags);
    const { createMigration, waitForMigration, migrationOutcome } = await import('../migrations.js');
    const created = await createMigration(conn.client, conn.namespace, name);
    const id = created.metadata.name ?? '';
    this.out(`virtualmachineinstancemigration.tsvirt.io/${id} created\n`);
    if (!flags.wait) return;
    const t0 = Date.now();
    const end = await waitForMigration(conn.client, conn.namespace, id, {
      timeoutMs,
      onSeen: (seen) => this.note(`${id}: ${seen}`),
    });
    const outcome = migrationOutcome(end, { vmi: name, timeout: flags.timeout, ms: Date.now() - t0 });
    this.note(outcome.line);
    if (!outcome.ok) process.exitCode = EXIT_CODES.failed;
  }
}
