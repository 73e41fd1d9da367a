/**
 * One factory for every API client a component needs, built from one kubeconfig. All writes of
 * every client pass through one place ({@link WriteRecord} → `onWrite`), so a component can export
 * a writes metric and a test can check "no write when nothing changed".
 *
 * The raw {@link KubeClients.request} speaks plain JSON: timestamps stay strings, objects are
 * exactly what the API server sent. kube/resources.ts builds typed access on it.
 */
import type { IncomingMessage } from 'node:http';
import { createApiClient, type ApiClient } from './api-client.js';
import type { ResolvedKubeconfig } from './kubeconfig.js';
import { KubeApiError, toApiError } from './errors.js';
import { KubeConfigError } from './kubeconfig-error.js';
import { PATCH_CONTENT_TYPES, type PatchType } from './patch.js';

/** HTTP methods kube/ sends. */
export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Query parameters; undefined values are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** A request to the API server by path, e.g. `/apis/tsvirt.io/v1alpha1/namespaces/ns/virtualmachines/web/status`. */
export type RawRequest = Readonly<{
  method: HttpVerb;
  path: string;
  query?: Query;
  /** Sent as JSON (YAML for `apply`, of which JSON is a subset). */
  body?: unknown;
  /** Required for PATCH: picks the Content-Type. */
  patchType?: PatchType;
  signal?: AbortSignal;
  /** Whole-request deadline; {@link DEFAULT_REQUEST_TIMEOUT_MS} unless told. Ignored by `stream`. */
  timeoutMs?: number;
}>;

/** One API write, reported after its response (or its failure to arrive). */
export type WriteRecord = Readonly<{
  verb: 'create' | 'update' | 'patch' | 'delete';
  /** Plural resource, e.g. `pods`, `virtualmachines`, `leases`. */
  resource: string;
  /** `status` for the status subresource, '' for the object itself. */
  subresource: string;
  group: string;
  namespace: string;
  /** HTTP status; 0 when no response arrived. */
  code: number | undefined;
}>;

/** Requests slower than this are aborted and reported as retryable timeouts. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Options for {@link createKubeClients}. */
export type KubeClientsOptions = Readonly<{
  /** User-Agent, e.g. `virt-controller`; shows up in the API server's audit log and metrics. */
  userAgent?: string;
  /** Called once per write (POST, PUT, PATCH, DELETE) of any client made here. Must not throw. */
  onWrite?: (w: WriteRecord) => void;
  /**
   * The deadline of a request that names none: {@link DEFAULT_REQUEST_TIMEOUT_MS} unless told; 0 for
   * none (the CLI passes kubectl's --request-timeout, whose default is none).
   */
  defaultTimeoutMs?: number;
}>;

/** Every client a component needs, sharing one kubeconfig and one write counter. */
export interface KubeClients {
  /** API server URL. */
  readonly server: string;
  /** The context's namespace (or the -n flag). */
  readonly namespace: string;
  /**
   * Sends one request and returns the parsed JSON body (undefined for an empty body).
   * Throws {@link KubeApiError} for a non-2xx answer, a network failure or a timeout, and
   * KubeConfigError when the credentials cannot be had (an exec plugin missing or failing).
   */
  request<T = unknown>(req: RawRequest): Promise<T>;
  /**
   * Sends one request and returns the response body as a stream of bytes (watches).
   * Throws {@link KubeApiError} when the answer is not 200. The caller ends it through `signal`.
   */
  stream(req: RawRequest): Promise<ReadableStream<Uint8Array>>;
  /**
   * Closes the keep-alive connections every request here shares, watches included.
   * Idle connections never keep a process alive; this is for tidy shutdowns and tests.
   */
  close(): Promise<void>;
}

const WRITE_VERBS: Readonly<Partial<Record<string, WriteRecord['verb']>>> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** The parts of a Kubernetes REST path. */
export type ApiPath = Readonly<{
  group: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
}>;

/**
 * Splits `/api/v1/namespaces/ns/pods/x/status` or `/apis/g/v/nodes/x` into its parts. Pure.
 * `/api/v1/namespaces/ns` is the namespace object itself (resource `namespaces`).
 */
export function parseApiPath(path: string): ApiPath {
  const parts = (path.split('?')[0] ?? '').split('/').filter((p) => p !== '');
  const core = parts[0] === 'api';
  const group = core ? '' : (parts[1] ?? '');
  return { group, ...splitScope(parts.slice(core ? 2 : 3)) };
}

// After /api/v1 or /apis/g/v: [namespaces, ns,] resource [, name [, subresource...]].
function splitScope(rest: readonly string[]): Omit<ApiPath, 'group'> {
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const [resource = '', name = '', ...sub] = namespaced ? rest.slice(2) : rest;
  return { namespace: namespaced ? (rest[1] ?? '') : '', resource, name, subresource: sub.join('/') };
}

/** The write a request makes, or undefined for reads. Pure. */
export function classifyWrite(method: string, path: string, code: number | undefined): WriteRecord | undefined {
  const verb = WRITE_VERBS[method.toUpperCase()];
  if (verb === undefined) return undefined;
  const { group, namespace, resource, subresource } = parseApiPath(path);
  return { verb, resource, subresource, group, namespace, code };
}

function contentType(req: RawRequest): string {
  if (req.method !== 'PATCH') return 'application/json';
  if (req.patchType === undefined) throw new Error(`PATCH ${req.path} needs a patchType`);
  return PATCH_CONTENT_TYPES[req.patchType];
}

function queryStrings(query: Query | undefined): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(query ?? {}).map(([k, v]) => [k, v === undefined ? undefined : String(v)]));
}

/**
 * KubeApiError for whatever a request threw: a whole-request deadline reads as a retryable timeout.
 * A KubeConfigError (an exec plugin that is missing or failed) stays one: it carries the fix.
 */
function asApiError(e: unknown, deadline: AbortSignal | undefined): KubeApiError | KubeConfigError {
  if (deadline?.aborted === true) return new KubeApiError(toApiError(deadline.reason));
  if (e instanceof KubeApiError || e instanceof KubeConfigError) return e;
  return new KubeApiError(toApiError(e));
}

/** The services' face of the one transport (kube/api-client.ts): typed queries, write counting, deadlines. */
class Clients implements KubeClients {
  readonly server: string;
  readonly namespace: string;

  constructor(
    private readonly api: ApiClient,
    private readonly opts: KubeClientsOptions,
  ) {
    this.server = api.server;
    this.namespace = api.namespace;
  }

  private options(req: RawRequest, signal: AbortSignal | undefined): Parameters<ApiClient['request']>[0] {
    return {
      method: req.method,
      path: req.path,
      query: queryStrings(req.query),
      ...(req.body === undefined ? {} : { body: req.body, contentType: contentType(req) }),
      ...(signal === undefined ? {} : { signal }),
    };
  }

  private reportWrite(req: RawRequest, code: number): void {
    if (this.opts.onWrite === undefined) return;
    const w = classifyWrite(req.method, req.path, code);
    if (w !== undefined) this.opts.onWrite(w);
  }

  /** Sends the request and reports the write it made with the status it got (0: no answer). */
  private async send(
    req: RawRequest,
    signal: AbortSignal | undefined,
    deadline?: AbortSignal,
  ): Promise<IncomingMessage> {
    try {
      const res = await this.api.stream(this.options(req, signal));
      this.reportWrite(req, res.statusCode ?? 0);
      return res;
    } catch (e) {
      const err = asApiError(e, deadline);
      this.reportWrite(req, err instanceof KubeApiError ? err.code : 0);
      throw err;
    }
  }

  async request<T = unknown>(req: RawRequest): Promise<T> {
    const ms = req.timeoutMs ?? this.opts.defaultTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const deadline = ms > 0 ? AbortSignal.timeout(ms) : undefined;
    const signals = [req.signal, deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length < 2 ? signals[0] : AbortSignal.any(signals);
    const res = await this.send(req, signal, deadline);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of res) chunks.push(chunk as Buffer);
    } catch (e) {
      throw asApiError(e, deadline);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async stream(req: RawRequest): Promise<ReadableStream<Uint8Array>> {
    const res = await this.send(req, req.signal);
    // Loaded here, not imported: the CLI's fast path never streams through this class.
    const { Readable } = process.getBuiltinModule('node:stream');
    return Readable.toWeb(res) as ReadableStream<Uint8Array>;
  }

  close(): Promise<void> {
    this.api.close();
    return Promise.resolve();
  }
}

/**
 * Builds the clients for one resolved kubeconfig (kube/config.ts loads it). Cheap: no network
 * until the first request. Never throws.
 */
export function createKubeClients(cfg: ResolvedKubeconfig, opts: KubeClientsOptions = {}): KubeClients {
  return new Clients(createApiClient(cfg, { userAgent: opts.userAgent ?? 'tsvirt' }), opts);
}

/**
 * The same face over an API client that exists already (the CLI's, built with its flags), so the
 * CLI and the services share kube/resources.ts's typed client. Its userAgent option is ignored:
 * the API client has its own.
 */
export function kubeClientsOver(api: ApiClient, opts: KubeClientsOptions = {}): KubeClients {
  return new Clients(api, opts);
}
