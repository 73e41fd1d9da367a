/**
 * The one transport to the API server, over node:http(s), without @kubernetes/client-node (whose
 * import alone costs ~300 ms, FACTS.md): `kubectl virt` uses it directly, the services through
 * kube/clients.ts, the local cluster through cluster/cluster-api.ts. It speaks JSON to any path,
 * follows watches line by line, and throws kube/errors.ts's KubeApiError for every failure (code 0
 * when no answer came), so errors are mapped in one place. Credentials come from
 * kube/credentials.ts, fresh per request. One keep-alive agent per client, so a command's or a
 * service's requests share one TLS handshake; close() releases it.
 */
import type { Agent as HttpAgent, IncomingMessage, request as httpRequestFn } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { apiErrorFromStatus, KubeApiError, toApiError } from './errors.js';
import type { ResolvedKubeconfig } from './kubeconfig.js';
import { credentialSource, type Credential, type CredentialEnvironment, type CredentialSource } from './credentials.js';
import type { WebSocket } from 'ws';
import { WatchLines, type WatchEvent } from './watch-lines.js';
import { tunnelAgent } from './proxy-tunnel.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  readonly method?: HttpMethod;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface ApiClient {
  readonly namespace: string;
  readonly server: string;
  /** The deadline of each request in ms (kubectl's --request-timeout); 0 for none. */
  readonly timeoutMs: number;
  /** Sends one request and returns the decoded JSON body; throws KubeApiError. */
  request(opts: RequestOptions): Promise<unknown>;
  /**
   * Sends one request and hands back the open 2xx response to read as it arrives (a watch's
   * stream); throws KubeApiError for any other answer. The caller ends it through `signal`.
   */
  stream(opts: RequestOptions): Promise<IncomingMessage>;
  /** Follows a watch until the server ends it or `signal` aborts; calls onEvent per line. */
  watch(opts: RequestOptions, onEvent: (e: WatchEvent) => void): Promise<void>;
  /**
   * Opens a WebSocket on `path` with this client's credentials (a console). Resolves once it is
   * open; throws KubeApiError with the server's answer when the upgrade is refused.
   */
  openWebSocket(path: string, subprotocol: string): Promise<WebSocket>;
  close(): void;
}

// process.getBuiltinModule, not `import`: an ESM import of node:http builds a namespace facade
// that reads every export, and one of them lazily loads undici (~25 ms of start-up, measured).
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

export function buildPath(path: string, query: RequestOptions['query']): string {
  const params = Object.entries(query ?? {}).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return params.length === 0 ? path : `${path}?${new URLSearchParams(params).toString()}`;
}

/** TLS options of the connection, for the requests a keep-alive agent does not carry (WebSockets). */
type TlsOptions = Readonly<{
  rejectUnauthorized?: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}>;

/** One connection pool: its agent holds the TLS material, so a new client certificate needs a new one. */
interface Transport {
  readonly agent: HttpAgent | HttpsAgent;
  readonly send: typeof httpRequestFn;
  readonly tls: TlsOptions;
  /** Through a proxy: WebSockets must use the tunnelling agent too. */
  readonly proxied?: boolean;
  /** The client certificate and key the agent was built with. */
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
}

function authorization(cfg: ResolvedKubeconfig, cred: Credential): Record<string, string> {
  const token = cred.token;
  if (token !== undefined) return { Authorization: `Bearer ${token}` };
  if (cfg.basicAuth === undefined) return {};
  return {
    Authorization: `Basic ${Buffer.from(`${cfg.basicAuth.username}:${cfg.basicAuth.password}`).toString('base64')}`,
  };
}

/** kubectl's --as and --as-group as headers (client-go transport/round_trippers.go). */
export function impersonationHeaders(imp: ResolvedKubeconfig['impersonate']): Record<string, string | string[]> {
  if (imp === undefined) return {};
  return {
    ...(imp.user === undefined ? {} : { 'Impersonate-User': imp.user }),
    ...(imp.groups.length === 0 ? {} : { 'Impersonate-Group': [...imp.groups] }),
  };
}

function makeTransport(cfg: ResolvedKubeconfig, cred: Credential): Transport {
  const { cert, key } = cred;
  if (cfg.server.startsWith('http:')) {
    const agent =
      cfg.proxyUrl === undefined
        ? new http.Agent({ keepAlive: true })
        : tunnelAgent(cfg.proxyUrl, false, { keepAlive: true });
    return { agent, send: http.request, tls: {}, cert, key };
  }
  const tls: TlsOptions = {
    rejectUnauthorized: !cfg.insecureSkipTlsVerify,
    ...(cfg.ca === undefined ? {} : { ca: cfg.ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(cfg.tlsServerName === undefined ? {} : { servername: cfg.tlsServerName }),
  };
  const agent =
    cfg.proxyUrl === undefined
      ? new https.Agent({ keepAlive: true, ...tls })
      : tunnelAgent(cfg.proxyUrl, true, { keepAlive: true, ...tls });
  return { agent, send: https.request, tls, proxied: cfg.proxyUrl !== undefined, cert, key };
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

export interface ApiClientOptions {
  /** Client-side deadline per request in ms (kubectl's --request-timeout); 0 or absent = none. */
  readonly timeoutMs?: number;
  /** The environment an exec credential plugin runs in; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** User-Agent of every request; default `kubectl-virt`. */
  readonly userAgent?: string;
  /** The clock and terminal kube/credentials.ts looks at; tests hand in their own. */
  readonly credentials?: Omit<CredentialEnvironment, 'env'>;
}

class NodeApiClient implements ApiClient {
  // One keep-alive agent per client, shared by every request and watch: with an agent per
  // request each paid a new TCP + TLS handshake (measured: 11.4 ms per sequential request
  // against 3.5 ms shared, 100 concurrent creates in 432 ms against 107 ms).
  private transport: Transport | undefined;
  // Agents replaced after a credential brought a new client certificate; their watches run on.
  private readonly retired: Transport[] = [];
  private readonly credentials: CredentialSource;
  private readonly headers: Readonly<Record<string, string | string[]>>;
  readonly namespace: string;
  readonly server: string;
  readonly timeoutMs: number;

  constructor(
    private readonly cfg: ResolvedKubeconfig,
    private readonly opts: ApiClientOptions,
  ) {
    this.namespace = cfg.namespace;
    this.server = cfg.server;
    this.timeoutMs = opts.timeoutMs ?? 0;
    this.credentials = credentialSource(cfg, {
      ...opts.credentials,
      ...(opts.env === undefined ? {} : { env: opts.env }),
    });
    this.headers = {
      Accept: 'application/json',
      'User-Agent': opts.userAgent ?? 'kubectl-virt',
      ...impersonationHeaders(cfg.impersonate),
    };
  }

  /** The credential to send now and the pool that carries its client certificate. */
  private async connection(): Promise<{ t: Transport; cred: Credential; headers: Record<string, string | string[]> }> {
    const cred = await this.credentials.current();
    let t = this.transport;
    if (t === undefined || t.cert !== cred.cert || t.key !== cred.key) {
      if (t !== undefined) this.retire(t);
      t = makeTransport(this.cfg, cred);
      this.transport = t;
    }
    return { t, cred, headers: { ...this.headers, ...authorization(this.cfg, cred) } };
  }

  /** Keeps a replaced pool while requests (watches) still run on it; idle pools are closed. */
  private retire(old: Transport): void {
    this.retired.push(old);
    for (const t of this.retired.splice(0)) {
      if (Object.keys(t.agent.sockets).length > 0) this.retired.push(t);
      else t.agent.destroy();
    }
  }

  private async open(opts: RequestOptions, deadlineMs: number | undefined): Promise<IncomingMessage> {
    const first = await this.openOnce(opts, deadlineMs);
    if (first.res.statusCode !== 401 || !this.credentials.rejected(first.cred)) return first.res;
    // client-go runs the exec plugin again (or re-reads the token file) after a 401; the request
    // was refused before the server acted on it, so sending it once more is safe, writes included.
    first.res.resume();
    return (await this.openOnce(opts, deadlineMs)).res;
  }

  private async openOnce(
    opts: RequestOptions,
    deadlineMs: number | undefined,
  ): Promise<{ res: IncomingMessage; cred: Credential }> {
    const { t, cred, headers } = await this.connection();
    const url = new URL(buildPath(opts.path, opts.query), `${this.cfg.server}/`);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = t.send(
        url,
        { method: opts.method ?? 'GET', agent: t.agent, headers, ...(opts.signal ? { signal: opts.signal } : {}) },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.unreachable(err)));
      if (deadlineMs !== undefined && deadlineMs > 0) {
        req.setTimeout(deadlineMs, () =>
          req.destroy(Object.assign(new Error(`no answer within ${deadlineMs} ms`), { code: 'ETIMEDOUT' })),
        );
      }
      req.end(body);
    });
    return { res, cred };
  }

  private unreachable(err: NodeJS.ErrnoException): Error {
    if (err.name === 'AbortError') return err;
    const mapped = toApiError(err);
    // TLS failures carry codes toApiError does not know; they still mean "no usable answer".
    const detail = err.code ?? err.message;
    return new KubeApiError({
      ...mapped,
      code: 0,
      reason: mapped.reason === 'Unknown' ? 'NetworkError' : mapped.reason,
      message: `Could not reach the API server at ${this.cfg.server}: ${detail}`,
    });
  }

  async request(opts: RequestOptions): Promise<unknown> {
    const res = await this.open(opts, this.opts.timeoutMs);
    const text = await readAll(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw new KubeApiError(apiErrorFromStatus(code, text));
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  async stream(opts: RequestOptions): Promise<IncomingMessage> {
    const res = await this.open(opts, undefined);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw new KubeApiError(apiErrorFromStatus(code, await readAll(res)));
    return res;
  }

  async watch(opts: RequestOptions, onEvent: (e: WatchEvent) => void): Promise<void> {
    let res: IncomingMessage;
    try {
      res = await this.stream({ ...opts, query: { ...opts.query, watch: 'true' } });
    } catch (err) {
      // Aborted before the server answered: the caller asked to stop, which is not a failure.
      if (opts.signal?.aborted === true) return;
      throw err;
    }
    const lines = new WatchLines();
    res.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: string) => {
        for (const event of lines.push(chunk)) onEvent(event);
      });
      res.on('end', () => {
        for (const event of lines.end()) onEvent(event);
        resolve();
      });
      res.on('error', (err: Error) => (err.name === 'AbortError' ? resolve() : reject(err)));
      opts.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  async openWebSocket(path: string, subprotocol: string): Promise<WebSocket> {
    const { t, headers: all } = await this.connection();
    // ws is loaded only by the commands that stream (console): the rest never pay for it.
    const { WebSocket: Ws } = await import('ws');
    const url = new URL(path, `${this.cfg.server}/`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const { Accept: _accept, ...headers } = all;
    // ws types headers as strings, but hands them to http.request, which sends an array value as
    // one header line per element: each impersonated group arrives as its own Impersonate-Group.
    const ws = new Ws(url, subprotocol, {
      headers: headers as Record<string, string>,
      ...t.tls,
      ...(t.proxied === true ? { agent: t.agent } : {}),
      handshakeTimeout: this.opts.timeoutMs || 30_000,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (req, res) => {
        void readAll(res).then((text) => {
          // With this listener ws leaves the refused request to us: destroy it, or its socket keeps
          // the process alive until the server drops the idle connection.
          req.destroy();
          reject(new KubeApiError(apiErrorFromStatus(res.statusCode ?? 0, text)));
        });
      });
      ws.once('error', (err: NodeJS.ErrnoException) => reject(this.unreachable(err)));
    });
  }

  close(): void {
    for (const t of [...this.retired.splice(0), this.transport]) t?.agent.destroy();
    this.transport = undefined;
  }
}

/** A client for the resolved kubeconfig; connects on the first request. */
export function createApiClient(cfg: ResolvedKubeconfig, opts: ApiClientOptions = {}): ApiClient {
  return new NodeApiClient(cfg, opts);
}
