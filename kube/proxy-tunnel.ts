/**
 * kubeconfig's `proxy-url` for the CLI's client: every connection to the API server is a tunnel
 * through the proxy (HTTP CONNECT, as client-go does for an https server), then TLS to the API
 * server inside it, so the proxy sees only the host and port. An http:// proxy, optionally with
 * user:password (sent as Proxy-Authorization); socks5 is not supported.
 */
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import type { Agent as HttpAgent, AgentOptions } from 'node:http';
import type { Agent as HttpsAgent, AgentOptions as HttpsAgentOptions } from 'node:https';
import { KubeConfigError } from './kubeconfig-error.js';

// getBuiltinModule, as in api-client.ts: an ESM import of node:http costs the CLI's start-up.
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');
const tls = process.getBuiltinModule('node:tls');
const net = process.getBuiltinModule('node:net');

type Callback = (err: Error | null, stream?: Duplex) => void;
interface Target {
  readonly host?: string | null;
  readonly port?: number | string | null;
  readonly servername?: string;
}

/** The proxy URL a kubeconfig names, checked: only http:// proxies are spoken here. */
export function parseProxyUrl(value: string, cluster: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KubeConfigError(`cluster "${cluster}": proxy-url "${value}" is not a URL`, 'Use http://HOST:PORT.');
  }
  if (url.protocol !== 'http:')
    throw new KubeConfigError(
      `cluster "${cluster}": proxy-url scheme ${url.protocol} is not supported`,
      'Use an http:// proxy (it tunnels TLS to the API server with CONNECT).',
    );
  return url;
}

/** Opens a TCP tunnel to host:port through the proxy. */
export function connectThrough(proxy: URL, host: string, port: number, done: Callback): void {
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const auth =
    proxy.username === ''
      ? {}
      : {
          'Proxy-Authorization': `Basic ${Buffer.from(
            `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`,
          ).toString('base64')}`,
        };
  const req = http.request({
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: proxy.port === '' ? 80 : Number(proxy.port),
    method: 'CONNECT',
    path: authority,
    headers: { Host: authority, ...auth },
  });
  req.once('connect', (res, socket) => {
    if (res.statusCode !== 200) {
      socket.destroy();
      done(new Error(`proxy ${proxy.host} refused CONNECT ${authority}: ${res.statusCode} ${res.statusMessage ?? ''}`));
      return;
    }
    done(null, socket);
  });
  req.once('error', (err) => done(err));
  req.end();
}

function target(options: Target): { host: string; port: number } {
  return { host: String(options.host ?? 'localhost'), port: Number(options.port ?? 443) };
}

/** A keep-alive agent whose connections go through the proxy; `secure` wraps each in TLS. */
export function tunnelAgent(proxy: URL, secure: true, options: HttpsAgentOptions): HttpsAgent;
export function tunnelAgent(proxy: URL, secure: false, options: AgentOptions): HttpAgent;
export function tunnelAgent(proxy: URL, secure: boolean, options: HttpsAgentOptions): HttpAgent | HttpsAgent {
  const open = (opts: Target & Record<string, unknown>, done: Callback): void => {
    const { host, port } = target(opts);
    connectThrough(proxy, host, port, (err, socket) => {
      if (err !== null || socket === undefined) return done(err ?? new Error('no tunnel'));
      if (!secure) return done(null, socket);
      const { host: _host, port: _port, ...rest } = opts;
      const servername = opts.servername ?? (net.isIP(host) === 0 ? host : undefined);
      const tlsOptions: ConnectionOptions = { ...rest, host, port, socket };
      done(null, tls.connect(servername === undefined ? tlsOptions : { ...tlsOptions, servername }));
    });
  };
  // Node's Agent takes the socket from the callback when createConnection returns nothing.
  const createConnection = (opts: Target & Record<string, unknown>, done: Callback): undefined => {
    open(opts, done);
    return undefined;
  };
  const agent = secure ? new https.Agent(options) : new http.Agent(options);
  Object.assign(agent, { createConnection });
  return agent;
}
