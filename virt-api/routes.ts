/**
 * Which request is which: a pure map from method and path to what virt-api does. Anything else is
 * a 404 (or 405 for a known path with the wrong method), so nothing reaches a handler by accident.
 */
import { SUBRESOURCES_GROUP, VM_PLURAL, VMI_PLURAL } from '../api/names.js';
import {
  CONSOLE_SUBRESOURCE,
  PORTFORWARD_SUBRESOURCE,
  SUBRESOURCES_API_VERSION,
  parsePortForward,
  type PortForwardTarget,
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
  | { kind: 'portforward'; namespace: string; name: string; forward: PortForwardTarget }
  | { kind: 'bad-request'; message: string }
  | { kind: 'wrong-method'; allowed: 'PUT' | 'GET' }
  | { kind: 'unknown' }
>;

const HEALTH = ['healthz', 'readyz', 'metrics'] as const;
const isOneOf = <T extends string>(list: readonly T[], s: string): s is T => (list as readonly string[]).includes(s);

type ObjectPath = Readonly<{ namespace: string; plural: string; name: string; sub: string }>;

function objectRoute(method: string, { namespace, plural, name, sub }: ObjectPath): Route {
  const put = method === 'PUT';
  if (plural === VM_PLURAL && isOneOf(VM_VERBS, sub))
    return put ? { kind: 'vm', namespace, name, verb: sub } : { kind: 'wrong-method', allowed: 'PUT' };
  if (plural === VMI_PLURAL && isOneOf(VMI_VERBS, sub))
    return put ? { kind: 'vmi', namespace, name, verb: sub } : { kind: 'wrong-method', allowed: 'PUT' };
  if (plural === VMI_PLURAL && sub === CONSOLE_SUBRESOURCE)
    return method === 'GET' ? { kind: 'console', namespace, name } : { kind: 'wrong-method', allowed: 'GET' };
  return { kind: 'unknown' };
}

const DISCOVERY: ReadonlyArray<readonly [string, 'apis' | 'group' | 'version']> = [
  ['apis', 'apis'],
  [`apis/${SUBRESOURCES_GROUP}`, 'group'],
  [`apis/${SUBRESOURCES_API_VERSION}`, 'version'],
];

const OBJECT_PATH = new RegExp(`^apis/${SUBRESOURCES_API_VERSION}/namespaces/([^/]+)/([^/]+)/([^/]+)/([^/]+)$`);
const PORTFORWARD_PATH = new RegExp(
  `^apis/${SUBRESOURCES_API_VERSION}/namespaces/([^/]+)/${VMI_PLURAL}/([^/]+)/${PORTFORWARD_SUBRESOURCE}/([^/]+)(?:/([^/]+))?$`,
);

function portForwardRoute(method: string, m: RegExpExecArray): Route {
  const [, ns = '', name = '', port = '', protocol] = m;
  if (method !== 'GET') return { kind: 'wrong-method', allowed: 'GET' };
  const forward = parsePortForward(port, protocol);
  if (!forward.ok) return { kind: 'bad-request', message: forward.message };
  return {
    kind: 'portforward',
    namespace: decodeURIComponent(ns),
    name: decodeURIComponent(name),
    forward: forward.value,
  };
}

/** Routes one request. `path` may carry a query; it is ignored. Pure. */
export function routeOf(method: string, path: string): Route {
  const joined = (path.split('?')[0] ?? '').replace(/^\/+|\/+$/g, '');
  if (isOneOf(HEALTH, joined)) return { kind: 'health', what: joined };
  const discovery = DISCOVERY.find(([p]) => p === joined);
  if (discovery !== undefined) return { kind: 'discovery', what: discovery[1] };
  const pf = PORTFORWARD_PATH.exec(joined);
  if (pf !== null) return portForwardRoute(method, pf);
  const m = OBJECT_PATH.exec(joined);
  if (m === null) return { kind: 'unknown' };
  const [, ns = '', plural = '', name = '', sub = ''] = m;
  return objectRoute(method, { namespace: decodeURIComponent(ns), plural, name: decodeURIComponent(name), sub });
}
