/**
 * The exit codes of `kubectl virt`, stable for scripts (docs/conventions.md §5) and pinned by tests.
 * oclif's own parse errors (unknown flag, missing argument) exit with USAGE too (see main.ts).
 */
export const EXIT_CODES = {
  /** The command did what was asked; with --wait, the state was reached. */
  ok: 0,
  /** The API server refused, the object was not found, no cluster answered, a VM failed, or a wait timed out. */
  failed: 1,
  /** The command line is wrong: unknown flag, missing name, bad value. Nothing was sent. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The text --help and docs/cli.md show under EXIT CODES. */
export const EXIT_CODES_HELP = [
  `${EXIT_CODES.ok}  success (with --wait: the state was reached)`,
  `${EXIT_CODES.failed}  failed: API error, not found, no cluster reachable, VM failed, or timed out waiting`,
  `${EXIT_CODES.usage}  usage error: unknown flag, missing argument or bad value; nothing was sent`,
].join('\n');
