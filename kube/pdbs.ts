/**
 * Typed access to policy/v1 PodDisruptionBudgets (the controller keeps one per LiveMigrate VMI, so
 * a node drain's eviction of its launcher Pod waits for the migration), as kube/core.ts does for
 * Pods: client-node's model as JSON.
 */
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { KubeClients } from './clients.js';
import type { Json } from './core.js';
import { ResourceClient, type ResourceType } from './resources.js';

/** A policy/v1 PodDisruptionBudget as JSON. */
export type PodDisruptionBudget = Json<V1PodDisruptionBudget>;

export const PDB_RESOURCE: ResourceType = {
  group: 'policy',
  version: 'v1',
  plural: 'poddisruptionbudgets',
  kind: 'PodDisruptionBudget',
  namespaced: true,
};

/** PodDisruptionBudgets over `clients`. No I/O until a method is called. */
export const podDisruptionBudgets = (clients: KubeClients): ResourceClient<PodDisruptionBudget> =>
  new ResourceClient<PodDisruptionBudget>(clients, PDB_RESOURCE);
