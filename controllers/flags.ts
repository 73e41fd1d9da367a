/**
 * virt-controller's command line (node:util parseArgs): pure, so it is unit-tested.
 * `--leader-elect` takes `true`/`false` or stands alone; `--launcher-command` is a JSON array or
 * is repeated, one argv word each.
 */
import { parseArgs } from 'node:util';

export type ControllerFlags = Readonly<{
  kubeconfig: string | undefined;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  workers: number;
  metricsPort: number;
  healthPort: number;
  launcherCommand: readonly string[];
  launcherImage: string | undefined;
  /** The handlers' run folder on every node, mounted into launcher Pods (a real kubelet's node). */
  handlerRunDir: string | undefined;
  logLevel: string;
}>;

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

export type FlagDefaults = Readonly<{
  launcherCommand: readonly string[];
  logLevel: string;
  leaseNamespace: string;
  leaseName: string;
}>;

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new FlagError(`${flag} must be a port number (0 picks a free one), not "${value}"`);
  return n;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new FlagError(`${flag} must be a whole number of at least 1, not "${value}"`);
  return n;
}

function bool(value: string, flag: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new FlagError(`${flag} must be true or false, not "${value}"`);
}

function launcherCommand(values: readonly string[], fallback: readonly string[]): readonly string[] {
  if (values.length === 0) return fallback;
  const first = values[0] ?? '';
  if (values.length === 1 && first.trim().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(first);
    } catch {
      throw new FlagError(`--launcher-command is not a JSON array: ${first}`);
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((w) => typeof w === 'string')) {
      throw new FlagError('--launcher-command as JSON must be a non-empty array of strings');
    }
    return parsed;
  }
  return values;
}

function handlerRunDir(value: string | undefined): string | undefined {
  if (value !== undefined && !value.startsWith('/'))
    throw new FlagError(
      `--handler-run-dir must be an absolute path on the nodes (such as /var/run/tsvirt), not "${value}"`,
    );
  return value;
}

/** node:util's parseArgs throws on an unknown flag or a missing value: a usage error (exit 2). */
function parseOrFlagError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new FlagError(e instanceof Error ? e.message : String(e));
  }
}

/** `--leader-elect` alone means true; parseArgs wants a value for a string option. */
function normalise(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '--leader-elect' ? '--leader-elect=true' : a));
}

export function parseControllerFlags(argv: readonly string[], defaults: FlagDefaults): ControllerFlags {
  const { values } = parseOrFlagError(() =>
    parseArgs({
      args: normalise(argv),
      options: {
        kubeconfig: { type: 'string' },
        'leader-elect': { type: 'string', default: 'true' },
        'lease-namespace': { type: 'string', default: defaults.leaseNamespace },
        'lease-name': { type: 'string', default: defaults.leaseName },
        workers: { type: 'string', default: '10' },
        'metrics-port': { type: 'string', default: '0' },
        'health-port': { type: 'string', default: '0' },
        'launcher-command': { type: 'string', multiple: true, default: [] },
        'launcher-image': { type: 'string' },
        'handler-run-dir': { type: 'string' },
        'log-level': { type: 'string', default: defaults.logLevel },
      },
      strict: true,
      allowPositionals: false,
    }),
  );
  return {
    kubeconfig: values.kubeconfig,
    leaderElect: bool(values['leader-elect'], '--leader-elect'),
    leaseNamespace: values['lease-namespace'],
    leaseName: values['lease-name'],
    workers: positive(values.workers, '--workers'),
    metricsPort: port(values['metrics-port'], '--metrics-port'),
    healthPort: port(values['health-port'], '--health-port'),
    launcherCommand: launcherCommand(values['launcher-command'], defaults.launcherCommand),
    launcherImage: values['launcher-image'],
    handlerRunDir: handlerRunDir(values['handler-run-dir']),
    logLevel: values['log-level'],
  };
}
