/**
 * Errors as a user reads them (docs/conventions.md §3): what went wrong in kubectl's words, one
 * `field: problem` line per cause the API server named, a hint where one helps, and no stack
 * unless --verbose. Each maps to an exit code from exit-codes.ts.
 */
import { toApiError, type ApiError } from '../kube/errors.js';
import { KubeConfigError } from '../kube/kubeconfig-error.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';

/** The command line is wrong; nothing was sent. Exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** The command could not do what was asked (refused, timed out, VM failed). Exit 1. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

export interface Report {
  readonly lines: readonly string[];
  readonly exitCode: ExitCode;
}

/** kubectl's `Error from server (Reason): message`, with causes one per line for Invalid. */
export function apiErrorLines(e: ApiError): string[] {
  if (e.code === 0) {
    return [
      `error: no cluster reachable: ${e.message}`,
      'hint: is the cluster running? Check --kubeconfig, --context and KUBECONFIG',
    ];
  }
  if (e.code === 422 && e.causes.length > 0) {
    return [`error: ${invalidHead(e)}:`, ...e.causes.map(causeLine)];
  }
  // With fieldValidation=Strict the API server refuses an unknown field as a 400 without causes.
  const unknown = /strict decoding error: (unknown field "([^"]+)".*)$/.exec(e.message);
  if (e.code === 400 && unknown !== null)
    return [`error: ${e.message.split(': ')[0] ?? e.message}:`, `  ${unknown[2]}: ${unknown[1]}`];
  return [`Error from server (${e.reason}): ${e.message}`];
}

/** The prefix the API server puts before a ValidatingAdmissionPolicy's message (api/host-path-policy.ts). */
const POLICY_DENIAL = /^ValidatingAdmissionPolicy '[^']*' with binding '[^']*' denied request: /;

/** `<resource> "name" is invalid`; a policy's denial says "is forbidden", which reads like RBAC: name the policy. */
function invalidHead(e: ApiError): string {
  const head = e.message.split(': ')[0] ?? e.message;
  const policy = /^ValidatingAdmissionPolicy '([^']*)'/.exec(e.causes[0]?.message ?? '')?.[1];
  return policy === undefined ? head : `${head.replace(/ is forbidden$/, ' is invalid')} (admission policy ${policy})`;
}

/** One `  field: problem` line; a policy's message names its field first (`spec.x: problem`). */
function causeLine(c: ApiError['causes'][number]): string {
  const message = c.message.replace(POLICY_DENIAL, '');
  const named = message === c.message ? null : /^((?:metadata|spec)[\w.[\]]*): (.*)$/s.exec(message);
  return named === null ? `  ${causeField(c)}: ${c.message}` : `  ${named[1]}: ${named[2]}`;
}

/**
 * A rule on the whole object (the name rule: CEL cannot point into metadata) comes with no field,
 * or `<nil>`; the field its message starts with stands in, so every cause is one `field: problem` line.
 */
function causeField(c: ApiError['causes'][number]): string {
  if (c.field !== '' && c.field !== '<nil>') return c.field;
  const named = /^(?:Invalid value: )?(?:(?:"[^"]*"|\S+): )?((?:metadata|spec)(?:\.[\w[\]]+)+) /.exec(c.message);
  return named?.[1] ?? '(object)';
}

function isApiShaped(err: unknown): boolean {
  const r = err as Readonly<Record<string, unknown>> | null;
  return typeof r === 'object' && r !== null && (r['name'] === 'KubeApiError' || ('body' in r && 'headers' in r));
}

function withStack(lines: string[], err: unknown, verbose: boolean): string[] {
  return verbose && err instanceof Error && err.stack !== undefined ? [...lines, err.stack] : lines;
}

/** What to print on stderr and the exit code, for anything a command threw. */
export function reportError(err: unknown, verbose: boolean): Report {
  if (err instanceof UsageError) {
    const lines = [`error: ${err.message}`, ...(err.fix === undefined ? [] : [`hint: ${err.fix}`])];
    return { lines: withStack(lines, err, verbose), exitCode: EXIT_CODES.usage };
  }
  if (err instanceof CommandFailure || err instanceof KubeConfigError) {
    const fix = err.fix !== undefined ? [`hint: ${err.fix}`] : [];
    return { lines: withStack([`error: ${err.message}`, ...fix], err, verbose), exitCode: EXIT_CODES.failed };
  }
  if (isApiShaped(err))
    return { lines: withStack(apiErrorLines(toApiError(err)), err, verbose), exitCode: EXIT_CODES.failed };
  const message = err instanceof Error ? err.message : String(err);
  return { lines: withStack([`error: ${message}`], err, verbose), exitCode: EXIT_CODES.failed };
}
