/**
 * The names of objects tsvirt derives from others (launcher Pod, handler Lease, libvirt domain, the
 * VMI's run folder) and the rule names follow. Every component calls these; none builds a name by hand.
 */
import { COMPONENTS } from './names.js';
import type { VirtualMachineInstance } from './types.js';

/**
 * The rule a VM's (and so a VMI's) name follows: a DNS label, as the CRDs check with CEL
 * (api/crds/cel.ts) and the CLI checks before it sends anything (cli/targets.ts).
 */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_LABEL_MAX = 63;

const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);

/** True when `name` is a DNS label: at most 63 lowercase letters, digits and '-', alphanumeric at both ends. */
export function isDnsLabel(name: string): boolean {
  return name.length <= DNS_LABEL_MAX && DNS_LABEL.test(name);
}

const POD_NAME_MAX = 63;

/**
 * `virt-launcher-<vmi>-<first 8 of the VMI uid>`: deterministic, so a create repeated from a stale
 * cache is a 409 AlreadyExists, and different for each incarnation of a VMI name. Kept to 63
 * characters so it can serve as a hostname too.
 */
export function launcherPodName(vmi: VirtualMachineInstance): string {
  return podNameFor(vmi.metadata.name ?? '', vmi.metadata.uid ?? '');
}

/**
 * The target launcher Pod of a migration: `virt-launcher-<vmi>-<first 8 of the migration's uid>`,
 * deterministic per migration, as {@link launcherPodName} is per VMI.
 */
export function migrationTargetPodName(vmiName: string, migrationUid: string): string {
  return podNameFor(vmiName, migrationUid);
}

function podNameFor(vmiName: string, uid: string): string {
  const suffix = `-${uid.replace(/-/g, '').slice(0, 8)}`;
  const prefix = `${COMPONENTS.launcher}-`;
  const name = vmiName.slice(0, POD_NAME_MAX - prefix.length - suffix.length).replace(/[-.]+$/, '');
  return `${prefix}${name}${suffix}`;
}

/** The PodDisruptionBudget that holds a LiveMigrate VMI's launcher Pod through a drain: `tsvirt-<launcher Pod name>`. */
export function evictionBudgetName(vmi: VirtualMachineInstance): string {
  return `tsvirt-${launcherPodName(vmi)}`;
}

/** The heartbeat Lease of the handler on `node`, in tsvirt-system (handler/heartbeat.ts renews it). */
export function handlerLeaseName(node: string): string {
  return `${COMPONENTS.handler}-${node}`;
}

/** The libvirt domain of a VMI. Kubernetes names never contain `_`, so it is unambiguous. */
export function domainName(namespace: string, name: string): string {
  return `${namespace}_${name}`;
}
