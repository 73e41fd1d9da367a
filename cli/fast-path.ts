/**
 * `kubectl virt list`, `get` and `version` without oclif. oclif's import and config cost about
 * 60 ms (it loads readline, child_process, worker_threads and its help system), which alone would
 * break the start-up goal (list within 1.5x of `kubectl get vms`). These commands parse their
 * flags with node:util parseArgs from the same specs as the oclif commands (flag-specs.ts) and run
 * the same code (fetch-objects.ts, get-objects.ts, version-run.ts). Anything this parser does not
 * accept (--help, --watch, a flag it does not know, a bad -o value) falls through to oclif, which
 * gives the full answer or the usage error.
 */
import type { ParseArgsOptionsConfig } from 'node:util';
import { VM_PLURAL } from '../api/names.js';
import {
  CONNECTION_FLAG_NAMES,
  FLAG_SPECS,
  GET_FLAG_NAMES,
  LIST_FLAG_NAMES,
  VERSION_FLAG_SPECS,
} from './flag-specs.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output-formats.js';
import { parseGetArgs, type Resource } from './targets.js';
import type { ConnectionFlagValues } from './connection.js';
import { mark } from './startup-trace.js';

type Values = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;
type Spec = Readonly<{ kind: string; char?: string; default?: string | boolean; multiple?: boolean }>;

export type FastRequest =
  | Readonly<{
      command: 'get';
      resource: Resource;
      names: readonly string[];
      values: Values;
      output: OutputFormat | undefined;
    }>
  | Readonly<{ command: 'version'; values: Values; output: 'json' | 'yaml' | undefined }>;

/** parseArgs options from flag specs. */
export function parseArgsOptions(specs: Readonly<Record<string, Spec>>): ParseArgsOptionsConfig {
  const options: ParseArgsOptionsConfig = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      ...(spec.char === undefined ? {} : { short: spec.char }),
      ...(spec.multiple === true ? { multiple: true } : {}),
      ...(spec.default === undefined ? {} : { default: spec.default }),
    };
  }
  return options;
}

const pick = (names: readonly (keyof typeof FLAG_SPECS)[]): Record<string, Spec> =>
  Object.fromEntries(names.map((n) => [n, FLAG_SPECS[n]]));

const SPECS: Readonly<Record<'list' | 'get' | 'version', Record<string, Spec>>> = {
  list: pick(LIST_FLAG_NAMES),
  get: pick(GET_FLAG_NAMES),
  version: { ...pick(CONNECTION_FLAG_NAMES), ...VERSION_FLAG_SPECS },
};

type Parsed = { values: Values; positionals: string[] };

function parseFlags(command: keyof typeof SPECS, rest: readonly string[]): Parsed | undefined {
  // `--` is oclif's to refuse (kube-command.ts), with the usage message.
  if (rest.includes('--')) return undefined;
  try {
    // getBuiltinModule: an ESM import of node:util would build a facade reading every export.
    // Every value is a string or a boolean, but --as-group (multiple) gives a string array.
    return process.getBuiltinModule('node:util').parseArgs({
      args: [...rest],
      options: parseArgsOptions(SPECS[command]),
      allowPositionals: true,
      strict: true,
    }) as Parsed;
  } catch {
    return undefined;
  }
}

const isOutput = (v: unknown): v is OutputFormat => (OUTPUT_FORMATS as readonly unknown[]).includes(v);
const isCommand = (c: string | undefined): c is keyof typeof SPECS => c === 'list' || c === 'get' || c === 'version';

function parseVersion(p: Parsed): FastRequest | undefined {
  const output = p.values['output'];
  if (p.positionals.length > 0 || (output !== undefined && output !== 'json' && output !== 'yaml')) return undefined;
  return { command: 'version', values: p.values, output };
}

/** --watch, a bad -o, or names given to list: the oclif command answers (or says what is wrong). */
function forOclif(command: 'list' | 'get', p: Parsed): boolean {
  const output = p.values['output'];
  if (p.values['watch'] === true || (output !== undefined && !isOutput(output))) return true;
  return command === 'list' && p.positionals.length > 0;
}

function parseGet(command: 'list' | 'get', p: Parsed): FastRequest | undefined {
  if (forOclif(command, p)) return undefined;
  const output = p.values['output'];
  try {
    const t = parseGetArgs(p.positionals);
    // Names together with -l or -A are a usage error; oclif's get command says so.
    if (t.names.length > 0 && (p.values['selector'] !== undefined || p.values['all-namespaces'] === true))
      return undefined;
    return {
      command: 'get',
      resource: command === 'list' ? VM_PLURAL : t.resource,
      names: t.names,
      values: p.values,
      output: isOutput(output) ? output : undefined,
    };
  } catch {
    return undefined;
  }
}

/** What was asked, or undefined when oclif should handle the command line. */
export function parseFast(argv: readonly string[]): FastRequest | undefined {
  const [command, ...rest] = argv;
  if (!isCommand(command)) return undefined;
  const p = parseFlags(command, rest);
  if (p === undefined) return undefined;
  return command === 'version' ? parseVersion(p) : parseGet(command, p);
}

const str = (v: Values[string]): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: Values[string]): readonly string[] | undefined => (Array.isArray(v) ? v : undefined);

function connectionValues(v: Values): ConnectionFlagValues {
  return {
    kubeconfig: str(v['kubeconfig']),
    context: str(v['context']),
    namespace: str(v['namespace']),
    'request-timeout': str(v['request-timeout']) ?? '0',
    as: str(v['as']),
    'as-group': strs(v['as-group']),
    verbose: v['verbose'] === true,
  };
}

async function runGet(req: Extract<FastRequest, { command: 'get' }>, onClose: (f: () => void) => void): Promise<void> {
  const { connect } = await import('./connection.js');
  const conn = await connect(connectionValues(req.values));
  onClose(() => conn.client.close());
  const { listOptionsFrom } = await import('./list-options.js');
  const list = listOptionsFrom(conn.namespace, {
    'all-namespaces': req.values['all-namespaces'] === true,
    selector: str(req.values['selector']),
    'field-selector': str(req.values['field-selector']),
  });
  const getReq = { resource: req.resource, names: req.names, list, output: req.output };
  const { fetchObjects } = await import('./fetch-objects.js');
  // The request goes out first; the printers load while the API server answers.
  const fetching = fetchObjects(conn.client, getReq);
  // Marked handled now; the await below still sees the failure.
  fetching.catch(() => undefined);
  const { renderFetched } = await import('./get-objects.js');
  mark('fast path: printers imported');
  const fetched = await fetching;
  mark('fast path: API answered');
  const rendered = await renderFetched(getReq, fetched, Date.now());
  process.stdout.write(rendered.stdout);
  if (rendered.stderr !== '') process.stderr.write(rendered.stderr);
}

async function runVersion(
  req: Extract<FastRequest, { command: 'version' }>,
  onClose: (f: () => void) => void,
): Promise<void> {
  const { fetchServerVersion, versionText } = await import('./version-run.js');
  const server =
    req.values['client'] === true
      ? {}
      : await fetchServerVersion(async () => {
          const { connect } = await import('./connection.js');
          const conn = await connect(connectionValues(req.values));
          onClose(() => conn.client.close());
          return conn;
        });
  if (server.note !== undefined) process.stderr.write(`${server.note}\n`);
  process.stdout.write(await versionText(server.version, req.output));
}

/** Runs list, get or version; false when the command line is one for oclif. */
export async function tryFastPath(argv: readonly string[]): Promise<boolean> {
  const req = parseFast(argv);
  if (req === undefined) return false;
  let close = (): void => undefined;
  const onClose = (f: () => void): void => {
    close = f;
  };
  try {
    await (req.command === 'version' ? runVersion(req, onClose) : runGet(req, onClose));
  } catch (err) {
    const { reportError } = await import('./errors.js');
    const report = reportError(err, req.values['verbose'] === true);
    process.stderr.write(report.lines.join('\n') + '\n');
    process.exitCode = report.exitCode;
  } finally {
    close();
  }
  return true;
}
