/**
 * The list request that kubectl's selection flags (-A, -l, --field-selector) ask for, in the
 * namespace the connection chose: one builder for list, get, watch and view.
 */
import type { ListOptions } from '../kube/cli-resources.js';

export interface SelectionFlagValues {
  readonly 'all-namespaces': boolean;
  readonly selector?: string | undefined;
  readonly 'field-selector'?: string | undefined;
}

/**
 * The VMIs a VM listing needs for NODE and IP: the same namespaces, unfiltered by -l and
 * --field-selector, since VMIs carry their own labels, not necessarily the VM's.
 */
export function vmiScopeOf(list: ListOptions): ListOptions {
  return { namespace: list.namespace, ...(list.allNamespaces === true ? { allNamespaces: true } : {}) };
}

export function listOptionsFrom(namespace: string, flags: SelectionFlagValues): ListOptions {
  return {
    namespace,
    allNamespaces: flags['all-namespaces'],
    ...(flags.selector === undefined ? {} : { labelSelector: flags.selector }),
    ...(flags['field-selector'] === undefined ? {} : { fieldSelector: flags['field-selector'] }),
  };
}
