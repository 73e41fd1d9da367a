import { Args, Flags } from '@oclif/core';
import { EXIT_CODES, EXIT_CODES_HELP } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { connectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { parseDuration } from '../duration.js';
import { vmNames } from '../targets.js';

export default class Console extends KubeCommand {
  static override summary = "Connect to a VM's serial console (through virt-api; Ctrl+] detaches).";
  static override description = `Waits up to --timeout for the VMI to run, then joins the terminal to the guest's serial port. On a terminal the session is raw and Ctrl+] ends it. Without a terminal, stdin is sent as it comes; after stdin ends the command keeps printing until the guest has been quiet for 1 s, then exits 0. One session per VMI: a new one takes over and the old one ends with "another console session on this VMI took over".\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = {
    name: Args.string({ description: 'The VM (or VMI) name', required: false }),
  };
  static override flags = {
    ...connectionFlags,
    timeout: Flags.string({ description: 'How long to wait for the VMI to run, e.g. 60s or 5m.', default: '5m' }),
  };
  static override examples = [
    { description: "Open web's console (Ctrl+] to leave)", command: '<%= config.bin %> console web' },
    {
      description: 'Run one command on the guest from a script',
      command: "printf 'uname -r\\n' | <%= config.bin %> console web --timeout 60s",
    },
  ];

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Console);
    const [name] = vmNames(args.name === undefined ? [] : [args.name]);
    if (name === undefined) throw new UsageError('name the VM whose console to open', 'kubectl virt console web');
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const conn = await this.connect(flags);
    const { runConsole } = await import('../console-session.js');
    const failed = await runConsole(conn.client, { namespace: conn.namespace, name }, timeoutMs, {
      stdin: process.stdin,
      stdout: process.stdout,
      note: (l) => this.note(l),
    });
    if (failed === undefined) return;
    this.note(`error: ${failed}`);
    process.exitCode = EXIT_CODES.failed;
  }
}
