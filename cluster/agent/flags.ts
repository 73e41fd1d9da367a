// The node agent's command line, parsed without I/O so it is unit-tested.
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export type AgentFlags = Readonly<{
  kubeconfig: string | undefined;
  nodeName: string;
  stateDir: string;
  cpu: string;
  memory: string;
  pods: string;
  handlerRunDir: string;
  logLevel: string;
  /** Seconds between Node status heartbeats when nothing changed. */
  nodeStatusReportSeconds: number;
}>;

export const AGENT_USAGE = `Usage: node-agent --node-name NAME --state-dir DIR [--kubeconfig FILE] [--cpu 2] [--memory 8Gi] [--pods 110]
       [--handler-run-dir DIR (default DIR/handler)] [--log-level info] [--node-status-report-seconds 40]
Plays the kubelet for tsvirt's launcher Pods on one simulated node.`;

/** Thrown for a bad command line; main prints it with the usage and exits 2. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new FlagError(`--${flag} is required`);
  return value;
}

function quantity(value: string | undefined, flag: string, fallback: string): string {
  const v = value ?? fallback;
  if (!QUANTITY.test(v)) throw new FlagError(`--${flag}: "${v}" is not a Kubernetes quantity such as 2, 500m or 8Gi`);
  return v;
}

function parse(argv: readonly string[]): Record<string, string | undefined> {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(FLAG_NAMES.map((n) => [n, { type: 'string' as const }])),
    }).values;
  } catch (e) {
    throw new FlagError(e instanceof Error ? e.message : String(e));
  }
}

const FLAG_NAMES = [
  'kubeconfig',
  'node-name',
  'state-dir',
  'cpu',
  'memory',
  'pods',
  'handler-run-dir',
  'log-level',
  'node-status-report-seconds',
];

function reportSeconds(value: string | undefined): number {
  const report = Number(value ?? '40');
  if (!Number.isFinite(report) || report < 1) throw new FlagError('--node-status-report-seconds must be a number >= 1');
  return report;
}

function podCount(value: string | undefined): string {
  const pods = value ?? '110';
  if (!/^[0-9]+$/.test(pods)) throw new FlagError(`--pods: "${pods}" is not a whole number`);
  return pods;
}

/** Parses argv (without node and script). Throws {@link FlagError} on unknown flags or bad values. */
export function parseAgentFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): AgentFlags {
  const values = parse(argv);
  const stateDir = required(values['state-dir'], 'state-dir');
  return {
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    nodeName: required(values['node-name'], 'node-name'),
    stateDir,
    cpu: quantity(values.cpu, 'cpu', '2'),
    memory: quantity(values.memory, 'memory', '8Gi'),
    pods: podCount(values.pods),
    handlerRunDir: values['handler-run-dir'] ?? join(stateDir, 'handler'),
    logLevel: values['log-level'] ?? env.LOG_LEVEL ?? 'info',
    nodeStatusReportSeconds: reportSeconds(values['node-status-report-seconds']),
  };
}
