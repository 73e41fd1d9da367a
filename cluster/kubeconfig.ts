// Kubeconfig files for the local cluster. Certificates are embedded, so a kubeconfig stays valid
// when copied elsewhere on this machine (sync_config.sh hands its path out).
import { readFile, writeFile } from 'node:fs/promises';

export type KubeconfigInput = Readonly<{
  /** Cluster, user and context name. */
  name: string;
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}>;

const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** A kubeconfig with one cluster, one user and one current context, as a JSON object (kubeconfig is YAML, and JSON is YAML). */
export function kubeconfigObject(input: KubeconfigInput): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: input.name, cluster: { server: input.server, 'certificate-authority-data': b64(input.caPem) } }],
    users: [
      {
        name: input.name,
        user: { 'client-certificate-data': b64(input.certPem), 'client-key-data': b64(input.keyPem) },
      },
    ],
    contexts: [{ name: input.name, context: { cluster: input.name, user: input.name } }],
    'current-context': input.name,
    preferences: {},
  };
}

export type KubeconfigFiles = Readonly<{
  name: string;
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}>;

/** Writes a kubeconfig to `path` (mode 0600: it holds a private key). */
export async function writeKubeconfig(path: string, files: KubeconfigFiles): Promise<void> {
  const [caPem, certPem, keyPem] = await Promise.all(
    [files.caFile, files.certFile, files.keyFile].map((f) => readFile(f, 'utf8')),
  );
  const config = kubeconfigObject({
    name: files.name,
    server: files.server,
    caPem: caPem ?? '',
    certPem: certPem ?? '',
    keyPem: keyPem ?? '',
  });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
