/**
 * Typed access to the objects `kubectl virt` reads and writes, over the API client (no
 * client-node). Answers are checked with the api/ guards; a list's items that fail them are left
 * out and named in `skipped` (kube/list-items.ts), rather than crashing a printer.
 */
import { GROUP, VM_PLURAL, VMI_PLURAL } from '../api/names.js';
import { checkedItems } from './list-items.js';
import {
  isVirtualMachine,
  isVirtualMachineInstance,
  type VirtualMachine,
  type VirtualMachineInstance,
} from '../api/types.js';
import { isNotFound } from './errors.js';
import type { ApiClient, RequestOptions } from './api-client.js';
import { PATCH_CONTENT_TYPES } from './patch.js';
import { resourcePath, withKind } from './resources.js';
import { VM_RESOURCE, VMI_RESOURCE } from './tsvirt.js';
import { EVENT_RESOURCE, LEASE_RESOURCE, NODE_RESOURCE, POD_RESOURCE } from './core.js';
import type { WatchEvent } from './watch-lines.js';

export type Plural = typeof VM_PLURAL | typeof VMI_PLURAL;

/** Where to look: one namespace, or every namespace (`-A`). */
export interface Scope {
  readonly namespace: string;
  readonly allNamespaces?: boolean;
}

export interface ListOptions extends Scope {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface ListResult<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
  /** Items the API server sent that are not the kind asked for, left out (kube/list-items.ts). */
  readonly skipped: readonly string[];
}

const isRec = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

const named = (name: string | undefined): { name?: string } => (name === undefined ? {} : { name });

/** /apis/tsvirt.io/v1alpha1[/namespaces/ns]/plural[/name][/sub], by kube/resources.ts's resourcePath. */
export function tsvirtPath(plural: Plural, scope: Scope, name?: string, sub?: string): string {
  const namespace = scope.allNamespaces === true && name === undefined ? undefined : scope.namespace;
  return resourcePath(plural === VM_PLURAL ? VM_RESOURCE : VMI_RESOURCE, { namespace, ...named(name) }, sub);
}

export function corePath(plural: 'pods' | 'events', namespace: string, name?: string): string {
  return resourcePath(plural === 'pods' ? POD_RESOURCE : EVENT_RESOURCE, { namespace, ...named(name) });
}

function items(list: unknown): { items: unknown[]; resourceVersion: string } {
  if (!isRec(list)) return { items: [], resourceVersion: '' };
  const meta = isRec(list['metadata']) ? list['metadata'] : {};
  return {
    items: Array.isArray(list['items']) ? list['items'] : [],
    resourceVersion: typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '',
  };
}

function listQuery(opts: ListOptions): NonNullable<RequestOptions['query']> {
  return { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
}

/**
 * Lists VMs or VMIs. The API server's list omits each item's apiVersion and kind; they are put
 * back so printers and `-o json` show what `kubectl get -o json` shows.
 */
async function listTsvirt<T>(
  client: ApiClient,
  plural: Plural,
  guard: (u: unknown) => u is T,
  opts: ListOptions,
): Promise<ListResult<T>> {
  const list = items(await client.request({ path: tsvirtPath(plural, opts), query: listQuery(opts) }));
  const type = plural === VM_PLURAL ? VM_RESOURCE : VMI_RESOURCE;
  return {
    ...checkedItems(
      list.items.map((i) => withKind(type, i)),
      guard,
    ),
    resourceVersion: list.resourceVersion,
  };
}

export function listVms(client: ApiClient, opts: ListOptions): Promise<ListResult<VirtualMachine>> {
  return listTsvirt(client, VM_PLURAL, isVirtualMachine, opts);
}

export function listVmis(client: ApiClient, opts: ListOptions): Promise<ListResult<VirtualMachineInstance>> {
  return listTsvirt(client, VMI_PLURAL, isVirtualMachineInstance, opts);
}

/** Reads one object; throws a 404 KubeApiError (kube/errors.ts) when it does not exist. */
export async function getObject(client: ApiClient, plural: Plural, namespace: string, name: string): Promise<unknown> {
  return client.request({ path: tsvirtPath(plural, { namespace }, name) });
}

export async function getVm(client: ApiClient, namespace: string, name: string): Promise<VirtualMachine> {
  const vm = await getObject(client, VM_PLURAL, namespace, name);
  if (!isVirtualMachine(vm))
    throw new Error(`the server answered for VirtualMachine ${namespace}/${name} with something else`);
  return vm;
}

/** A VMI, or undefined when there is none (a stopped VM has none). */
export async function findVmi(
  client: ApiClient,
  namespace: string,
  name: string,
): Promise<VirtualMachineInstance | undefined> {
  return findOptional(async () => {
    const vmi = await getObject(client, VMI_PLURAL, namespace, name);
    return isVirtualMachineInstance(vmi) ? vmi : undefined;
  });
}

/** Runs `read`, turning a 404 into undefined. */
export async function findOptional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export type DryRun = 'none' | 'server';

export async function createVm(client: ApiClient, namespace: string, vm: unknown, dryRun: DryRun): Promise<unknown> {
  return client.request({
    method: 'POST',
    path: tsvirtPath(VM_PLURAL, { namespace }),
    query: { dryRun: dryRun === 'server' ? 'All' : undefined, fieldManager: 'kubectl-virt', fieldValidation: 'Strict' },
    body: vm,
  });
}

type PatchTarget = Readonly<{ plural: Plural; namespace: string; name: string; status?: boolean }>;

function patch(client: ApiClient, target: PatchTarget, contentType: string, body: unknown): Promise<unknown> {
  const subresource = target.status === true ? 'status' : undefined;
  return client.request({
    method: 'PATCH',
    path: tsvirtPath(target.plural, { namespace: target.namespace }, target.name, subresource),
    query: { fieldManager: 'kubectl-virt' },
    contentType,
    body,
  });
}

/** A JSON merge patch on the object, or on its status subresource. */
export async function mergePatch(client: ApiClient, target: PatchTarget, body: unknown): Promise<unknown> {
  return patch(client, target, PATCH_CONTENT_TYPES.merge, body);
}

/** A JSON patch (RFC 6902) on the object or its status subresource: `test` ops make it conflict-safe. */
export async function jsonPatch(client: ApiClient, target: PatchTarget, ops: readonly unknown[]): Promise<unknown> {
  return patch(client, target, PATCH_CONTENT_TYPES.json, ops);
}

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

export type ObjectRef = Readonly<{ plural: Plural; namespace: string; name: string }>;

export async function deleteObject(client: ApiClient, ref: ObjectRef, opts: DeleteOptions = {}): Promise<unknown> {
  return client.request({
    method: 'DELETE',
    path: tsvirtPath(ref.plural, { namespace: ref.namespace }, ref.name),
    body: { kind: 'DeleteOptions', apiVersion: 'v1', ...opts },
  });
}

export async function getPod(client: ApiClient, namespace: string, name: string): Promise<unknown> {
  return findOptional(() => client.request({ path: corePath('pods', namespace, name) }));
}

/** Events about one object, oldest first (as kubectl describe shows them). */
export async function listEventsFor(client: ApiClient, namespace: string, uid: string): Promise<unknown[]> {
  return items(
    await client.request({
      path: corePath('events', namespace),
      query: { fieldSelector: `involvedObject.uid=${uid}` },
    }),
  ).items;
}

export async function getNode(client: ApiClient, name: string): Promise<unknown> {
  return findOptional(() => client.request({ path: resourcePath(NODE_RESOURCE, { name }) }));
}

/** The VirtualMachine CRD; its labels carry the installed tsvirt version. */
export async function getVmCrd(client: ApiClient): Promise<unknown> {
  return client.request({ path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${VM_PLURAL}.${GROUP}` });
}

/** Watches VMs or VMIs from `resourceVersion` until `signal` aborts or the server ends the watch. */
export async function watchTsvirt(
  client: ApiClient,
  plural: Plural,
  opts: ListOptions & Readonly<{ resourceVersion: string; signal: AbortSignal; fieldSelector?: string }>,
  onEvent: (e: WatchEvent) => void,
): Promise<void> {
  const type = plural === VM_PLURAL ? VM_RESOURCE : VMI_RESOURCE;
  return client.watch(
    {
      path: tsvirtPath(plural, opts),
      query: { ...listQuery(opts), resourceVersion: opts.resourceVersion, allowWatchBookmarks: 'true' },
      signal: opts.signal,
    },
    (e) => onEvent({ type: e.type, object: e.type === 'ERROR' ? e.object : withKind(type, e.object) }),
  );
}

/** Pods of a namespace matching a label selector (launcher Pods carry tsvirt.io/created-by). */
export async function listPods(client: ApiClient, namespace: string, labelSelector: string): Promise<unknown[]> {
  return items(await client.request({ path: corePath('pods', namespace), query: { labelSelector } })).items;
}

/** A coordination.k8s.io Lease, or undefined when there is none. */
export async function findLease(client: ApiClient, namespace: string, name: string): Promise<unknown> {
  return findOptional(() => client.request({ path: resourcePath(LEASE_RESOURCE, { namespace, name }) }));
}
