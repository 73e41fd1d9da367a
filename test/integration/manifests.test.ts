// manifests/ on the real control plane: the API server accepts every object (server-side dry run),
// the RBAC grants each component exactly the verbs its code uses (kubectl auth can-i), and a VM runs
// and stops with virt-controller and virt-handler holding nothing but their ServiceAccounts' tokens.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { COMPONENTS, CONTROLLER_LEASE_NAME, GROUP, SYSTEM_NAMESPACE, VM_PLURAL, VMI_PLURAL } from '../../api/names.js';
import { ensureTsvirtCerts } from '../../cluster/components.js';
import { handlerLeaseName } from '../../api/object-names.js';
import type { Lease } from '../../kube/core.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  kubectlJson,
  startComponent,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import {
  createVms,
  deleteAllVms,
  getVmi,
  launcherCommand,
  nodeInfo,
  patchVm,
  vmManifest,
  waitVmiPhase,
  waitVmStatus,
} from './handler-stack.js';

const MANIFESTS = [
  'namespace.yaml',
  'cluster-config.yaml',
  'host-path-policy.yaml',
  'rbac.yaml',
  'user-rbac.yaml',
  'virt-controller.yaml',
  'virt-handler.yaml',
  'virt-api.yaml',
] as const;
const VMS = `${VM_PLURAL}.${GROUP}`;
const VMIS = `${VMI_PLURAL}.${GROUP}`;
const LEASES = 'leases.coordination.k8s.io';

function manifestPath(file: string): string {
  return join(clusterFromEnv().repoRoot, 'manifests', 'base', file);
}

type Container = { args: string[] };
type Workload = { kind: string; spec: { template: { spec: { containers: Container[] } } } };

/** The args a workload in manifests/ gives its container. */
function manifestArgs(file: string): string[] {
  const doc = parseAllDocuments(readFileSync(manifestPath(file), 'utf8'))[0]?.toJS() as Workload | undefined;
  const args = doc?.spec.template.spec.containers[0]?.args;
  if (args === undefined) throw new Error(`${file}: no container args`);
  return args;
}

function serviceAccount(component: string): string {
  return `system:serviceaccount:${SYSTEM_NAMESPACE}:${component}`;
}

type Check = Readonly<{ verb: string; resource: string; namespace?: string; subresource?: string }>;

async function canI(component: string, check: Check, ns: string): Promise<string> {
  const res = await kubectl(
    [
      'auth',
      'can-i',
      check.verb,
      check.resource,
      `--as=${serviceAccount(component)}`,
      '-n',
      check.namespace ?? ns,
      ...(check.subresource === undefined ? [] : [`--subresource=${check.subresource}`]),
    ],
    { allowFailure: true },
  );
  return res.stdout.trim();
}

/** [check, answer] for each check, so a failure names every wrong answer at once. */
async function answers(component: string, checks: readonly Check[], ns: string): Promise<[string, string][]> {
  return Promise.all(
    checks.map(async (c) => {
      const what = `${c.verb} ${c.resource}${c.subresource === undefined ? '' : `/${c.subresource}`} -n ${c.namespace ?? ns}`;
      return [what, await canI(component, c, ns)] as [string, string];
    }),
  );
}

/** A kubeconfig for the test cluster that authenticates as a ServiceAccount token, nothing else. */
async function serviceAccountKubeconfig(dir: string, component: string): Promise<string> {
  const admin = await kubectlJson<{ clusters: { name: string; cluster: unknown }[] }>([
    'config',
    'view',
    '--raw',
    '--minify',
  ]);
  const cluster = admin.clusters[0];
  if (cluster === undefined) throw new Error('The admin kubeconfig has no cluster');
  const token = (await kubectl(['create', 'token', component, '-n', SYSTEM_NAMESPACE, '--duration=1h'])).stdout.trim();
  const file = join(dir, `${component}.kubeconfig`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [cluster],
    users: [{ name: component, user: { token } }],
    contexts: [{ name: component, context: { cluster: cluster.name, user: component } }],
    'current-context': component,
  };
  await writeFile(file, JSON.stringify(config), { mode: 0o600 });
  return file;
}

/** A manifest's args with the fixed ports swapped for free ones and `replace` applied. */
function localArgs(file: string, replace: Readonly<Record<string, string>>): string[] {
  return manifestArgs(file).flatMap((a) => {
    const flag = /^--([a-z-]+)=/.exec(a)?.[1] ?? '';
    if (flag.endsWith('-port')) return [`--${flag}=0`];
    const value = replace[flag];
    return value === undefined ? [a] : value === '' ? [] : [`--${flag}=${value}`];
  });
}

function forbidden(logs: string): string[] {
  return logs.split('\n').filter((l) => /forbidden|"code":403/i.test(l));
}

let ns: string;
let dir: string;

beforeAll(async () => {
  ns = await createTestNamespace('manifests');
  dir = await mkdtemp(join(tmpdir(), 'tsvirt-manifests-'));
}, 60_000);

afterAll(async () => {
  await deleteAllVms(ns);
  await stopAllComponents();
  await deleteTestNamespace(ns);
  // The RBAC objects this file applied for real; the namespace and workloads were dry runs only.
  await kubectl(['delete', '-f', manifestPath('rbac.yaml'), '--ignore-not-found', '--wait=false'], {
    allowFailure: true,
  });
  await rm(dir, { recursive: true, force: true });
}, 90_000);

describe('manifests/', () => {
  it('are accepted by the API server as they are (server-side dry run), CRDs included', async () => {
    const files = [manifestPath('crds'), ...MANIFESTS.map(manifestPath)].flatMap((f) => ['-f', f]);
    const res = await kubectl(['apply', '--dry-run=server', ...files]);
    const lines = res.stdout.trim().split('\n');
    for (const expected of [
      `namespace/${SYSTEM_NAMESPACE}`,
      `serviceaccount/${COMPONENTS.controller}`,
      `serviceaccount/${COMPONENTS.handler}`,
      `clusterrole.rbac.authorization.k8s.io/tsvirt:${COMPONENTS.controller}`,
      `rolebinding.rbac.authorization.k8s.io/tsvirt:${COMPONENTS.handler}`,
      `deployment.apps/${COMPONENTS.controller}`,
      `daemonset.apps/${COMPONENTS.handler}`,
      `deployment.apps/${COMPONENTS.api}`,
      'apiservice.apiregistration.k8s.io/v1alpha1.subresources.tsvirt.io',
      'clusterrole.rbac.authorization.k8s.io/tsvirt.io:edit',
      `customresourcedefinition.apiextensions.k8s.io/${VMS}`,
      'configmap/tsvirt-config',
      'validatingadmissionpolicy.admissionregistration.k8s.io/tsvirt-host-paths',
      'validatingadmissionpolicybinding.admissionregistration.k8s.io/tsvirt-host-paths',
    ]) {
      expect(lines.find((l) => l.startsWith(`${expected} `))).toMatch(/\(server dry run\)$/);
    }
    // 3 CRDs + namespace + ConfigMap + policy and binding + 14 RBAC objects + 3 user roles +
    // 2 Deployments + DaemonSet + Service + APIService, nothing refused.
    expect(lines).toHaveLength(29);
    const deployment = await kubectl(['get', 'deployment', COMPONENTS.controller, '-n', SYSTEM_NAMESPACE], {
      allowFailure: true,
    });
    expect(deployment.stderr).toMatch(/NotFound/);
  });

  it('grant virt-controller exactly what controllers/ calls, and no more', async () => {
    await kubectl(['apply', '--server-side', '--field-manager=tsvirt-test', '-f', manifestPath('rbac.yaml')]);
    const yes: Check[] = [
      { verb: 'list', resource: VMS },
      { verb: 'watch', resource: VMS },
      { verb: 'update', resource: VMS, subresource: 'status' },
      { verb: 'update', resource: VMS, subresource: 'finalizers' },
      ...['list', 'watch', 'create', 'delete', 'patch'].map((verb) => ({ verb, resource: VMIS })),
      { verb: 'update', resource: VMIS, subresource: 'status' },
      { verb: 'update', resource: VMIS, subresource: 'finalizers' },
      ...['list', 'watch', 'create', 'delete'].map((verb) => ({ verb, resource: 'pods' })),
      { verb: 'create', resource: 'events' },
      { verb: 'patch', resource: 'events' },
      { verb: 'create', resource: LEASES, namespace: SYSTEM_NAMESPACE },
      { verb: 'get', resource: `${LEASES}/${CONTROLLER_LEASE_NAME}`, namespace: SYSTEM_NAMESPACE },
      { verb: 'update', resource: `${LEASES}/${CONTROLLER_LEASE_NAME}`, namespace: SYSTEM_NAMESPACE },
    ];
    const no: Check[] = [
      { verb: 'delete', resource: 'nodes' },
      { verb: 'get', resource: 'secrets' },
      { verb: 'list', resource: 'secrets', namespace: SYSTEM_NAMESPACE },
      { verb: 'create', resource: VMS },
      { verb: 'update', resource: VMS },
      { verb: 'delete', resource: VMS },
      { verb: 'patch', resource: VMIS, subresource: 'status' },
      { verb: 'patch', resource: 'pods' },
      { verb: 'create', resource: 'pods', subresource: 'exec' },
      { verb: 'delete', resource: 'events' },
      { verb: 'update', resource: `${LEASES}/${handlerLeaseName('node-1')}`, namespace: SYSTEM_NAMESPACE },
      { verb: 'create', resource: LEASES },
      { verb: 'get', resource: 'nodes' },
    ];
    expect((await answers(COMPONENTS.controller, yes, ns)).filter(([, a]) => a !== 'yes')).toEqual([]);
    expect((await answers(COMPONENTS.controller, no, ns)).filter(([, a]) => a !== 'no')).toEqual([]);
  });

  it('grant virt-handler exactly what handler/ calls, and no more', async () => {
    const yes: Check[] = [
      ...['list', 'watch', 'patch'].map((verb) => ({ verb, resource: VMIS })),
      { verb: 'patch', resource: VMIS, subresource: 'status' },
      { verb: 'create', resource: 'events' },
      // kube/events.ts's recorder counts a repeated Event with a merge patch.
      { verb: 'patch', resource: 'events' },
      { verb: 'get', resource: 'nodes' },
      { verb: 'patch', resource: 'nodes' },
      // containerDisk imagePullSecrets, one by name in the VMI's namespace (never a list).
      { verb: 'get', resource: 'secrets' },
      // The launcher Pod's address for status.interfaces, one by name (never a list or watch).
      { verb: 'get', resource: 'pods' },
      ...['get', 'create', 'update'].map((verb) => ({
        verb,
        resource: `${LEASES}/${handlerLeaseName('node-1')}`,
        namespace: SYSTEM_NAMESPACE,
      })),
      ...['list', 'watch'].map((verb) => ({ verb, resource: 'configmaps', namespace: SYSTEM_NAMESPACE })),
    ];
    const no: Check[] = [
      { verb: 'create', resource: VMIS },
      { verb: 'delete', resource: VMIS },
      { verb: 'update', resource: VMIS, subresource: 'status' },
      { verb: 'list', resource: VMS },
      { verb: 'patch', resource: VMS },
      { verb: 'list', resource: 'pods' },
      { verb: 'create', resource: 'pods' },
      { verb: 'list', resource: 'secrets' },
      { verb: 'watch', resource: 'secrets' },
      { verb: 'delete', resource: 'nodes' },
      { verb: 'list', resource: 'nodes' },
      { verb: 'delete', resource: 'events' },
      { verb: 'delete', resource: `${LEASES}/${handlerLeaseName('node-1')}`, namespace: SYSTEM_NAMESPACE },
      { verb: 'create', resource: LEASES },
      { verb: 'list', resource: 'configmaps' },
      { verb: 'update', resource: 'configmaps', namespace: SYSTEM_NAMESPACE },
    ];
    expect((await answers(COMPONENTS.handler, yes, ns)).filter(([, a]) => a !== 'yes')).toEqual([]);
    expect((await answers(COMPONENTS.handler, no, ns)).filter(([, a]) => a !== 'no')).toEqual([]);
  });

  it('run a VM to Running and stop it with components that hold only their ServiceAccount tokens', async () => {
    const node = clusterFromEnv().nodes[0] ?? 'node-1';
    // The manifests' own args, with local paths: the launcher is this repository's bundle, the
    // run dir is the one node-1's agent gives launchers, libvirt is the test driver.
    const controller = await startComponent(COMPONENTS.controller, [
      `--kubeconfig=${await serviceAccountKubeconfig(dir, COMPONENTS.controller)}`,
      ...localArgs('virt-controller.yaml', { 'launcher-command': launcherCommand() }),
    ]);
    // Leader election through the Role's one Lease name; a Lease a killed run left may first expire.
    await controller.waitForLog(/Started reconciling/, 60_000);
    await ensureTsvirtCerts(clusterFromEnv().info);
    const pki = join(clusterFromEnv().stateDir, 'pki');
    const handler = await startComponent(COMPONENTS.handler, [
      `--kubeconfig=${await serviceAccountKubeconfig(dir, COMPONENTS.handler)}`,
      ...localArgs('virt-handler.yaml', {
        'node-name': node,
        'libvirt-uri': 'test:///default',
        'libvirt-log-dir': '',
        'run-dir': nodeInfo(node).handlerRunDir,
        emulation: 'tcg',
        // virt-api's endpoint, with the local cluster's certificates in place of the Secret's.
        'tls-cert-file': join(pki, 'virt-handler.crt'),
        'tls-key-file': join(pki, 'virt-handler.key'),
        'client-ca-file': join(pki, 'ca.crt'),
        'advertise-address': '127.0.0.1',
      }),
      '--endpoint-address=127.0.0.1',
    ]);
    await handler.waitForLog(/Started virt-handler/);

    await createVms(ns, [vmManifest('web', { node })]);
    await waitVmiPhase(ns, 'web', 'Running');
    await waitVmStatus(ns, 'web', 'Running');
    await patchVm(ns, 'web', { spec: { runStrategy: 'Halted' } });
    await waitVmStatus(ns, 'web', 'Stopped');
    await waitFor(
      async (seen) => {
        const vmi = await getVmi(ns, 'web');
        seen(vmi?.status ?? '(gone)');
        return vmi === undefined;
      },
      { timeoutMs: 30_000, describe: 'VMI web to be gone' },
    );

    const lease = await kubectlJson<Lease>(['get', LEASES, handlerLeaseName(node), '-n', SYSTEM_NAMESPACE]);
    expect(lease.spec?.holderIdentity).toBe(node);
    const controllerLease = await kubectlJson<Lease>(['get', LEASES, CONTROLLER_LEASE_NAME, '-n', SYSTEM_NAMESPACE]);
    expect(controllerLease.spec?.holderIdentity).toMatch(/_\d+_/);
    expect(forbidden(controller.logs())).toEqual([]);
    expect(forbidden(handler.logs())).toEqual([]);
  }, 180_000);
});
