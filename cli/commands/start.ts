import { Flags } from '@oclif/core';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { LifecycleCommand, lifecycleArgs, lifecycleFlags } from '../lifecycle-command.js';

export default class Start extends LifecycleCommand {
  static override summary =
    'Start VirtualMachines through virt-api (virtualmachines/start): one write each, the run strategy or a Start request.';
  static override description = `A VM that runs already is refused with "VM is already running", as virtctl says it; the other named VMs are still started. With --wait, waits until each VM is Running (progress on stderr when it is a terminal).\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = lifecycleArgs;
  static override flags = {
    ...lifecycleFlags,
    'wait-for-agent': Flags.boolean({
      description: 'Wait until the VM runs and its guest agent answers (AgentConnected): for scripts that ssh next.',
      default: false,
    }),
  };
  static override examples = [
    {
      description: 'Start web and wait until it is Running',
      command: '<%= config.bin %> start web --wait --timeout 2m',
    },
    { description: 'Start every VM labelled app=web', command: '<%= config.bin %> start -l app=web' },
    {
      description: 'In a script: create, then start what was created',
      command: '<%= config.bin %> create -f vm.yaml -o name | xargs <%= config.bin %> start --wait',
    },
  ];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Start);
    await this.runVerb('start', argv as string[], flags, {
      agent: flags['wait-for-agent'],
      // --wait-for-agent alone means --wait too: it names what to wait for.
      ...(flags['wait-for-agent'] ? { wait: true } : {}),
    });
  }
}
