import { Flags } from '@oclif/core';
import { connectionFlags, selectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { listOptionsFrom } from '../list-options.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { VM_PLURAL } from '../../api/names.js';
import { colorLevel, progressAllowed } from '../style.js';

/** The flags that chose this view's cluster and user, for the `kubectl virt console` it runs (c). */
function consoleConnectionArgs(flags: Readonly<Record<string, unknown>>): string[] {
  return ['kubeconfig', 'context', 'request-timeout'].flatMap((name) => {
    const value = flags[name];
    return typeof value === 'string' ? [`--${name}`, value] : [];
  });
}

export default class View extends KubeCommand {
  static override summary =
    'An interactive terminal view of the VMs: a live table, a detail pane, filter, sort, and start/stop/restart/delete/pause/console keys.';
  static override description = `The table follows every change (NAME, NAMESPACE with -A, STATUS, READY, NODE, IP, AGE, CPU, MEMORY). Keys: ↑/↓ j/k PgUp/PgDn Home/End move; Enter opens the detail pane (conditions, the last Events, why it is not running); / filters as you type; o sorts by name, status, age or node; s starts the selected VM; S stops, R restarts and d deletes it, each after a y/n prompt that names the VM; p pauses or unpauses it; c opens its serial console (kubectl virt console; Ctrl+] comes back to the view); ? shows every key; q or Ctrl-C quits. When the API server is lost it says "reconnecting…" and carries on when it is back.\n\nWithout a terminal (a pipe, CI, TERM=dumb), or with --once: the table once, then exit 0. For a line per change, use "kubectl virt watch".\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override flags = {
    ...connectionFlags,
    ...selectionFlags,
    once: Flags.boolean({ description: 'Print the table once and exit, as without a terminal.', default: false }),
  };
  static override examples = [
    { description: 'The VMs of the namespace, live', command: '<%= config.bin %> view' },
    { description: 'Every namespace, only the web tier', command: '<%= config.bin %> view -A -l tier=web' },
    { description: 'One table, for a script or a log', command: '<%= config.bin %> view --once' },
  ];

  async run(): Promise<void> {
    const { flags } = await this.parse(View);
    const conn = await this.connect(flags);
    const list = listOptionsFrom(conn.namespace, flags);
    const terminal = process.stdout.isTTY && process.stdin.isTTY && progressAllowed(true, process.env);
    if (flags.once || !terminal) {
      const [{ listForLive }, { viewTable }] = await Promise.all([
        import('../live/follow.js'),
        import('../views/view-rows.js'),
      ]);
      const { state } = await listForLive(conn.client, VM_PLURAL, list);
      if (state.vms.size === 0)
        this.note(`No resources found${list.allNamespaces ? '' : ` in ${list.namespace} namespace`}.`);
      else this.out(viewTable(state, { allNamespaces: flags['all-namespaces'], now: Date.now() }));
      return;
    }
    // The first list goes out while ink and react load (~240 ms): the first frame needs both.
    const { listForLive } = await import('../live/follow.js');
    const first = listForLive(conn.client, VM_PLURAL, list);
    // Its failure is handled where it is awaited (followLive: "reconnecting…"), not here.
    first.catch(() => undefined);
    const { runView } = await import('../views/run-view.js');
    const colour = colorLevel(process.stdout.isTTY, process.env) === 1;
    await runView(conn.client, { list, connectionArgs: consoleConnectionArgs(flags), colour, first });
  }
}
