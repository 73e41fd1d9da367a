import { Args, Command } from '@oclif/core';
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from '../completion-scripts.js';

export default class Completion extends Command {
  static override summary = 'Print the shell completion script for kubectl-virt (bash or zsh).';
  static override description =
    "Completes the kubectl-virt executable: commands, flags, -o values and VM names, asked of `kubectl-virt __complete` as you type. For `kubectl virt <TAB>`, load kubectl's own completion instead (source <(kubectl completion bash)): kubectl >= 1.26 runs kubectl_complete-virt, which gives the same answers.";
  static override args = {
    shell: Args.string({ description: 'bash or zsh', options: [...COMPLETION_SHELLS], required: true }),
  };
  static override examples = [
    { description: 'bash, for this shell', command: 'source <(<%= config.bin %> completion bash)' },
    { description: 'zsh, for this shell', command: 'source <(<%= config.bin %> completion zsh)' },
  ];

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    process.stdout.write(completionScript(args.shell as CompletionShell));
  }
}
