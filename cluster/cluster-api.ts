// The handful of API reads and kubectl calls the local cluster needs while it starts and stops,
// made with the admin identity. API reads (Nodes, Leases) go through kube/'s one transport, as
// every other API call does; the health endpoints (readyz, healthz, etcd) are plain HTTPS GETs,
// since they are not API objects and answer before any client could authenticate.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApiClient, type ApiClient } from '../kube/api-client.js';
import { isNotFound } from '../kube/errors.js';
import { httpGet, type Tls } from './http-probe.js';
import type { ProbeResult } from './processes.js';

export type AdminAccess = Readonly<{
  server: string;
  tls: Tls;
  kubectl: string;
  kubeconfig: string;
  /** The admin's API client; its idle keep-alive connections never keep the process alive. */
  api: ApiClient;
}>;

// A probe asks again soon: a request that has not answered in this long counts as a failed probe.
const API_READ_TIMEOUT_MS = 2_000;

export async function adminAccess(
  server: string,
  pkiDir: string,
  binDir: string,
  kubeconfig: string,
): Promise<AdminAccess> {
  const read = (f: string): Promise<string> => readFile(join(pkiDir, f), 'utf8');
  const [ca, cert, key] = await Promise.all([read('ca.crt'), read('admin.crt'), read('admin.key')]);
  const api = createApiClient(
    {
      server,
      contextName: 'admin',
      namespace: 'default',
      insecureSkipTlsVerify: false,
      ca: Buffer.from(ca),
      cert: Buffer.from(cert),
      key: Buffer.from(key),
    },
    { timeoutMs: API_READ_TIMEOUT_MS, userAgent: 'local-cluster' },
  );
  return { server, tls: { ca, cert, key }, kubectl: join(binDir, 'kubectl'), kubeconfig, api };
}

/** /readyz of an API server: healthy when it says ok. */
export async function probeReadyz(url: string, tls: Tls): Promise<ProbeResult> {
  const res = await httpGet(`${url}/readyz`, tls);
  return res.status === 200 ? true : `readyz ${res.status}: ${res.body.slice(0, 300)}`;
}

/** An HTTPS /healthz whose serving certificate is self-signed (controller-manager, scheduler). */
export async function probeHealthz(port: number): Promise<ProbeResult> {
  const res = await httpGet(`https://127.0.0.1:${port}/healthz`, { insecure: true });
  return res.status === 200 ? true : `healthz ${res.status}: ${res.body.slice(0, 200)}`;
}

export async function probeEtcd(url: string): Promise<ProbeResult> {
  const res = await httpGet(`${url}/health`);
  return res.status === 200 && res.body.includes('"true"') ? true : `etcd health ${res.status}: ${res.body}`;
}

/** GETs an API path as admin; undefined on 404. Throws kube/errors.ts's KubeApiError otherwise. */
export async function getJson(access: AdminAccess, path: string): Promise<unknown> {
  try {
    return await access.api.request({ path });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

type Condition = { type?: string; status?: string; reason?: string };

function conditionsOf(obj: unknown): Condition[] {
  const status = (obj as { status?: { conditions?: unknown } } | undefined)?.status;
  return Array.isArray(status?.conditions) ? (status.conditions as Condition[]) : [];
}

/** Healthy when the Node exists and its Ready condition is True. */
export async function probeNodeReady(access: AdminAccess, node: string): Promise<ProbeResult> {
  const obj = await getJson(access, `/api/v1/nodes/${node}`);
  if (obj === undefined) return `Node ${node} not registered`;
  const ready = conditionsOf(obj).find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? true : `Node ${node} Ready=${ready?.status ?? 'missing'} (${ready?.reason ?? ''})`;
}

/** Healthy when someone holds the Lease (a leader-elected component has become active). */
export async function probeLeaseHeld(access: AdminAccess, namespace: string, name: string): Promise<ProbeResult> {
  const obj = await getJson(access, `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`);
  const holder = (obj as { spec?: { holderIdentity?: string } } | undefined)?.spec?.holderIdentity;
  return holder !== undefined && holder !== '' ? true : `Lease ${namespace}/${name} not held yet`;
}

export type KubectlResult = Readonly<{ code: number; stdout: string; stderr: string }>;

/** Runs the cached kubectl against the cluster as admin. Never throws for a non-zero exit. */
export function runKubectl(access: AdminAccess, args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(access.kubectl, [`--kubeconfig=${access.kubeconfig}`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Runs kubectl and throws with its stderr when it fails. */
export async function kubectlOrThrow(access: AdminAccess, args: readonly string[], input?: string): Promise<string> {
  const res = await runKubectl(access, args, input);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${res.code}): ${res.stderr.trim()}`);
  return res.stdout;
}
