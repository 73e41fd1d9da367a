/**
 * Opens a client the way kubectl would: --kubeconfig, else KUBECONFIG, else ~/.kube/config;
 * --context; -n else the context's namespace; --request-timeout per request; --as and --as-group. The client and the
 * kubeconfig reader are loaded here, on first use, so help and parse errors never pay for them.
 */
import type { ApiClient } from '../kube/api-client.js';
import { parseDuration } from './duration.js';
import { mark } from './startup-trace.js';

export interface ConnectionFlagValues {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
  readonly 'request-timeout': string;
  /** --as and --as-group: whom the API server should treat the requests as (kubectl's impersonation). */
  readonly as?: string | undefined;
  readonly 'as-group'?: readonly string[] | undefined;
  readonly verbose: boolean;
}

export interface Connection {
  readonly client: ApiClient;
  /** -n, else the context's namespace, else `default`. */
  readonly namespace: string;
  /** Whether -n was given (a file's own namespace must then match it). */
  readonly explicitNamespace: boolean;
}

function impersonation(flags: ConnectionFlagValues): { impersonate?: { user?: string; groups: string[] } } {
  const groups = [...(flags['as-group'] ?? [])];
  if (flags.as === undefined && groups.length === 0) return {};
  return { impersonate: { ...(flags.as === undefined ? {} : { user: flags.as }), groups } };
}

export async function connect(flags: ConnectionFlagValues): Promise<Connection> {
  const timeoutMs = parseDuration(flags['request-timeout'], 'request-timeout');
  const [{ loadKubeconfig }, { createApiClient }] = await Promise.all([
    import('../kube/kubeconfig.js'),
    import('../kube/api-client.js'),
  ]);
  mark('the API client imported (node:https)');
  const cfg = await loadKubeconfig({
    ...(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig }),
    ...(flags.context === undefined ? {} : { context: flags.context }),
    ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
    ...impersonation(flags),
    env: process.env,
  });
  mark('kubeconfig read');
  return {
    client: createApiClient(cfg, { timeoutMs }),
    namespace: cfg.namespace,
    explicitNamespace: flags.namespace !== undefined,
  };
}
