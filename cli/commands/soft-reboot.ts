import { EXIT_CODES_HELP } from '../exit-codes.js';
import { VmiVerbCommand, vmiVerbArgs, vmiVerbFlags } from '../vmi-verb-command.js';

export default class SoftReboot extends VmiVerbCommand {
  static override summary =
    "Reboot VMs' guests softly: through the guest agent when it is connected, else an ACPI request (no power cycle).";
  static override description = `Sent through virt-api to the virt-handler on the VMI's node, which asks the guest agent (AgentConnected) to reboot and presses ACPI when there is none or its reboot fails. A VMI that does not run, or is already in that state, is refused with one line ("VMI is not running", "VMI is already paused"); the other named VMs still get theirs.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override args = vmiVerbArgs;
  static override flags = vmiVerbFlags;
  static override examples = [{ description: 'Reboot the guest of web', command: '<%= config.bin %> soft-reboot web' }];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(SoftReboot);
    await this.runVmiVerb('softreboot', 'soft-reboot', argv as string[], flags);
  }
}
