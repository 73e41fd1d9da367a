import { Args, Flags } from '@oclif/core';
import { VM_PLURAL } from '../../api/names.js';
import { connectionFlags, selectorFlag, waitFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { EXIT_CODES, EXIT_CODES_HELP } from '../exit-codes.js';
import { namesOrSelector } from '../lifecycle-command.js';
import { parseDuration } from '../duration.js';

export default class Delete extends KubeCommand {
  static override summary = 'Delete VirtualMachines; the controller stops the guest and removes its VMI first.';
  static override description = `Prints what kubectl delete prints. Unlike kubectl delete, it returns once the API server accepted the deletion; --wait waits until the VM is gone.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override strict = false;
  static override args = { names: Args.string({ description: 'VM names', required: false }) };
  static override flags = {
    ...connectionFlags,
    ...selectorFlag,
    ...waitFlags,
    'ignore-not-found': Flags.boolean({ description: 'A VM that does not exist is not an error.', default: false }),
    output: Flags.option({
      char: 'o',
      options: ['name'] as const,
      description: 'Print only virtualmachine.tsvirt.io/NAME per deleted VM.',
    })(),
  };
  static override examples = [
    { description: 'Delete web', command: '<%= config.bin %> delete web' },
    {
      description: 'Delete every VM labelled env=test and wait until they are gone',
      command: '<%= config.bin %> delete -l env=test --wait',
    },
  ];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Delete);
    const names = namesOrSelector('delete', argv as string[], flags.selector);
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const conn = await this.connect(flags);
    const { deleteEach } = await import('../delete-vms.js');
    const { selectVmNames } = await import('../lifecycle.js');
    const targets =
      flags.selector === undefined ? names : await selectVmNames(conn.client, conn.namespace, flags.selector);
    const ok = await deleteEach(conn.client, targets, {
      plural: VM_PLURAL,
      namespace: conn.namespace,
      ignoreNotFound: flags['ignore-not-found'],
      wait: flags.wait,
      timeoutMs,
      nameOnly: flags.output === 'name',
      out: (l) => this.out(`${l}\n`),
      err: (l) => this.note(l),
    });
    if (!ok) process.exitCode = EXIT_CODES.failed;
  }
}
