import { KubeCommand } from '../kube-command.js';

/** The verbs whose arguments are VM names. */
const TAKES_VM_NAMES = new Set(['start', 'stop', 'restart', 'delete', 'describe', 'wait', 'get']);

export default class Complete extends KubeCommand {
  static override summary =
    "Answer kubectl's shell completion (cobra's __complete protocol); run by kubectl_complete-virt.";
  static override hidden = true;
  static override strict = false;
  static override rawWords = true;
  // Raw words: flags in them are what the user is typing, not flags of this command.
  static override flags = {};

  async run(): Promise<void> {
    const { complete, formatCompletion, DIRECTIVE } = await import('../completion.js');
    const commands = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id,
        summary: c.summary ?? '',
        takesVmNames: TAKES_VM_NAMES.has(c.id),
        flags: Object.fromEntries(
          Object.entries(c.flags).map(([name, f]) => [
            name,
            {
              type: f.type,
              ...(f.char === undefined ? {} : { char: f.char }),
              ...(f.type === 'option' && f.options !== undefined ? { options: f.options } : {}),
            },
          ]),
        ),
      }));
    const answer = complete(this.argv, commands);
    if (answer.kind === 'candidates') {
      this.out(formatCompletion(answer.candidates));
      return;
    }
    const names = await this.vmNames(answer.connection).catch(() => []);
    this.out(
      formatCompletion(
        [...answer.extra, ...names].filter((n) => n.startsWith(answer.prefix)),
        DIRECTIVE.noFileComp,
      ),
    );
  }

  private async vmNames(connection: Readonly<Record<string, string>>): Promise<string[]> {
    const conn = await this.connect({ ...connection, 'request-timeout': '2s', verbose: false });
    const { listVms } = await import('../../kube/cli-resources.js');
    return (await listVms(conn.client, { namespace: conn.namespace })).items.map((vm) => vm.metadata.name ?? '');
  }
}
