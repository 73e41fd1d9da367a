/**
 * What start, stop and restart share: names as arguments or -l, --wait and --timeout, one API
 * write per VM, and exit 1 when any VM was refused or did not reach its state in time.
 */
import { Args } from '@oclif/core';
import { connectionFlags, selectorFlag, waitFlags } from './flags.js';
import { KubeCommand, type ConnectionFlagValues, type Connection } from './kube-command.js';
import { UsageError } from './errors.js';
import { EXIT_CODES } from './exit-codes.js';
import type { LifecycleOptions, Verb } from './lifecycle.js';
import { vmNames } from './targets.js';
import { parseDuration } from './duration.js';
import { progressAllowed } from './style.js';

export const lifecycleArgs = {
  names: Args.string({ description: 'VM names (web, vm/web or virtualmachine.tsvirt.io/web)', required: false }),
};
export const lifecycleFlags = { ...connectionFlags, ...selectorFlag, ...waitFlags };

export type LifecycleFlagValues = ConnectionFlagValues &
  Readonly<{ selector?: string | undefined; wait: boolean; timeout: string }>;

/** The named VMs; a usage error when there are none and no -l, or both. */
export function namesOrSelector(verb: string, argv: readonly string[], selector: string | undefined): string[] {
  const names = vmNames(argv);
  if (names.length === 0 && selector === undefined)
    throw new UsageError(`name the VMs to ${verb}, or select them with -l`, `kubectl virt ${verb} web`);
  if (names.length > 0 && selector !== undefined) throw new UsageError('name VMs or select them with -l, not both');
  return names;
}

export abstract class LifecycleCommand extends KubeCommand {
  static override strict = false;

  protected async runVerb(
    verb: Verb,
    argv: readonly string[],
    flags: LifecycleFlagValues,
    extra: Partial<LifecycleOptions> = {},
  ): Promise<void> {
    const names = namesOrSelector(verb, argv, flags.selector);
    const timeoutMs = parseDuration(flags.timeout, 'timeout');
    const conn: Connection = await this.connect(flags);
    const { actOnEach, selectVmNames } = await import('./lifecycle.js');
    const targets =
      flags.selector === undefined ? names : await selectVmNames(conn.client, conn.namespace, flags.selector);
    if (targets.length === 0) this.note(`No VMs match -l ${flags.selector ?? ''} in ${conn.namespace} namespace.`);
    const ok = await actOnEach(conn.client, targets, {
      verb,
      namespace: conn.namespace,
      wait: flags.wait,
      timeoutMs,
      out: (l) => this.out(`${l}\n`),
      err: (l) => this.note(l),
      ...(progressAllowed(process.stderr.isTTY, process.env) ? { progress: (l: string) => this.note(l) } : {}),
      ...extra,
    });
    if (!ok) process.exitCode = EXIT_CODES.failed;
  }
}
