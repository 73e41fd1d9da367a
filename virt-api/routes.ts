/**
 * Which request is which: a pure map from method and path to what virt-api does. Anything else is
 * a 404 (or 405 for a known path with the wrong method), so nothing reaches a handler by accident.
 */
import { SUBRESOURCES_GROUP, VM_PLURAL, VMI_PLURAL } from '../api/names.js';
import {
  CONSOLE_SUBRESOURCE,
  SUBRESOURCES_API_VERSION,
  VM_VERBS,
  VMI_VERBS,
  type VmVerb,
  type VmiVerb,
} from '../api/subresources.js';

export type Route = Readonly<
  | { kind: 'health'; what: 'healthz' | 'readyz' | 'metrics' }
  | { kind: 'discovery'; what: 'apis' | 'group' | 'version' }
  | { kind: 'vm'; namespace: string; name: string; verb: VmVerb }
  | { kind: 'vmi'; namespace: string; name: string; verb: VmiVerb }
  | { kind: 'console'; namespace: string; name: string }
  | { kind: 'wrong-method'; allowed: 'PUT' | 'GET' }
  | { kind: 'unknown' }
>;

const HEALTH = new Set(['healthz', 'readyz', 'metrics']);
const isOneOf = <T extends string>(list: readonly T[], s: string): s is T => (list as readonly string[]).includes(s);

function objectRoute(method: string, ns: string, plural: string, name: string, sub: string): Route {
  if (plural === VM_PLURAL && isOneOf(VM_VERBS, sub))
    return method === 'PUT' ? { kind: 'vm', namespace: ns, name, verb: sub } : { kind: 'wrong-method', allowed: 'PUT' };
  if (plural === VMI_PLURAL && isOneOf(VMI_VERBS, sub))
    return method === 'PUT' ? { kind: 'vmi', namespace: ns, name, verb: sub } : { kind: 'wrong-method', allowed: 'PUT' };
  if (plural === VMI_PLURAL && sub === CONSOLE_SUBRESOURCE)
    return method === 'GET' ? { kind: 'console', namespace: ns, name } : { kind: 'wrong-method', allowed: 'GET' };
  return { kind: 'unknown' };
}

/** Routes one request. `path` may carry a query; it is ignored. Pure. */
export function routeOf(method: string, path: string): Route {
  const parts = (path.split('?')[0] ?? '').split('/').filter((p) => p !== '');
  const [first = ''] = parts;
  if (parts.length === 1 && HEALTH.has(first)) return { kind: 'health', what: first as 'healthz' | 'readyz' | 'metrics' };
  return routeBelowApis(method, parts);
}

function routeBelowApis(method: string, parts: readonly string[]): Route {
  if (parts[0] !== 'apis') return { kind: 'unknown' };
  if (parts.length === 1) return { kind: 'discovery', what: 'apis' };
  if (parts[1] !== SUBRESOURCES_GROUP) return { kind: 'unknown' };
  if (parts.length === 2) return { kind: 'discovery', what: 'group' };
  if (`${parts[1]}/${parts[2] ?? ''}` !== SUBRESOURCES_API_VERSION) return { kind: 'unknown' };
  if (parts.length === 3) return { kind: 'discovery', what: 'version' };
  const [, , , namespaces, ns = '', plural = '', name = '', sub = '', ...rest] = parts;
  if (namespaces !== 'namespaces' || rest.length > 0 || sub === '') return { kind: 'unknown' };
  return objectRoute(method, decodeURIComponent(ns), plural, decodeURIComponent(name), sub);
}
