import { Args, Flags } from '@oclif/core';
import { VM_PLURAL } from '../../api/names.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { connectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { parseTarget } from '../targets.js';
import { sshFlags } from './ssh.js';

/** `[USER@]vm/NAME:PATH` split; undefined for a local path. Pure. */
export function remotePath(arg: string): Readonly<{ user?: string; target: string; path: string }> | undefined {
  const m = /^(?:([^@/:]+)@)?((?:vm|vmi|virtualmachine|virtualmachineinstance)\/[^:]+):(.*)$/.exec(arg);
  if (m === null) return undefined;
  const [, user, target = '', path = ''] = m;
  return { ...(user === undefined ? {} : { user }), target, path };
}

export default class Scp extends KubeCommand {
  static override summary =
    'Copy files to or from a VM, through the API server (local scp, port-forward as ProxyCommand).';
  static override description = `One of SOURCE and DESTINATION is [USER@]vm/NAME:PATH. Runs the local scp with ProxyCommand=kubectl virt port-forward --stdio; the exit code is scp's.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = {
    source: Args.string({ description: 'A local path or [USER@]vm/NAME:PATH', required: true }),
    destination: Args.string({ description: 'A local path or [USER@]vm/NAME:PATH', required: true }),
  };
  static override flags = {
    ...connectionFlags,
    ...sshFlags,
    recursive: Flags.boolean({ char: 'r', description: 'Copy folders whole.', default: false }),
  };
  static override examples = [
    { description: 'Copy a file in', command: '<%= config.bin %> scp ./job.sh debian@vm/web:/tmp/job.sh' },
    { description: 'And one out', command: '<%= config.bin %> scp debian@vm/web:/tmp/out.log ./out.log' },
  ];

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Scp);
    const from = remotePath(args.source);
    const to = remotePath(args.destination);
    const remote = from ?? to;
    if (remote === undefined || (from !== undefined && to !== undefined))
      throw new UsageError(
        'exactly one of SOURCE and DESTINATION must be [USER@]vm/NAME:PATH',
        'kubectl virt scp ./f debian@vm/web:/tmp/f',
      );
    const vm = parseTarget(remote.target, VM_PLURAL);
    const { runSsh, sshPort } = await import('../ssh-session.js');
    const port = sshPort(flags.port);
    const conn = await this.connect(flags);
    const user = flags.username ?? remote.user;
    process.exitCode = await runSsh(
      'scp',
      { name: vm.name, namespace: conn.namespace, port },
      flags,
      (host, options) => {
        const there = `${user === undefined ? '' : `${user}@`}${host}:${remote.path}`;
        return [
          ...options,
          ...(flags.recursive ? ['-r'] : []),
          '--',
          from === undefined ? args.source : there,
          to === undefined ? args.destination : there,
        ];
      },
    );
  }
}
