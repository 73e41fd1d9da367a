// The handful of API reads and kubectl calls the local cluster needs while it starts and stops,
// made with the admin identity. Health checks here use plain HTTPS so they never depend on kube/,
// which is what the cluster exists to test.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpGet, type Tls } from './http-probe.js';
import type { ProbeResult } from './processes.js';

export type AdminAccess = Readonly<{ server: string; tls: Tls; kubectl: string; kubeconfig: string }>;

export async function adminAccess(
  server: string,
  pkiDir: string,
  binDir: string,
  kubeconfig: string,
): Promise<AdminAccess> {
  const read = (f: string): Promise<string> => readFile(join(pkiDir, f), 'utf8');
  const [ca, cert, key] = await Promise.all([read('ca.crt'), read('admin.crt'), read('admin.key')]);
  return { server, tls: { ca, cert, key }, kubectl: join(binDir, 'kubectl'), kubeconfig };
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

/** GETs an API path as admin; undefined on 404. */
export async function getJson(access: AdminAccess, path: string): Promise<unknown> {
  const res = await httpGet(`${access.server}${path}`, access.tls);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as unknown;
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
