/** What pause, unpause and soft-reboot share: VM names as arguments, one PUT each (vmi-verbs.ts). */
import { Args } from '@oclif/core';
import type { VmiVerb } from '../api/subresources.js';
import { UsageError } from './errors.js';
import { EXIT_CODES } from './exit-codes.js';
import { connectionFlags } from './flags.js';
import { KubeCommand, type ConnectionFlagValues } from './kube-command.js';
import { vmNames } from './targets.js';

export const vmiVerbArgs = {
  names: Args.string({ description: 'VM (or VMI) names', required: false }),
};
export const vmiVerbFlags = { ...connectionFlags };

export abstract class VmiVerbCommand extends KubeCommand {
  static override strict = false;

  protected async runVmiVerb(
    verb: VmiVerb,
    command: string,
    argv: readonly string[],
    flags: ConnectionFlagValues,
  ): Promise<void> {
    const names = vmNames(argv);
    if (names.length === 0) throw new UsageError(`name the VMs to ${command}`, `kubectl virt ${command} web`);
    const conn = await this.connect(flags);
    const { runVmiVerb } = await import('./vmi-verbs.js');
    const ok = await runVmiVerb(conn.client, conn.namespace, names, {
      verb,
      out: (l) => this.out(`${l}\n`),
      err: (l) => this.note(l),
    });
    if (!ok) process.exitCode = EXIT_CODES.failed;
  }
}
