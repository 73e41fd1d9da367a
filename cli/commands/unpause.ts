import { EXIT_CODES_HELP } from '../exit-codes.js';
import { VmiVerbCommand, vmiVerbArgs, vmiVerbFlags } from '../vmi-verb-command.js';

export default class Unpause extends VmiVerbCommand {
  static override summary = 'Unpause VMs: a paused guest runs on from where it stopped.';
  static override description = `Sent through virt-api to the virt-handler on the VMI's node. A VMI that does not run, or is already in that state, is refused with one line ("VMI is not running", "VMI is already paused"); the other named VMs still get theirs.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = vmiVerbArgs;
  static override flags = vmiVerbFlags;
  static override examples = [{ description: 'Unpause web', command: '<%= config.bin %> unpause web' }];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Unpause);
    await this.runVmiVerb('unpause', 'unpause', argv as string[], flags);
  }
}
