import { Args, Flags } from '@oclif/core';
import { VM_PLURAL } from '../../api/names.js';
import { EXIT_CODES, EXIT_CODES_HELP } from '../exit-codes.js';
import { connectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { parseTarget } from '../targets.js';

export default class PortForward extends KubeCommand {
  static override summary =
    "Forward a local port to a VM's port, through the API server and virt-api; the node exposes no port for it.";
  static override description = `Each connection to the local port becomes one connection to the guest's port: a WebSocket on the VMI's portforward subresource, which virt-api relays to the handler on the VMI's node. --stdio forwards one connection on stdin and stdout instead, for OpenSSH's ProxyCommand (kubectl virt ssh uses it). Only TCP.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = {
    target: Args.string({ description: 'vm/NAME, vmi/NAME or NAME', required: true }),
    ports: Args.string({ description: '[LOCAL:]REMOTE, e.g. 2222:22 (LOCAL 0: any free port)', required: true }),
  };
  static override flags = {
    ...connectionFlags,
    address: Flags.string({ description: 'The local address to listen on.', default: '127.0.0.1' }),
    stdio: Flags.boolean({ description: 'Forward one connection on stdin/stdout (for ProxyCommand).', default: false }),
  };
  static override examples = [
    { description: "Reach web's port 80 on localhost:8080", command: '<%= config.bin %> port-forward vm/web 8080:80' },
    {
      description: 'As an OpenSSH ProxyCommand',
      command: "ssh -o 'ProxyCommand=<%= config.bin %> port-forward --stdio vm/web 22' debian@vm/web",
    },
  ];

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PortForward);
    const target = parseTarget(args.target, VM_PLURAL);
    const { parsePortSpec, listenAndForward, openForward, join } = await import('../port-forward-session.js');
    const spec = parsePortSpec(args.ports);
    const conn = await this.connect(flags);
    const vmi = { namespace: conn.namespace, name: target.name };
    if (!flags.stdio) {
      await listenAndForward(conn.client, vmi, { ...spec, address: flags.address }, (l) => this.note(l));
      // Runs until interrupted, as kubectl port-forward does.
      await new Promise<void>((done) => process.once('SIGINT', () => done()));
      return;
    }
    const ws = await openForward(conn.client, vmi, spec.remote);
    const failed = await join(ws, { input: process.stdin, output: process.stdout });
    if (failed === undefined) return;
    this.note(`error: ${failed}`);
    process.exitCode = EXIT_CODES.failed;
  }
}
