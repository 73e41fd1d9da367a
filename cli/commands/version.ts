import { Flags } from '@oclif/core';
import { connectionFlags } from '../flags.js';
import { VERSION_FLAG_SPECS as S } from '../flag-specs.js';
import { KubeCommand } from '../kube-command.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { fetchServerVersion, versionText } from '../version-run.js';

export default class Version extends KubeCommand {
  static override summary = "Print the client version and, when the cluster answers, the server's tsvirt version.";
  static override description = `The server version is the app.kubernetes.io/version label of the installed VirtualMachine CRD. When no cluster answers, only the client version is printed and a note goes to stderr (exit 0).\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Both versions', command: '<%= config.bin %> version' },
    { description: 'The client only, without contacting the cluster', command: '<%= config.bin %> version --client' },
  ];
  static override flags = {
    ...connectionFlags,
    client: Flags.boolean(S.client),
    output: Flags.option(S.output)(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    const server = flags.client ? {} : await fetchServerVersion(() => this.connect(flags));
    if (server.note !== undefined) this.note(server.note);
    this.out(await versionText(server.version, flags.output));
  }
}
