import { Args, Flags } from '@oclif/core';
import { connectionFlags } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { resourceOf, vmNames } from '../targets.js';

/**
 * What `describe` covers, as kubectl describe reads its arguments: the VMs named (a leading `vm`
 * dropped), or with no names after `vm`/`vms` or with -l, every VM the selector (maybe empty) matches.
 */
export function describeScope(
  args: readonly string[],
  selector: string | undefined,
): Readonly<{ names: readonly string[]; selector?: string }> {
  const typed = resourceOf(args[0] ?? '') !== undefined;
  const names = vmNames(typed ? args.slice(1) : args);
  if (names.length > 0 && selector !== undefined)
    throw new UsageError('name VMs or select them with -l, not both', 'kubectl virt describe vms -l tier=web');
  if (names.length > 0) return { names };
  if (typed || selector !== undefined) return { names: [], selector: selector ?? '' };
  throw new UsageError('name the VM to describe, or describe vms for all of them', 'kubectl virt describe web');
}

export default class Describe extends KubeCommand {
  static override summary =
    'Show a VM in detail: its VMI, launcher Pod, domain, conditions, recent Events, and why it is not running.';
  static override description = `As kubectl describe does, \`describe vms\` (or \`vm\` with no names) describes every VM of the namespace, and -l every VM its selector matches.\n\nWhen the VM is not Running, one line says why: stopped by its run strategy, unschedulable (with the scheduler's message), crash loop (with the launcher's last exit), waiting for the handler on its node (and whether that handler's heartbeat is alive), waiting for the scheduler or the controller.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override strict = false;
  static override args = {
    names: Args.string({
      description: 'VM names (a leading "vm" is accepted, as in kubectl describe vm web)',
      required: false,
    }),
  };
  static override flags = {
    ...connectionFlags,
    selector: Flags.string({ char: 'l', description: 'Describe every VM matching this label selector.' }),
  };
  static override examples = [
    { description: 'Why is web not running?', command: '<%= config.bin %> describe web' },
    { description: 'kubectl style', command: '<%= config.bin %> describe vm web db' },
    { description: 'Every VM of the namespace', command: '<%= config.bin %> describe vms' },
    { description: 'Every VM labelled tier=web', command: '<%= config.bin %> describe vms -l tier=web' },
  ];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Describe);
    const args = argv as string[];
    const scope = describeScope(args, flags.selector);
    const conn = await this.connect(flags);
    let names = scope.names;
    if (scope.selector !== undefined) {
      const { selectVmNames } = await import('../lifecycle.js');
      names = await selectVmNames(conn.client, conn.namespace, scope.selector);
      if (names.length === 0) {
        this.note(`No resources found in ${conn.namespace} namespace.`);
        return;
      }
    }
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
