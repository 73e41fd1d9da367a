/**
 * `kubectl virt view`'s container: it holds the live state (fed by cli/live/reconnect.ts through
 * a coalescer, so at most one frame per 100 ms whatever the rate of changes), the view state
 * (view-keys.ts decides what a key does), the terminal's size, the detail pane's data and the
 * last action's outcome, and hands them to ViewScreen. Effects come in as props, so the shell
 * (run-view.tsx) decides what talks to the cluster.
 */
import { useApp, useInput, useStdout } from 'ink';
import { useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import type { DescribeInput } from '../describe/render.js';
import { coalesce } from '../live/coalesce.js';
import type { LinkStatus, LiveSink } from '../live/reconnect.js';
import { EMPTY_STATE, type LiveState } from '../live/state.js';
import type { DetailView } from './detail-pane.js';
import {
  rowTarget,
  INITIAL_VIEW,
  keyPresses,
  onKey,
  selectedIndex,
  type ActionSpec,
  type Effect,
  type Target,
  type ViewState,
} from './view-keys.js';
import { viewRows, windowStart, type ViewRow } from './view-rows.js';
import { tableHeight, ViewScreen, type ScreenSize } from './view-screen.js';

export interface ViewAppProps {
  readonly follow: (sink: LiveSink, signal: AbortSignal) => Promise<void>;
  readonly describe: (t: Target) => Promise<DescribeInput>;
  /** Runs an action; resolves to the line to show, rejects with the error to show. */
  readonly act: (action: ActionSpec, t: Target) => Promise<string>;
  readonly scope: Readonly<{ namespace: string; allNamespaces: boolean }>;
  readonly colour: boolean;
  /** At most one frame per this many ms; 100 unless told. */
  readonly frameMs?: number;
  readonly initial?: ViewState;
  /** Called for an action that takes the terminal, just before the view exits for it. */
  readonly leave?: (action: ActionSpec, t: Target, state: ViewState) => void;
  /** The line shown under the table at first: what the command run outside ended with. */
  readonly message?: string;
  /** Told when a frame of live data is handed to React (bench/view times it to ink's output). */
  readonly onFrame?: (f: FrameStart) => void;
}

export type FrameStart = Readonly<{ at: number; vms: number }>;

const targetOf = (r: ViewRow | undefined): Target | undefined => (r === undefined ? undefined : rowTarget(r));

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The live state and the link's health, delivered at most once per `frameMs`. */
export function useLive(
  follow: ViewAppProps['follow'],
  frameMs: number,
  onFrame?: ViewAppProps['onFrame'],
): { state: LiveState; link: LinkStatus } {
  const [state, setState] = useState<LiveState>(EMPTY_STATE);
  const [link, setLink] = useState<LinkStatus>({ kind: 'connecting' });
  useEffect(() => {
    const stop = new AbortController();
    const draw =
      onFrame === undefined
        ? setState
        : (s: LiveState): void => {
            onFrame({ at: performance.now(), vms: s.vms.size });
            setState(s);
          };
    const frames = coalesce(draw, frameMs);
    // followLive retries every failure itself; what still escapes is a bug, shown on the title line.
    follow({ state: (s) => frames.push(s), status: setLink }, stop.signal).catch((err: unknown) =>
      setLink({ kind: 'reconnecting', attempt: 0, retryInMs: 0, error: messageOf(err) }),
    );
    return () => {
      stop.abort();
      frames.stop();
    };
  }, [follow, frameMs, onFrame]);
  return { state, link };
}

const CLEAR_SCREEN = '\u001b[2J\u001b[H';

/** The terminal's size, following resizes. */
export function useScreenSize(): ScreenSize {
  const { stdout } = useStdout();
  const read = (): ScreenSize => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState<ScreenSize>(read);
  useEffect(() => {
    const onResize = (): void => {
      // ink redraws in place from where it thinks its last frame was; after a resize the terminal
      // may have moved or cut those lines, so start from a clear screen and draw the whole frame.
      stdout.write(CLEAR_SCREEN);
      setSize(read());
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    // AGE moves on even when nothing changes.
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** describe's data for the selected VM while the pane is open; read again when the VM changes. */
function useDetail(
  describe: ViewAppProps['describe'],
  target: Target | undefined,
  version: string,
): DetailView | undefined {
  const [detail, setDetail] = useState<DetailView | undefined>(undefined);
  const key = target?.key;
  useEffect(() => {
    if (target === undefined) return setDetail(undefined);
    let current = true;
    setDetail((d) =>
      d?.kind === 'shown' && d.input.vm.metadata.name === target.name ? d : { kind: 'loading', name: target.name },
    );
    describe(target).then(
      (input) => current && setDetail({ kind: 'shown', input }),
      (err: unknown) => current && setDetail({ kind: 'failed', name: target.name, error: messageOf(err) }),
    );
    return () => {
      current = false;
    };
    // Keyed by the VM and its resourceVersion: a new object means new conditions and Events.
  }, [describe, key, version]);
  return detail;
}

/** The last action's outcome and the runner of effects: an API action, leaving, or quitting. */
function useActions(
  props: ViewAppProps,
  exit: () => void,
  viewNow: Readonly<{ current: ViewState }>,
): { message: string; run: (e: Effect) => void } {
  const [message, setMessage] = useState(props.message ?? '');
  const run = (effect: Effect): void => {
    if (effect.kind === 'quit') return exit();
    const { action, target: t } = effect;
    if (action.leaves === true) {
      props.leave?.(action, t, viewNow.current);
      return exit();
    }
    setMessage(`${action.label}: VM ${t.name}…`);
    // act's failure is the API's answer: it is shown, and the view goes on.
    props.act(action, t).then(setMessage, (err: unknown) => setMessage(`error: ${messageOf(err)}`));
  };
  return { message, run };
}

export function ViewApp(props: ViewAppProps): ReactElement {
  const { exit } = useApp();
  const { state, link } = useLive(props.follow, props.frameMs ?? 100, props.onFrame);
  const size = useScreenSize();
  const now = useNow(1000);
  const [view, setView] = useState<ViewState>(props.initial ?? INITIAL_VIEW);
  // Keys typed in one burst (a paste, tmux send-keys) arrive before React renders again: each
  // must see the state the previous one left, not the last rendered one.
  const viewNow = useRef(view);
  const { message, run } = useActions(props, exit, viewNow);
  const offset = useRef(0);
  const scope = { allNamespaces: props.scope.allNamespaces, now };
  const rows = useMemo(
    () => viewRows(state, scope, view.sort, view.filter),
    // scope is rebuilt each render; what it holds is in the list.
    [state, props.scope.allNamespaces, now, view.sort, view.filter],
  );
  const selected = selectedIndex(view, rows);
  const selectedRow = rows[selected];
  const height = tableHeight(size, view.detail);
  offset.current = windowStart(selected, rows.length, height, offset.current);
  const target = view.detail ? targetOf(selectedRow) : undefined;
  const detail = useDetail(props.describe, target, state.vms.get(target?.key ?? '')?.metadata.resourceVersion ?? '');
  // Read when a key arrives, which may be before ink has taken this render's handler.
  const keyContext = useRef({ rows, page: height });
  keyContext.current = { rows, page: height };
  useInput((input, key) => {
    for (const [ch, press] of keyPresses(input, key)) {
      const step = onKey(viewNow.current, ch, press, keyContext.current);
      viewNow.current = step.state;
      setView(step.state);
      if (step.effect !== undefined) run(step.effect);
    }
  });
  return (
    <ViewScreen
      rows={rows}
      total={state.vms.size}
      scope={props.scope}
      view={view}
      selected={selected}
      offset={offset.current}
      link={link}
      message={message}
      detail={target === undefined ? undefined : (detail ?? { kind: 'loading', name: target.name })}
      size={size}
      colour={props.colour}
      now={now}
    />
  );
}
