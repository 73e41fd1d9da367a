import { Args, Flags } from '@oclif/core';
import { VM_PLURAL } from '../../api/names.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { connectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { parseTarget } from '../targets.js';

/** The flags ssh and scp share. */
export const sshFlags = {
  identity: Flags.string({ char: 'i', description: 'The private key to log in with.' }),
  username: Flags.string({ char: 'l', description: 'The user to log in as (or USER@ before the VM).' }),
  port: Flags.string({ char: 'p', description: "The guest's SSH port.", default: '22' }),
  'local-ssh-opts': Flags.string({
    char: 't',
    description: 'An option for the local ssh, as its -o takes it (repeatable).',
    multiple: true,
    // One value per -t, so the names after it stay arguments (scp SOURCE DESTINATION).
    multipleNonGreedy: true,
  }),
  'known-hosts': Flags.string({ description: "The known_hosts file (default: ssh's own)." }),
};

export default class Ssh extends KubeCommand {
  static override summary =
    'Open an SSH session to a VM, through the API server (local OpenSSH, port-forward as ProxyCommand).';
  static override description = `Runs the local ssh with ProxyCommand=kubectl virt port-forward --stdio, so the connection goes through the API server and virt-api to the guest; the node exposes no port for it. The exit code is the remote command's (255 when ssh itself fails).\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = {
    target: Args.string({ description: '[USER@]vm/NAME', required: true }),
  };
  static override flags = {
    ...connectionFlags,
    ...sshFlags,
    command: Flags.string({ char: 'c', description: 'Run this command instead of a login shell.' }),
  };
  static override examples = [
    { description: 'Log into web as debian', command: '<%= config.bin %> ssh debian@vm/web -i ~/.ssh/id_ed25519' },
    { description: 'Run one command', command: "<%= config.bin %> ssh debian@vm/web -c 'uname -a'" },
  ];

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Ssh);
    const { splitUser } = await import('../ssh-command.js');
    const { runSsh, sshPort } = await import('../ssh-session.js');
    const { user, target } = splitUser(args.target);
    const vm = parseTarget(target, VM_PLURAL);
    const port = sshPort(flags.port);
    const conn = await this.connect(flags);
    const login = flags.username ?? user;
    process.exitCode = await runSsh(
      'ssh',
      { name: vm.name, namespace: conn.namespace, port },
      flags,
      (destination, options) => [
        ...options,
        ...(login === undefined ? [] : ['-l', login]),
        destination,
        ...(flags.command === undefined ? [] : ['--', flags.command]),
      ],
    );
  }
}
