/**
 * Mounts `kubectl virt view` with ink (loaded only here: ink and react cost ~240 ms to import,
 * so no other command pays for them), on the terminal's alternate screen, and wires its actions
 * to the CLI's own lifecycle and delete code (lifecycle.ts, delete-vms.ts): the same one API
 * write per action as the commands send. Whatever ends the view (q, Ctrl-C, SIGTERM/SIGHUP/SIGINT, a crash)
 * leaves the alternate screen and shows the cursor again.
 */
import { render } from 'ink';
import { VM_PLURAL } from '../../api/names.js';
import type { ApiClient } from '../../kube/api-client.js';
import type { ListOptions } from '../../kube/cli-resources.js';
import { deleteEach } from '../delete-vms.js';
import { fetchDescribe } from '../describe/fetch.js';
import { reportError } from '../errors.js';
import { actOnEach } from '../lifecycle.js';
import { runVmiVerb } from '../vmi-verbs.js';
import type { LiveSource } from '../live/follow.js';
import { followLive } from '../live/reconnect.js';
import { pauseVerbFor, type ActionId, type ActionSpec, type Target, type ViewState } from './view-keys.js';
import { ViewApp, type FrameStart, type ViewAppProps } from './view-app.js';

type Executor = (client: ApiClient, t: Target, out: (line: string) => void) => Promise<boolean>;

const lifecycle =
  (verb: 'start' | 'stop' | 'restart'): Executor =>
  (client, t, out) =>
    actOnEach(client, [t.name], { verb, namespace: t.namespace, wait: false, timeoutMs: 0, out, err: out });

const leavesTheView: Executor = () => Promise.reject(new Error('this action runs in the terminal, not in the view'));

/** What each key's action runs: the commands' own code, never a copy. */
const EXECUTORS: Readonly<Record<ActionId, Executor>> = {
  pause: (client, t, out) => runVmiVerb(client, t.namespace, [t.name], { verb: pauseVerbFor(t.status), out, err: out }),
  console: leavesTheView,
  start: lifecycle('start'),
  stop: lifecycle('stop'),
  restart: lifecycle('restart'),
  delete: (client, t, out) =>
    deleteEach(client, [t.name], {
      plural: VM_PLURAL,
      namespace: t.namespace,
      ignoreNotFound: false,
      wait: false,
      timeoutMs: 0,
      nameOnly: false,
      out,
      err: out,
    }),
};

/** One action on one VM: its output lines, or the API's error as the commands print it. */
export async function runAction(client: ApiClient, action: ActionSpec, t: Target): Promise<string> {
  const lines: string[] = [];
  try {
    await EXECUTORS[action.id](client, t, (l) => lines.push(l));
  } catch (err) {
    lines.push(...reportError(err, false).lines);
  }
  return lines.join('; ');
}

const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?25h\u001b[?1049l';

/**
 * With TSVIRT_VIEW_TRACE=FILE, one line per frame of live data goes to FILE: when it was handed
 * to React (ms since the process started), how long until ink had written it to the terminal,
 * how many VMs it held, and how long ink's own part (layout and output) took. bench/view reads it.
 */
function frameTrace(file: string | undefined): {
  props: Pick<ViewAppProps, 'onFrame'>;
  ink: { onRender?: (m: Readonly<{ renderTime: number }>) => void };
} {
  if (file === undefined || file === '') return { props: {}, ink: {} };
  const { appendFileSync } = process.getBuiltinModule('node:fs');
  let pending: FrameStart | undefined;
  return {
    props: { onFrame: (f) => (pending ??= f) },
    ink: {
      onRender: ({ renderTime }) => {
        if (pending === undefined) return;
        const ms = performance.now() - pending.at;
        appendFileSync(
          file,
          `frame ${pending.at.toFixed(1)} ${ms.toFixed(2)} ${pending.vms} ${renderTime.toFixed(2)}\n`,
        );
        pending = undefined;
      },
    },
  };
}

export interface ViewOptions {
  readonly list: ListOptions;
  /** The connection flags the view was started with, passed on to `kubectl virt console`. */
  readonly connectionArgs: readonly string[];
  readonly colour: boolean;
  /** The first list, started before ink was imported so both go on at once. */
  readonly first?: Promise<LiveSource>;
}

type Left = Readonly<{ action: ActionSpec; target: Target; state: ViewState }>;
type Resume = Readonly<{ state: ViewState; message: string }>;

/**
 * The commands of actions that take the terminal (ActionSpec.leaves), run with the terminal
 * handed over: this same CLI (the Node and bundle running now), so no PATH lookup can pick another.
 */
const TERMINAL_COMMANDS: Partial<Record<ActionId, (t: Target, connection: readonly string[]) => readonly string[]>> = {
  console: (t, connection) => [
    process.execPath,
    process.argv[1] ?? '',
    'console',
    t.name,
    '-n',
    t.namespace,
    ...connection,
  ],
};

/** Runs a leaving action's command in the terminal; resolves to the line the view shows after. */
function runInTerminal(left: Left, connection: readonly string[]): Promise<string> {
  const argv = TERMINAL_COMMANDS[left.action.id]?.(left.target, connection) ?? [];
  const [command, ...args] = argv;
  if (command === undefined) return Promise.resolve(`error: ${left.action.label} cannot run from the view`);
  const { spawn } = process.getBuiltinModule('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', (err) => resolve(`error: ${argv.join(' ')}: ${err.message}`));
    const shown = `kubectl virt ${argv.slice(2).join(' ')}`;
    child.on('exit', (code, signal) => resolve(`${shown} exited with ${code ?? signal ?? 'no code'}`));
  });
}

/**
 * The view until q or Ctrl-C. An action that takes the terminal ends one session: the terminal
 * is restored, its command runs, and a new session starts with the selection, sort and filter kept.
 */
export async function runView(client: ApiClient, opts: ViewOptions): Promise<void> {
  let resume: Resume | undefined;
  for (let first = opts.first; ; first = undefined) {
    const left = await session(client, { ...opts, ...(first === undefined ? {} : { first }) }, resume);
    if (left === undefined) return;
    resume = { state: left.state, message: await runInTerminal(left, opts.connectionArgs) };
  }
}

async function session(client: ApiClient, opts: ViewOptions, resume: Resume | undefined): Promise<Left | undefined> {
  let left: Left | undefined;
  const out = process.stdout;
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    out.write(LEAVE_ALT_SCREEN);
    process.off('exit', restore);
  };
  const trace = frameTrace(process.env['TSVIRT_VIEW_TRACE']);
  out.write(ENTER_ALT_SCREEN);
  process.once('exit', restore);
  const app = render(
    <ViewApp
      follow={(sink, signal) =>
        followLive(client, opts.list, sink, { signal, ...(opts.first === undefined ? {} : { first: opts.first }) })
      }
      describe={(t) => fetchDescribe(client, t.namespace, t.name, Date.now)}
      act={(action, t) => runAction(client, action, t)}
      scope={{ namespace: opts.list.namespace, allNamespaces: opts.list.allNamespaces === true }}
      colour={opts.colour}
      leave={(action, target, state) => (left = { action, target, state })}
      {...(resume === undefined ? {} : { initial: resume.state, message: resume.message })}
      {...trace.props}
    />,
    // Live data is already held to 10 frames a second (view-app.tsx); a second throttle of 100 ms
    // here would phase-lock with it and halve that, so ink only caps bursts of keys.
    { exitOnCtrlC: false, maxFps: 30, patchConsole: false, ...trace.ink },
  );
  const onSignal = (): void => app.unmount();
  // In raw mode Ctrl-C is a key (view-keys.ts); these come from elsewhere (kill, a closed terminal).
  const signals = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;
  for (const s of signals) process.once(s, onSignal);
  try {
    await app.waitUntilExit();
  } finally {
    for (const s of signals) process.off(s, onSignal);
    restore();
  }
  return left;
}
