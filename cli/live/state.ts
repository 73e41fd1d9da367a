/**
 * The live view's state: VMs and VMIs by namespace/name, updated by watch events. Pure, so the
 * line-per-change printer and the ink table share it and unit tests drive it with plain events.
 */
import { VM_PLURAL } from '../../api/names.js';
import {
  isVirtualMachine,
  isVirtualMachineInstance,
  type VirtualMachine,
  type VirtualMachineInstance,
} from '../../api/types.js';
import type { Resource } from '../targets.js';

export interface LiveState {
  readonly vms: ReadonlyMap<string, VirtualMachine>;
  readonly vmis: ReadonlyMap<string, VirtualMachineInstance>;
}

export const EMPTY_STATE: LiveState = { vms: new Map(), vmis: new Map() };

export type LiveEvent = Readonly<{ resource: Resource; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: unknown }>;

type Keyed = Readonly<{ metadata: Readonly<{ namespace?: string; name?: string }> }>;
export const keyOf = (o: Keyed): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function apply<T extends Keyed>(map: ReadonlyMap<string, T>, type: LiveEvent['type'], obj: T): Map<string, T> {
  const next = new Map(map);
  if (type === 'DELETED') next.delete(keyOf(obj));
  else next.set(keyOf(obj), obj);
  return next;
}

/** The state after one event; objects that are neither VM nor VMI leave it unchanged. */
export function applyEvent(state: LiveState, e: LiveEvent): LiveState {
  if (e.resource === VM_PLURAL)
    return isVirtualMachine(e.object) ? { ...state, vms: apply(state.vms, e.type, e.object) } : state;
  return isVirtualMachineInstance(e.object) ? { ...state, vmis: apply(state.vmis, e.type, e.object) } : state;
}

/** The key of the VM row an event changes: a VMI changes its VM's NODE and IP. */
export function affectedKey(e: LiveEvent): string | undefined {
  const o = e.object;
  return isVirtualMachine(o) || isVirtualMachineInstance(o) ? keyOf(o) : undefined;
}

const versionOf = (o: Readonly<{ metadata: Readonly<{ resourceVersion?: string }> }>): string | undefined =>
  o.metadata.resourceVersion;

/** The state with one resource's objects replaced by a fresh list (the other resource's stay). */
export function replaceAll(state: LiveState, resource: Resource, items: readonly unknown[]): LiveState {
  if (resource === VM_PLURAL) {
    const vms = items.filter(isVirtualMachine);
    return { ...state, vms: new Map(vms.map((v) => [keyOf(v), v])) };
  }
  const vmis = items.filter(isVirtualMachineInstance);
  return { ...state, vmis: new Map(vmis.map((v) => [keyOf(v), v])) };
}

/**
 * The keys whose object a relist changed: new, gone, or at another resourceVersion. What a watch
 * would have reported one by one had the connection held, so `get -w` prints those rows.
 */
export function changedKeys<T extends Readonly<{ metadata: Readonly<{ resourceVersion?: string }> }>>(
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
): string[] {
  const changed = [...after].filter(([k, o]) => {
    const old = before.get(k);
    return old === undefined || versionOf(old) !== versionOf(o);
  });
  return [...changed.map(([k]) => k), ...[...before.keys()].filter((k) => !after.has(k))];
}
