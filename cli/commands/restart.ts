import { EXIT_CODES_HELP } from '../exit-codes.js';
import { LifecycleCommand, lifecycleArgs, lifecycleFlags } from '../lifecycle-command.js';

export default class Restart extends LifecycleCommand {
  static override summary =
    'Restart VirtualMachines through virt-api (virtualmachines/restart): a Stop and a Start request, in one write.';
  static override description = `A VM that does not run is refused with "VM is not running", as virtctl says it. With --wait, waits until each VM is Running again with a new VMI (progress on stderr when it is a terminal).\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = lifecycleArgs;
  static override flags = lifecycleFlags;
  static override examples = [
    { description: 'Restart web and wait until a new VMI is Running', command: '<%= config.bin %> restart web --wait' },
    { description: 'Restart every VM labelled app=web', command: '<%= config.bin %> restart -l app=web' },
  ];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Restart);
    await this.runVerb('restart', argv as string[], flags);
  }
}
