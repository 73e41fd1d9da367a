/**
 * virt-controller's command line, on kube/service-flags.ts: pure, so it is unit-tested.
 * `--leader-elect` takes `true`/`false` or stands alone; `--launcher-command` is a JSON array or
 * is repeated, one argv word each.
 */
import {
  COMMON_FLAGS,
  FlagError,
  boolFlag,
  parseFlags,
  portFlag,
  repeated,
  single,
  wholeFlag,
  type FlagSpecs,
  type ServiceUsage,
} from '../kube/service-flags.js';

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

export { FlagError } from '../kube/service-flags.js';

export type FlagDefaults = Readonly<{
  launcherCommand: readonly string[];
  logLevel: string;
  leaseNamespace: string;
  leaseName: string;
}>;

export const CONTROLLER_USAGE: ServiceUsage = {
  command: 'virt-controller',
  summary: 'Turns VirtualMachines into VMIs and VMIs into launcher Pods, while it holds the leader Lease.',
};

/** virt-controller's flags, for parsing and --help; the defaults that depend on the process come in. */
export function controllerFlagSpecs(defaults: FlagDefaults): FlagSpecs {
  return {
    ...COMMON_FLAGS,
    'log-level': { ...COMMON_FLAGS['log-level'], default: defaults.logLevel },
    'leader-elect': { help: 'work only while holding the leader Lease', boolean: true, default: 'true' },
    'lease-namespace': { help: 'namespace of the leader Lease', value: 'NS', default: defaults.leaseNamespace },
    'lease-name': { help: 'name of the leader Lease', value: 'NAME', default: defaults.leaseName },
    workers: { help: 'reconciles running at once, per controller', value: 'N', default: '10' },
    'metrics-port': { help: '/metrics on 127.0.0.1', value: 'PORT', default: '0' },
    'health-port': { help: '/healthz and /readyz on 127.0.0.1', value: 'PORT', default: '0' },
    'launcher-command': {
      help: "the launcher Pod's command: a JSON array, or one word per repeat",
      value: 'WORD',
      multiple: true,
    },
    'launcher-image': { help: "the launcher Pod's image", value: 'IMAGE' },
    'handler-run-dir': { help: "the handlers' run folder on every node, mounted into launcher Pods", value: 'DIR' },
  };
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

export function parseControllerFlags(argv: readonly string[], defaults: FlagDefaults): ControllerFlags {
  const values = parseFlags(argv, controllerFlagSpecs(defaults), CONTROLLER_USAGE);
  const value = (name: string): string => single(values, name) ?? '';
  return {
    kubeconfig: single(values, 'kubeconfig'),
    leaderElect: boolFlag(value('leader-elect'), '--leader-elect'),
    leaseNamespace: value('lease-namespace'),
    leaseName: value('lease-name'),
    workers: wholeFlag(value('workers'), '--workers', 1),
    metricsPort: portFlag(value('metrics-port'), '--metrics-port'),
    healthPort: portFlag(value('health-port'), '--health-port'),
    launcherCommand: launcherCommand(repeated(values, 'launcher-command'), defaults.launcherCommand),
    launcherImage: single(values, 'launcher-image'),
    handlerRunDir: handlerRunDir(single(values, 'handler-run-dir')),
    logLevel: value('log-level'),
  };
}
