// manifests/ as kustomize renders it (kubectl's built-in kustomize, the one `kubectl apply -k`
// uses): both overlays build, and every workload they install is shaped for a real cluster: every
// container but the handler's runs as non-root on a read-only root file system, and every one
// has requests and liveness and readiness probes. The server then accepts the local overlay
// (server-side dry run).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { COMPONENTS } from '../../api/names.js';
import { clusterFromEnv, kubectl } from '../harness/index.js';

const run = promisify(execFile);

type Container = {
  name: string;
  image?: string;
  resources?: { requests?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  securityContext?: { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean };
};
type Workload = {
  kind: string;
  metadata: { name: string };
  spec: {
    template: {
      spec: { containers: Container[]; securityContext?: { runAsNonRoot?: boolean; runAsUser?: number } };
    };
  };
};

async function render(overlay: string): Promise<Workload[]> {
  const c = clusterFromEnv();
  const { stdout } = await run(c.kubectl, ['kustomize', join(c.repoRoot, 'manifests', 'overlays', overlay)], {
    maxBuffer: 1 << 26,
  });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Workload)
    .filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
}

describe.each(['local', 'production'])('manifests/overlays/%s', (overlay) => {
  let workloads: Workload[];
  beforeAll(async () => {
    workloads = await render(overlay);
  });

  it('installs virt-controller, virt-api and virt-handler', () => {
    expect(workloads.map((w) => `${w.kind}/${w.metadata.name}`).sort()).toEqual([
      'DaemonSet/virt-handler',
      'Deployment/virt-api',
      'Deployment/virt-controller',
    ]);
  });

  it('runs every container but the handler as non-root with a read-only root file system', () => {
    const containers = workloads
      .filter((w) => w.metadata.name !== COMPONENTS.handler)
      .flatMap((w) => w.spec.template.spec.containers.map((c) => ({ w, c })));
    expect(containers.length).toBeGreaterThan(0);
    for (const { w, c } of containers) {
      const pod = w.spec.template.spec.securityContext;
      expect({ name: c.name, nonRoot: c.securityContext?.runAsNonRoot ?? pod?.runAsNonRoot }).toEqual({
        name: c.name,
        nonRoot: true,
      });
      expect(pod?.runAsUser ?? 0).not.toBe(0);
      expect({ name: c.name, readOnly: c.securityContext?.readOnlyRootFilesystem }).toEqual({
        name: c.name,
        readOnly: true,
      });
    }
  });

  it('gives every container requests and liveness and readiness probes', () => {
    for (const c of workloads.flatMap((w) => w.spec.template.spec.containers)) {
      expect({
        name: c.name,
        cpu: c.resources?.requests?.['cpu'] !== undefined,
        memory: c.resources?.requests?.['memory'] !== undefined,
      }).toEqual({
        name: c.name,
        cpu: true,
        memory: true,
      });
      expect({
        name: c.name,
        liveness: c.livenessProbe !== undefined,
        readiness: c.readinessProbe !== undefined,
      }).toEqual({
        name: c.name,
        liveness: true,
        readiness: true,
      });
    }
  });

  it('runs the handler privileged, the one component that drives the node', () => {
    const handler = workloads.find((w) => w.metadata.name === COMPONENTS.handler);
    expect(handler?.spec.template.spec.containers[0]?.securityContext?.privileged).toBe(true);
  });
});

describe('manifests/overlays/local on the API server', () => {
  it('is accepted whole (server-side dry run)', async () => {
    const c = clusterFromEnv();
    const res = await kubectl([
      'apply',
      '-k',
      join(c.repoRoot, 'manifests', 'overlays', 'local'),
      '--dry-run=server',
      '--server-side',
      '--force-conflicts',
    ]);
    expect(res.stdout).toMatch(/deployment\.apps\/virt-controller serverside-applied \(server dry run\)/);
    expect(res.stdout).toMatch(
      /apiservice\.apiregistration\.k8s\.io\/v1alpha1\.subresources\.tsvirt\.io serverside-applied/,
    );
  });
});
