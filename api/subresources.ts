/**
 * The aggregated API `subresources.tsvirt.io/v1alpha1` that virt-api serves, and the handler
 * endpoint virt-api calls on a VMI's node: every path, verb, header and close code that crosses
 * those process boundaries, written once (docs/conventions.md §1). Pure.
 */
import { SUBRESOURCES_GROUP, SYSTEM_NAMESPACE, VM_PLURAL, VMI_PLURAL } from './names.js';

export const SUBRESOURCES_VERSION = 'v1alpha1';
export const SUBRESOURCES_API_VERSION = `${SUBRESOURCES_GROUP}/${SUBRESOURCES_VERSION}`;
/** The APIService object's name: `<version>.<group>`, as kube-aggregator requires. */
export const APISERVICE_NAME = `${SUBRESOURCES_VERSION}.${SUBRESOURCES_GROUP}`;
/** The Service the APIService points at, in {@link SYSTEM_NAMESPACE}. */
export const VIRT_API_SERVICE = 'virt-api';
/** The DNS name kube-aggregator checks virt-api's serving certificate against. */
export const VIRT_API_SERVICE_DNS = `${VIRT_API_SERVICE}.${SYSTEM_NAMESPACE}.svc`;

/** PUT on a VirtualMachine: one write the controller understands (api/state-change-plan.ts). */
export const VM_VERBS = ['start', 'stop', 'restart'] as const;
export type VmVerb = (typeof VM_VERBS)[number];
/** PUT on a VirtualMachineInstance: done by the handler on the VMI's node. */
export const VMI_VERBS = ['pause', 'unpause', 'softreboot'] as const;
export type VmiVerb = (typeof VMI_VERBS)[number];
/** GET on a VirtualMachineInstance: a WebSocket onto the guest's serial port. */
export const CONSOLE_SUBRESOURCE = 'console';
/**
 * GET `portforward/{port}[/{protocol}]` on a VirtualMachineInstance: a WebSocket carrying one TCP
 * connection to the guest's port, bytes as the console's ({@link CONSOLE_SUBPROTOCOL}), as
 * KubeVirt's virtctl port-forward uses it.
 */
export const PORTFORWARD_SUBRESOURCE = 'portforward';
export const PORTFORWARD_PROTOCOLS = ['tcp'] as const;
export type PortForwardProtocol = (typeof PORTFORWARD_PROTOCOLS)[number];
/** The guest port and protocol of a port-forward request. */
export type PortForwardTarget = Readonly<{ port: number; protocol: PortForwardProtocol }>;

/**
 * Reads `{port}[/{protocol}]` of a port-forward path. Pure; never throws: a bad part gives a
 * message that says what to send instead.
 */
export function parsePortForward(
  port: string,
  protocol: string | undefined,
): Readonly<{ ok: true; value: PortForwardTarget } | { ok: false; message: string }> {
  const n = Number(port);
  if (!/^[0-9]{1,5}$/.test(port) || n < 1 || n > 65535)
    return { ok: false, message: `port must be a number from 1 to 65535, got "${port}"` };
  const p = protocol ?? 'tcp';
  if (!(PORTFORWARD_PROTOCOLS as readonly string[]).includes(p))
    return { ok: false, message: `protocol must be tcp (UDP is not forwarded), got "${p}"` };
  return { ok: true, value: { port: n, protocol: p as PortForwardProtocol } };
}

/** `portforward/<port>/<protocol>`: the subresource part of a port-forward path. */
export function portForwardSubresource(t: PortForwardTarget): string {
  return `${PORTFORWARD_SUBRESOURCE}/${t.port}/${t.protocol}`;
}

/**
 * The console's WebSocket subprotocol: raw bytes both ways in binary messages, as KubeVirt's
 * `plain.kubevirt.io`.
 */
export const CONSOLE_SUBPROTOCOL = 'plain.tsvirt.io';
/** Close code when a newer console session on the same VMI took over (4000-4999: application codes). */
export const CONSOLE_TAKEN_OVER = 4001;
/** Close code when the guest's serial port closed or could not be opened. */
export const CONSOLE_UNAVAILABLE = 4002;
/** Ping interval on every console hop: proxies drop a WebSocket that stays silent (KubeVirt's 1006 complaint). */
export const CONSOLE_PING_INTERVAL_MS = 10_000;

/** `/apis/subresources.tsvirt.io/v1alpha1/namespaces/<ns>/<plural>/<name>/<subresource>`. */
export function subresourcePath(
  plural: typeof VM_PLURAL | typeof VMI_PLURAL,
  namespace: string,
  name: string,
  subresource: string,
): string {
  const ns = encodeURIComponent(namespace);
  return `/apis/${SUBRESOURCES_API_VERSION}/namespaces/${ns}/${plural}/${encodeURIComponent(name)}/${subresource}`;
}

/** The body of PUT .../stop, KubeVirt's StopOptions: both fields optional. */
export type StopOptions = Readonly<{ gracePeriod?: number; dryRun?: readonly string[] }>;
/** The body of PUT .../start and .../restart. */
export type StartOptions = Readonly<{ dryRun?: readonly string[] }>;

/** Whether a body asks for a dry run (`dryRun: ["All"]`, as the API server's dryRun query). */
export const isDryRun = (o: Readonly<{ dryRun?: readonly string[] }>): boolean => o.dryRun?.includes('All') === true;

type Parsed<T> = Readonly<{ ok: true; value: T } | { ok: false; message: string }>;
const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

function dryRunOf(body: Readonly<Record<string, unknown>>): Parsed<readonly string[] | undefined> {
  const d = body['dryRun'];
  if (d === undefined) return { ok: true, value: undefined };
  if (!Array.isArray(d) || d.some((x) => x !== 'All'))
    return { ok: false, message: 'dryRun must be a list whose only allowed value is "All", e.g. {"dryRun":["All"]}' };
  return { ok: true, value: d as string[] };
}

/** Reads a start/restart/stop body; an empty body means no options. Pure; never throws. */
export function parseVerbOptions(verb: VmVerb, body: unknown): Parsed<StopOptions> {
  if (body === undefined || body === null) return { ok: true, value: {} };
  if (!isRecord(body)) return { ok: false, message: `the ${verb} body must be a JSON object` };
  const dryRun = dryRunOf(body);
  if (!dryRun.ok) return dryRun;
  const grace = gracePeriodOf(verb, body['gracePeriod']);
  if (!grace.ok) return grace;
  return {
    ok: true,
    value: {
      ...(dryRun.value === undefined ? {} : { dryRun: dryRun.value }),
      ...(grace.value === undefined ? {} : { gracePeriod: grace.value }),
    },
  };
}

function gracePeriodOf(verb: VmVerb, grace: unknown): Parsed<number | undefined> {
  if (grace === undefined) return { ok: true, value: undefined };
  if (verb !== 'stop') return { ok: false, message: `gracePeriod applies to stop only, not ${verb}` };
  if (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 0)
    return { ok: false, message: 'gracePeriod must be a whole number of seconds >= 0, e.g. {"gracePeriod":0}' };
  return { ok: true, value: grace };
}

type ApiResource = Readonly<{ name: string; namespaced: boolean; kind: string; verbs: readonly string[] }>;

/** The discovery document of the group version (`kubectl get --raw /apis/subresources.tsvirt.io/v1alpha1`). */
export function subresourceDiscovery(): Readonly<{
  kind: 'APIResourceList';
  apiVersion: 'v1';
  groupVersion: string;
  resources: readonly ApiResource[];
}> {
  const sub = (plural: string, name: string, verbs: readonly string[]): ApiResource => ({
    name: `${plural}/${name}`,
    namespaced: true,
    kind: '',
    verbs,
  });
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: SUBRESOURCES_API_VERSION,
    resources: [
      ...VM_VERBS.map((v) => sub(VM_PLURAL, v, ['update'])),
      ...VMI_VERBS.map((v) => sub(VMI_PLURAL, v, ['update'])),
      sub(VMI_PLURAL, CONSOLE_SUBRESOURCE, ['get']),
      sub(VMI_PLURAL, PORTFORWARD_SUBRESOURCE, ['get']),
    ],
  };
}

// ---- The handler's endpoint (virt-api → virt-handler on the VMI's node, mutual TLS) ----

/** On a Node: `host:port` of the handler's endpoint there, written by that node's handler. */
export const HANDLER_ENDPOINT_ANNOTATION = 'tsvirt.io/handler-endpoint';
/** The name virt-api checks the handler's serving certificate against (SNI and SAN). */
export const HANDLER_TLS_SERVER_NAME = `virt-handler.${SYSTEM_NAMESPACE}.svc`;
/** The only client certificate CN the handler's endpoint accepts: virt-api's. */
export const VIRT_API_CLIENT_CN = 'tsvirt:virt-api';
/** The port the handler's endpoint listens on in a cluster (KubeVirt's virt-handler uses 8186). */
export const HANDLER_ENDPOINT_PORT = 8186;

/** What virt-api asks of a handler, by VMI. */
export type HandlerAction = VmiVerb | typeof CONSOLE_SUBRESOURCE | typeof PORTFORWARD_SUBRESOURCE;

/**
 * `/v1/namespaces/<ns>/virtualmachineinstances/<name>/<action>` on the handler's endpoint; a
 * port-forward adds `/<port>/<protocol>`.
 */
export function handlerPath(
  namespace: string,
  name: string,
  action: HandlerAction,
  forward?: PortForwardTarget,
): string {
  const sub = action === PORTFORWARD_SUBRESOURCE && forward !== undefined ? portForwardSubresource(forward) : action;
  return `/v1/namespaces/${encodeURIComponent(namespace)}/${VMI_PLURAL}/${encodeURIComponent(name)}/${sub}`;
}

const HANDLER_PATH = new RegExp(
  `^/v1/namespaces/([^/]+)/${VMI_PLURAL}/([^/]+)/(${[...VMI_VERBS, CONSOLE_SUBRESOURCE].join('|')}|${PORTFORWARD_SUBRESOURCE}/([^/]+)/([^/]+))$`,
);

export type HandlerTarget = Readonly<{
  namespace: string;
  name: string;
  action: HandlerAction;
  forward?: PortForwardTarget;
}>;

/** The inverse of {@link handlerPath}; undefined for any other path (a bad port included). Pure. */
export function parseHandlerPath(path: string): HandlerTarget | undefined {
  const m = HANDLER_PATH.exec(path.split('?')[0] ?? '');
  if (m === null) return undefined;
  const [, ns = '', name = '', action = '', port, protocol] = m;
  const ref = { namespace: decodeURIComponent(ns), name: decodeURIComponent(name) };
  if (port === undefined) return { ...ref, action: action as HandlerAction };
  const forward = parsePortForward(port, protocol);
  return forward.ok ? { ...ref, action: PORTFORWARD_SUBRESOURCE, forward: forward.value } : undefined;
}
