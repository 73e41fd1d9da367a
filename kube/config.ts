/**
 * The services' kubeconfig loading: kubectl's precedence and merge rules from kube/kubeconfig.ts,
 * the same reader `kubectl virt` uses (--kubeconfig, then every file in $KUBECONFIG merged, then
 * ~/.kube/config, then the in-cluster service account). Nothing else is guessed: a missing config
 * is an error, never localhost:8080.
 */
import { loadKubeconfig, type ResolvedKubeconfig } from './kubeconfig.js';

/** The kubectl-style flags that choose a cluster, user and namespace. */
export type KubeConfigOptions = Readonly<{
  /** --kubeconfig: one file; wins over $KUBECONFIG. */
  kubeconfig?: string | undefined;
  /** --context: a context name in the loaded config; default its current-context. */
  context?: string | undefined;
  /** -n/--namespace: default the context's namespace, else `default`. */
  namespace?: string | undefined;
}>;

/**
 * Loads the kubeconfig the way kubectl does and resolves one context.
 * Throws KubeConfigError when no config exists, the context is unknown or has no cluster.
 * Reads files only; never contacts the API server (an exec plugin runs on the first request).
 */
export function loadKubeConfig(opts: KubeConfigOptions = {}): Promise<ResolvedKubeconfig> {
  const given = (v: string | undefined): v is string => v !== undefined && v !== '';
  return loadKubeconfig({
    ...(given(opts.kubeconfig) ? { kubeconfig: opts.kubeconfig } : {}),
    ...(given(opts.context) ? { context: opts.context } : {}),
    ...(given(opts.namespace) ? { namespace: opts.namespace } : {}),
    env: process.env,
  });
}
