/**
 * `kubectl virt list` and `kubectl virt get` without oclif. oclif's import and config cost about
 * 60 ms (it loads readline, child_process, worker_threads and its help system), which alone would
 * break the start-up goal (list within 1.5x of `kubectl get vms`). These two commands parse their
 * flags with node:util parseArgs from the same specs as the oclif commands (flag-specs.ts) and run
 * the same code (get-objects.ts). Anything this parser does not accept (--help, --watch, a flag it
 * does not know, a bad -o value) falls through to oclif, which gives the full answer or error.
 */
import type { ParseArgsOptionsConfig } from 'node:util';
import { VM_PLURAL } from '../api/names.js';
import { FLAG_SPECS, GET_FLAG_NAMES, LIST_FLAG_NAMES, type FlagName } from './flag-specs.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output-formats.js';
import { parseGetArgs, type Resource } from './targets.js';
import { mark } from './startup-trace.js';

type Values = Readonly<Record<string, string | boolean | undefined>>;

export interface FastRequest {
  readonly resource: Resource;
  readonly names: readonly string[];
  readonly values: Values;
  readonly output: OutputFormat | undefined;
}

/** parseArgs options for the named flags, from their specs. */
export function parseArgsOptions(names: readonly FlagName[]): ParseArgsOptionsConfig {
  const options: ParseArgsOptionsConfig = {};
  for (const name of names) {
    const spec: { kind: string; char?: string; default?: string | boolean } = FLAG_SPECS[name];
    options[name] = {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      ...(spec.char === undefined ? {} : { short: spec.char }),
      ...(spec.default === undefined ? {} : { default: spec.default }),
    };
  }
  return options;
}

const isOutput = (v: unknown): v is OutputFormat => (OUTPUT_FORMATS as readonly unknown[]).includes(v);

type Parsed = { values: Values; positionals: string[] };

function parseFlags(command: 'list' | 'get', rest: readonly string[]): Parsed | undefined {
  try {
    const options = parseArgsOptions(command === 'list' ? LIST_FLAG_NAMES : GET_FLAG_NAMES);
    // No flag here has multiple: true, so every value is a string or a boolean.
    // getBuiltinModule: an ESM import of node:util would build a facade reading every export.
    return process.getBuiltinModule('node:util').parseArgs({ args: [...rest], options, allowPositionals: true, strict: true }) as Parsed;
  } catch {
    return undefined;
  }
}

/** Whether these flags ask for something only the oclif command does (--watch) or reject (-o table). */
function needsOclif(command: 'list' | 'get', p: Parsed): boolean {
  const output = p.values['output'];
  if (p.values['watch'] === true || (output !== undefined && !isOutput(output))) return true;
  return command === 'list' && p.positionals.length > 0;
}

function targets(p: Parsed): { resource: Resource; names: string[] } | undefined {
  try {
    const t = parseGetArgs(p.positionals);
    // Names together with -l or -A are a usage error; oclif's get command says so.
    return t.names.length > 0 && (p.values['selector'] !== undefined || p.values['all-namespaces'] === true) ? undefined : t;
  } catch {
    return undefined;
  }
}

/** What list or get was asked, or undefined when oclif should handle the command line. */
export function parseFast(argv: readonly string[]): FastRequest | undefined {
  const [command, ...rest] = argv;
  if (command !== 'list' && command !== 'get') return undefined;
  const p = parseFlags(command, rest);
  if (p === undefined || needsOclif(command, p)) return undefined;
  const t = targets(p);
  if (t === undefined) return undefined;
  const output = p.values['output'];
  return { resource: command === 'list' ? VM_PLURAL : t.resource, names: t.names, values: p.values, output: isOutput(output) ? output : undefined };
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** Runs list or get; false when the command line is one for oclif. */
export async function tryFastPath(argv: readonly string[]): Promise<boolean> {
  const req = parseFast(argv);
  if (req === undefined) return false;
  const v = req.values;
  const [{ connect }, { fetchObjects, renderFetched }] = await Promise.all([import('./connection.js'), import('./get-objects.js')]);
  mark('fast path: printers imported');
  let close = (): void => undefined;
  try {
    const conn = await connect({ kubeconfig: str(v['kubeconfig']), context: str(v['context']), namespace: str(v['namespace']), 'request-timeout': str(v['request-timeout']) ?? '0', verbose: v['verbose'] === true });
    close = () => conn.client.close();
    const selector = str(v['selector']);
    const fieldSelector = str(v['field-selector']);
    const list = {
      namespace: conn.namespace,
      allNamespaces: v['all-namespaces'] === true,
      ...(selector === undefined ? {} : { labelSelector: selector }),
      ...(fieldSelector === undefined ? {} : { fieldSelector }),
    };
    const getReq = { resource: req.resource, names: req.names, list, output: req.output };
    const fetched = await fetchObjects(conn.client, getReq);
    mark('fast path: API answered');
    const rendered = await renderFetched(getReq, fetched, Date.now());
    process.stdout.write(rendered.stdout);
    if (rendered.stderr !== '') process.stderr.write(rendered.stderr);
  } catch (err) {
    const { reportError } = await import('./errors.js');
    const report = reportError(err, v['verbose'] === true);
    process.stderr.write(report.lines.join('\n') + '\n');
    process.exitCode = report.exitCode;
  } finally {
    close();
  }
  return true;
}
