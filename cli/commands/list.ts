import { VM_PLURAL } from '../../api/names.js';
import { connectionFlags, outputFlag, selectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { listOptionsFrom } from '../list-options.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';

export default class List extends KubeCommand {
  static override summary = 'List VirtualMachines with their status, node and IP.';
  static override description = `The same as "kubectl virt get vm": NAME AGE STATUS READY NODE IP, one VM a row.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'List the VMs of the current namespace', command: '<%= config.bin %> list' },
    { description: 'List the VMs of every namespace with more columns', command: '<%= config.bin %> list -A -o wide' },
    {
      description: 'List the VMs labelled app=web as JSON (a v1 List, as kubectl get -o json)',
      command: '<%= config.bin %> list -l app=web -o json',
    },
  ];
  static override flags = {
    ...connectionFlags,
    ...selectionFlags,
    ...outputFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(List);
    const conn = await this.connect(flags);
    const { fetchObjects, renderFetched } = await import('../get-objects.js');
    const req = {
      resource: VM_PLURAL,
      names: [],
      list: listOptionsFrom(conn.namespace, flags),
      output: flags.output,
    } as const;
    const rendered = await renderFetched(req, await fetchObjects(conn.client, req), Date.now());
    this.out(rendered.stdout);
    if (rendered.stderr !== '') this.note(rendered.stderr);
  }
}
