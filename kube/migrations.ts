/**
 * Typed access to tsvirt.io/v1alpha1 VirtualMachineInstanceMigrations, as kube/tsvirt.ts gives
 * VMs and VMIs: every object the server sends passes the api/ type guard first.
 */
import { GROUP, VERSION, VMIM_KIND, VMIM_PLURAL } from '../api/names.js';
import { isVirtualMachineInstanceMigration, type VirtualMachineInstanceMigration } from '../api/types.js';
import type { KubeClients } from './clients.js';
import { ResourceClient, type ResourceType } from './resources.js';

/** virtualmachineinstancemigrations.tsvirt.io, namespaced. */
export const VMIM_RESOURCE: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: VMIM_PLURAL,
  kind: VMIM_KIND,
  namespaced: true,
};

export type MigrationClient = ResourceClient<VirtualMachineInstanceMigration>;

/** VirtualMachineInstanceMigration CRUD over `clients`. No I/O until a method is called. */
export function virtualMachineInstanceMigrations(clients: KubeClients): MigrationClient {
  return new ResourceClient(clients, VMIM_RESOURCE, isVirtualMachineInstanceMigration);
}
