import { Flags } from '@oclif/core';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { LifecycleCommand, lifecycleArgs, lifecycleFlags } from '../lifecycle-command.js';

export default class Stop extends LifecycleCommand {
  static override summary =
    'Stop VirtualMachines through virt-api (virtualmachines/stop): one write each, Halted or a Stop request.';
  static override description = `The guest is asked to shut down, through its guest agent when it is connected (AgentConnected), else with ACPI, and gets its grace period; --force --grace-period=N shortens that period first (N=0 stops at once). A VM that does not run is refused with "VM is not running", as virtctl says it. With --wait, waits until each VM is Stopped.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = lifecycleArgs;
  static override flags = {
    ...lifecycleFlags,
    force: Flags.boolean({
      description: "With --grace-period: shorten the running VMI's grace period first.",
      default: false,
    }),
    'grace-period': Flags.integer({ description: 'Seconds the guest gets to shut down (needs --force).', min: 0 }),
  };
  static override examples = [
    { description: 'Stop web and wait until it is Stopped', command: '<%= config.bin %> stop web --wait' },
    {
      description: 'Stop web now, without waiting for the guest',
      command: '<%= config.bin %> stop web --force --grace-period=0',
    },
    { description: 'Stop every VM labelled app=web', command: '<%= config.bin %> stop -l app=web --wait --timeout 2m' },
  ];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Stop);
    const grace = flags['grace-period'];
    if (grace !== undefined && !flags.force)
      throw new UsageError('--grace-period needs --force', 'kubectl virt stop web --force --grace-period=0');
    await this.runVerb('stop', argv as string[], flags, {
      force: flags.force,
      ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
    });
  }
}
