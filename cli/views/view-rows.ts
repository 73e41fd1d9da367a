/**
 * The rows of `kubectl virt view`: NAME, NAMESPACE (with -A), STATUS, READY, NODE, IP, AGE, CPU,
 * MEMORY, taken from the list printer's wide row (printers/vm-rows.ts) so both agree cell for
 * cell; then filtered, sorted and cut to the window the terminal has room for. Pure.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import { keyOf, type LiveState } from '../live/state.js';
import { byteOrder, formatTable, type Row } from '../printers/table.js';
import { vmHeaders, vmRow, type RowOptions } from '../printers/vm-rows.js';

export const SORT_KEYS = ['name', 'status', 'age', 'node'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ViewRow {
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  readonly status: string;
  readonly node: string;
  readonly created: number;
  readonly cells: Row;
}

export interface RowScope {
  readonly allNamespaces: boolean;
  readonly now: number;
}

const COLUMNS = ['NAME', 'NAMESPACE', 'STATUS', 'READY', 'NODE', 'IP', 'AGE', 'CPU', 'MEMORY'] as const;

/** The view's headers: NAMESPACE only with -A. */
export function viewHeaders(scope: Pick<RowScope, 'allNamespaces'>): Row {
  return COLUMNS.filter((c) => c !== 'NAMESPACE' || scope.allNamespaces);
}

/** Column index of STATUS, whose cell is coloured. */
export const statusColumn = (scope: Pick<RowScope, 'allNamespaces'>): number => (scope.allNamespaces ? 2 : 1);

function pick(headers: Row, cells: Row, want: Row): Row {
  return want.map((h) => cells[headers.indexOf(h)] ?? '');
}

export function viewRow(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, scope: RowScope): ViewRow {
  const opts: RowOptions = { wide: true, allNamespaces: scope.allNamespaces, now: scope.now };
  const cells = pick(vmHeaders(opts), vmRow(vm, vmi, opts), viewHeaders(scope));
  const node = cells[viewHeaders(scope).indexOf('NODE')] ?? '';
  return {
    key: keyOf(vm),
    name: vm.metadata.name ?? '',
    namespace: vm.metadata.namespace ?? '',
    status: vm.status?.printableStatus ?? '',
    node,
    created: Date.parse(vm.metadata.creationTimestamp ?? '') || 0,
    cells,
  };
}

const byName = (a: ViewRow, b: ViewRow): number => byteOrder(a.key, b.key);

const ORDER: Readonly<Record<SortKey, (a: ViewRow, b: ViewRow) => number>> = {
  name: byName,
  status: (a, b) => byteOrder(a.status, b.status) || byName(a, b),
  // Newest first, as an operator looks for what just appeared.
  age: (a, b) => b.created - a.created || byName(a, b),
  node: (a, b) => byteOrder(a.node, b.node) || byName(a, b),
};

/** What `/` narrows to: VMs whose name (or namespace/name) contains the text. */
export function matchesFilter(key: string, name: string, filter: string): boolean {
  return filter === '' || key.includes(filter) || name.includes(filter);
}

type Cached = Readonly<{ vmi: VirtualMachineInstance | undefined; now: number; all: boolean; row: ViewRow }>;
// A watch event replaces one object and keeps the others, so with 1000 VMs a frame rebuilds the
// rows that changed, not all of them (bench/view: the draw time per update). Keyed weakly by the
// VM object: a VM gone from the state takes its row with it.
const ROW_CACHE = new WeakMap<VirtualMachine, Cached>();

function cachedRow(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, scope: RowScope): ViewRow {
  const hit = ROW_CACHE.get(vm);
  if (hit !== undefined && hit.vmi === vmi && hit.now === scope.now && hit.all === scope.allNamespaces) return hit.row;
  const row = viewRow(vm, vmi, scope);
  ROW_CACHE.set(vm, { vmi, now: scope.now, all: scope.allNamespaces, row });
  return row;
}

/** Every VM of the live state that passes the filter, in sort order. */
export function viewRows(state: LiveState, scope: RowScope, sort: SortKey, filter: string): ViewRow[] {
  const rows: ViewRow[] = [];
  for (const [key, vm] of state.vms) {
    // Filter before building the row: with 1000 VMs most are filtered out.
    if (!matchesFilter(key, vm.metadata.name ?? '', filter)) continue;
    rows.push(cachedRow(vm, state.vmis.get(key), scope));
  }
  return rows.sort(ORDER[sort]);
}

/** The next sort key after `k`, for the key that cycles through them. */
export function nextSort(k: SortKey): SortKey {
  return SORT_KEYS[(SORT_KEYS.indexOf(k) + 1) % SORT_KEYS.length] ?? 'name';
}

/**
 * The first visible row: unchanged while the selection stays inside the window, moved just
 * enough to show it otherwise, and never past the last full window.
 */
export function windowStart(selected: number, total: number, height: number, previous: number): number {
  if (height <= 0 || total <= height) return 0;
  const top = Math.min(Math.max(0, previous), total - height);
  if (selected < top) return Math.max(0, selected);
  if (selected >= top + height) return selected - height + 1;
  return top;
}

/** The view as one table, for --once and for a stdout that is not a terminal. */
export function viewTable(state: LiveState, scope: RowScope): string {
  return formatTable(
    viewHeaders(scope),
    viewRows(state, scope, 'name', '').map((r) => r.cells),
  );
}
