/**
 * The command line of tsvirt's services (virt-controller, virt-handler, virt-api, the node agent):
 * node:util's parseArgs, strict, with a help line per flag so `--help` and every error come from
 * one table. Pure: parsing throws {@link FlagError} (exit 2) or {@link HelpRequested} (exit 0), and
 * kube/manager.ts's {@link parseFlagsOrExit} turns those into output and an exit code.
 */
import { parseArgs } from 'node:util';

/** A bad command line. The message names the flag and what it takes. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** `--help` or `-h` was given; `usage` is the text to print. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
  constructor(readonly usage: string) {
    super('help requested');
  }
}

/** One flag: its help line, its value's placeholder, a default, and whether it repeats. */
export type FlagSpec = Readonly<{
  help: string;
  /** The value's placeholder in the usage (`PORT`, `FILE`); flags of `boolean` take true/false. */
  value?: string;
  default?: string;
  multiple?: boolean;
  /** May stand alone (`--leader-elect` means `--leader-elect=true`). */
  boolean?: boolean;
}>;

/** A service's flags by name (without the dashes), in the order --help lists them. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** What a service is, for its --help. */
export type ServiceUsage = Readonly<{ command: string; summary: string }>;

/** The flags every service that talks to the API server takes. */
export const COMMON_FLAGS = {
  kubeconfig: { help: 'kubeconfig file (in a Pod: the service account)', value: 'FILE' },
  'log-level': { help: 'pino level: trace, debug, info, warn, error', value: 'LEVEL' },
} as const satisfies FlagSpecs;

type Values = Record<string, string | string[] | undefined>;

function flagLine(name: string, spec: FlagSpec): string {
  const value = spec.boolean === true ? '[=true|false]' : ` ${spec.value ?? 'VALUE'}`;
  const extra = [
    spec.multiple === true ? 'repeatable' : undefined,
    spec.default === undefined || spec.default === '' ? undefined : `default ${spec.default}`,
  ].filter((x) => x !== undefined);
  const tail = extra.length === 0 ? '' : ` (${extra.join(', ')})`;
  return `  --${name}${value}\n      ${spec.help}${tail}`;
}

/** The --help text: what the service is, then every flag with its help line. Pure. */
export function usageText(usage: ServiceUsage, specs: FlagSpecs): string {
  const lines = Object.entries(specs).map(([name, spec]) => flagLine(name, spec));
  return `Usage: ${usage.command} [flags]\n${usage.summary}\n\nFlags:\n${lines.join('\n')}\n  --help\n      this text\n`;
}

function normalise(argv: readonly string[], specs: FlagSpecs): string[] {
  return argv.map((a) => (a.startsWith('--') && specs[a.slice(2)]?.boolean === true ? `${a}=true` : a));
}

/**
 * Parses argv (without node and script) against `specs`. Unknown flags, missing values and stray
 * words are {@link FlagError}s; `--help` anywhere is {@link HelpRequested}. Values stay strings
 * (arrays for `multiple`); the readers below narrow them.
 */
export function parseFlags(argv: readonly string[], specs: FlagSpecs, usage: ServiceUsage): Values {
  if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequested(usageText(usage, specs));
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [
      name,
      {
        type: 'string' as const,
        ...(s.multiple === true ? { multiple: true, default: s.default === undefined ? [] : [s.default] } : {}),
        ...(s.multiple !== true && s.default !== undefined ? { default: s.default } : {}),
      },
    ]),
  );
  try {
    return parseArgs({ args: normalise(argv, specs), options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new FlagError(`${e instanceof Error ? e.message : String(e)} (see --help)`);
  }
}

/** The one value of a single flag, or undefined. */
export function single(values: Values, name: string): string | undefined {
  const v = values[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** Every value of a repeated flag. */
export function repeated(values: Values, name: string): readonly string[] {
  const v = values[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** A value that must be there. */
export function required(value: string | undefined, flag: string, fix = ''): string {
  if (value === undefined || value === '') throw new FlagError(`${flag} is required${fix}`);
  return value;
}

/** A TCP port; 0 lets the kernel pick a free one. */
export function portFlag(value: string, flag: string): number {
  const n = Number(value);
  if (value === '' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new FlagError(`${flag} must be a port number (0 picks a free one), not "${value}"`);
  return n;
}

/** A whole number of at least `min`. */
export function wholeFlag(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (value === '' || !Number.isInteger(n) || n < min)
    throw new FlagError(`${flag} must be a whole number of at least ${min}, not "${value}"`);
  return n;
}

/** true or false. */
export function boolFlag(value: string, flag: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new FlagError(`${flag} must be true or false, not "${value}"`);
}

/** One of a fixed set of words. */
export function choiceFlag<T extends string>(value: string, flag: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value))
    throw new FlagError(`${flag} must be one of ${choices.join(', ')}, not "${value}"`);
  return value as T;
}
