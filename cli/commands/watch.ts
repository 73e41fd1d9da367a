import { connectionFlags, selectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { listOptionsFrom } from '../list-options.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { VM_PLURAL } from '../../api/names.js';

export default class Watch extends KubeCommand {
  static override summary = 'Follow the VMs: the table once, then a line per change, as "kubectl get --watch".';
  static override description = `Non-interactive, on a terminal or not, so it fits a pipe, a log or CI: the table once, then one line each time a VM's row changes, as "kubectl virt get vm --watch". When the API server is lost, stderr says "reconnecting…" and the stream carries on from where it was once the server is back, printing what changed meanwhile. For the interactive view, use "kubectl virt view".\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override flags = { ...connectionFlags, ...selectionFlags };
  static override examples = [
    { description: 'Follow the VMs of the namespace', command: '<%= config.bin %> watch' },
    { description: 'Every namespace, as lines in a log', command: '<%= config.bin %> watch -A | tee vms.log' },
  ];

  async run(): Promise<void> {
    const { flags } = await this.parse(Watch);
    const conn = await this.connect(flags);
    const list = listOptionsFrom(conn.namespace, flags);
    const { followChanges } = await import('../live/follow.js');
    await followChanges(conn.client, { resource: VM_PLURAL, names: [], list, output: undefined }, (l) => this.out(l));
  }
}
