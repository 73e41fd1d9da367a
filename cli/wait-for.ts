/**
 * `--for` of `kubectl virt wait`, as kubectl wait reads it: `condition=Ready[=false]`,
 * `jsonpath='{.status.printableStatus}'=Running` (or without a value: the field exists), and
 * `delete`. The JSONPath subset is fields, indexes and `[?(@.key=="value")]` filters, enough for
 * status fields and conditions. A condition older than the spec (observedGeneration below
 * generation) is not believed, as docs/conventions.md §2's status contract says.
 */
import { UsageError } from './errors.js';

export type PathStep = Readonly<
  { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'filter'; key: string; value: string }
>;

export type WaitFor =
  | Readonly<{ kind: 'condition'; type: string; status: string }>
  | Readonly<{ kind: 'jsonpath'; expression: string; path: readonly PathStep[]; value?: string }>
  | Readonly<{ kind: 'delete' }>;

export interface Evaluation {
  readonly met: boolean;
  /** What was seen, for the timeout message: `Ready=False`, `.status.printableStatus=Starting`. */
  readonly seen: string;
}

const STEP = /^(?:\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_-]+)\s*==\s*["']([^"']*)["']\)\])/;

export function parseJsonPath(expression: string): PathStep[] {
  const inner = expression.trim().replace(/^\{/, '').replace(/\}$/, '');
  const steps: PathStep[] = [];
  for (let rest = inner; rest !== '';) {
    const m = STEP.exec(rest);
    if (m === null)
      throw new UsageError(
        `unsupported JSONPath "${expression}" at "${rest}"`,
        'Use fields, [N] and [?(@.key=="value")], e.g. {.status.printableStatus}',
      );
    if (m[1] !== undefined) steps.push({ kind: 'field', name: m[1] });
    else if (m[2] !== undefined) steps.push({ kind: 'index', index: Number(m[2]) });
    else steps.push({ kind: 'filter', key: m[3] ?? '', value: m[4] ?? '' });
    rest = rest.slice(m[0].length);
  }
  return steps;
}

function parseJsonPathFor(spec: string): WaitFor {
  const body = spec.slice('jsonpath='.length);
  const close = body.lastIndexOf('}');
  if (!body.startsWith('{') || close < 0)
    throw new UsageError(
      `--for=${spec}: the JSONPath must be in braces`,
      "e.g. --for=jsonpath='{.status.printableStatus}'=Running",
    );
  const expression = body.slice(0, close + 1);
  const tail = body.slice(close + 1);
  const path = parseJsonPath(expression);
  if (tail === '') return { kind: 'jsonpath', expression, path };
  if (!tail.startsWith('=')) throw new UsageError(`--for=${spec}: expected "=" after the JSONPath`);
  return { kind: 'jsonpath', expression, path, value: tail.slice(1) };
}

export function parseWaitFor(spec: string): WaitFor {
  if (spec === 'delete') return { kind: 'delete' };
  if (spec.startsWith('jsonpath=')) return parseJsonPathFor(spec);
  if (spec.startsWith('condition=')) {
    const [type = '', status = 'True'] = spec.slice('condition='.length).split('=');
    if (type === '') throw new UsageError(`--for=${spec}: name a condition, e.g. condition=Ready`);
    return { kind: 'condition', type, status };
  }
  throw new UsageError(
    `unrecognized --for "${spec}"`,
    "use condition=Ready, jsonpath='{.status.printableStatus}'=Running or delete",
  );
}

type Rec = Readonly<Record<string, unknown>>;
const isRec = (u: unknown): u is Rec => typeof u === 'object' && u !== null && !Array.isArray(u);

function step(u: unknown, s: PathStep): unknown {
  switch (s.kind) {
    case 'field':
      return isRec(u) ? u[s.name] : undefined;
    case 'index':
      return Array.isArray(u) ? (u as unknown[])[s.index] : undefined;
    case 'filter':
      return Array.isArray(u) ? (u as unknown[]).find((e) => isRec(e) && String(e[s.key]) === s.value) : undefined;
    default:
      return s satisfies never;
  }
}

export function readPath(u: unknown, path: readonly PathStep[]): unknown {
  return path.reduce<unknown>(step, u);
}

const show = (u: unknown): string => (typeof u === 'string' ? u : (JSON.stringify(u) ?? '<none>'));

/** Whether the object's status describes its current spec. */
export function statusIsCurrent(o: unknown): boolean {
  if (!isRec(o) || !isRec(o['metadata']) || !isRec(o['status'])) return true;
  const generation = o['metadata']['generation'];
  const observed = o['status']['observedGeneration'];
  return typeof generation !== 'number' || typeof observed !== 'number' || observed >= generation;
}

function conditionOf(o: unknown, type: string): Rec | undefined {
  const list = readPath(o, [
    { kind: 'field', name: 'status' },
    { kind: 'field', name: 'conditions' },
  ]);
  return Array.isArray(list) ? (list as unknown[]).filter(isRec).find((c) => c['type'] === type) : undefined;
}

function evaluateCondition(w: Readonly<{ type: string; status: string }>, o: unknown): Evaluation {
  const c = conditionOf(o, w.type);
  const status = typeof c?.['status'] === 'string' ? c['status'] : 'absent';
  return { met: statusIsCurrent(o) && status.toLowerCase() === w.status.toLowerCase(), seen: `${w.type}=${status}` };
}

function evaluateJsonPath(
  w: Readonly<{ expression: string; path: readonly PathStep[]; value?: string }>,
  o: unknown,
): Evaluation {
  const v = readPath(o, w.path);
  const met = w.value === undefined ? v !== undefined : v !== undefined && show(v) === w.value;
  return { met, seen: `${w.expression}=${v === undefined ? '<none>' : show(v)}` };
}

/** Evaluates a wait against the object, `undefined` when it does not exist. */
export function evaluate(w: WaitFor, o: unknown): Evaluation {
  if (w.kind === 'delete') return { met: o === undefined, seen: o === undefined ? 'deleted' : 'still exists' };
  if (o === undefined) return { met: false, seen: 'not found' };
  return w.kind === 'condition' ? evaluateCondition(w, o) : evaluateJsonPath(w, o);
}
