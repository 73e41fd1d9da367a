/**
 * kubectl's flags as plain data, written once: cli/flags.ts turns them into oclif flags for the
 * commands, and cli/fast-path.ts into node:util parseArgs options for `list` and `get`, which
 * answer without loading oclif (start-up, see docs/cli.md). Imports nothing, so it costs nothing.
 */
import { OUTPUT_FORMATS } from './output-formats.js';

const KUBECTL = 'KUBECTL';

export const FLAG_SPECS = {
  kubeconfig: {
    kind: 'string',
    description: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).',
    helpGroup: KUBECTL,
  },
  context: {
    kind: 'string',
    description: 'The kubeconfig context to use (default: its current-context).',
    helpGroup: KUBECTL,
  },
  namespace: {
    kind: 'string',
    char: 'n',
    description: "The namespace (default: the context's namespace, else default).",
    helpGroup: KUBECTL,
  },
  'request-timeout': {
    kind: 'string',
    description: 'How long to wait for each API answer before giving up (0 = no limit), e.g. 10s.',
    default: '0',
    helpGroup: KUBECTL,
  },
  as: {
    kind: 'string',
    description: 'Username to impersonate for the operation (Impersonate-User), as kubectl --as.',
    helpGroup: KUBECTL,
  },
  'as-group': {
    kind: 'string',
    multiple: true,
    description: 'Group to impersonate for the operation (Impersonate-Group); repeat for several groups.',
    helpGroup: KUBECTL,
  },
  verbose: { kind: 'boolean', description: 'Show stack traces with errors.', default: false, helpGroup: KUBECTL },
  'all-namespaces': {
    kind: 'boolean',
    char: 'A',
    description: 'Every namespace, not only the current one.',
    default: false,
  },
  selector: { kind: 'string', char: 'l', description: 'Label selector, e.g. -l app=web,tier!=db.' },
  'field-selector': { kind: 'string', description: 'Field selector, e.g. --field-selector metadata.name=web.' },
  output: { kind: 'option', char: 'o', options: OUTPUT_FORMATS, description: 'Output format.' },
  watch: {
    kind: 'boolean',
    char: 'w',
    description: 'After listing, print a line for each change (like kubectl get -w).',
    default: false,
  },
} as const;

export type FlagName = keyof typeof FLAG_SPECS;

/** `version`'s own flags; its -o takes json and yaml only. */
export const VERSION_FLAG_SPECS = {
  client: {
    kind: 'boolean',
    description: 'Print the client version only; do not contact the cluster.',
    default: false,
  },
  output: { kind: 'option', char: 'o', options: ['json', 'yaml'], description: 'Output format.' },
} as const;

export const CONNECTION_FLAG_NAMES = [
  'kubeconfig',
  'context',
  'namespace',
  'request-timeout',
  'as',
  'as-group',
  'verbose',
] as const satisfies readonly FlagName[];

/** The flags of `list`; `get` adds --watch. */
export const LIST_FLAG_NAMES = [
  ...CONNECTION_FLAG_NAMES,
  'all-namespaces',
  'selector',
  'field-selector',
  'output',
] as const satisfies readonly FlagName[];
export const GET_FLAG_NAMES = [...LIST_FLAG_NAMES, 'watch'] as const satisfies readonly FlagName[];
