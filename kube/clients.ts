/**
 * One factory for every API client a component needs, built from one kubeconfig. All writes of
 * every client pass through one place ({@link WriteRecord} → `onWrite`), so a component can export
 * a writes metric and a test can check "no write when nothing changed".
 *
 * The raw {@link KubeClients.request} speaks plain JSON: timestamps stay strings, objects are
 * exactly what the API server sent. kube/resources.ts builds typed access on it.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  Observable,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import type { LoadedKubeConfig } from './config.js';
import { KubeApiError, apiErrorFromStatus, toApiError } from './errors.js';
import { KeepAliveAuthentication } from './keep-alive.js';
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
  /** HTTP status; 0 when no response arrived; undefined for writes of the generated clients. */
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
}>;

/** Every client a component needs, sharing one kubeconfig and one write counter. */
export interface KubeClients {
  readonly kubeConfig: KubeConfig;
  /** API server URL. */
  readonly server: string;
  /** The context's namespace (or the -n flag). */
  readonly namespace: string;
  /** Generated core/v1 client (typed models; timestamps become Date objects there). */
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  readonly events: EventsV1Api;
  readonly customObjects: CustomObjectsApi;
  /**
   * Sends one request and returns the parsed JSON body (undefined for an empty body).
   * Throws {@link KubeApiError} for a non-2xx answer, a network failure or a timeout.
   */
  request<T = unknown>(req: RawRequest): Promise<T>;
  /**
   * Sends one request and returns the response body as a stream of bytes (watches).
   * Throws {@link KubeApiError} when the answer is not 200. The caller ends it through `signal`.
   */
  stream(req: RawRequest): Promise<ReadableStream<Uint8Array>>;
  /**
   * Closes the keep-alive connections every client here shares (requests in flight finish first).
   * Idle connections never keep a process alive; this is for tidy shutdowns and tests.
   */
  close(): Promise<void>;
}

function of<T>(value: T): Observable<T> {
  return new Observable(Promise.resolve(value));
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

function countingMiddleware(onWrite: (w: WriteRecord) => void): ObservableMiddleware {
  return {
    pre: (ctx: RequestContext) => {
      const w = classifyWrite(ctx.getHttpMethod(), new URL(ctx.getUrl()).pathname, undefined);
      if (w !== undefined) onWrite(w);
      return of(ctx);
    },
    post: (res: ResponseContext) => of(res),
  };
}

function userAgentMiddleware(userAgent: string): ObservableMiddleware {
  return {
    pre: (ctx: RequestContext) => {
      ctx.setHeaderParam('User-Agent', userAgent);
      return of(ctx);
    },
    post: (res: ResponseContext) => of(res),
  };
}

function requestSignal(req: RawRequest, withTimeout: boolean): AbortSignal | undefined {
  const signals = [
    req.signal,
    withTimeout ? AbortSignal.timeout(req.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) : undefined,
  ];
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length === 0 ? undefined : AbortSignal.any(present);
}

function contentType(req: RawRequest): string {
  if (req.method !== 'PATCH') return 'application/json';
  if (req.patchType === undefined) throw new Error(`PATCH ${req.path} needs a patchType`);
  return PATCH_CONTENT_TYPES[req.patchType];
}

class Clients implements KubeClients {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  readonly namespace: string;
  private readonly configuration: Configuration;
  // One connection pool for the generated clients, request() and stream() (see keep-alive.ts).
  private readonly auth: KeepAliveAuthentication;
  private readonly apis = new Map<string, unknown>();

  constructor(
    loaded: LoadedKubeConfig,
    private readonly opts: KubeClientsOptions,
  ) {
    this.kubeConfig = loaded.kubeConfig;
    this.server = loaded.server.replace(/\/+$/, '');
    this.namespace = loaded.namespace;
    this.auth = new KeepAliveAuthentication(this.kubeConfig);
    const middleware = [userAgentMiddleware(opts.userAgent ?? 'tsvirt')];
    if (opts.onWrite !== undefined) middleware.push(countingMiddleware(opts.onWrite));
    this.configuration = createConfiguration({
      baseServer: new ServerConfiguration(this.server, {}),
      authMethods: { default: this.auth },
      middleware,
    });
  }

  // The generated clients are built on first use: most components need one or two of them.
  private api<T>(key: string, make: (c: Configuration) => T): T {
    let api = this.apis.get(key) as T | undefined;
    if (api === undefined) {
      api = make(this.configuration);
      this.apis.set(key, api);
    }
    return api;
  }

  get core(): CoreV1Api {
    return this.api('core', (c) => new CoreV1Api(c));
  }
  get coordination(): CoordinationV1Api {
    return this.api('coordination', (c) => new CoordinationV1Api(c));
  }
  get events(): EventsV1Api {
    return this.api('events', (c) => new EventsV1Api(c));
  }
  get customObjects(): CustomObjectsApi {
    return this.api('customObjects', (c) => new CustomObjectsApi(c));
  }

  private async send(req: RawRequest, withTimeout: boolean): Promise<ResponseContext> {
    const ctx = this.configuration.baseServer.makeRequestContext(req.path, req.method);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) ctx.setQueryParam(k, String(v));
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('User-Agent', this.opts.userAgent ?? 'tsvirt');
    if (req.body !== undefined) {
      ctx.setHeaderParam('Content-Type', contentType(req));
      ctx.setBody(JSON.stringify(req.body));
    }
    const signal = requestSignal(req, withTimeout);
    if (signal !== undefined) ctx.setSignal(signal);
    await this.auth.applySecurityAuthentication(ctx);
    let response: ResponseContext;
    try {
      response = await this.configuration.httpApi.send(ctx).toPromise();
    } catch (e) {
      this.reportWrite(req, 0);
      throw new KubeApiError(toApiError(e));
    }
    this.reportWrite(req, response.httpStatusCode);
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new KubeApiError(apiErrorFromStatus(response.httpStatusCode, await response.body.text().catch(() => '')));
    }
    return response;
  }

  private reportWrite(req: RawRequest, code: number): void {
    if (this.opts.onWrite === undefined) return;
    const w = classifyWrite(req.method, req.path, code);
    if (w !== undefined) this.opts.onWrite(w);
  }

  async request<T = unknown>(req: RawRequest): Promise<T> {
    const response = await this.send(req, true);
    let text: string;
    try {
      text = await response.body.text();
    } catch (e) {
      throw new KubeApiError(toApiError(e));
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async stream(req: RawRequest): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send(req, false);
    const body = response.body.stream();
    if (body === null) throw new KubeApiError(apiErrorFromStatus(500, 'The API server sent no body'));
    return body;
  }

  close(): Promise<void> {
    return this.auth.close();
  }
}

/**
 * Builds the clients for one loaded kubeconfig. Cheap: no network, generated clients made on first use.
 * Never throws for a valid {@link LoadedKubeConfig}.
 */
export function createKubeClients(loaded: LoadedKubeConfig, opts: KubeClientsOptions = {}): KubeClients {
  return new Clients(loaded, opts);
}
