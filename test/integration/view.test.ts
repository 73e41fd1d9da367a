// kubectl virt view in a real terminal: tmux runs the real executable (found by the real kubectl)
// against the real control plane with virt-controller and a virt-handler (libvirt's test
// driver), and the test reads the screen with capture-pane, as an operator would look at it.
// The view reaches the API server through a TCP relay this test owns, so it can cut the
// connection (every socket closed, the port refusing) and give it back.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { API_VERSION, VM_KIND } from '../../api/names.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import { Relay } from '../harness/tcp-relay.js';
import { startVirtApi, type VirtApi } from '../harness/virt-api.js';
import { startController, startHandler } from './handler-stack.js';

const run = promisify(execFile);

let ns: string;
let scratch: string;
let socket: string;
let relay: Relay;
let viewEnv: string[];

const tmux = async (...args: string[]): Promise<string> => (await run('tmux', ['-S', socket, ...args])).stdout;
const screen = (target = 'view'): Promise<string> => tmux('capture-pane', '-p', '-t', target);
const send = (...keys: string[]): Promise<string> => tmux('send-keys', '-t', 'view', ...keys);
const paneFlags = async (): Promise<string> =>
  (await tmux('display-message', '-p', '-t', 'view', '#{alternate_on} #{cursor_flag}')).trim();

/** Waits until the screen matches; fails with the last screen. */
function untilScreen(
  test: (text: string) => boolean,
  what: string,
  timeoutMs = 30_000,
  target = 'view',
): Promise<string> {
  return waitFor(
    async (seen) => {
      const text = await screen(target);
      seen(text);
      return test(text) ? text : false;
    },
    { timeoutMs, describe: `the view to show ${what}`, intervalMs: 50 },
  );
}

const rowOf = (text: string, name: string): string | undefined =>
  text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}\u00a0`));
const statusOf = (text: string, name: string): string | undefined => rowOf(text, name)?.trim().split(/\s+/)[1];

function vmJson(name: string): string {
  const node = clusterFromEnv().nodes[0] ?? 'node-1';
  return JSON.stringify({
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          terminationGracePeriodSeconds: 1,
          nodeSelector: { 'kubernetes.io/hostname': node },
          domain: { memory: { guest: '32Mi' }, resources: { requests: { cpu: '10m' } }, devices: {} },
        },
      },
    },
  });
}

/** `env` for a command in an operator's terminal, not CI's: CI=true (as .ci/run sets it) makes the view print once. */
const operatorEnv = (vars: readonly string[]): string[] => ['env', '-u', 'CI', ...vars];

let api: VirtApi | undefined;

beforeAll(async () => {
  const c = clusterFromEnv();
  ns = await createTestNamespace('view');
  scratch = await mkdtemp(join(tmpdir(), 'tsvirt-view-test-'));
  socket = join(scratch, 'tmux.sock');
  const server = new URL(c.server);
  relay = new Relay(server.hostname, Number(server.port));
  await relay.open();
  await startController();
  await startHandler({ node: c.nodes[0] ?? 'node-1' });
  // s, S and R go through virt-api's subresources, as the commands do.
  api = await startVirtApi();
  for (const name of ['alpha', 'beta']) await kubectl(['create', '-n', ns, '-f', '-'], { input: vmJson(name) });
  const env = (viewEnv = [
    `KUBECONFIG=${await relay.kubeconfig(clusterFromEnv().kubeconfig, join(scratch, 'kubeconfig'))}`,
    `PATH=${[join(c.repoRoot, 'dist', 'bin'), dirname(c.kubectl), process.env['PATH'] ?? ''].join(delimiter)}`,
    'TERM=xterm-256color',
  ]);
  // A private tmux server (its own socket, no user config), 100x30, whose pane stays after the
  // view exits so the test can read how it left the terminal.
  // After the view, the shell says how it ended and the pane stays open (cat reads the terminal
  // until the test ends the tmux server), so the test reads the terminal as the view left it: a
  // pane that has ended shows tmux's own state instead (blank, cursor hidden).
  const line = `kubectl virt view -n ${ns}; echo "view exited with $?"; exec cat`;
  await tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-s',
    'view',
    '-x',
    '100',
    '-y',
    '30',
    ...operatorEnv(env),
    'sh',
    '-c',
    line,
  );
}, 120_000);

afterAll(async () => {
  await api?.unregister();
  await tmux('kill-server').catch(() => undefined);
  await relay.cut();
  await stopAllComponents();
  await deleteTestNamespace(ns);
  await rm(scratch, { recursive: true, force: true });
});

describe('kubectl virt view without a terminal', () => {
  it('prints one table and exits 0, with a pipe as stdout and with --once', async () => {
    const c = clusterFromEnv();
    const env = {
      ...process.env,
      KUBECONFIG: c.kubeconfig,
      PATH: [join(c.repoRoot, 'dist', 'bin'), dirname(c.kubectl), process.env['PATH'] ?? ''].join(delimiter),
    };
    for (const args of [['view'], ['view', '--once']]) {
      const r = await run('kubectl', ['virt', ...args, '-n', ns], { env, timeout: 60_000 });
      expect(r.stdout).toMatch(/^NAME\s+STATUS\s+READY\s+NODE\s+IP\s+AGE\s+CPU\s+MEMORY\nalpha\s.*\nbeta\s.*\n$/);
    }
  });
});

describe('kubectl virt view in tmux', () => {
  it('shows the VMs, on the alternate screen', async () => {
    await untilScreen(
      (t) => statusOf(t, 'alpha') === 'Stopped' && statusOf(t, 'beta') === 'Stopped',
      'two Stopped VMs',
    );
    expect(await paneFlags()).toBe('1 0');
  });

  it('starts the selected VM with s and shows it Running; the API refusal of a second start shows in the view', async () => {
    await send('s');
    await untilScreen((t) => statusOf(t, 'alpha') === 'Running', 'alpha Running');
    await send('s');
    await untilScreen((t) => t.includes('error: starting VM alpha: VM is already running'), 'the refusal');
    expect(statusOf(await screen(), 'alpha')).toBe('Running');
  });

  it('asks before stopping: n leaves it running, y stops it', async () => {
    await send('S');
    await untilScreen((t) => t.includes(`Stop VM alpha in namespace ${ns}? y/n`), 'the stop prompt');
    await send('n');
    await untilScreen((t) => !t.includes('y/n'), 'the prompt gone');
    const vm = await kubectl(['get', 'vm', 'alpha', '-n', ns, '-o', 'jsonpath={.spec.runStrategy}']);
    expect(vm.stdout).toBe('Always');
    expect(statusOf(await screen(), 'alpha')).toBe('Running');
    await send('S');
    await untilScreen((t) => t.includes('y/n'), 'the stop prompt again');
    await send('y');
    await untilScreen((t) => statusOf(t, 'alpha') === 'Stopped', 'alpha Stopped');
  });

  it('narrows the table to one row with / and a name', async () => {
    await send('/', 'b', 'e', 't', 'a', 'Enter');
    const t = await untilScreen((x) => rowOf(x, 'alpha') === undefined && rowOf(x, 'beta') !== undefined, 'beta alone');
    expect(t).toContain('1 of 2 VMs');
    await send('Escape');
    await untilScreen((x) => rowOf(x, 'alpha') !== undefined, 'both again');
  });

  it('refits the table when the terminal is resized', async () => {
    await tmux('resize-window', '-t', 'view', '-x', '50', '-y', '12');
    const small = await untilScreen(
      (t) => t.split('\n').some((l) => /^NAME\s+STATUS.*…$/.test(l.trimEnd())),
      'the header cut to 50 columns',
    );
    expect(small.split('\n').every((l) => l.length <= 50)).toBe(true);
    expect(small).toContain('↑↓ move');
    await tmux('resize-window', '-t', 'view', '-x', '120', '-y', '30');
    await untilScreen(
      (t) => /^NAME\s+STATUS\s+READY\s+NODE\s+IP\s+AGE\s+CPU\s+MEMORY\s*$/m.test(t),
      'the whole header',
    );
  });

  it('says reconnecting when the API connection is cut, then shows live rows again without duplicates', async () => {
    await relay.cut();
    await untilScreen((t) => t.includes('reconnecting…'), 'reconnecting');
    await relay.open();
    const back = await untilScreen((t) => /· live\s*$/m.test(t), 'live again');
    expect(back.split('\n').filter((l) => rowOf(l, 'alpha') !== undefined)).toHaveLength(1);
    expect(back.split('\n').filter((l) => rowOf(l, 'beta') !== undefined)).toHaveLength(1);
    await send('s');
    await untilScreen((t) => statusOf(t, 'alpha') === 'Running', 'alpha Running after the reconnect');
  });

  it('deletes the selected VM after d and y', async () => {
    await send('j', 'd');
    await untilScreen((t) => t.includes(`Delete VM beta in namespace ${ns}? y/n`), 'the delete prompt');
    await send('y');
    // Deleted in the foreground: the garbage collector removes it, which on a young cluster can
    // take until its next discovery of the tsvirt resources (up to about 30 s).
    await untilScreen((t) => rowOf(t, 'beta') === undefined && t.includes('· 1 VM ·'), 'beta gone', 60_000);
    const left = await kubectl(['get', 'vm', '-n', ns, '-o', 'name']);
    expect(left.stdout.trim()).toBe('virtualmachine.tsvirt.io/alpha');
  });

  it('quits on q and leaves the terminal as it found it: no alternate screen, cursor visible', async () => {
    await send('q');
    const after = await untilScreen((t) => t.includes('view exited with 0'), "the shell's line after the view");
    expect(after).not.toContain('kubectl virt view ·');
    // alternate_on 0: back on the main screen; cursor_flag 1: the cursor is shown.
    expect(await paneFlags()).toBe('0 1');
  });

  it('restores the terminal when it is ended with SIGTERM', async () => {
    const line = `kubectl virt view -n ${ns}; echo "view exited with $?"; exec cat`;
    await tmux('new-window', '-d', '-t', 'view', '-n', 'term', ...operatorEnv(viewEnv), 'sh', '-c', line);
    await untilScreen((t) => rowOf(t, 'alpha') !== undefined, 'the second view', 30_000, 'view:term');
    const shell = (await tmux('display-message', '-p', '-t', 'view:term', '#{pane_pid}')).trim();
    // kubectl execs the plugin in its own process, so the shell's one child is the view.
    const child = (await run('pgrep', ['-P', shell])).stdout.trim();
    process.kill(Number(child), 'SIGTERM');
    await untilScreen((t) => t.includes('view exited with 0'), 'the shell after the view', 30_000, 'view:term');
    expect((await tmux('display-message', '-p', '-t', 'view:term', '#{alternate_on} #{cursor_flag}')).trim()).toBe(
      '0 1',
    );
  });
});
