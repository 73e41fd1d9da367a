/**
 * Shell completion for `kubectl virt`, in cobra's __complete protocol, which kubectl's own
 * completion speaks with plugins (kubectl >= 1.26 runs kubectl_complete-virt): one candidate a
 * line (`value<TAB>description`), then `:<directive>`. Commands, their flags, -o values, and VM
 * names for the verbs that take them. Pure: the command fetches the names when asked to.
 */

/** cobra.ShellCompDirective values. */
export const DIRECTIVE = { noFileComp: 4, noSpace: 2, default: 0 } as const;

export interface CommandInfo {
  readonly id: string;
  readonly summary: string;
  readonly flags: Readonly<
    Record<string, Readonly<{ char?: string; type: 'boolean' | 'option'; options?: readonly string[] }>>
  >;
  /** Whether its arguments are VM names. */
  readonly takesVmNames: boolean;
}

export type Completion =
  | Readonly<{ kind: 'candidates'; candidates: readonly string[] }>
  /** Needs VM names from the cluster; `connection` holds the -n/--context/--kubeconfig typed so far. */
  | Readonly<{
      kind: 'vmNames';
      prefix: string;
      connection: Readonly<Record<string, string>>;
      extra: readonly string[];
    }>;

const CONNECTION_FLAGS: Readonly<Record<string, string>> = {
  '-n': 'namespace',
  '--namespace': 'namespace',
  '--context': 'context',
  '--kubeconfig': 'kubeconfig',
};

function flagNamed(cmd: CommandInfo, word: string): CommandInfo['flags'][string] | undefined {
  if (word.startsWith('--')) return cmd.flags[word.slice(2)];
  return Object.values(cmd.flags).find((f) => f.char !== undefined && `-${f.char}` === word);
}

/** The -n/--context/--kubeconfig values among the words typed so far (both `-n x` and `-n=x`). */
export function connectionFrom(words: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  words.forEach((w, i) => {
    const [flag = '', inline] = w.split('=', 2);
    const key = CONNECTION_FLAGS[flag];
    const value = inline ?? words[i + 1];
    if (key !== undefined && value !== undefined) out[key] = value;
  });
  return out;
}

const withPrefix = (prefix: string, values: readonly string[]): string[] => values.filter((v) => v.startsWith(prefix));

function completeFlags(cmd: CommandInfo, prefix: string): string[] {
  const all = Object.keys(cmd.flags).map((name) => `--${name}`);
  return withPrefix(prefix, all);
}

/** The flag whose value is being typed (`-o <TAB>`), if any. */
function flagAwaitingValue(cmd: CommandInfo, before: readonly string[]): CommandInfo['flags'][string] | undefined {
  const previous = before.at(-1) ?? '';
  if (before.length < 2 || !previous.startsWith('-') || previous.includes('=')) return undefined;
  return flagNamed(cmd, previous);
}

function completeArgs(cmd: CommandInfo, before: readonly string[], typed: string): Completion {
  const valueOf = flagAwaitingValue(cmd, before);
  if (valueOf?.type === 'option') return { kind: 'candidates', candidates: withPrefix(typed, valueOf.options ?? []) };
  if (typed.startsWith('-')) return { kind: 'candidates', candidates: completeFlags(cmd, typed) };
  if (!cmd.takesVmNames) return { kind: 'candidates', candidates: [] };
  // `get` takes a resource word first: offer vm and vmi before names.
  const extra = cmd.id === 'get' && before.length === 1 ? ['vm', 'vmi'] : [];
  return { kind: 'vmNames', prefix: typed, connection: connectionFrom(before), extra };
}

/** What to offer for `words` (everything after `kubectl virt`, the last being the word typed). */
export function complete(words: readonly string[], commands: readonly CommandInfo[]): Completion {
  const typed = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const id = before[0];
  if (id === undefined)
    return {
      kind: 'candidates',
      candidates: withPrefix(
        typed,
        commands.map((c) => `${c.id}\t${c.summary}`),
      ),
    };
  const cmd = commands.find((c) => c.id === id);
  return cmd === undefined ? { kind: 'candidates', candidates: [] } : completeArgs(cmd, before, typed);
}

export function formatCompletion(candidates: readonly string[], directive: number = DIRECTIVE.noFileComp): string {
  return [...candidates, `:${directive}`].join('\n') + '\n';
}
