/**
 * What each key does in `kubectl virt view`, as a pure step: (view state, key, rows) → the next
 * view state and at most one effect for the shell to run (an API action, or quitting). The
 * actions are data (ACTIONS): one that needs a y/n prompt says so, one that takes the terminal
 * (console) says so, and each has its executor in run-view.tsx.
 */
import { nextSort, type SortKey, type ViewRow } from './view-rows.js';

export type ActionId = 'start' | 'stop' | 'restart' | 'delete' | 'pause' | 'console';

export interface ActionSpec {
  readonly id: ActionId;
  readonly key: string;
  /** The verb as the footer, the prompt and the progress line say it. */
  readonly label: string;
  /** Asks "<label> VM <name>? y/n" first: one stray key must not stop a production VM. */
  readonly confirm: boolean;
  /**
   * Takes the terminal while it runs (console): the view steps aside, the command runs in the
   * terminal, and the view comes back as it was (run-view.tsx TERMINAL_COMMANDS).
   */
  readonly leaves?: boolean;
  /** The help screen's line, when "<label> the selected VM" does not read well. */
  readonly help?: string;
}

export const ACTIONS: readonly ActionSpec[] = [
  { id: 'start', key: 's', label: 'start', confirm: false },
  { id: 'stop', key: 'S', label: 'stop', confirm: true },
  { id: 'restart', key: 'R', label: 'restart', confirm: true },
  { id: 'delete', key: 'd', label: 'delete', confirm: true },
  // Pause is undone by the same key, so it needs no prompt: nothing is lost either way.
  { id: 'pause', key: 'p', label: 'pause', confirm: false, help: 'pause the selected VM, or unpause it when paused' },
  {
    id: 'console',
    key: 'c',
    label: 'console',
    confirm: false,
    leaves: true,
    help: "the selected VM's serial console (kubectl virt console; Ctrl+] comes back here)",
  },
];

/** What `p` does to a VM in this printable status: unpause a paused one, pause any other. */
export const pauseVerbFor = (status: string): 'pause' | 'unpause' => (status === 'Paused' ? 'unpause' : 'pause');

export type Mode = 'table' | 'filter' | 'confirm' | 'help';

export interface Target {
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  /** The row's printable status when the key was pressed (p pauses or unpauses by it). */
  readonly status: string;
}

export interface ViewState {
  readonly mode: Mode;
  readonly sort: SortKey;
  readonly filter: string;
  /** The selected VM's key: the selection follows the VM when rows move. */
  readonly selected: string | undefined;
  /** Where the selection was, for when its VM vanishes (deleted, filtered out). */
  readonly index: number;
  readonly detail: boolean;
  readonly pending?: Readonly<{ action: ActionSpec; target: Target }> | undefined;
}

export const INITIAL_VIEW: ViewState = {
  mode: 'table',
  sort: 'name',
  filter: '',
  selected: undefined,
  index: 0,
  detail: false,
};

export type Effect = Readonly<{ kind: 'quit' } | { kind: 'act'; action: ActionSpec; target: Target }>;

/** The few fields of ink's Key this view reads. */
export type KeyPress = Readonly<{
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  backspace?: boolean;
  delete?: boolean;
}>;

export interface KeyContext {
  readonly rows: readonly ViewRow[];
  /** Table rows on screen: PgUp/PgDn move this far. */
  readonly page: number;
}

export type Step = Readonly<{ state: ViewState; effect?: Effect }>;

/** The index of the selected row in `rows`: its VM's row, else the nearest to where it was. */
export function selectedIndex(s: ViewState, rows: readonly ViewRow[]): number {
  if (rows.length === 0) return -1;
  const at = s.selected === undefined ? -1 : rows.findIndex((r) => r.key === s.selected);
  return at >= 0 ? at : Math.min(Math.max(0, s.index), rows.length - 1);
}

function selectAt(s: ViewState, rows: readonly ViewRow[], index: number): ViewState {
  const i = Math.min(Math.max(0, index), rows.length - 1);
  return { ...s, selected: rows[i]?.key, index: Math.max(0, i) };
}

const MOVES: ReadonlyArray<readonly [(k: KeyPress, input: string) => boolean, (page: number) => number]> = [
  [(k, i) => k.upArrow === true || i === 'k', () => -1],
  [(k, i) => k.downArrow === true || i === 'j', () => 1],
  [(k) => k.pageUp === true, (page) => -Math.max(1, page)],
  [(k) => k.pageDown === true, (page) => Math.max(1, page)],
  [(k, i) => k.home === true || i === 'g', () => -Infinity],
  [(k, i) => k.end === true || i === 'G', () => Infinity],
];

/** How far a key moves the selection, or undefined when it is not a move. */
function moveBy(k: KeyPress, input: string, page: number): number | undefined {
  return MOVES.find(([is]) => is(k, input))?.[1](page);
}

function move(s: ViewState, delta: number, rows: readonly ViewRow[]): ViewState {
  if (rows.length === 0) return s;
  if (delta === -Infinity) return selectAt(s, rows, 0);
  if (delta === Infinity) return selectAt(s, rows, rows.length - 1);
  return selectAt(s, rows, selectedIndex(s, rows) + delta);
}

/** The VM a row stands for, as an action's target. */
export const rowTarget = (row: ViewRow): Target => ({
  key: row.key,
  name: row.name,
  namespace: row.namespace,
  status: row.status,
});

function targetOf(s: ViewState, rows: readonly ViewRow[]): Target | undefined {
  const row = rows[selectedIndex(s, rows)];
  return row === undefined ? undefined : rowTarget(row);
}

function runAction(s: ViewState, action: ActionSpec, rows: readonly ViewRow[]): Step {
  const target = targetOf(s, rows);
  if (target === undefined) return { state: s };
  if (action.confirm) return { state: { ...s, mode: 'confirm', pending: { action, target } } };
  return { state: s, effect: { kind: 'act', action, target } };
}

const isQuit = (input: string, k: KeyPress): boolean => input === 'q' || (k.ctrl === true && input === 'c');

const TABLE_KEYS: Readonly<Record<string, (s: ViewState) => ViewState>> = {
  '/': (s) => ({ ...s, mode: 'filter' }),
  '?': (s) => ({ ...s, mode: 'help' }),
  o: (s) => ({ ...s, sort: nextSort(s.sort) }),
};

function tableKey(s: ViewState, input: string, k: KeyPress, ctx: KeyContext): Step {
  const delta = moveBy(k, input, ctx.page);
  if (delta !== undefined) return { state: move(s, delta, ctx.rows) };
  if (k.return === true) return { state: { ...s, detail: !s.detail } };
  if (k.escape === true) return { state: s.detail ? { ...s, detail: false } : { ...s, filter: '' } };
  const simple = TABLE_KEYS[input];
  if (simple !== undefined) return { state: simple(s) };
  const action = ACTIONS.find((a) => a.key === input);
  return action === undefined ? { state: s } : runAction(s, action, ctx.rows);
}

function filterKey(s: ViewState, input: string, k: KeyPress): Step {
  if (k.escape === true) return { state: { ...s, mode: 'table', filter: '' } };
  if (k.return === true) return { state: { ...s, mode: 'table' } };
  if (k.backspace === true || k.delete === true) return { state: { ...s, filter: s.filter.slice(0, -1) } };
  // Arrow keys and other control sequences arrive with an empty or non-printable input.
  if (k.ctrl === true || input === '' || [...input].some((ch) => ch < ' ')) return { state: s };
  return { state: { ...s, filter: s.filter + input, index: 0, selected: undefined } };
}

function confirmKey(s: ViewState, input: string): Step {
  const back: ViewState = { ...s, mode: 'table', pending: undefined };
  if (input === 'y' && s.pending !== undefined)
    return { state: back, effect: { kind: 'act', action: s.pending.action, target: s.pending.target } };
  // Anything but y is a no: the safe answer is the default.
  return { state: back };
}

/** One key press: the next state and what, if anything, the shell must do. Pure. */
export function onKey(s: ViewState, input: string, k: KeyPress, ctx: KeyContext): Step {
  if (k.ctrl === true && input === 'c') return { state: s, effect: { kind: 'quit' } };
  switch (s.mode) {
    case 'filter':
      return filterKey(s, input, k);
    case 'confirm':
      return confirmKey(s, input);
    case 'help':
      return isQuit(input, k) ? { state: s, effect: { kind: 'quit' } } : { state: { ...s, mode: 'table' } };
    case 'table':
      return isQuit(input, k) ? { state: s, effect: { kind: 'quit' } } : tableKey(s, input, k, ctx);
  }
}

const CHUNK_KEYS: Readonly<Record<string, KeyPress>> = {
  '\r': { return: true },
  '\n': { return: true },
  '\u007f': { backspace: true },
  '\b': { backspace: true },
};

/**
 * A terminal may hand several keys over as one chunk (a paste, a fast typist, tmux send-keys):
 * ink then reports "/web\r" as one input. Split such a chunk into one press per character, so
 * each is read as if typed alone; escape sequences (arrows) reach here already decoded.
 */
export function keyPresses(input: string, k: KeyPress): Array<readonly [string, KeyPress]> {
  const chars = [...input];
  if (chars.length <= 1) return [[input, k]];
  return chars.map((ch) => {
    const special = CHUNK_KEYS[ch];
    return special === undefined ? [ch, {}] : ['', special];
  });
}

/** The footer's key list, from the same table the keys are read from. */
export function footerKeys(): string {
  const actions = ACTIONS.map((a) => `${a.key} ${a.label}`).join(' · ');
  // Help and quit first: a narrow terminal cuts the end of the line, and these two must stay.
  return `? help · q quit · ↑↓ move · ⏎ detail · / filter · o sort · ${actions}`;
}

/** The help screen's lines: every key and what it does. */
export function helpLines(): string[] {
  return [
    '↑/↓ j/k        move the selection',
    'PgUp/PgDn      a page up or down',
    'Home/End g/G   first or last VM',
    'Enter          open or close the detail pane of the selected VM',
    '/              filter as you type (Enter keeps it, Esc clears it)',
    'o              sort by the next of: name, status, age, node',
    ...ACTIONS.map(
      (a) => `${a.key.padEnd(15)}${a.help ?? `${a.label} the selected VM`}${a.confirm ? ' (asks y/n first)' : ''}`,
    ),
    'Esc            close the detail pane, or clear the filter',
    '?              this help (any key closes it)',
    'q  Ctrl-C      quit',
  ];
}
