/**
 * Who is asking: virt-api trusts only requests that kube-apiserver's aggregator proxied. The
 * aggregator presents the front-proxy client certificate (verified against the requestheader CA)
 * and names the user it authenticated in request headers, as the API server's own
 * `--requestheader-*` flags describe; kube-apiserver publishes those settings in the ConfigMap
 * kube-system/extension-apiserver-authentication, which {@link requestHeaderConfig} reads. Pure.
 */

/** kube-system/extension-apiserver-authentication, as kube-apiserver writes it. */
export const AUTH_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const;

export type RequestHeaderConfig = Readonly<{
  /** PEM bundle that signs the front proxy's client certificate. */
  clientCa: string;
  /** CNs allowed to act as the front proxy; empty: any certificate the CA signed. */
  allowedNames: readonly string[];
  usernameHeaders: readonly string[];
  groupHeaders: readonly string[];
  extraHeaderPrefixes: readonly string[];
}>;

/** The user the front proxy vouches for, in SubjectAccessReview's terms. */
export type ProxiedUser = Readonly<{
  user: string;
  groups: readonly string[];
  extra: Readonly<Record<string, readonly string[]>>;
}>;

export type Authentication = Readonly<{ ok: true; user: ProxiedUser } | { ok: false; message: string }>;

function jsonList(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
}

/** Reads the ConfigMap's data; throws when it has no requestheader CA (the API server has no front proxy). */
export function requestHeaderConfig(data: Readonly<Record<string, string>> | undefined): RequestHeaderConfig {
  const clientCa = data?.['requestheader-client-ca-file'];
  if (clientCa === undefined || clientCa === '')
    throw new Error(
      `${AUTH_CONFIGMAP.namespace}/${AUTH_CONFIGMAP.name} has no requestheader-client-ca-file: start kube-apiserver with --requestheader-client-ca-file and --proxy-client-cert-file`,
    );
  return {
    clientCa,
    allowedNames: jsonList(data?.['requestheader-allowed-names']),
    usernameHeaders: jsonList(data?.['requestheader-username-headers']),
    groupHeaders: jsonList(data?.['requestheader-group-headers']),
    extraHeaderPrefixes: jsonList(data?.['requestheader-extra-headers-prefix']),
  };
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const values = (h: Headers, name: string): string[] => {
  const v = h[name.toLowerCase()];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

function extraOf(headers: Headers, prefixes: readonly string[]): Record<string, string[]> {
  const extra: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const prefix = prefixes.find((p) => name.startsWith(p.toLowerCase()));
    if (prefix === undefined || value === undefined) continue;
    // Header names are case-insensitive; kube-apiserver percent-encodes the key and lowercases it.
    const key = decodeURIComponent(name.slice(prefix.length)).toLowerCase();
    extra[key] = [...(extra[key] ?? []), ...(Array.isArray(value) ? value : [value])];
  }
  return extra;
}

/**
 * Authenticates one request from its TLS peer and headers. `peer.verified`: the certificate chains
 * to the requestheader CA (checked by the TLS layer). A request without it is refused whatever its
 * headers say: anyone can write X-Remote-User.
 */
export function authenticate(
  peer: Readonly<{ verified: boolean; commonName: string | undefined }>,
  headers: Headers,
  config: RequestHeaderConfig,
): Authentication {
  if (!peer.verified)
    return { ok: false, message: 'no front-proxy client certificate: call virt-api through kube-apiserver' };
  if (config.allowedNames.length > 0 && !config.allowedNames.includes(peer.commonName ?? ''))
    return { ok: false, message: `client certificate CN "${peer.commonName ?? ''}" is not an allowed front proxy` };
  const user = config.usernameHeaders.flatMap((h) => values(headers, h))[0];
  if (user === undefined || user === '') return { ok: false, message: 'the front proxy named no user' };
  return {
    ok: true,
    user: {
      user,
      groups: config.groupHeaders.flatMap((h) => values(headers, h)),
      extra: extraOf(headers, config.extraHeaderPrefixes),
    },
  };
}
