/**
 * oclif's autocomplete plugin (@oclif/plugin-autocomplete), wired into the explicit command map:
 * `kubectl virt autocomplete bash|zsh` prints the setup for completing the `kubectl-virt`
 * executable (commands and flags). The plugin is loaded only when these run, so no other command
 * pays for it. For `kubectl virt <TAB>` with VM names, kubectl's own completion calls
 * kubectl_complete-virt (see docs/cli.md, "Shell completion").
 */
import { Args, Command, Flags } from '@oclif/core';

// The plugin names its shell functions after config.bin, which must be one word there.
const COMPLETED_BIN = 'kubectl-virt';

type PluginCommand = Readonly<{ run(argv: string[], config: Command['config']): Promise<unknown> }>;

async function runPlugin(
  load: () => Promise<{ default: PluginCommand }>,
  argv: string[],
  config: Command['config'],
): Promise<void> {
  const { default: cmd } = await load();
  // Command.run reloads the config from its options, so the bin is changed there too.
  config.bin = COMPLETED_BIN;
  const oclif = config.options.pjson?.oclif;
  if (oclif !== undefined) oclif.bin = COMPLETED_BIN;
  await cmd.run(argv, config);
}

export class Autocomplete extends Command {
  static override summary = 'Print the setup for bash or zsh completion of the kubectl-virt executable.';
  static override description =
    "Completes commands and flags of `kubectl-virt`. For `kubectl virt <TAB>`, including VM names, load kubectl's own completion (source <(kubectl completion bash)): kubectl >= 1.26 asks kubectl_complete-virt, installed beside kubectl-virt.";
  static override args = {
    shell: Args.string({ description: 'Shell type', options: ['bash', 'zsh'], required: false }),
  };
  static override flags = {
    'refresh-cache': Flags.boolean({ char: 'r', description: 'Refresh the completion cache only.' }),
  };
  static override examples = [
    { description: 'bash setup', command: '<%= config.bin %> autocomplete bash' },
    { description: 'zsh setup', command: '<%= config.bin %> autocomplete zsh' },
  ];

  async run(): Promise<void> {
    // The plugin's package exports only its (empty) index; its commands are loaded by path.
    await runPlugin(
      () => import('../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/index.js'),
      this.argv,
      this.config,
    );
  }
}

export class AutocompleteScript extends Command {
  static override summary = 'Print the line a shell profile sources for kubectl-virt completion.';
  static override hidden = true;
  static override args = {
    shell: Args.string({ description: 'Shell type', options: ['bash', 'zsh'], required: false }),
  };

  async run(): Promise<void> {
    await runPlugin(
      () => import('../../node_modules/@oclif/plugin-autocomplete/lib/commands/autocomplete/script.js'),
      this.argv,
      this.config,
    );
  }
}
