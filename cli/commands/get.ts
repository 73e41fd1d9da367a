import { Args } from '@oclif/core';
import { connectionFlags, outputFlag, selectionFlags, watchFlag } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { listOptionsFrom } from '../list-options.js';
import { parseGetArgs } from '../targets.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { UsageError } from '../errors.js';

export default class Get extends KubeCommand {
  static override summary = 'Show VirtualMachines (vm) or VirtualMachineInstances (vmi), as kubectl get does.';
  static override description = `Columns NAME AGE STATUS READY NODE IP (PHASE for VMIs); -o json and -o yaml print what "kubectl get" prints. A bare name is a VM. --watch prints a line per change.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override strict = false;
  static override args = {
    resource: Args.string({ description: 'vm or vmi (or vm/NAME, or a VM name)', required: false }),
  };
  static override examples = [
    { description: 'Every VM of the namespace', command: '<%= config.bin %> get vm' },
    { description: 'Two VMs, as YAML', command: '<%= config.bin %> get vm web db -o yaml' },
    { description: 'The running instances of every namespace', command: '<%= config.bin %> get vmi -A' },
    { description: 'Follow status changes, a line per change', command: '<%= config.bin %> get vm --watch' },
  ];
  static override flags = {
    ...connectionFlags,
    ...selectionFlags,
    ...outputFlag,
    ...watchFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Get);
    const { resource, names } = parseGetArgs(argv as string[]);
    if (names.length > 0 && (flags.selector !== undefined || flags['all-namespaces'])) {
      throw new UsageError('name VMs or select them with -l/-A, not both');
    }
    const conn = await this.connect(flags);
    const list = listOptionsFrom(conn.namespace, flags);
    const req = { resource, names, list, output: flags.output };
    if (flags.watch) {
      const { followChanges } = await import('../live/follow.js');
      await followChanges(conn.client, req, (line) => this.out(line));
      return;
    }
    const { fetchObjects, renderFetched } = await import('../get-objects.js');
    const rendered = await renderFetched(req, await fetchObjects(conn.client, req), Date.now());
    this.out(rendered.stdout);
    if (rendered.stderr !== '') this.note(rendered.stderr);
  }
}
