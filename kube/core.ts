/**
 * Typed access to the core objects tsvirt touches: Pods, Nodes, Namespaces, Leases and Events.
 * Types are client-node's models as they arrive on the wire (JSON): its Date fields are strings here,
 * because kube/ never runs client-node's deserializer on what it reads.
 */
import type { CoreV1Event, V1ConfigMap, V1Lease, V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from './clients.js';
import { ResourceClient, type ResourceType } from './resources.js';

/** A client-node model as JSON: Date becomes string, recursively. */
export type Json<T> = T extends Date
  ? string
  : T extends ReadonlyArray<infer U>
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

/** A core/v1 Pod as JSON. */
export type Pod = Json<V1Pod>;
/** A core/v1 Node as JSON. */
export type Node = Json<V1Node>;
/** A core/v1 Namespace as JSON. */
export type Namespace = Json<V1Namespace>;
/** A coordination.k8s.io/v1 Lease as JSON (MicroTime fields are RFC 3339 strings with six fractional digits). */
export type Lease = Json<V1Lease>;
/** A core/v1 ConfigMap as JSON. */
export type ConfigMap = Json<V1ConfigMap>;
/** A core/v1 Event as JSON. */
export type CoreEvent = Json<CoreV1Event>;

/** REST coordinates of the resources above. */
export const POD_RESOURCE: ResourceType = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
export const NODE_RESOURCE: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'nodes',
  kind: 'Node',
  namespaced: false,
};
export const NAMESPACE_RESOURCE: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
};
export const LEASE_RESOURCE: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
};
export const CONFIG_MAP_RESOURCE: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};
export const EVENT_RESOURCE: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'events',
  kind: 'Event',
  namespaced: true,
};

/** Pods over `clients`. */
export const pods = (clients: KubeClients): ResourceClient<Pod> => new ResourceClient<Pod>(clients, POD_RESOURCE);
/** Nodes over `clients`. */
export const nodes = (clients: KubeClients): ResourceClient<Node> => new ResourceClient<Node>(clients, NODE_RESOURCE);
/** Namespaces over `clients`. */
export const namespaces = (clients: KubeClients): ResourceClient<Namespace> =>
  new ResourceClient<Namespace>(clients, NAMESPACE_RESOURCE);
/** coordination.k8s.io Leases over `clients`. */
export const leases = (clients: KubeClients): ResourceClient<Lease> =>
  new ResourceClient<Lease>(clients, LEASE_RESOURCE);
/** core/v1 Events over `clients`. */
export const coreEvents = (clients: KubeClients): ResourceClient<CoreEvent> =>
  new ResourceClient<CoreEvent>(clients, EVENT_RESOURCE);
/** ConfigMaps over `clients`. */
export const configMaps = (clients: KubeClients): ResourceClient<ConfigMap> =>
  new ResourceClient<ConfigMap>(clients, CONFIG_MAP_RESOURCE);
