/**
 * The verbs `kubectl virt` sends, each a call on kube/resources.ts's typed client: the CLI and the
 * services read and write through one ResourceClient (one path builder, one list guard, one
 * watch parser). What stays here is what is the CLI's own: its field manager, strict field
 * validation on create, kubectl's 404 on delete, and one typed view per API client. Answers are
 * checked with the api/ guards; a list's items that fail them are left out and named in `skipped`
 * (kube/list-items.ts), rather than crashing a printer.
 */
import { GROUP, VM_PLURAL, VMI_PLURAL } from '../api/names.js';
import type { VirtualMachine, VirtualMachineInstance } from '../api/types.js';
import { isNotFound } from './errors.js';
import type { ApiClient } from './api-client.js';
import { kubeClientsOver } from './clients.js';
import {
  ResourceClient,
  resourcePath,
  type KubeObject,
  type ListOptions as ResourceListOptions,
  type ObjectList,
  type PatchBody,
} from './resources.js';
import { virtualMachineInstances, virtualMachines, VM_RESOURCE, VMI_RESOURCE } from './tsvirt.js';
import { coreEvents, leases, nodes, pods, type CoreEvent, type Lease, type Node, type Pod } from './core.js';
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

/** A list's items, the resourceVersion to watch from, and what was left out (kube/resources.ts). */
export type ListResult<T> = ObjectList<T>;

const FIELD_MANAGER = 'kubectl-virt';

const CRD_RESOURCE = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
} as const;

/** The typed clients of one API client, made on first use. */
interface Typed {
  readonly virtualmachines: ResourceClient<VirtualMachine>;
  readonly virtualmachineinstances: ResourceClient<VirtualMachineInstance>;
  readonly pods: ResourceClient<Pod>;
  readonly events: ResourceClient<CoreEvent>;
  readonly nodes: ResourceClient<Node>;
  readonly leases: ResourceClient<Lease>;
  readonly crds: ResourceClient<KubeObject>;
}

// Keyed by the API client, so every command keeps passing the one it opened (cli/connection.ts)
// and a command with two contexts gets two views.
const views = new WeakMap<ApiClient, Typed>();

function typed(client: ApiClient): Typed {
  const known = views.get(client);
  if (known !== undefined) return known;
  // kubectl's --request-timeout (0: none) is each request's whole deadline, as kubectl's is.
  const clients = kubeClientsOver(client, { defaultTimeoutMs: client.timeoutMs });
  const made: Typed = {
    virtualmachines: virtualMachines(clients),
    virtualmachineinstances: virtualMachineInstances(clients),
    pods: pods(clients),
    events: coreEvents(clients),
    nodes: nodes(clients),
    leases: leases(clients),
    crds: new ResourceClient(clients, CRD_RESOURCE),
  };
  views.set(client, made);
  return made;
}

/** The namespace a scope lists in: undefined for every namespace. */
const listNamespace = (scope: Scope): string | undefined =>
  scope.allNamespaces === true ? undefined : scope.namespace;

/** /apis/tsvirt.io/v1alpha1[/namespaces/ns]/plural[/name][/sub], by kube/resources.ts's resourcePath. */
export function tsvirtPath(plural: Plural, scope: Scope, name?: string, sub?: string): string {
  const namespace = name === undefined ? listNamespace(scope) : scope.namespace;
  const type = plural === VM_PLURAL ? VM_RESOURCE : VMI_RESOURCE;
  return resourcePath(type, { namespace, ...(name === undefined ? {} : { name }) }, sub);
}

const listQuery = (opts: ListOptions): Omit<ResourceListOptions, 'limit' | 'signal'> => ({
  namespace: listNamespace(opts),
  labelSelector: opts.labelSelector,
  fieldSelector: opts.fieldSelector,
});

/** VMs of a namespace or of all, with apiVersion and kind put back as `kubectl get -o json` shows them. */
export function listVms(client: ApiClient, opts: ListOptions): Promise<ListResult<VirtualMachine>> {
  return typed(client).virtualmachines.list(listQuery(opts));
}

export function listVmis(client: ApiClient, opts: ListOptions): Promise<ListResult<VirtualMachineInstance>> {
  return typed(client).virtualmachineinstances.list(listQuery(opts));
}

/** Reads one object; throws a 404 KubeApiError (kube/errors.ts) when it does not exist. */
export async function getObject(
  client: ApiClient,
  plural: Plural,
  namespace: string,
  name: string,
): Promise<VirtualMachine | VirtualMachineInstance> {
  return typed(client)[plural].get({ namespace, name });
}

export async function getVm(client: ApiClient, namespace: string, name: string): Promise<VirtualMachine> {
  return typed(client).virtualmachines.get({ namespace, name });
}

/** A VMI, or undefined when there is none (a stopped VM has none). */
export async function findVmi(
  client: ApiClient,
  namespace: string,
  name: string,
): Promise<VirtualMachineInstance | undefined> {
  return typed(client).virtualmachineinstances.find({ namespace, name });
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

/** Creates a VM as the user wrote it: unknown fields are refused (Strict), not dropped. */
export async function createVm(client: ApiClient, namespace: string, vm: unknown, dryRun: DryRun): Promise<unknown> {
  return typed(client).virtualmachines.create(vm as VirtualMachine, {
    namespace,
    dryRun: dryRun === 'server',
    fieldManager: FIELD_MANAGER,
    fieldValidation: 'Strict',
  });
}

type PatchTarget = Readonly<{ plural: Plural; namespace: string; name: string; status?: boolean }>;

function patch(client: ApiClient, target: PatchTarget, body: PatchBody): Promise<unknown> {
  const resource = typed(client)[target.plural];
  const ref = { namespace: target.namespace, name: target.name };
  const opts = { fieldManager: FIELD_MANAGER };
  return target.status === true ? resource.patchStatus(ref, body, opts) : resource.patch(ref, body, opts);
}

/** A JSON merge patch on the object, or on its status subresource. */
export async function mergePatch(client: ApiClient, target: PatchTarget, body: unknown): Promise<unknown> {
  return patch(client, target, { type: 'merge', patch: body });
}

/** A JSON patch (RFC 6902) on the object or its status subresource: `test` ops make it conflict-safe. */
export async function jsonPatch(
  client: ApiClient,
  target: PatchTarget,
  ops: Extract<PatchBody, { type: 'json' }>['ops'],
): Promise<unknown> {
  return patch(client, target, { type: 'json', ops });
}

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

export type ObjectRef = Readonly<{ plural: Plural; namespace: string; name: string }>;

/** Deletes one VM or VMI; one that is not there throws the server's 404, as kubectl delete reports it. */
export async function deleteObject(client: ApiClient, ref: ObjectRef, opts: DeleteOptions = {}): Promise<void> {
  return typed(client)[ref.plural].remove({ namespace: ref.namespace, name: ref.name }, opts);
}

export async function getPod(client: ApiClient, namespace: string, name: string): Promise<Pod | undefined> {
  return typed(client).pods.find({ namespace, name });
}

/** Events about one object, oldest first (as kubectl describe shows them). */
export async function listEventsFor(client: ApiClient, namespace: string, uid: string): Promise<readonly CoreEvent[]> {
  return (await typed(client).events.list({ namespace, fieldSelector: `involvedObject.uid=${uid}` })).items;
}

export async function getNode(client: ApiClient, name: string): Promise<Node | undefined> {
  return typed(client).nodes.find({ name });
}

/** The VirtualMachine CRD; its labels carry the installed tsvirt version. */
export async function getVmCrd(client: ApiClient): Promise<unknown> {
  return typed(client).crds.get({ name: `${VM_PLURAL}.${GROUP}` });
}

/** Watches VMs or VMIs from `resourceVersion` until `signal` aborts or the server ends the watch. */
export async function watchTsvirt(
  client: ApiClient,
  plural: Plural,
  opts: ListOptions & Readonly<{ resourceVersion: string; signal: AbortSignal }>,
  onEvent: (e: WatchEvent) => void,
): Promise<void> {
  return typed(client)[plural].watch(
    { ...listQuery(opts), resourceVersion: opts.resourceVersion, allowWatchBookmarks: true, signal: opts.signal },
    onEvent,
  );
}

/** Pods of a namespace matching a label selector (launcher Pods carry tsvirt.io/created-by). */
export async function listPods(client: ApiClient, namespace: string, labelSelector: string): Promise<readonly Pod[]> {
  return (await typed(client).pods.list({ namespace, labelSelector })).items;
}

/** A coordination.k8s.io Lease, or undefined when there is none. */
export async function findLease(client: ApiClient, namespace: string, name: string): Promise<Lease | undefined> {
  return typed(client).leases.find({ namespace, name });
}
