/**
 * The credentials the transport (kube/api-client.ts) sends, kept fresh the way client-go keeps
 * them (k8s.io/client-go plugin/pkg/client/auth/exec and transport/token_source.go):
 * - an exec plugin's answer is cached until its `status.expirationTimestamp` (for good when it has
 *   none) and the plugin is run again after a 401 that the cached answer earned;
 * - a tokenFile (a user's, or the service account token in a Pod) is re-read at most once a
 *   minute, and at once after a 401, so a rotated token is picked up without a restart;
 * - a static token or client certificate never changes.
 * The plugin runs with its stderr inherited; stdin is handed to it only when it may be interactive
 * (interactiveMode and a terminal on stdin), as kubectl does.
 */
import type { ExecConfig, ResolvedKubeconfig } from './kubeconfig.js';
import { KubeConfigError } from './kubeconfig-error.js';

/** What one request authenticates with; the same object while it stays valid. */
export interface Credential {
  readonly token?: string;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Hands out the credential to send now and learns from a 401. */
export interface CredentialSource {
  /** The credential for the next request: runs the exec plugin or re-reads the token file when due. */
  current(): Promise<Credential>;
  /**
   * Called after a 401 answered a request sent with `used`. Drops `used` so that the next
   * current() fetches anew, and says whether a retry may get a different answer.
   */
  rejected(used: Credential): boolean;
}

/** What a credential source may read of its surroundings; tests hand in their own clock. */
export type CredentialEnvironment = Readonly<{
  env?: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** Whether stdin is a terminal; default isatty(0). */
  stdinIsTerminal?: boolean;
}>;

/** client-go re-reads a token file once its cached copy is a minute old (cachingTokenSource). */
export const TOKEN_FILE_PERIOD_MS = 60_000;

const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
const INTERACTIVE_MODES = ['Never', 'IfAvailable', 'Always'] as const;
type InteractiveMode = (typeof INTERACTIVE_MODES)[number];

const isRec = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

function checkApiVersion(exec: ExecConfig): void {
  if ((EXEC_API_VERSIONS as readonly string[]).includes(exec.apiVersion)) return;
  throw new KubeConfigError(
    `exec plugin ${exec.command}: apiVersion "${exec.apiVersion}" is not supported`,
    `Set exec.apiVersion to ${EXEC_API_VERSIONS.join(' or ')} in the kubeconfig.`,
  );
}

/** exec.interactiveMode with client-go's defaults: required in v1, IfAvailable in v1beta1. Pure. */
export function interactiveMode(exec: ExecConfig): InteractiveMode {
  checkApiVersion(exec);
  const mode = exec.interactiveMode;
  if (mode === undefined) {
    if (exec.apiVersion.endsWith('/v1beta1')) return 'IfAvailable';
    throw new KubeConfigError(
      `exec plugin ${exec.command}: interactiveMode is required for ${exec.apiVersion}`,
      'Set exec.interactiveMode to Never, IfAvailable or Always in the kubeconfig.',
    );
  }
  if ((INTERACTIVE_MODES as readonly string[]).includes(mode)) return mode as InteractiveMode;
  throw new KubeConfigError(
    `exec plugin ${exec.command}: interactiveMode "${mode}" is not one of ${INTERACTIVE_MODES.join(', ')}`,
    'Set exec.interactiveMode to Never, IfAvailable or Always in the kubeconfig.',
  );
}

/**
 * Whether the plugin runs interactively (spec.interactive, and stdin handed to it): only with a
 * terminal on stdin and a mode that allows it; `Always` without a terminal is an error. Pure.
 */
export function isInteractive(exec: ExecConfig, stdinIsTerminal: boolean): boolean {
  const mode = interactiveMode(exec);
  if (mode === 'Never') return false;
  if (stdinIsTerminal) return true;
  if (mode === 'IfAvailable') return false;
  throw new KubeConfigError(
    `exec plugin ${exec.command} needs a terminal (interactiveMode: Always), but stdin is not one`,
    'Run the command from a terminal, or set exec.interactiveMode to IfAvailable if the plugin can work without one.',
  );
}

/** The ExecCredential handed to the plugin in KUBERNETES_EXEC_INFO. Pure. */
export function execInfo(cfg: ResolvedKubeconfig, exec: ExecConfig, interactive: boolean): unknown {
  const cluster = {
    server: cfg.server,
    ...(cfg.tlsServerName === undefined ? {} : { 'tls-server-name': cfg.tlsServerName }),
    ...(cfg.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
    ...(cfg.ca === undefined ? {} : { 'certificate-authority-data': cfg.ca.toString('base64') }),
    ...(cfg.proxyUrl === undefined ? {} : { 'proxy-url': cfg.proxyUrl.href }),
    ...(exec.clusterConfig === undefined ? {} : { config: exec.clusterConfig }),
  };
  return {
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive, ...(exec.provideClusterInfo === true ? { cluster } : {}) },
  };
}

/** A plugin's answer: the credential and when it stops being good (undefined: until a 401). */
export type ExecAnswer = Readonly<{ credential: Credential; expiresAt: number | undefined }>;

type Fail = (what: string) => KubeConfigError;

/** The ExecCredential's status, after checking kind and apiVersion. */
function execStatus(exec: ExecConfig, stdout: string, fail: Fail): Readonly<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw fail('something that is not JSON');
  }
  if (!isRec(parsed) || parsed['kind'] !== 'ExecCredential') throw fail('something that is not an ExecCredential');
  if (parsed['apiVersion'] !== exec.apiVersion) {
    throw fail(`with apiVersion ${String(parsed['apiVersion'])}, not the ${exec.apiVersion} it was asked for`);
  }
  const status = parsed['status'];
  if (!isRec(status)) throw fail('an ExecCredential without status');
  return status;
}

function expiryOf(expiry: string | undefined, fail: Fail): number | undefined {
  if (expiry === undefined) return undefined;
  const at = Date.parse(expiry);
  if (Number.isNaN(at)) throw fail(`an expirationTimestamp "${expiry}" that is not a time`);
  return at;
}

/** Reads a plugin's stdout as client-go does; a malformed answer names what is wrong. Pure. */
export function parseExecCredential(exec: ExecConfig, stdout: string): ExecAnswer {
  const fail: Fail = (what) =>
    new KubeConfigError(`exec plugin ${exec.command} answered ${what}`, 'Check the plugin by running it by hand.');
  const status = execStatus(exec, stdout, fail);
  const text = (k: string): string | undefined =>
    typeof status[k] === 'string' && status[k] !== '' ? status[k] : undefined;
  const [token, cert, key] = [text('token'), text('clientCertificateData'), text('clientKeyData')];
  if ((cert === undefined) !== (key === undefined)) throw fail('only one of clientCertificateData and clientKeyData');
  if (token === undefined && cert === undefined) throw fail('neither a token nor a client certificate');
  return {
    credential: {
      ...(token === undefined ? {} : { token }),
      ...(cert === undefined ? {} : { cert: Buffer.from(cert) }),
      ...(key === undefined ? {} : { key: Buffer.from(key) }),
    },
    expiresAt: expiryOf(text('expirationTimestamp'), fail),
  };
}

function missingCommand(exec: ExecConfig): KubeConfigError {
  return new KubeConfigError(
    `exec plugin ${exec.command} was not found`,
    exec.installHint ?? 'Install the plugin, or fix exec.command in the kubeconfig (a bare name is looked up on PATH).',
  );
}

/** Runs the plugin once and returns its stdout. */
function runPlugin(exec: ExecConfig, info: unknown, interactive: boolean, env: NodeJS.ProcessEnv): Promise<string> {
  const extra = Object.fromEntries(exec.env.map((e) => [e.name, e.value]));
  return new Promise((resolve, reject) => {
    const child = process.getBuiltinModule('node:child_process').spawn(exec.command, [...exec.args], {
      env: { ...env, ...extra, KUBERNETES_EXEC_INFO: JSON.stringify(info) },
      stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? missingCommand(exec)
          : new KubeConfigError(`exec plugin ${exec.command}: ${err.message}`),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(new KubeConfigError(`exec plugin ${exec.command} failed (exit ${code ?? signal ?? '?'})`));
    });
  });
}

/** The kubeconfig's own token and client certificate. Pure. */
function staticCredential(cfg: ResolvedKubeconfig, token = cfg.token): Credential {
  return {
    ...(token === undefined ? {} : { token }),
    ...(cfg.cert === undefined ? {} : { cert: cfg.cert }),
    ...(cfg.key === undefined ? {} : { key: cfg.key }),
  };
}

/** Static credentials (certificate, token, basic auth in the kubeconfig): a 401 will not change. */
class StaticSource implements CredentialSource {
  private readonly credential: Credential;
  constructor(cfg: ResolvedKubeconfig) {
    this.credential = staticCredential(cfg);
  }
  current(): Promise<Credential> {
    return Promise.resolve(this.credential);
  }
  rejected(): boolean {
    return false;
  }
}

/** A token file: read at load, re-read once its copy is a minute old or after a 401. */
class TokenFileSource implements CredentialSource {
  private credential: Credential;
  private readAt: number;

  constructor(
    private readonly cfg: ResolvedKubeconfig & { tokenFile: string },
    private readonly now: () => number,
  ) {
    this.credential = staticCredential(cfg);
    this.readAt = now();
  }

  async current(): Promise<Credential> {
    if (this.now() - this.readAt < TOKEN_FILE_PERIOD_MS) return this.credential;
    const { readFile } = process.getBuiltinModule('node:fs/promises');
    try {
      const token = (await readFile(this.cfg.tokenFile, 'utf8')).trim();
      if (token !== this.credential.token) this.credential = staticCredential(this.cfg, token);
    } catch {
      // client-go keeps the last good token when a re-read fails (a rotation mid-write); so do we.
    }
    this.readAt = this.now();
    return this.credential;
  }

  rejected(used: Credential): boolean {
    if (used === this.credential) this.readAt = -Infinity;
    return true;
  }
}

/** An exec plugin: run on first use, again when its answer expires or earned a 401. */
class ExecSource implements CredentialSource {
  private cached: ExecAnswer | undefined;
  private running: Promise<ExecAnswer> | undefined;

  constructor(
    private readonly cfg: ResolvedKubeconfig & { exec: ExecConfig },
    private readonly environment: Required<Pick<CredentialEnvironment, 'now'>> & CredentialEnvironment,
  ) {}

  async current(): Promise<Credential> {
    const c = this.cached;
    if (c !== undefined && (c.expiresAt === undefined || this.environment.now() < c.expiresAt)) return c.credential;
    // Concurrent requests share one run of the plugin.
    this.running ??= this.run().finally(() => (this.running = undefined));
    this.cached = await this.running;
    return this.cached.credential;
  }

  private async run(): Promise<ExecAnswer> {
    const { exec } = this.cfg;
    // isatty(0), not process.stdin.isTTY: reading process.stdin opens a stream on fd 0 the CLI never uses.
    const terminal = this.environment.stdinIsTerminal ?? process.getBuiltinModule('node:tty').isatty(0);
    const interactive = isInteractive(exec, terminal);
    const info = execInfo(this.cfg, exec, interactive);
    const answer = parseExecCredential(
      exec,
      await runPlugin(exec, info, interactive, this.environment.env ?? process.env),
    );
    // The kubeconfig's own certificate or token fills what the plugin did not hand out (client-go).
    return { credential: { ...staticCredential(this.cfg), ...answer.credential }, expiresAt: answer.expiresAt };
  }

  rejected(used: Credential): boolean {
    if (this.cached?.credential === used) this.cached = undefined;
    return true;
  }
}

/** The credential source for a resolved kubeconfig. Cheap: nothing runs until the first request. */
export function credentialSource(cfg: ResolvedKubeconfig, environment: CredentialEnvironment = {}): CredentialSource {
  const now = environment.now ?? Date.now;
  if (cfg.exec !== undefined) return new ExecSource({ ...cfg, exec: cfg.exec }, { ...environment, now });
  if (cfg.tokenFile !== undefined) return new TokenFileSource({ ...cfg, tokenFile: cfg.tokenFile }, now);
  return new StaticSource(cfg);
}
