/**
 * kubectl's flags for oclif, built from the plain specs in flag-specs.ts (docs/conventions.md §5, krew's
 * plugin best practices): every command takes the connection flags; listing commands add -A, -l
 * and --field-selector; verbs that change state add --wait and --timeout.
 */
import { Flags } from '@oclif/core';
import { FLAG_SPECS as S } from './flag-specs.js';

/** Which cluster, as whom, where: every command takes these. */
export const connectionFlags = {
  kubeconfig: Flags.string(S.kubeconfig),
  context: Flags.string(S.context),
  namespace: Flags.string(S.namespace),
  'request-timeout': Flags.string(S['request-timeout']),
  as: Flags.string(S.as),
  'as-group': Flags.string(S['as-group']),
  verbose: Flags.boolean(S.verbose),
};

/** -A, -l, --field-selector: which objects a listing covers. */
export const selectionFlags = {
  'all-namespaces': Flags.boolean(S['all-namespaces']),
  selector: Flags.string(S.selector),
  'field-selector': Flags.string(S['field-selector']),
};

/** get and list's -o. */
export const outputFlag = { output: Flags.option(S.output)() };

/** get's -w. */
export const watchFlag = { watch: Flags.boolean(S.watch) };

/** -l for the verbs that act on several VMs (start, stop, restart, delete). */
export const selectorFlag = {
  selector: Flags.string({ char: 'l', description: 'Act on every VM matching this label selector.' }),
};

export const waitFlags = {
  wait: Flags.boolean({ description: 'Wait until the VM reaches the state (exit 1 on --timeout).', default: false }),
  timeout: Flags.string({ description: 'How long --wait waits, e.g. 90s or 5m.', default: '5m' }),
};
