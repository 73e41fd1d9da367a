import { Args, Flags } from '@oclif/core';
import { connectionFlags, selectorFlag } from '../flags.js';
import { KubeCommand } from '../kube-command.js';
import { EXIT_CODES, EXIT_CODES_HELP } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { parseDuration } from '../duration.js';
import { parseWaitFor } from '../wait-for.js';
import { parseTarget, type Target } from '../targets.js';
import { VM_PLURAL } from '../../api/names.js';

export default class Wait extends KubeCommand {
  static override summary = 'Wait until VMs (or vmi/NAME) meet a condition, a JSONPath value, or are deleted.';
  static override description = `As kubectl wait: --for=condition=Ready, --for=jsonpath='{.status.printableStatus}'=Running, or --for=delete. Follows a watch, no polling; a condition from a status older than the spec does not count. Prints "<name> condition met" per object; on --timeout prints what was last seen and exits 1.\n\nEXIT CODES\n${EXIT_CODES_HELP}`;
  static override strict = false;
  static override args = {
    names: Args.string({ description: 'VM names, or vmi/NAME for an instance', required: false }),
  };
  static override flags = {
    ...connectionFlags,
    ...selectorFlag,
    for: Flags.string({ description: "condition=NAME[=value], jsonpath='{...}'[=value] or delete.", required: true }),
    timeout: Flags.string({ description: 'How long to wait, e.g. 30s or 5m.', default: '30s' }),
  };
  static override examples = [
    {
      description: 'Wait until web is Ready',
      command: '<%= config.bin %> wait web --for=condition=Ready --timeout=2m',
    },
    {
      description: 'Wait for a status value',
      command: "<%= config.bin %> wait vm/web --for=jsonpath='{.status.printableStatus}'=Running",
    },
    { description: 'Wait until web is gone', command: '<%= config.bin %> wait web --for=delete' },
  ];

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Wait);
    const forSpec = parseWaitFor(flags.for);
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    if ((argv.length === 0) === (flags.selector === undefined))
      throw new UsageError('name the objects to wait for, or select VMs with -l (not both)');
    const targets: Target[] = (argv as string[]).map((a) => parseTarget(a, VM_PLURAL));
    const conn = await this.connect(flags);
    const { waitForEach } = await import('../wait-objects.js');
    const ok = await waitForEach(
      conn.client,
      { namespace: conn.namespace, targets, selector: flags.selector, forSpec, timeoutMs },
      (l) => this.out(`${l}\n`),
      (l) => this.note(l),
    );
    if (!ok) process.exitCode = EXIT_CODES.failed;
  }
}
