import { Args } from '@oclif/core';
import { connectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { resourceOf, vmNames } from '../targets.js';

export default class Describe extends KubeCommand {
  static override summary =
    'Show a VM in detail: its VMI, launcher Pod, domain, conditions, recent Events, and why it is not running.';
  static override description = `When the VM is not Running, one line says why: stopped by its run strategy, unschedulable (with the scheduler's message), crash loop (with the launcher's last exit), waiting for the handler on its node (and whether that handler's heartbeat is alive), waiting for the scheduler or the controller.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override strict = false;
  static override args = {
    names: Args.string({
      description: 'VM names (a leading "vm" is accepted, as in kubectl describe vm web)',
      required: false,
    }),
  };
  static override flags = { ...connectionFlags };
  static override examples = [
    { description: 'Why is web not running?', command: '<%= config.bin %> describe web' },
    { description: 'kubectl style', command: '<%= config.bin %> describe vm web db' },
  ];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Describe);
    const args = argv as string[];
    // `describe vm web` as kubectl describe takes it: drop the leading resource word.
    const names = vmNames(args.length > 1 && resourceOf(args[0] ?? '') !== undefined ? args.slice(1) : args);
    if (names.length === 0) throw new UsageError('name the VM to describe', 'kubectl virt describe web');
    const conn = await this.connect(flags);
    const [{ fetchDescribe }, { describeVm }] = await Promise.all([
      import('../describe/fetch.js'),
      import('../describe/render.js'),
    ]);
    const texts = await Promise.all(
      names.map(async (n) => describeVm(await fetchDescribe(conn.client, conn.namespace, n, Date.now))),
    );
    this.out(texts.join('\n\n'));
  }
}
