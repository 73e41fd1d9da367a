// The local cluster's certificates, made with the openssl CLI (no crypto library of our own).
// EC P-256 keys: each openssl call takes about 10 ms, where RSA 2048 keys would add seconds to up.sh.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The first address of the service range; in-cluster clients reach the API server as this IP. */
export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';
const KUBERNETES_SERVICE_IP = '10.96.0.1';

export type CaName = 'ca' | 'front-proxy-ca';

export type CertSpec = Readonly<{
  /** File stem: `<name>.crt` and `<name>.key` in the PKI folder. */
  name: string;
  /** openssl -subj form, e.g. `/O=system:masters/CN=kubernetes-admin`. */
  subject: string;
  issuer: CaName;
  usage: 'server' | 'client';
  sans?: readonly string[];
}>;

export const ADMIN_CERT = 'admin';
export const CONTROLLER_MANAGER_CERT = 'kube-controller-manager';
export const SCHEDULER_CERT = 'kube-scheduler';
export const APISERVER_CERT = 'apiserver';
export const FRONT_PROXY_CLIENT_CERT = 'front-proxy-client';
/** The CN the API server accepts from the front proxy (--requestheader-allowed-names). */
export const FRONT_PROXY_CLIENT_CN = 'front-proxy-client';

export const nodeCertName = (node: string): string => `system-node-${node}`;

/**
 * Every leaf certificate of a cluster with these nodes. Nodes get `system:node:<name>` in
 * `system:nodes`, the identity a kubelet has, so the Node authorizer limits the agent as it would
 * a kubelet.
 */
export function certSpecs(nodes: readonly string[], apiserverIps: readonly string[] = []): CertSpec[] {
  return [
    {
      name: APISERVER_CERT,
      subject: '/CN=kube-apiserver',
      issuer: 'ca',
      usage: 'server',
      sans: [
        'IP:127.0.0.1',
        'DNS:localhost',
        `IP:${KUBERNETES_SERVICE_IP}`,
        'DNS:kubernetes',
        'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc',
        'DNS:kubernetes.default.svc.cluster.local',
        // Real nodes' Pods reach the API server through a proxy on their node IP.
        ...apiserverIps.map((ip) => `IP:${ip}`),
      ],
    },
    { name: ADMIN_CERT, subject: '/O=system:masters/CN=kubernetes-admin', issuer: 'ca', usage: 'client' },
    { name: CONTROLLER_MANAGER_CERT, subject: '/CN=system:kube-controller-manager', issuer: 'ca', usage: 'client' },
    { name: SCHEDULER_CERT, subject: '/CN=system:kube-scheduler', issuer: 'ca', usage: 'client' },
    {
      name: FRONT_PROXY_CLIENT_CERT,
      subject: `/CN=${FRONT_PROXY_CLIENT_CN}`,
      issuer: 'front-proxy-ca',
      usage: 'client',
    },
    ...nodes.map((n): CertSpec => ({
      name: nodeCertName(n),
      subject: `/O=system:nodes/CN=system:node:${n}`,
      issuer: 'ca',
      usage: 'client',
    })),
  ];
}

/** virt-api's serving certificate: the aggregator checks it against the Service's DNS name. */
export const VIRT_API_CERT = 'virt-api';
/** virt-api's client certificate toward the handlers' endpoints. */
export const VIRT_API_CLIENT_CERT = 'virt-api-client';
/** The handlers' serving certificate (one for every node here: they share the machine). */
export const HANDLER_CERT = 'virt-handler';

/**
 * tsvirt's own certificates, from the cluster CA. Made by `sync` when missing, so a cluster started
 * before they existed gets them too.
 */
export function tsvirtCertSpecs(
  names: Readonly<{ virtApiDns: string; handlerDns: string; virtApiClientCn: string }>,
): CertSpec[] {
  return [
    {
      name: VIRT_API_CERT,
      subject: '/CN=virt-api',
      issuer: 'ca',
      usage: 'server',
      sans: [`DNS:${names.virtApiDns}`, 'DNS:localhost', 'IP:127.0.0.1'],
    },
    { name: VIRT_API_CLIENT_CERT, subject: `/CN=${names.virtApiClientCn}`, issuer: 'ca', usage: 'client' },
    {
      name: HANDLER_CERT,
      subject: '/CN=virt-handler',
      issuer: 'ca',
      usage: 'server',
      sans: [`DNS:${names.handlerDns}`, 'IP:127.0.0.1'],
    },
  ];
}

/** Creates each leaf of `specs` whose certificate is not in `dir` yet; the CAs must be there. */
export async function ensureLeaves(dir: string, specs: readonly CertSpec[]): Promise<void> {
  const { existsSync } = await import('node:fs');
  await Promise.all(specs.filter((s) => !existsSync(join(dir, `${s.name}.crt`))).map((s) => openssl(leafArgs(dir, s))));
}

const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc'];

/** openssl arguments that make a self-signed CA. */
export function caArgs(dir: string, name: CaName): string[] {
  return [
    'req',
    '-x509',
    '-new',
    ...NEW_EC_KEY,
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.crt`),
    '-subj',
    `/CN=tsvirt-${name}`,
    '-days',
    '3650',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ];
}

/** openssl arguments that make a key and a certificate signed by the spec's CA, in one call. */
export function leafArgs(dir: string, spec: CertSpec): string[] {
  const sans = spec.sans ?? [];
  return [
    'req',
    '-x509',
    '-new',
    ...NEW_EC_KEY,
    '-keyout',
    join(dir, `${spec.name}.key`),
    '-out',
    join(dir, `${spec.name}.crt`),
    '-subj',
    spec.subject,
    '-days',
    '365',
    '-CA',
    join(dir, `${spec.issuer}.crt`),
    '-CAkey',
    join(dir, `${spec.issuer}.key`),
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature',
    '-addext',
    `extendedKeyUsage=${spec.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    ...(sans.length > 0 ? ['-addext', `subjectAltName=${sans.join(',')}`] : []),
  ];
}

export type Pki = Readonly<{
  dir: string;
  caCert: string;
  frontProxyCaCert: string;
  /** Signs service account tokens (kube-apiserver, kube-controller-manager). */
  serviceAccountKey: string;
  /** Verifies them (kube-apiserver). */
  serviceAccountPub: string;
}>;

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(
      `openssl ${args.slice(0, 3).join(' ')} failed (is the openssl CLI installed?): ${stderr.trim() || String(err)}`,
      { cause: err },
    );
  }
}

/** Creates both CAs, every leaf of `certSpecs(nodes)` and the service account key pair in `dir`. */
export async function createPki(
  dir: string,
  nodes: readonly string[],
  apiserverIps: readonly string[] = [],
): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pki: Pki = {
    dir,
    caCert: join(dir, 'ca.crt'),
    frontProxyCaCert: join(dir, 'front-proxy-ca.crt'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
  const serviceAccountKeys = (async (): Promise<void> => {
    await openssl([
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      pki.serviceAccountKey,
    ]);
    await openssl(['pkey', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub]);
  })();
  await Promise.all([openssl(caArgs(dir, 'ca')), openssl(caArgs(dir, 'front-proxy-ca'))]);
  await Promise.all([...certSpecs(nodes, apiserverIps).map((s) => openssl(leafArgs(dir, s))), serviceAccountKeys]);
  return pki;
}
