/**
 * Typed access to one kind of Kubernetes object over {@link KubeClients.request}, in plain JSON.
 * kube/tsvirt.ts and kube/core.ts instantiate it for VMs, VMIs, Pods, Nodes, Leases and Events.
 * Every method throws {@link KubeApiError} on failure (see kube/errors.ts for the mapping).
 */
import type { KubeClients, Query } from './clients.js';
import { checkedItems } from './list-items.js';
import { watchEvents, type WatchEvent } from './watch-lines.js';
import type { JsonPatchOp, PatchType } from './patch.js';
import { KubeApiError } from './errors.js';

/** The least every Kubernetes object has, in the shape the API server sends it. */
export type KubeObject = {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
  };
};

/** What names a resource's REST path. */
export type ResourceType = Readonly<{
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}>;

/** Which object: namespace is ignored for cluster-scoped resources. */
export type ObjectRef = Readonly<{ namespace?: string | undefined; name: string }>;

/** A list call: a namespace (omit for all namespaces) and server-side selectors. */
export type ListOptions = Readonly<{
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  signal?: AbortSignal | undefined;
}>;

/**
 * A list's items and the resourceVersion to watch from; `skipped` names items that failed the
 * client's guard and were left out (kube/list-items.ts).
 */
export type ObjectList<T> = Readonly<{ items: readonly T[]; resourceVersion: string; skipped: readonly string[] }>;

/** Options on writes. */
export type WriteOptions = Readonly<{
  fieldManager?: string | undefined;
  dryRun?: boolean | undefined;
  /** `Strict` refuses unknown and duplicate fields (kubectl's --validation=strict); the server's default warns. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore' | undefined;
}>;

/** A patch body: an object for merge/strategic/apply, operations for JSON Patch. */
export type PatchBody = Readonly<
  { type: 'json'; ops: readonly JsonPatchOp[] } | { type: Exclude<PatchType, 'json'>; patch: unknown }
>;

/** Options on delete. */
export type DeleteOptions = Readonly<{
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' | undefined;
  gracePeriodSeconds?: number | undefined;
  /** The delete only happens when the object still has this uid / resourceVersion. */
  preconditions?: Readonly<{ uid?: string; resourceVersion?: string }> | undefined;
}>;

/** A watch call from a resourceVersion; see kube/informer.ts for the loop around it. */
export type WatchOptions = Readonly<{
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  resourceVersion: string;
  allowWatchBookmarks?: boolean | undefined;
  /** Server-side end of the watch; the informer picks one at random, as client-go does. */
  timeoutSeconds?: number | undefined;
  signal: AbortSignal;
}>;

/** The REST path of a collection or an object. Pure. */
export function resourcePath(
  rt: ResourceType,
  ref: Readonly<{ namespace?: string | undefined; name?: string }>,
  subresource?: string,
): string {
  const base = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  const ns =
    rt.namespaced && ref.namespace !== undefined && ref.namespace !== ''
      ? `/namespaces/${encodeURIComponent(ref.namespace)}`
      : '';
  const name = ref.name === undefined ? '' : `/${encodeURIComponent(ref.name)}`;
  const sub = subresource === undefined ? '' : `/${subresource}`;
  return `${base}${ns}/${rt.plural}${name}${sub}`;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key caches and work queues use. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace ?? '';
  const name = obj.metadata?.name ?? '';
  return ns === '' ? name : `${ns}/${name}`;
}

/** The inverse of {@link objectKey}. */
export function parseObjectKey(key: string): Required<Pick<ObjectRef, 'name'>> & { namespace: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * List items (and watch events of some servers) come without apiVersion and kind; this puts them
 * back, so a cached or printed object is whole, as `kubectl get -o json` shows it. Pure.
 */
export function withKind(rt: ResourceType, item: unknown): unknown {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
  const apiVersion = rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
  return { apiVersion, kind: rt.kind, ...item };
}

type ListPage = { items?: unknown[]; metadata?: { resourceVersion?: string; continue?: string } };

function refOf(obj: KubeObject): ObjectRef {
  const name = obj.metadata?.name;
  if (name === undefined || name === '') throw new Error('The object has no metadata.name');
  return { namespace: obj.metadata?.namespace, name };
}

function writeQuery(opts: WriteOptions | undefined): Query {
  return {
    fieldManager: opts?.fieldManager,
    dryRun: opts?.dryRun === true ? 'All' : undefined,
    fieldValidation: opts?.fieldValidation,
  };
}

function patchRequest(p: PatchBody): { patchType: PatchType; body: unknown } {
  return p.type === 'json' ? { patchType: 'json', body: p.ops } : { patchType: p.type, body: p.patch };
}

/**
 * CRUD, status and watch for one resource type. `guard` (optional) checks what the server sent:
 * a single object failing it is a 500 KubeApiError rather than handed on untyped; a list item
 * failing it is left out and named in the list's `skipped`, as the CLI's client does.
 */
export class ResourceClient<T extends KubeObject> {
  constructor(
    readonly clients: KubeClients,
    readonly type: ResourceType,
    private readonly guard?: (u: unknown) => u is T,
  ) {}

  private check(u: unknown): T {
    if (this.guard !== undefined && !this.guard(u)) {
      throw new KubeApiError({
        code: 500,
        reason: 'InternalError',
        message: `The API server sent something that is not a ${this.type.kind}`,
        causes: [],
        retryable: false,
      });
    }
    return u as T;
  }

  /** Reads one object. Throws KubeApiError 404 when it does not exist. */
  async get(ref: ObjectRef): Promise<T> {
    return this.check(await this.clients.request({ method: 'GET', path: resourcePath(this.type, ref) }));
  }

  /** Reads one object, or undefined when it does not exist. */
  async find(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.get(ref);
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  /** Lists objects of one namespace, or of all when `namespace` is omitted. Follows `continue` pages. */
  async list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    const items: T[] = [];
    const skipped: string[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.listPage(opts, cont);
      const whole = (page.items ?? []).map((i) => withKind(this.type, i));
      const checked = checkedItems(whole, this.guard ?? ((_u: unknown): _u is T => true));
      items.push(...checked.items);
      skipped.push(...checked.skipped);
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      cont = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (cont !== undefined);
    return { items, resourceVersion, skipped };
  }

  private listPage(opts: ListOptions, cont: string | undefined): Promise<ListPage> {
    return this.clients.request<ListPage>({
      method: 'GET',
      path: resourcePath(this.type, { namespace: opts.namespace }),
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: cont,
      },
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
  }

  /** Creates an object; its namespace comes from `metadata.namespace` unless `namespace` is given. */
  async create(obj: T, opts?: WriteOptions & { namespace?: string }): Promise<T> {
    const namespace = opts?.namespace ?? obj.metadata?.namespace;
    return this.check(
      await this.clients.request({
        method: 'POST',
        path: resourcePath(this.type, { namespace }),
        body: obj,
        query: writeQuery(opts),
      }),
    );
  }

  /**
   * Replaces an object. `metadata.resourceVersion` must be set: the write fails with 409 Conflict
   * when the object changed since it was read, never overwriting someone else's change.
   */
  async update(obj: T, opts?: WriteOptions): Promise<T> {
    return this.put(obj, undefined, opts);
  }

  /** Replaces the status subresource (spec changes in `obj` are ignored by the server). Needs resourceVersion. */
  async updateStatus(obj: T, opts?: WriteOptions): Promise<T> {
    return this.put(obj, 'status', opts);
  }

  private async put(obj: T, subresource: string | undefined, opts: WriteOptions | undefined): Promise<T> {
    if (obj.metadata?.resourceVersion === undefined || obj.metadata.resourceVersion === '') {
      throw new Error(`Refusing to update ${this.type.kind} ${objectKey(obj)} without metadata.resourceVersion`);
    }
    const path = resourcePath(this.type, refOf(obj), subresource);
    return this.check(await this.clients.request({ method: 'PUT', path, body: obj, query: writeQuery(opts) }));
  }

  /** Patches an object (merge, JSON, strategic or apply). */
  async patch(ref: ObjectRef, body: PatchBody, opts?: WriteOptions): Promise<T> {
    return this.check(
      await this.clients.request({
        method: 'PATCH',
        path: resourcePath(this.type, ref),
        ...patchRequest(body),
        query: writeQuery(opts),
      }),
    );
  }

  /** Patches the status subresource. */
  async patchStatus(ref: ObjectRef, body: PatchBody, opts?: WriteOptions): Promise<T> {
    const path = resourcePath(this.type, ref, 'status');
    return this.check(
      await this.clients.request({ method: 'PATCH', path, ...patchRequest(body), query: writeQuery(opts) }),
    );
  }

  /**
   * Deletes an object. Resolves to true when the delete was accepted, false when it was not there (404).
   * With finalizers the object lingers with a deletionTimestamp until they are removed.
   */
  async delete(ref: ObjectRef, opts: DeleteOptions = {}): Promise<boolean> {
    try {
      await this.remove(ref, opts);
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 404) return false;
      throw e;
    }
  }

  /** {@link delete}, but an object that is not there throws the server's 404 (kubectl delete's error). */
  async remove(ref: ObjectRef, opts: DeleteOptions = {}): Promise<void> {
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(opts.propagationPolicy === undefined ? {} : { propagationPolicy: opts.propagationPolicy }),
      ...(opts.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: opts.gracePeriodSeconds }),
      ...(opts.preconditions === undefined ? {} : { preconditions: opts.preconditions }),
    };
    await this.clients.request({ method: 'DELETE', path: resourcePath(this.type, ref), body });
  }

  /** Opens a watch stream (newline-delimited JSON events). The informer parses and loops over it. */
  async watchStream(opts: WatchOptions): Promise<ReadableStream<Uint8Array>> {
    return this.clients.stream({
      method: 'GET',
      path: resourcePath(this.type, { namespace: opts.namespace }),
      query: {
        watch: true,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks ?? true,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        timeoutSeconds: opts.timeoutSeconds,
      },
      signal: opts.signal,
    });
  }

  /**
   * Follows one watch until the server ends it or `signal` aborts (which is not a failure), calling
   * `onEvent` per event with its object's apiVersion and kind put back. The CLI's list-watch loops
   * over it; the informer reads {@link watchStream} itself.
   */
  async watch(opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<void> {
    try {
      for await (const e of watchEvents(await this.watchStream(opts))) {
        onEvent(e.type === 'ERROR' ? e : { type: e.type, object: withKind(this.type, e.object) });
      }
    } catch (err) {
      if (opts.signal.aborted) return;
      throw err;
    }
  }
}
