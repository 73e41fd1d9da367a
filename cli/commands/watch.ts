import { connectionFlags, selectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { VM_PLURAL } from '../../api/names.js';
import { progressAllowed } from '../style.js';

export default class Watch extends KubeCommand {
  static override summary = 'A live status view of the VMs: a table that follows every change.';
  static override description = `On a terminal: an interactive table (arrow keys select a VM; s starts, x stops, r restarts it; q quits). Without a terminal (a pipe, CI, TERM=dumb): the table once, then a line per change, as "kubectl virt get vm --watch".\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override aliases = ['top'];
  static override flags = { ...connectionFlags, ...selectionFlags };
  static override examples = [
    { description: 'Watch the VMs of the namespace', command: '<%= config.bin %> watch' },
    { description: 'Watch every namespace, as lines in a log', command: '<%= config.bin %> watch -A | tee vms.log' },
  ];

  async run(): Promise<void> {
    const { flags } = await this.parse(Watch);
    const conn = await this.connect(flags);
    const list = {
      namespace: conn.namespace,
      allNamespaces: flags['all-namespaces'],
      ...(flags.selector === undefined ? {} : { labelSelector: flags.selector }),
      ...(flags['field-selector'] === undefined ? {} : { fieldSelector: flags['field-selector'] }),
    };
    if (!(process.stdout.isTTY && process.stdin.isTTY && progressAllowed(true, process.env))) {
      const { followChanges } = await import('../live/follow.js');
      await followChanges(conn.client, { resource: VM_PLURAL, names: [], list, output: undefined }, (l) => this.out(l));
      return;
    }
    const { runLiveApp } = await import('../views/run-live.js');
    await runLiveApp(conn.client, list);
  }
}
