/**
 * Typed access to tsvirt.io/v1alpha1 VirtualMachines and VirtualMachineInstances. Every object the
 * server sends passes the api/ type guard first. See {@link ResourceClient} for the methods: get,
 * find, list (one namespace or all, label and field selectors), create, update (resourceVersion
 * required), patch, updateStatus / patchStatus (status subresource), delete (propagationPolicy).
 */
import { GROUP, VERSION, VM_KIND, VM_PLURAL, VMI_KIND, VMI_PLURAL } from '../api/names.js';
import {
  isVirtualMachine,
  isVirtualMachineInstance,
  type VirtualMachine,
  type VirtualMachineInstance,
} from '../api/types.js';
import type { KubeClients } from './clients.js';
import { ResourceClient, type ResourceType } from './resources.js';

/** virtualmachines.tsvirt.io, namespaced. */
export const VM_RESOURCE: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: VM_PLURAL,
  kind: VM_KIND,
  namespaced: true,
};
/** virtualmachineinstances.tsvirt.io, namespaced. */
export const VMI_RESOURCE: ResourceType = {
  group: GROUP,
  version: VERSION,
  plural: VMI_PLURAL,
  kind: VMI_KIND,
  namespaced: true,
};

/** A client for VirtualMachines. */
export type VirtualMachineClient = ResourceClient<VirtualMachine>;
/** A client for VirtualMachineInstances. */
export type VirtualMachineInstanceClient = ResourceClient<VirtualMachineInstance>;

/** VirtualMachine CRUD over `clients`. No I/O until a method is called. */
export function virtualMachines(clients: KubeClients): VirtualMachineClient {
  return new ResourceClient(clients, VM_RESOURCE, isVirtualMachine);
}

/** VirtualMachineInstance CRUD over `clients`. No I/O until a method is called. */
export function virtualMachineInstances(clients: KubeClients): VirtualMachineInstanceClient {
  return new ResourceClient(clients, VMI_RESOURCE, isVirtualMachineInstance);
}
