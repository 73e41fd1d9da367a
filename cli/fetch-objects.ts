/**
 * What `get` and `list` read: VMs (with their VMIs, for NODE and IP) or VMIs, by name or by
 * selector. VMIs are read only when some VM may have one, so a table of stopped VMs costs one
 * round trip, as `kubectl get vms` does, and two otherwise. Kept apart from the printers so the
 * fast path can send the request first and load the printers while the API server answers.
 */
import { VM_PLURAL } from '../api/names.js';
import {
  isVirtualMachine,
  isVirtualMachineInstance,
  type VirtualMachine,
  type VirtualMachineInstance,
} from '../api/types.js';
import type { ApiClient } from '../kube/api-client.js';
import { findVmi, getObject, listVmis, listVms, type ListOptions } from '../kube/cli-resources.js';
import type { OutputFormat } from './output-formats.js';
import type { Resource } from './targets.js';
import { vmiScopeOf } from './list-options.js';

export interface GetRequest {
  readonly resource: Resource;
  readonly names: readonly string[];
  readonly list: ListOptions;
  readonly output: OutputFormat | undefined;
}

export interface Fetched {
  readonly vms: readonly VirtualMachine[];
  readonly vmis: readonly VirtualMachineInstance[];
  /** Listed items that were not the kind asked for and are not shown (kube/list-items.ts). */
  readonly skipped?: readonly string[];
}

async function fetchNamed(client: ApiClient, req: GetRequest): Promise<Fetched> {
  const ns = req.list.namespace;
  const objects = await Promise.all(req.names.map((n) => getObject(client, req.resource, ns, n)));
  if (req.resource !== VM_PLURAL) return { vms: [], vmis: objects.filter(isVirtualMachineInstance) };
  const vms = objects.filter(isVirtualMachine);
  // NODE and IP come from the VMI; -o json|yaml|name print the VMs only and skip the extra reads.
  const needVmis = req.output === undefined || req.output === 'wide';
  const vmis = needVmis ? await Promise.all(vms.map((vm) => findVmi(client, ns, vm.metadata.name ?? ''))) : [];
  return { vms, vmis: vmis.filter((v): v is VirtualMachineInstance => v !== undefined) };
}

/**
 * Whether any VM may have a VMI: the controller marks it `created`, and only a Stopped VM (or one
 * it has not seen yet) has none. Listing VMIs only then saves a request when all VMs are stopped.
 */
export function mayHaveVmis(vms: readonly VirtualMachine[]): boolean {
  return vms.some((vm) => vm.status?.created === true || (vm.status?.printableStatus ?? 'Stopped') !== 'Stopped');
}

async function fetchListed(client: ApiClient, req: GetRequest): Promise<Fetched> {
  if (req.resource !== VM_PLURAL) {
    const listed = await listVmis(client, req.list);
    return { vms: [], vmis: listed.items, skipped: listed.skipped };
  }
  const listed = await listVms(client, req.list);
  const vms = listed.items;
  const skipped = listed.skipped;
  // NODE and IP come from the VMIs; -o json|yaml|name print the VMs alone.
  const needVmis = (req.output === undefined || req.output === 'wide') && mayHaveVmis(vms);
  if (!needVmis) return { vms, vmis: [], skipped };
  return { vms, vmis: (await listVmis(client, vmiScopeOf(req.list))).items, skipped };
}

export async function fetchObjects(client: ApiClient, req: GetRequest): Promise<Fetched> {
  return req.names.length > 0 ? fetchNamed(client, req) : fetchListed(client, req);
}
