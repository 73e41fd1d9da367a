/**
 * The one kubeconfig reader, for `kubectl virt` and the services (through kube/config.ts). It does
 * not import @kubernetes/client-node: client-node costs ~300 ms to import (FACTS.md), kubectl
 * answers in ~50 ms, and the CLI must stay within 1.5x of it. It follows kubectl's rules
 * (k8s.io/client-go tools/clientcmd): --kubeconfig alone, else every file in KUBECONFIG merged (the
 * first file to set a name wins), else ~/.kube/config, else the in-cluster service account; the
 * namespace comes from -n, else the context, else `default`.
 * Exec credential plugins are run as client-go runs them (kube/credentials.ts); auth-provider
 * entries are refused with a message naming the exec plugin to use instead.
 */
import { KubeConfigError } from './kubeconfig-error.js';
import { parseProxyUrl } from './proxy-tunnel.js';

// getBuiltinModule, not `import`: an ESM import of a builtin builds a facade that reads every
// export, which shows in the CLI's start-up.
const { readFileSync } = process.getBuiltinModule('node:fs');
const { readFile } = process.getBuiltinModule('node:fs/promises');
const { homedir } = process.getBuiltinModule('node:os');
const path = process.getBuiltinModule('node:path');
const { delimiter } = path;
const dirname = (p: string): string => path.dirname(p);
const isAbsolute = (p: string): boolean => path.isAbsolute(p);
const join = (...parts: string[]): string => path.join(...parts);

/** What `--kubeconfig`, `--context`, `-n` and the environment select. */
export interface KubeconfigSelection {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
  /** --as and --as-group; they replace the kubeconfig user's own as/as-groups, as in kubectl. */
  readonly impersonate?: Impersonation;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A user's `exec` entry; kube/credentials.ts runs it as client-go does. */
export interface ExecConfig {
  readonly command: string;
  readonly args: ReadonlyArray<string>;
  readonly env: ReadonlyArray<Readonly<{ name: string; value: string }>>;
  readonly apiVersion: string;
  /** `Never`, `IfAvailable` or `Always` as written; checked when the plugin runs (required in v1). */
  readonly interactiveMode?: string;
  /** Shown when the command is missing, as kubectl shows it. */
  readonly installHint?: string;
  /** Set when the plugin asked for the cluster's details (spec.cluster in its input). */
  readonly provideClusterInfo?: true;
  /** The cluster's `client.authentication.k8s.io/exec` extension, handed on as spec.cluster.config. */
  readonly clusterConfig?: unknown;
}

/** Whom the API server should act as (Impersonate-User, one Impersonate-Group per group). */
export interface Impersonation {
  readonly user?: string;
  readonly groups: ReadonlyArray<string>;
}

/** Everything needed to open a connection to the selected cluster as the selected user. */
export interface ResolvedKubeconfig {
  readonly server: string;
  readonly contextName: string;
  readonly namespace: string;
  readonly ca?: Buffer;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  /** kubeconfig's proxy-url: connections tunnel through it (kube/proxy-tunnel.ts). */
  readonly proxyUrl?: URL;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
  /**
   * Where `token` was read from (a user's tokenFile, or the service account's in a Pod): the
   * transport re-reads it at most once a minute, as client-go does, so a rotated token is picked up.
   */
  readonly tokenFile?: string;
  readonly basicAuth?: Readonly<{ username: string; password: string }>;
  readonly exec?: ExecConfig;
  readonly impersonate?: Impersonation;
}

type Rec = Readonly<Record<string, unknown>>;

interface Named {
  readonly name: string;
  readonly body: Rec;
  /** The file the entry came from: relative paths in it are relative to that file's folder. */
  readonly file: string;
}

interface Merged {
  readonly currentContext?: string;
  readonly clusters: ReadonlyMap<string, Named>;
  readonly users: ReadonlyMap<string, Named>;
  readonly contexts: ReadonlyMap<string, Named>;
}

const isRec = (u: unknown): u is Rec => typeof u === 'object' && u !== null && !Array.isArray(u);
const str = (r: Rec, k: string): string | undefined => (typeof r[k] === 'string' && r[k] !== '' ? r[k] : undefined);

/** The kubeconfig files kubectl would read, in precedence order. */
export function kubeconfigPaths(sel: KubeconfigSelection): string[] {
  if (sel.kubeconfig !== undefined && sel.kubeconfig !== '') return [sel.kubeconfig];
  const fromEnv = sel.env['KUBECONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv.split(delimiter).filter((p) => p !== '');
  return [join(sel.env['HOME'] ?? homedir(), '.kube', 'config')];
}

function namedEntries(doc: Rec, key: string, inner: string, file: string): Named[] {
  const list = doc[key];
  if (!Array.isArray(list)) return [];
  return list.filter(isRec).flatMap((e) => {
    const name = str(e, 'name');
    const body = e[inner];
    return name !== undefined && isRec(body) ? [{ name, body, file }] : [];
  });
}

function addFirst(into: Map<string, Named>, entries: readonly Named[]): void {
  for (const e of entries) if (!into.has(e.name)) into.set(e.name, e);
}

/** Merges parsed kubeconfig documents as client-go does: the first file to define a name wins. */
export function mergeKubeconfigs(docs: ReadonlyArray<Readonly<{ file: string; doc: unknown }>>): Merged {
  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  let currentContext: string | undefined;
  for (const { file, doc } of docs) {
    if (!isRec(doc)) continue;
    currentContext ??= str(doc, 'current-context');
    addFirst(clusters, namedEntries(doc, 'clusters', 'cluster', file));
    addFirst(users, namedEntries(doc, 'users', 'user', file));
    addFirst(contexts, namedEntries(doc, 'contexts', 'context', file));
  }
  return { ...(currentContext === undefined ? {} : { currentContext }), clusters, users, contexts };
}

type ReadFile = (path: string) => Buffer;

function dataOrFile(entry: Named, dataKey: string, fileKey: string, read: ReadFile): Buffer | undefined {
  const data = str(entry.body, dataKey);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const path = str(entry.body, fileKey);
  if (path === undefined) return undefined;
  return read(isAbsolute(path) ? path : join(dirname(entry.file), path));
}

/** A relative command with a slash is relative to the kubeconfig's folder (client-go's rule); a bare name is looked up on PATH. */
function execCommand(command: string, file: string): string {
  return command.includes('/') && !isAbsolute(command) ? join(dirname(file), command) : command;
}

function execConfig(user: Named): ExecConfig | undefined {
  const exec = user.body['exec'];
  if (!isRec(exec)) return undefined;
  const command = str(exec, 'command');
  if (command === undefined) throw new KubeConfigError(`user "${user.name}": exec has no command`);
  const args = Array.isArray(exec['args']) ? exec['args'].filter((a): a is string => typeof a === 'string') : [];
  const env = Array.isArray(exec['env'])
    ? exec['env'].filter(isRec).map((e) => ({ name: str(e, 'name') ?? '', value: str(e, 'value') ?? '' }))
    : [];
  const interactiveMode = str(exec, 'interactiveMode');
  const installHint = str(exec, 'installHint');
  return {
    command: execCommand(command, user.file),
    args,
    env,
    apiVersion: str(exec, 'apiVersion') ?? 'client.authentication.k8s.io/v1',
    ...(interactiveMode === undefined ? {} : { interactiveMode }),
    ...(installHint === undefined ? {} : { installHint }),
    ...(exec['provideClusterInfo'] === true ? { provideClusterInfo: true as const } : {}),
  };
}

/** The token, and the file it came from when it came from one (it is then re-read later). */
function userToken(user: Named, read: ReadFile): Pick<ResolvedKubeconfig, 'token' | 'tokenFile'> {
  const token = str(user.body, 'token');
  if (token !== undefined) return { token };
  const tokenFile = str(user.body, 'tokenFile');
  return tokenFile === undefined ? {} : { token: read(tokenFile).toString('utf8').trim(), tokenFile };
}

/** The kubeconfig user's own `as` and `as-groups` (kubectl reads them too). */
function userImpersonation(user: Named): Impersonation | undefined {
  const as = str(user.body, 'as');
  const list = user.body['as-groups'];
  const groups = Array.isArray(list) ? list.filter((g): g is string => typeof g === 'string') : [];
  if (as === undefined && groups.length === 0) return undefined;
  return { ...(as === undefined ? {} : { user: as }), groups };
}

function userCredentials(user: Named | undefined, read: ReadFile): Partial<ResolvedKubeconfig> {
  if (user === undefined) return {};
  if (isRec(user.body['auth-provider'])) {
    throw new KubeConfigError(
      `user "${user.name}": auth-provider is not supported (kubectl removed it in 1.26)`,
      'Use an exec credential plugin instead, e.g. kubelogin for OIDC (kubectl oidc-login), or a token.',
    );
  }
  const cert = dataOrFile(user, 'client-certificate-data', 'client-certificate', read);
  const key = dataOrFile(user, 'client-key-data', 'client-key', read);
  const username = str(user.body, 'username');
  const exec = execConfig(user);
  const impersonate = userImpersonation(user);
  return {
    ...(impersonate === undefined ? {} : { impersonate }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...userToken(user, read),
    ...(username === undefined ? {} : { basicAuth: { username, password: str(user.body, 'password') ?? '' } }),
    ...(exec === undefined ? {} : { exec }),
  };
}

function pickContext(merged: Merged, sel: KubeconfigSelection, paths: readonly string[]): Named {
  const name = sel.context !== undefined && sel.context !== '' ? sel.context : merged.currentContext;
  if (name === undefined) {
    throw new KubeConfigError(`no current context in ${paths.join(delimiter)}; pass --context or set current-context`);
  }
  const context = merged.contexts.get(name);
  if (context === undefined) throw new KubeConfigError(`context "${name}" does not exist in ${paths.join(delimiter)}`);
  return context;
}

const selectedImpersonation = (sel: KubeconfigSelection): { impersonate?: Impersonation } =>
  sel.impersonate === undefined ? {} : { impersonate: sel.impersonate };

/** How to reach a cluster: its server, CA, TLS name, proxy and whether to verify it. */
function clusterConnection(cluster: Named, read: ReadFile): Partial<ResolvedKubeconfig> & { server: string } {
  const server = str(cluster.body, 'server');
  if (server === undefined) throw new KubeConfigError(`cluster "${cluster.name}" has no server`);
  const ca = dataOrFile(cluster, 'certificate-authority-data', 'certificate-authority', read);
  const tlsServerName = str(cluster.body, 'tls-server-name');
  const proxy = str(cluster.body, 'proxy-url');
  return {
    server: server.replace(/\/+$/, ''),
    insecureSkipTlsVerify: cluster.body['insecure-skip-tls-verify'] === true,
    ...(ca === undefined ? {} : { ca }),
    ...(tlsServerName === undefined ? {} : { tlsServerName }),
    ...(proxy === undefined ? {} : { proxyUrl: parseProxyUrl(proxy, cluster.name) }),
  };
}

/** The cluster's `client.authentication.k8s.io/exec` extension, for plugins that asked for cluster info. */
function execExtension(cluster: Named): unknown {
  const list = cluster.body['extensions'];
  if (!Array.isArray(list)) return undefined;
  const entry = list.filter(isRec).find((e) => e['name'] === 'client.authentication.k8s.io/exec');
  return entry?.['extension'];
}

function withClusterConfig(creds: Partial<ResolvedKubeconfig>, cluster: Named): Partial<ResolvedKubeconfig> {
  if (creds.exec?.provideClusterInfo !== true) return creds;
  const config = execExtension(cluster);
  return config === undefined ? creds : { ...creds, exec: { ...creds.exec, clusterConfig: config } };
}

/** Resolves the selected context of already-parsed kubeconfig documents; pure apart from `read`. */
export function resolveKubeconfig(
  merged: Merged,
  sel: KubeconfigSelection,
  paths: readonly string[],
  read: ReadFile,
): ResolvedKubeconfig {
  const context = pickContext(merged, sel, paths);
  const clusterName = str(context.body, 'cluster') ?? '';
  const cluster = merged.clusters.get(clusterName);
  if (cluster === undefined)
    throw new KubeConfigError(`context "${context.name}": cluster "${clusterName}" does not exist`);
  const userName = str(context.body, 'user');
  const namespace =
    sel.namespace !== undefined && sel.namespace !== '' ? sel.namespace : (str(context.body, 'namespace') ?? 'default');
  return {
    insecureSkipTlsVerify: false,
    ...clusterConnection(cluster, read),
    contextName: context.name,
    namespace,
    ...withClusterConfig(
      userCredentials(userName === undefined ? undefined : merged.users.get(userName), read),
      cluster,
    ),
    ...selectedImpersonation(sel),
  };
}

/**
 * Parses a kubeconfig's text. JSON (which YAML includes, and which tools often write) is tried
 * first, so the YAML parser is loaded only for real YAML: it is most of the cost of this step.
 */
export async function parseKubeconfigText(text: string): Promise<unknown> {
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not JSON after all: YAML flow style. The YAML parser reads it.
    }
  }
  const yaml = await import('yaml');
  // Bundled, yaml's CommonJS build comes as a default export; from source, as named exports.
  const parse = (yaml.parse as typeof yaml.parse | undefined) ?? yaml.default.parse;
  return parse(text) as unknown;
}

async function readDoc(file: string, explicit: boolean): Promise<{ file: string; doc: unknown } | undefined> {
  try {
    return { file, doc: await parseKubeconfigText(await readFile(file, 'utf8')) };
  } catch (err) {
    // kubectl skips missing files in KUBECONFIG, but a missing --kubeconfig is an error.
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KubeConfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
}

/** Reads and resolves the kubeconfig kubectl would use. Throws KubeConfigError when it cannot. */
export async function loadKubeconfig(sel: KubeconfigSelection): Promise<ResolvedKubeconfig> {
  const paths = kubeconfigPaths(sel);
  const explicit = sel.kubeconfig !== undefined && sel.kubeconfig !== '';
  const docs = (await Promise.all(paths.map((file) => readDoc(file, explicit)))).filter((d) => d !== undefined);
  if (docs.length === 0) {
    const fallback = withoutKubeconfigFile(sel, paths);
    if (fallback instanceof KubeConfigError) throw fallback;
    return inClusterConfig(sel, (p) => readFileSync(p));
  }
  return resolveKubeconfig(mergeKubeconfigs(docs), sel, paths, (p) => readFileSync(p));
}

/**
 * kubectl's rule when none of the kubeconfig files exists: inside a Pod (KUBERNETES_SERVICE_HOST
 * set, no --kubeconfig) the service account; elsewhere an error naming where it looked, never a
 * guessed localhost:8080. Pure.
 */
export function withoutKubeconfigFile(
  sel: KubeconfigSelection,
  paths: readonly string[],
): 'in-cluster' | KubeConfigError {
  const explicit = sel.kubeconfig !== undefined && sel.kubeconfig !== '';
  if (!explicit && sel.env['KUBERNETES_SERVICE_HOST'] !== undefined) return 'in-cluster';
  return new KubeConfigError(
    `no kubeconfig found (looked at ${paths.join(delimiter)})`,
    'Pass --kubeconfig, set KUBECONFIG, or start a local cluster with hack/run.sh.',
  );
}

/** Where a Pod's service account credentials are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The in-cluster config kubectl falls back to inside a Pod when no kubeconfig exists (client-go's
 * rest.InClusterConfig): the API server from KUBERNETES_SERVICE_HOST/PORT, the service account's
 * token and CA, and its namespace unless -n names one.
 */
export function inClusterConfig(sel: KubeconfigSelection, read: ReadFile): ResolvedKubeconfig {
  const host = sel.env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = sel.env['KUBERNETES_SERVICE_PORT'] ?? '443';
  const file = (name: string): Buffer => {
    try {
      return read(`${SERVICE_ACCOUNT_DIR}/${name}`);
    } catch (err) {
      throw new KubeConfigError(
        `in-cluster config: cannot read ${SERVICE_ACCOUNT_DIR}/${name}: ${(err as Error).message}`,
        "Mount the Pod's service account token (automountServiceAccountToken) or pass --kubeconfig.",
      );
    }
  };
  const token = file('token').toString('utf8').trim();
  let namespace = sel.namespace ?? '';
  if (namespace === '') {
    try {
      namespace = read(`${SERVICE_ACCOUNT_DIR}/namespace`).toString('utf8').trim();
    } catch {
      namespace = 'default';
    }
  }
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    contextName: 'in-cluster',
    namespace: namespace === '' ? 'default' : namespace,
    ca: file('ca.crt'),
    insecureSkipTlsVerify: false,
    token,
    tokenFile: `${SERVICE_ACCOUNT_DIR}/token`,
    ...selectedImpersonation(sel),
  };
}
