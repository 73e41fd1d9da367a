import { Flags } from '@oclif/core';
import { connectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { CLIENT_VERSION } from '../version-info.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';

export default class Version extends KubeCommand {
  static override summary = "Print the client version and, when the cluster answers, the server's tsvirt version.";
  static override description = `The server version is the app.kubernetes.io/version label of the installed VirtualMachine CRD. When no cluster answers, only the client version is printed and a note goes to stderr (exit 0).\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Both versions', command: '<%= config.bin %> version' },
    { description: 'The client only, without contacting the cluster', command: '<%= config.bin %> version --client' },
  ];
  static override flags = {
    ...connectionFlags,
    client: Flags.boolean({ description: 'Print the client version only; do not contact the cluster.', default: false }),
    output: Flags.option({ char: 'o', options: ['json', 'yaml'] as const, description: 'Output format.' })(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    const server = flags.client ? undefined : await this.serverVersion(flags);
    if (flags.output !== undefined) {
      const { toJson, toYaml } = await import('../printers/objects.js');
      const doc = { clientVersion: { version: CLIENT_VERSION }, ...(server === undefined ? {} : { serverVersion: { version: server } }) };
      this.out(flags.output === 'json' ? toJson(doc) : await toYaml(doc));
      return;
    }
    this.out(`Client Version: ${CLIENT_VERSION}\n`);
    if (server !== undefined) this.out(`Server Version: ${server}\n`);
  }

  private async serverVersion(flags: Parameters<KubeCommand['connect']>[0]): Promise<string | undefined> {
    try {
      const conn = await this.connect(flags);
      const [{ getVmCrd }, { serverVersionFromCrd }] = await Promise.all([import('../../kube/lean-resources.js'), import('../version-info.js')]);
      return serverVersionFromCrd(await getVmCrd(conn.client));
    } catch (err) {
      const { reportError } = await import('../errors.js');
      this.note(`Server Version: not available (${reportError(err, false).lines[0] ?? 'unknown error'})`);
      return undefined;
    }
  }
}
