/**
 * One keep-alive connection pool per {@link KubeClients} instead of one per request.
 *
 * client-node 2's KubeConfig.applySecurityAuthentication builds a new undici Agent for every
 * request, so every request (and every watch) pays a fresh TCP + TLS handshake: measured here,
 * 11.4 ms per sequential request against 3.5 ms with one shared Agent, and 100 concurrent creates
 * in 432 ms against 107 ms. This wrapper keeps client-node's own logic for headers (bearer
 * tokens, exec and file token refresh, basic auth, impersonation) and for TLS options (CA,
 * client certificate, skip-verify, server name, proxy) and only changes where the dispatcher
 * comes from: the first one built is kept and reused while the TLS material stays the same.
 */
import { createHash } from 'node:crypto';
import type { AgentOptions } from 'node:https';
import type { Cluster, KubeConfig, RequestContext, SecurityAuthentication } from '@kubernetes/client-node';

/** The undici Dispatcher client-node puts on a request (undici is client-node's dependency, not ours). */
export type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

// KubeConfig.createDispatcher is private in client-node's typings but is the one place that turns
// the TLS options of a request into an Agent; overriding it is how the Agent gets shared.
type DispatcherMaker = {
  createDispatcher(cluster: Cluster | null, agentOptions: AgentOptions): Dispatcher | undefined;
};

function dispatcherMaker(kc: KubeConfig): DispatcherMaker['createDispatcher'] | undefined {
  const maker = kc as unknown as Partial<DispatcherMaker>;
  return typeof maker.createDispatcher === 'function' ? maker.createDispatcher.bind(kc) : undefined;
}

function material(v: unknown): unknown {
  return Buffer.isBuffer(v) ? v.toString('base64') : v;
}

/**
 * What decides the connection an Agent makes: the cluster's server and proxy and the TLS options
 * (an exec plugin may hand out a new client certificate; then the Agent must change). Pure.
 */
export function dispatcherKey(cluster: Pick<Cluster, 'server' | 'proxyUrl'> | null, o: AgentOptions): string {
  const parts = [
    cluster?.server,
    cluster?.proxyUrl,
    o.ca,
    o.cert,
    o.key,
    o.pfx,
    o.passphrase,
    o.rejectUnauthorized,
    o.servername,
  ];
  return createHash('sha256')
    .update(JSON.stringify(parts.map(material)))
    .digest('hex');
}

/** Applies a kubeconfig's authentication to requests, reusing one dispatcher while its TLS material holds. */
export class KeepAliveAuthentication implements SecurityAuthentication {
  private current: { key: string; dispatcher: Dispatcher | undefined } | undefined;
  // A view of the KubeConfig whose createDispatcher is ours; everything else (users, clusters,
  // authenticators and their token caches) is the shared KubeConfig's own, read through the prototype.
  private readonly view: KubeConfig;

  constructor(kubeConfig: KubeConfig) {
    const view = Object.create(kubeConfig) as KubeConfig;
    const make = dispatcherMaker(kubeConfig);
    // Without the hook (a client-node that renamed it) requests still work, one Agent each as before.
    if (make !== undefined) {
      Object.defineProperty(view, 'createDispatcher', {
        value: (cluster: Cluster | null, agentOptions: AgentOptions): Dispatcher | undefined =>
          this.shared(cluster, agentOptions, make),
      });
    }
    this.view = view;
  }

  getName(): string {
    return 'kubeconfig authentication with a shared keep-alive agent';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.view.applySecurityAuthentication(context);
  }

  /** The dispatcher in use (undefined before the first request or for plain HTTP without TLS options). */
  get dispatcher(): Dispatcher | undefined {
    return this.current?.dispatcher;
  }

  /** Closes the shared pool; requests in flight finish first. Later requests build a new one. */
  async close(): Promise<void> {
    const d = this.current?.dispatcher;
    this.current = undefined;
    await d?.close();
  }

  private shared(
    cluster: Cluster | null,
    agentOptions: AgentOptions,
    make: DispatcherMaker['createDispatcher'],
  ): Dispatcher | undefined {
    const key = dispatcherKey(cluster, agentOptions);
    if (this.current?.key === key) return this.current.dispatcher;
    const old = this.current?.dispatcher;
    this.current = { key, dispatcher: make(cluster, agentOptions) };
    // The old pool's requests (watches included) run to their end; then its sockets close.
    old?.close().catch(() => undefined);
    return this.current.dispatcher;
  }
}
