// The integration tier's view of the cluster that test/integration/global-setup.ts started: where
// it is, a namespace per test file, kubectl, tsvirt components as real processes, and waiting for
// a condition with a deadline (never a sleep).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { SERVICE_NODE_FLAGS } from '../../api/names.js';
import type { ClusterInfo } from '../../cluster/local-cluster.js';
import { MARKER_ENV } from '../../cluster/processes.js';
import { CLUSTER_ENV } from '../integration/global-setup.js';

export { CLUSTER_ENV };

export type TestCluster = Readonly<{
  /** Admin (system:masters) kubeconfig. */
  kubeconfig: string;
  server: string;
  /** The cached kubectl binary of the control plane's version. */
  kubectl: string;
  nodes: readonly string[];
  stateDir: string;
  /** Repository root, where dist/ and node_modules/ are. */
  repoRoot: string;
  info: ClusterInfo;
}>;

let cached: TestCluster | undefined;

/** The cluster global-setup started. Throws when the test runs outside the integration project. */
export function clusterFromEnv(): TestCluster {
  if (cached !== undefined) return cached;
  const file = process.env[CLUSTER_ENV];
  if (file === undefined || file === '') {
    throw new Error(
      `${CLUSTER_ENV} is not set: run integration tests with \`npm run test:integration\` (its globalSetup starts the cluster)`,
    );
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo;
  cached = {
    kubeconfig: info.kubeconfig,
    server: info.server,
    kubectl: info.kubectl,
    nodes: info.nodes.map((n) => n.name),
    stateDir: info.stateDir,
    repoRoot: info.repoRoot,
    info,
  };
  return cached;
}

// ---------------------------------------------------------------------------------------------
// waitFor

export type WaitOptions = Readonly<{
  timeoutMs: number;
  /** What is awaited, for the failure message: 'VM web to be Running'. */
  describe: string;
  intervalMs?: number;
}>;

/**
 * Calls `fn` until it returns something other than false, undefined or null, and resolves with
 * that. `fn` may call `seen(x)` with what it observed; a throw counts as not yet. On timeout it
 * rejects with the description, the last thing seen and the last error.
 */
export async function waitFor<T>(
  fn: (seen: (observed: unknown) => void) => Promise<T | false | undefined | null> | T | false | undefined | null,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastSeen: unknown = '(nothing)';
  let lastError: unknown;
  const seen = (observed: unknown): void => {
    lastSeen = observed;
  };
  for (;;) {
    try {
      const result = await fn(seen);
      if (result !== false && result !== undefined && result !== null) return result;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const shown = typeof lastSeen === 'string' ? lastSeen : JSON.stringify(lastSeen, null, 2);
      const error =
        lastError === undefined
          ? ''
          : `\nlast error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`;
      throw new Error(
        `Timed out after ${options.timeoutMs} ms waiting for ${options.describe}\nlast seen: ${shown}${error}`,
      );
    }
    await delay(options.intervalMs ?? 100);
  }
}

// ---------------------------------------------------------------------------------------------
// kubectl

export type KubectlResult = Readonly<{ code: number; stdout: string; stderr: string }>;
export type KubectlOptions = Readonly<{ input?: string; allowFailure?: boolean; timeoutMs?: number }>;

/** How {@link runProcess} runs a command: stdin text, environment over this process's, a kill deadline. */
export type RunOptions = Readonly<{ input?: string; env?: Readonly<Record<string, string>>; timeoutMs?: number }>;

/** Runs a command to its end and resolves with its exit code and output, whatever the code. */
export function runProcess(command: string, args: readonly string[], opts: RunOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    // A command that exits before reading stdin (kubectl get) closes the pipe under our write: that
    // EPIPE is not the command's failure, its exit code and output say what happened.
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') reject(e);
    });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Runs the cached kubectl against the test cluster as admin. Throws with stderr on a non-zero exit
 * unless `allowFailure`.
 */
export async function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  const cluster = clusterFromEnv();
  const result = await runProcess(cluster.kubectl, [`--kubeconfig=${cluster.kubeconfig}`, ...args], {
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  if (result.code !== 0 && options.allowFailure !== true)
    throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result;
}

/**
 * Runs the built `kubectl virt` (dist/bin, or TSVIRT_CLI_BIN_DIR) against the test cluster as
 * admin, without colour; resolves with its exit code and output whatever the code.
 */
export function kubectlVirt(args: readonly string[], input = ''): Promise<KubectlResult> {
  return kubectlVirtWith([...args, `--kubeconfig=${clusterFromEnv().kubeconfig}`], { input });
}

/**
 * Runs the built `kubectl virt` with exactly `args` (no --kubeconfig added) and `env` over this
 * process's environment, for tests of how it finds its cluster and credentials.
 */
export function kubectlVirtWith(
  args: readonly string[],
  opts: Readonly<{ input?: string; env?: Readonly<Record<string, string>> }> = {},
): Promise<KubectlResult> {
  const c = clusterFromEnv();
  const bin = process.env['TSVIRT_CLI_BIN_DIR'] ?? join(c.repoRoot, 'dist', 'bin');
  return runProcess(join(bin, 'kubectl-virt'), args, { ...opts, env: { NO_COLOR: '1', ...opts.env } });
}

/** `kubectl <args> -o json`, parsed. Throws when kubectl fails. */
export async function kubectlJson<T = unknown>(
  args: readonly string[],
  options: Omit<KubectlOptions, 'allowFailure'> = {},
): Promise<T> {
  const res = await kubectl([...args, '-o', 'json'], options);
  return JSON.parse(res.stdout) as T;
}

/** `kubectl apply -f -` of objects (server-side, so large objects work too). */
export async function applyObjects(objects: readonly unknown[], namespace?: string): Promise<void> {
  const ns = namespace === undefined ? [] : ['-n', namespace];
  const input = objects.map((o) => JSON.stringify(o)).join('\n');
  await kubectl(['apply', '--server-side', '--field-manager=tsvirt-test', ...ns, '-f', '-'], { input });
}

// ---------------------------------------------------------------------------------------------
// Namespaces

/**
 * Creates a fresh namespace (`<prefix>-xxxxx`) and waits until its default ServiceAccount exists,
 * so Pods can be created in it at once (the ServiceAccount admission plugin needs it).
 */
export async function createTestNamespace(prefix = 'test'): Promise<string> {
  const manifest = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { generateName: `${prefix}-`, labels: { 'tsvirt.io/test': 'true' } },
  });
  const res = await kubectl(['create', '-f', '-', '-o', 'jsonpath={.metadata.name}'], { input: manifest });
  const name = res.stdout.trim();
  await waitFor(
    async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', name], { allowFailure: true })).code === 0,
    {
      timeoutMs: 30_000,
      describe: `ServiceAccount default in namespace ${name}`,
    },
  );
  return name;
}

/** Deletes a test namespace without waiting for the namespace controller to empty it. */
export async function deleteTestNamespace(name: string): Promise<void> {
  await kubectl(['delete', 'namespace', name, '--wait=false', '--ignore-not-found'], { allowFailure: true });
}

// ---------------------------------------------------------------------------------------------
// Components

export type Exit = Readonly<{ code: number | null; signal: NodeJS.Signals | null }>;

export type ComponentHandle = Readonly<{
  name: string;
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  logs: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  /** SIGTERM to its process group, SIGKILL after `timeoutMs` (default 10 s); resolves with the exit. */
  stop: (timeoutMs?: number) => Promise<Exit>;
  /** Sends a signal (default SIGKILL) to its process group, e.g. to simulate a crash. */
  kill: (signal?: NodeJS.Signals) => void;
  /** Waits until the logs match `pattern`; fails with the logs so far. */
  waitForLog: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
}>;

const running = new Set<ComponentHandle>();

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Spawns `node dist/<bundleName>.js ...args` in its own process group, output captured. It carries
 * the cluster's marker, so global-teardown finds it if a test forgets to stop it (and fails).
 */
export async function startComponent(
  bundleName: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<ComponentHandle> {
  const cluster = clusterFromEnv();
  const child = spawn(
    join(cluster.repoRoot, 'node_modules', '.bin', 'node'),
    [...SERVICE_NODE_FLAGS, join(cluster.repoRoot, 'dist', `${bundleName}.js`), ...args],
    {
      cwd: cluster.repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [MARKER_ENV]: cluster.stateDir, ...env },
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = exitOf(child);
  const handle: ComponentHandle = {
    name: bundleName,
    pid: child.pid ?? -1,
    logs: () => output,
    exited,
    stop: async (timeoutMs = 10_000) => {
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), timeoutMs);
      const exit = await exited;
      clearTimeout(timer);
      // Children of the component (if any) go with it.
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // The group is empty.
      }
      running.delete(handle);
      return exit;
    },
    kill: (signal = 'SIGKILL') => signalGroup(child, signal),
    waitForLog: async (pattern, timeoutMs = 30_000) => {
      await waitFor(() => pattern.test(output), {
        timeoutMs,
        describe: `${bundleName} to log ${String(pattern)}`,
      }).catch((err: unknown) => {
        throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${bundleName} logs ---\n${output}`, {
          cause: err,
        });
      });
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every component this test file started and has not stopped; for afterAll. */
export async function stopAllComponents(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop()));
}
