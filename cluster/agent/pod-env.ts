// What a launcher process gets from its Pod: command, args and environment, resolved as the
// kubelet resolves them (downward-API fieldRefs, $(VAR) references). Pure.
import type { Pod } from '../../kube/core.js';

/** The address every simulated node and Pod has: all traffic stays on this machine. */
export const LOCAL_IP = '127.0.0.1';

type Container = NonNullable<NonNullable<Pod['spec']>['containers']>[number];
type EnvVar = NonNullable<Container['env']>[number];

/** What to run: argv and the environment the Pod asks for (without the agent's own). */
export type ProcessSpec = Readonly<{
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  workingDir: string | undefined;
}>;

/** A Pod the agent cannot run as written; becomes the container's terminated message. */
export class PodSpecError extends Error {
  override readonly name = 'PodSpecError';
}

const FIELD_REFS: Readonly<Record<string, (pod: Pod) => string>> = {
  'metadata.name': (p) => p.metadata?.name ?? '',
  'metadata.namespace': (p) => p.metadata?.namespace ?? '',
  'metadata.uid': (p) => p.metadata?.uid ?? '',
  'spec.nodeName': (p) => p.spec?.nodeName ?? '',
  'spec.serviceAccountName': (p) => p.spec?.serviceAccountName ?? '',
  'status.podIP': () => LOCAL_IP,
  'status.hostIP': () => LOCAL_IP,
  'status.podIPs': () => LOCAL_IP,
  'status.hostIPs': () => LOCAL_IP,
};

const LABEL_OR_ANNOTATION = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** The value of a downward-API fieldPath, as the kubelet resolves it. Throws PodSpecError when unsupported. */
export function fieldRefValue(pod: Pod, fieldPath: string): string {
  const direct = FIELD_REFS[fieldPath];
  if (direct !== undefined) return direct(pod);
  const m = LABEL_OR_ANNOTATION.exec(fieldPath);
  if (m === null) throw new PodSpecError(`env fieldRef ${fieldPath} is not supported by the node agent`);
  const map = m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
  return map?.[m[2] ?? ''] ?? '';
}

/** Expands $(NAME) from `env`; $$(NAME) stays literal $(NAME); unknown names stay as written (kubelet rules). */
export function expandVars(s: string, env: Readonly<Record<string, string>>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && name in env ? (env[name] ?? '') : match;
  });
}

function envValue(pod: Pod, v: EnvVar, env: Readonly<Record<string, string>>): string {
  if (v.value !== undefined) return expandVars(v.value, env);
  const fieldPath = v.valueFrom?.fieldRef?.fieldPath;
  if (fieldPath !== undefined) return fieldRefValue(pod, fieldPath);
  if (v.valueFrom !== undefined)
    throw new PodSpecError(`env ${v.name}: only value and fieldRef are supported by the node agent`);
  return '';
}

/**
 * The process to run for the Pod's first container, plus `extraEnv` (e.g. the handler socket).
 * Throws {@link PodSpecError} when there is no container or no command.
 */
export function processSpecFor(pod: Pod, extraEnv: Readonly<Record<string, string>>): ProcessSpec {
  const container = pod.spec?.containers[0];
  if (container === undefined) throw new PodSpecError('The Pod has no container');
  const env: Record<string, string> = { ...extraEnv };
  for (const v of container.env ?? []) env[v.name] = envValue(pod, v, env);
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a) => expandVars(a, env));
  if ((container.command ?? []).length === 0) {
    throw new PodSpecError('The container has no command; the node agent runs no image entrypoints');
  }
  return { argv, env, workingDir: container.workingDir };
}
