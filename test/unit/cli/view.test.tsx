// kubectl virt view: its pure parts (rows, keys, window, coalescing) and its frames, rendered by
// ink-testing-library and compared whole with golden text (UPDATE_GOLDEN=1 rewrites them).
import chalk from 'chalk';
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import type { VirtualMachine } from '../../../api/types.js';
import { coalesce, type Timers } from '../../../cli/live/coalesce.js';
import type { LinkStatus, LiveSink } from '../../../cli/live/reconnect.js';
import { keyOf, type LiveState } from '../../../cli/live/state.js';
import { detailLines, type DetailView } from '../../../cli/views/detail-pane.js';
import { ViewApp } from '../../../cli/views/view-app.js';
import {
  ACTIONS,
  INITIAL_VIEW,
  keyPresses,
  onKey,
  pauseVerbFor,
  selectedIndex,
  type ActionSpec,
  type Target,
  type ViewState,
} from '../../../cli/views/view-keys.js';
import { viewHeaders, viewRows, viewTable, windowStart } from '../../../cli/views/view-rows.js';
import { tableHeight, ViewScreen, type ViewScreenProps } from '../../../cli/views/view-screen.js';
import { expectGolden } from './golden.js';
import { NOW, running, stopped, vm, vmi } from './fixtures.js';

// eslint-disable-next-line no-control-regex -- colour codes are control characters.
const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

function stateOf(vms: readonly VirtualMachine[], vmis: ReturnType<typeof vmi>[] = []): LiveState {
  return { vms: new Map(vms.map((v) => [keyOf(v), v])), vmis: new Map(vmis.map((v) => [keyOf(v), v])) };
}

const FLEET = stateOf(
  [
    running('web'),
    stopped('db'),
    vm('cache', { status: { printableStatus: 'Starting', ready: false }, created: '2026-11-25T11:59:00Z' }),
    vm('batch', { status: { printableStatus: 'ErrorUnschedulable', ready: false }, created: '2026-11-24T12:00:00Z' }),
  ],
  [vmi('web', { node: 'node-1', ip: '10.244.0.7' }), vmi('cache', { phase: 'Scheduling' })],
);
const SCOPE = { allNamespaces: false, now: NOW };
const ROWS = viewRows(FLEET, SCOPE, 'name', '');

function screen(over: Partial<ViewScreenProps> = {}): ReactElement {
  const view = over.view ?? INITIAL_VIEW;
  const rows = over.rows ?? ROWS;
  return (
    <ViewScreen
      rows={rows}
      total={FLEET.vms.size}
      scope={{ namespace: 'default', allNamespaces: false }}
      view={view}
      selected={selectedIndex(view, rows)}
      offset={0}
      link={{ kind: 'live' }}
      message=""
      detail={undefined}
      size={{ columns: 100, rows: 12 }}
      colour={false}
      now={NOW}
      {...over}
    />
  );
}

const frame = (el: ReactElement): string => stripAnsi(render(el).lastFrame() ?? '') + '\n';

describe('view rows', () => {
  it('takes its cells from the list printer, in the issue order, NAMESPACE only with -A', () => {
    expect(viewHeaders({ allNamespaces: false })).toEqual([
      'NAME',
      'STATUS',
      'READY',
      'NODE',
      'IP',
      'AGE',
      'CPU',
      'MEMORY',
    ]);
    expect(ROWS.find((r) => r.name === 'web')?.cells).toEqual([
      'web',
      'Running',
      'True',
      'node-1',
      '10.244.0.7',
      '5m',
      '2',
      '256Mi',
    ]);
    expect(viewRows(FLEET, { allNamespaces: true, now: NOW }, 'name', '')[0]?.cells.slice(0, 2)).toEqual([
      'batch',
      'default',
    ]);
  });

  it.each([
    ['name', ['batch', 'cache', 'db', 'web']],
    ['status', ['batch', 'web', 'cache', 'db']],
    ['age', ['cache', 'db', 'web', 'batch']],
    ['node', ['batch', 'cache', 'db', 'web']],
  ] as const)('sorts by %s', (sort, names) => {
    expect(viewRows(FLEET, SCOPE, sort, '').map((r) => r.name)).toEqual(names);
  });

  it('filters by a part of the name', () => {
    expect(viewRows(FLEET, SCOPE, 'name', 'b').map((r) => r.name)).toEqual(['batch', 'db', 'web']);
    expect(viewRows(FLEET, SCOPE, 'name', 'we').map((r) => r.name)).toEqual(['web']);
  });

  it('prints one table for --once, as list aligns it', () => {
    expectGolden('view-once.txt', viewTable(FLEET, SCOPE));
  });
});

describe('view window', () => {
  it('keeps the window while the selection is inside it and moves it just enough otherwise', () => {
    expect(windowStart(0, 1000, 10, 0)).toBe(0);
    expect(windowStart(9, 1000, 10, 0)).toBe(0);
    expect(windowStart(10, 1000, 10, 0)).toBe(1);
    expect(windowStart(5, 1000, 10, 3)).toBe(3);
    expect(windowStart(2, 1000, 10, 3)).toBe(2);
    expect(windowStart(999, 1000, 10, 0)).toBe(990);
    expect(windowStart(3, 5, 10, 4)).toBe(0);
    expect(windowStart(20, 30, 10, 500)).toBe(20);
  });

  it('gives the table what is left of the terminal, less with the detail pane open', () => {
    expect(tableHeight({ columns: 80, rows: 24 }, false)).toBe(19);
    expect(tableHeight({ columns: 80, rows: 24 }, true)).toBe(7);
    expect(tableHeight({ columns: 80, rows: 3 }, true)).toBe(1);
  });
});

describe('view keys', () => {
  const ctx = { rows: ROWS, page: 2 };
  const press = (s: ViewState, ...keys: (string | Record<string, boolean>)[]): ViewState =>
    keys.reduce<ViewState>(
      (st, k) => onKey(st, typeof k === 'string' ? k : '', typeof k === 'string' ? {} : k, ctx).state,
      s,
    );
  const name = (s: ViewState): string | undefined => ROWS[selectedIndex(s, ROWS)]?.name;

  it('moves with arrows, j/k, PgUp/PgDn and Home/End, never past either end', () => {
    expect(name(press(INITIAL_VIEW, { downArrow: true }))).toBe('cache');
    expect(name(press(INITIAL_VIEW, 'j', 'j', 'k'))).toBe('cache');
    expect(name(press(INITIAL_VIEW, { pageDown: true }))).toBe('db');
    expect(name(press(INITIAL_VIEW, { end: true }, { downArrow: true }))).toBe('web');
    expect(name(press(INITIAL_VIEW, { end: true }, { pageUp: true }))).toBe('cache');
    expect(name(press(INITIAL_VIEW, 'G', { home: true }, { upArrow: true }))).toBe('batch');
  });

  it('keeps the selection on its VM when the rows move, and near its place when the VM goes', () => {
    const onDb = press(INITIAL_VIEW, 'j', 'j');
    expect(name(onDb)).toBe('db');
    const withoutCache = ROWS.filter((r) => r.name !== 'cache');
    expect(withoutCache[selectedIndex(onDb, withoutCache)]?.name).toBe('db');
    const withoutDb = ROWS.filter((r) => r.name !== 'db');
    expect(withoutDb[selectedIndex(onDb, withoutDb)]?.name).toBe('web');
  });

  it('starts at once, but asks before stop, restart and delete, and only y goes ahead', () => {
    const onWeb = press(INITIAL_VIEW, 'G');
    const start = onKey(onWeb, 's', {}, ctx);
    expect(start.effect).toEqual({
      kind: 'act',
      action: ACTIONS[0],
      target: { key: 'default/web', name: 'web', namespace: 'default', status: 'Running' },
    });
    for (const key of ['S', 'R', 'd']) {
      const asked = onKey(onWeb, key, {}, ctx);
      expect([asked.state.mode, asked.effect]).toEqual(['confirm', undefined]);
      const no = onKey(asked.state, 'n', {}, ctx);
      expect([no.state.mode, no.effect, no.state.pending]).toEqual(['table', undefined, undefined]);
      const yes = onKey(asked.state, 'y', {}, ctx);
      expect(yes.effect).toMatchObject({ kind: 'act', action: { key }, target: { name: 'web' } });
    }
  });

  it('pauses a running VM and unpauses a paused one with p, and leaves for the console with c, without asking', () => {
    expect([pauseVerbFor('Running'), pauseVerbFor('Paused'), pauseVerbFor('Stopped')]).toEqual([
      'pause',
      'unpause',
      'pause',
    ]);
    const onWeb = press(INITIAL_VIEW, 'G');
    const pause = onKey(onWeb, 'p', {}, ctx);
    expect(pause.effect).toMatchObject({
      kind: 'act',
      action: { id: 'pause' },
      target: { name: 'web', status: 'Running' },
    });
    const consoleKey = onKey(onWeb, 'c', {}, ctx);
    expect([consoleKey.state.mode, consoleKey.effect]).toMatchObject([
      'table',
      { kind: 'act', action: { id: 'console', leaves: true }, target: { name: 'web', namespace: 'default' } },
    ]);
  });

  it('filters as you type after /, keeps it on Enter and clears it on Esc', () => {
    const typed = press(INITIAL_VIEW, '/', 'w', 'e', 'x', { backspace: true });
    expect([typed.mode, typed.filter]).toEqual(['filter', 'we']);
    expect(press(typed, { return: true })).toMatchObject({ mode: 'table', filter: 'we' });
    expect(press(typed, { escape: true })).toMatchObject({ mode: 'table', filter: '' });
    expect(press(typed, { downArrow: true }).filter).toBe('we');
  });

  it('opens and closes the detail pane with Enter, cycles the sort with o, shows help with ?', () => {
    expect(press(INITIAL_VIEW, { return: true }).detail).toBe(true);
    expect(press(INITIAL_VIEW, { return: true }, { return: true }).detail).toBe(false);
    expect(press(INITIAL_VIEW, { return: true }, { escape: true }).detail).toBe(false);
    expect(press(INITIAL_VIEW, 'o', 'o').sort).toBe('age');
    expect(press(INITIAL_VIEW, 'o', 'o', 'o', 'o').sort).toBe('name');
    expect(press(INITIAL_VIEW, '?').mode).toBe('help');
    expect(press(INITIAL_VIEW, '?', 'x').mode).toBe('table');
  });

  it('quits on q and Ctrl-C, and on Ctrl-C even while typing a filter or answering a prompt', () => {
    expect(onKey(INITIAL_VIEW, 'q', {}, ctx).effect).toEqual({ kind: 'quit' });
    expect(onKey(press(INITIAL_VIEW, '/'), 'c', { ctrl: true }, ctx).effect).toEqual({ kind: 'quit' });
    expect(onKey(press(INITIAL_VIEW, 'S'), 'c', { ctrl: true }, ctx).effect).toEqual({ kind: 'quit' });
    expect(onKey(press(INITIAL_VIEW, '/'), 'q', {}, ctx).effect).toBeUndefined();
  });

  it('reads a chunk of keys (a paste, tmux send-keys) as one press per key', () => {
    expect(keyPresses('/web\r', {})).toEqual([
      ['/', {}],
      ['w', {}],
      ['e', {}],
      ['b', {}],
      ['', { return: true }],
    ]);
    expect(keyPresses('j', { shift: false } as never)).toEqual([['j', { shift: false }]]);
    const typed = keyPresses('/web\u007fb\r', {}).reduce<ViewState>(
      (st, [i, k]) => onKey(st, i, k, ctx).state,
      INITIAL_VIEW,
    );
    expect([typed.mode, typed.filter]).toEqual(['table', 'web']);
  });

  it('does nothing to an empty table', () => {
    const empty = { rows: [], page: 5 };
    expect(onKey(INITIAL_VIEW, 'S', {}, empty)).toEqual({ state: INITIAL_VIEW });
    expect(onKey(INITIAL_VIEW, 'j', {}, empty)).toEqual({ state: INITIAL_VIEW });
  });
});

describe('coalesce', () => {
  function clock(): Timers & { advance: (ms: number) => void } {
    let t = 0;
    let due: { at: number; f: () => void }[] = [];
    return {
      now: () => t,
      setTimeout: (f, ms) => {
        const entry = { at: t + ms, f };
        due.push(entry);
        return entry;
      },
      clearTimeout: (e) => (due = due.filter((d) => d !== e)),
      advance(ms) {
        t += ms;
        const ready = due.filter((d) => d.at <= t);
        due = due.filter((d) => d.at > t);
        for (const d of ready) d.f();
      },
    };
  }

  it('delivers the first value at once and at most one per interval after, always the newest', () => {
    const c = clock();
    const seen: number[] = [];
    const q = coalesce((v: number) => seen.push(v), 100, c);
    q.push(1);
    for (let i = 2; i <= 50; i++) {
      c.advance(20);
      q.push(i);
    }
    c.advance(100);
    // 50 values over ~1 s: one at once, then one per 100 ms, the last one included.
    expect(seen[0]).toBe(1);
    expect(seen.at(-1)).toBe(50);
    expect(seen.length).toBeLessThanOrEqual(12);
    // Held when stopped: dropped, and nothing is delivered after.
    q.push(51);
    q.stop();
    c.advance(1000);
    q.push(52);
    expect(seen.at(-1)).toBe(50);
  });
});

describe('view frames (golden)', () => {
  const onDb: ViewState = { ...INITIAL_VIEW, selected: 'default/db', index: 2 };
  const detail: DetailView = {
    kind: 'shown',
    input: {
      vm: stopped('db'),
      events: [
        {
          type: 'Normal',
          reason: 'Stopped',
          message: 'The VMI finished',
          from: 'virt-controller',
          count: 1,
          at: '2026-11-25T11:58:00Z',
        },
      ],
      whyNotRunning: 'Stopped: runStrategy is Halted; start it with "kubectl virt start db"',
      now: NOW,
    },
  };

  it.each<[string, Partial<ViewScreenProps>]>([
    ['table', { view: onDb, message: 'VM web was scheduled to start' }],
    ['detail', { view: { ...onDb, detail: true }, detail, size: { columns: 100, rows: 16 } }],
    ['filter', { view: { ...INITIAL_VIEW, mode: 'filter', filter: 'we' }, rows: viewRows(FLEET, SCOPE, 'name', 'we') }],
    [
      'confirm',
      {
        view: {
          ...onDb,
          mode: 'confirm',
          pending: {
            action: ACTIONS[1] as ActionSpec,
            target: { key: 'default/db', name: 'db', namespace: 'default', status: 'Running' },
          },
        },
      },
    ],
    ['help', { view: { ...INITIAL_VIEW, mode: 'help' }, size: { columns: 100, rows: 20 } }],
    [
      'reconnecting',
      {
        link: {
          kind: 'reconnecting',
          attempt: 3,
          retryInMs: 800,
          error: 'Could not reach the API server at https://127.0.0.1:6443: ECONNREFUSED',
        },
      },
    ],
    ['narrow', { size: { columns: 40, rows: 8 } }],
  ])('%s', (name, over) => {
    expectGolden(`view-${name}.txt`, frame(screen(over)));
  });

  it('colours STATUS only when colour is on (NO_COLOR turns it off)', () => {
    // eslint-disable-next-line no-control-regex -- SGR foreground colours 30-37 and 90-97.
    const colours = /\u001b\[(3[0-7]|9[0-7])m/;
    // ink's chalk would print colour on a terminal; jest's output is none, so lift it here.
    const level = chalk.level;
    chalk.level = 1;
    try {
      expect(render(screen({ colour: true })).lastFrame()).toMatch(colours);
      expect(render(screen({ colour: false })).lastFrame()).not.toMatch(colours);
    } finally {
      chalk.level = level;
    }
  });

  it('shows only the rows that fit, and the selected one among them', () => {
    const many = stateOf(Array.from({ length: 1000 }, (_, i) => running(`vm-${String(i).padStart(4, '0')}`)));
    const rows = viewRows(many, SCOPE, 'name', '');
    const view = { ...INITIAL_VIEW, selected: 'default/vm-0500', index: 500 };
    const out = frame(screen({ rows, view, offset: windowStart(500, 1000, 7, 0), size: { columns: 100, rows: 12 } }));
    expect(out.split('\n').filter((l) => l.startsWith('vm-'))).toHaveLength(7);
    expect(out).toContain('vm-0500');
    expect(out).not.toContain('vm-0000');
  });

  it('cuts the detail pane to its height, keeping the newest Events', () => {
    const input = detail.kind === 'shown' ? detail.input : undefined;
    const events = Array.from({ length: 10 }, (_, i) => ({ ...input!.events[0]!, reason: `E${i}` }));
    const lines = detailLines({ kind: 'shown', input: { ...input!, events } }, 5, NOW);
    expect(lines).toHaveLength(5);
    expect(lines.at(-1)).toContain('E9');
  });
});

describe('ViewApp', () => {
  type Follow = (sink: LiveSink, signal: AbortSignal) => Promise<void>;

  function app(initial: LiveState, acted: string[] = [], link: LinkStatus = { kind: 'live' }) {
    let sink: LiveSink | undefined;
    const follow: Follow = (s) => {
      sink = s;
      s.state(initial);
      s.status(link);
      return new Promise(() => undefined);
    };
    const act = (a: ActionSpec, t: Target): Promise<string> => {
      acted.push(`${a.id} ${t.name}`);
      return a.id === 'delete' ? Promise.reject(new Error('forbidden')) : Promise.resolve(`VM ${t.name} done`);
    };
    const describe = (t: Target) => Promise.resolve({ vm: stopped(t.name), events: [], now: NOW });
    const r = render(
      <ViewApp
        follow={follow}
        describe={describe}
        act={act}
        scope={{ namespace: 'default', allNamespaces: false }}
        colour={false}
        frameMs={0}
      />,
    );
    return { ...r, push: (s: LiveState) => sink?.state(s), text: () => stripAnsi(r.lastFrame() ?? '') };
  }

  async function until(check: () => boolean, what: () => string): Promise<void> {
    const deadline = Date.now() + 3000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out; last frame:\n${what()}`);
      await new Promise((r) => setImmediate(r));
    }
  }

  it('shows a change from the live state, and the typed filter narrows the table to one row', async () => {
    const a = app(FLEET);
    await until(() => a.text().includes('cache'), a.text);
    a.push(stateOf([...FLEET.vms.values()].map((v) => (v.metadata.name === 'db' ? running('db') : v))));
    await until(() => /db\s+Running/.test(a.text()), a.text);
    a.stdin.write('/');
    await until(() => a.text().includes('Enter keeps'), a.text);
    a.stdin.write('web');
    await until(() => !a.text().includes('cache'), a.text);
    expect(a.text()).toContain('1 of 4 VMs');
    a.unmount();
  });

  it('asks before stopping, runs the action on y, and shows the API error of a failed one', async () => {
    const acted: string[] = [];
    const a = app(FLEET, acted);
    await until(() => a.text().includes('web'), a.text);
    a.stdin.write('G');
    a.stdin.write('S');
    await until(() => a.text().includes('Stop VM web in namespace default? y/n'), a.text);
    a.stdin.write('n');
    await until(() => !a.text().includes('y/n'), a.text);
    expect(acted).toEqual([]);
    a.stdin.write('S');
    await until(() => a.text().includes('y/n'), a.text);
    a.stdin.write('y');
    await until(() => a.text().includes('VM web done'), a.text);
    a.stdin.write('d');
    await until(() => a.text().includes('Delete VM web'), a.text);
    a.stdin.write('y');
    await until(() => a.text().includes('error: forbidden'), a.text);
    expect(acted).toEqual(['stop web', 'delete web']);
    a.unmount();
  });

  it('opens the detail pane with what describe read', async () => {
    const a = app(FLEET);
    await until(() => a.text().includes('web'), a.text);
    a.stdin.write('\r');
    await until(() => a.text().includes('── default/batch · Stopped ──'), a.text);
    a.unmount();
  });
});
