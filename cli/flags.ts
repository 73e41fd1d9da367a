/**
 * kubectl's flags, defined once (STYLE.md §5, krew's plugin best practices): every command takes
 * the connection flags; listing commands add -A, -l and --field-selector; verbs that change state
 * add --wait and --timeout. Names, short forms and defaults are kubectl's.
 */
import { Flags } from '@oclif/core';

const KUBECTL = 'KUBECTL';

/** Which cluster, as whom, where: every command takes these. */
export const connectionFlags = {
  kubeconfig: Flags.string({ description: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).', helpGroup: KUBECTL }),
  context: Flags.string({ description: 'The kubeconfig context to use (default: its current-context).', helpGroup: KUBECTL }),
  namespace: Flags.string({ char: 'n', description: "The namespace (default: the context's namespace, else default).", helpGroup: KUBECTL }),
  'request-timeout': Flags.string({
    description: 'How long to wait for each API answer before giving up (0 = no limit), e.g. 10s.',
    default: '0',
    helpGroup: KUBECTL,
  }),
  verbose: Flags.boolean({ description: 'Show stack traces with errors.', default: false, helpGroup: KUBECTL }),
};

/** -A, -l, --field-selector: which objects a listing or a bulk verb covers. */
export const selectionFlags = {
  'all-namespaces': Flags.boolean({ char: 'A', description: 'Every namespace, not only the current one.', default: false }),
  selector: Flags.string({ char: 'l', description: 'Label selector, e.g. -l app=web,tier!=db.' }),
  'field-selector': Flags.string({ description: 'Field selector, e.g. --field-selector metadata.name=web.' }),
};

/** -l for the verbs that act on several VMs (start, stop, restart, delete). */
export const selectorFlag = {
  selector: Flags.string({ char: 'l', description: 'Act on every VM matching this label selector.' }),
};

export const waitFlags = {
  wait: Flags.boolean({ description: 'Wait until the VM reaches the state (exit 1 on --timeout).', default: false }),
  timeout: Flags.string({ description: 'How long --wait waits, e.g. 90s or 5m.', default: '5m' }),
};
