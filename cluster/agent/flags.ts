// The node agent's command line on kube/service-flags.ts, parsed without I/O so it is unit-tested.
import { join } from 'node:path';
import { FlagError, parseFlags, required, single, type FlagSpecs } from '../../kube/service-flags.js';

export { FlagError } from '../../kube/service-flags.js';

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

const AGENT_USAGE = {
  command: 'node-agent',
  summary: "Plays the kubelet for tsvirt's launcher Pods on one simulated node.",
};

const AGENT_FLAGS = {
  kubeconfig: { help: 'kubeconfig file ($KUBECONFIG unless told)', value: 'FILE' },
  'node-name': { help: 'the Node to register (required)', value: 'NAME' },
  'state-dir': { help: "the agent's records of its launcher processes (required)", value: 'DIR' },
  cpu: { help: "the Node's CPU capacity", value: 'QUANTITY', default: '2' },
  memory: { help: "the Node's memory capacity", value: 'QUANTITY', default: '8Gi' },
  pods: { help: "the Node's Pod capacity", value: 'N', default: '110' },
  'handler-run-dir': { help: "the handler's run folder (default DIR/handler under --state-dir)", value: 'DIR' },
  'log-level': { help: 'pino level ($LOG_LEVEL, else info)', value: 'LEVEL' },
  'node-status-report-seconds': { help: 'seconds between Node status heartbeats', value: 'S', default: '40' },
} as const satisfies FlagSpecs;

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;

function quantity(value: string | undefined, flag: string): string {
  const v = value ?? '';
  if (!QUANTITY.test(v)) throw new FlagError(`--${flag}: "${v}" is not a Kubernetes quantity such as 2, 500m or 8Gi`);
  return v;
}

function reportSeconds(value: string | undefined): number {
  const report = Number(value ?? '');
  if (!Number.isFinite(report) || report < 1) throw new FlagError('--node-status-report-seconds must be a number >= 1');
  return report;
}

function podCount(value: string | undefined): string {
  const pods = value ?? '';
  if (!/^[0-9]+$/.test(pods)) throw new FlagError(`--pods: "${pods}" is not a whole number`);
  return pods;
}

/** Parses argv (without node and script). Throws {@link FlagError} on unknown flags or bad values. */
export function parseAgentFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): AgentFlags {
  const values = parseFlags(argv, AGENT_FLAGS, AGENT_USAGE);
  const stateDir = required(single(values, 'state-dir'), '--state-dir');
  return {
    kubeconfig: single(values, 'kubeconfig') ?? env.KUBECONFIG,
    nodeName: required(single(values, 'node-name'), '--node-name'),
    stateDir,
    cpu: quantity(single(values, 'cpu'), 'cpu'),
    memory: quantity(single(values, 'memory'), 'memory'),
    pods: podCount(single(values, 'pods')),
    handlerRunDir: single(values, 'handler-run-dir') ?? join(stateDir, 'handler'),
    logLevel: single(values, 'log-level') ?? env.LOG_LEVEL ?? 'info',
    nodeStatusReportSeconds: reportSeconds(single(values, 'node-status-report-seconds')),
  };
}
