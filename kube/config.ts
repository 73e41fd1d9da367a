/**
 * Kubeconfig loading with kubectl's precedence: --kubeconfig, then $KUBECONFIG (a path list,
 * merged), then ~/.kube/config, then the in-cluster service account. Nothing else is guessed:
 * unlike client-node's loadFromDefault, a missing config is an error, never localhost:8080.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeConfigError } from './kubeconfig-error.js';

/** The kubectl-style flags that choose a cluster, user and namespace. */
export type KubeConfigOptions = Readonly<{
  /** --kubeconfig: one file; wins over $KUBECONFIG. */
  kubeconfig?: string | undefined;
  /** --context: a context name in the loaded config; default its current-context. */
  context?: string | undefined;
  /** -n/--namespace: default the context's namespace, else `default`. */
  namespace?: string | undefined;
}>;

/** A loaded config, resolved to one context. */
export type LoadedKubeConfig = Readonly<{
  kubeConfig: KubeConfig;
  context: string;
  /** The API server URL of the context's cluster. */
  server: string;
  /** The namespace commands use when not told otherwise. */
  namespace: string;
}>;

/** Where the config comes from, decided without reading any file. */
export type KubeConfigSource = Readonly<
  { kind: 'files'; paths: readonly string[] } | { kind: 'in-cluster' } | { kind: 'none' }
>;

/** Environment facts {@link kubeConfigSource} needs; injectable so the choice is testable. */
export type ConfigEnvironment = Readonly<{
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  exists: (path: string) => boolean;
}>;

/** kubectl's precedence as a pure function of flags and environment. */
export function kubeConfigSource(opts: KubeConfigOptions, environment: ConfigEnvironment): KubeConfigSource {
  if (opts.kubeconfig !== undefined && opts.kubeconfig !== '') return { kind: 'files', paths: [opts.kubeconfig] };
  const fromEnv = (environment.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  if (fromEnv.length > 0) return { kind: 'files', paths: fromEnv };
  const home = join(environment.home, '.kube', 'config');
  if (environment.exists(home)) return { kind: 'files', paths: [home] };
  if (environment.env.KUBERNETES_SERVICE_HOST !== undefined) return { kind: 'in-cluster' };
  return { kind: 'none' };
}

function loadFiles(paths: readonly string[]): KubeConfig {
  const kc = new KubeConfig();
  paths.forEach((path, i) => {
    if (!existsSync(path)) {
      throw new KubeConfigError(
        `Kubeconfig ${path} does not exist`,
        'Pass --kubeconfig with an existing file or fix KUBECONFIG.',
      );
    }
    if (i === 0) {
      kc.loadFromFile(path);
      return;
    }
    // Later files in $KUBECONFIG add clusters, users and contexts; the first file's current-context wins.
    const more = new KubeConfig();
    more.loadFromFile(path);
    kc.mergeConfig(more, true);
  });
  return kc;
}

function useContext(kc: KubeConfig, name: string): void {
  if (kc.getContextObject(name) === null) {
    const known =
      kc
        .getContexts()
        .map((c) => c.name)
        .join(', ') || 'none';
    throw new KubeConfigError(`Context "${name}" is not in the kubeconfig`, `Use one of: ${known}.`);
  }
  kc.setCurrentContext(name);
}

function loadSource(source: KubeConfigSource): KubeConfig {
  switch (source.kind) {
    case 'files':
      return loadFiles(source.paths);
    case 'in-cluster': {
      const kc = new KubeConfig();
      kc.loadFromCluster();
      return kc;
    }
    case 'none':
      throw new KubeConfigError(
        'No kubeconfig found (no --kubeconfig, KUBECONFIG or ~/.kube/config)',
        'Pass --kubeconfig, set KUBECONFIG, or start a local cluster with cluster/up.sh.',
      );
    default:
      return source satisfies never;
  }
}

/**
 * Loads the kubeconfig the way kubectl does and resolves one context.
 * Throws {@link KubeConfigError} when no config exists, the context is unknown or has no cluster.
 * Reads files only; never contacts the API server.
 */
export function loadKubeConfig(opts: KubeConfigOptions = {}): LoadedKubeConfig {
  const source = kubeConfigSource(opts, { env: process.env, home: homedir(), exists: existsSync });
  const kc = loadSource(source);
  if (opts.context !== undefined && opts.context !== '') useContext(kc, opts.context);
  const context = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new KubeConfigError(
      `Context "${context}" has no cluster`,
      'Check current-context and the clusters in the kubeconfig.',
    );
  }
  return { kubeConfig: kc, context, server: cluster.server, namespace: chooseNamespace(kc, context, opts.namespace) };
}

function chooseNamespace(kc: KubeConfig, context: string, flag: string | undefined): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromContext = kc.getContextObject(context)?.namespace;
  return fromContext !== undefined && fromContext !== '' ? fromContext : 'default';
}
