// The manifests in manifests/ against the code they deploy: names from api/names.ts, flags the
// entry points accept, paths the handler and launcher agree on.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { HANDLER_SOCKET_NAME } from '../../../api/launcher-protocol.js';
import {
  COMPONENTS,
  CONTROLLER_LEASE_NAME,
  GROUP,
  LAUNCHER_IMAGE,
  RELEASE_VERSION,
  SERVICE_NODE_FLAGS,
  SUBRESOURCES_GROUP,
  SYSTEM_NAMESPACE,
  VM_PLURAL,
  VMI_PLURAL,
  VMIM_PLURAL,
} from '../../../api/names.js';
import {
  APISERVICE_NAME,
  CONSOLE_SUBRESOURCE,
  PORTFORWARD_SUBRESOURCE,
  SUBRESOURCES_VERSION,
  VIRT_API_SERVICE,
  VM_VERBS,
  VMI_VERBS,
} from '../../../api/subresources.js';
import { parseControllerFlags } from '../../../controllers/flags.js';
import { HANDLER_FLAGS } from '../../../handler/flags.js';
import { EMULATION_MODES } from '../../../handler/kvm-probe.js';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Probe = { exec?: { command: string[] }; httpGet?: unknown };
type Container = {
  name: string;
  image: string;
  command: string[];
  args: string[];
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = {
  serviceAccountName: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: { name: string; hostPath?: { path: string } }[];
};
type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
  spec?: { replicas?: number; template: { spec: PodSpec } };
};

const FILES = [
  'namespace.yaml',
  'rbac.yaml',
  'user-rbac.yaml',
  'virt-controller.yaml',
  'virt-handler.yaml',
  'virt-api.yaml',
] as const;

const manifests: Manifest[] = FILES.flatMap((f) =>
  parseAllDocuments(readFileSync(new URL(`../../../manifests/base/${f}`, import.meta.url), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${f}: ${String(d.errors[0])}`);
    return d.toJS() as Manifest;
  }),
);

function one(kind: string, name: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as Manifest;
}

function container(kind: string, name: string): Container {
  const c = one(kind, name).spec?.template.spec.containers[0];
  if (c === undefined) throw new Error(`${kind} ${name} has no container`);
  return c;
}

/** `--flag=value` args as a map; every arg in the manifests is written that way. */
function flagMap(args: readonly string[]): Map<string, string> {
  return new Map(
    args.map((a) => {
      const m = /^--([a-z-]+)=(.*)$/s.exec(a);
      if (m === null) throw new Error(`arg not in --flag=value form: ${a}`);
      return [m[1] ?? '', m[2] ?? ''];
    }),
  );
}

/**
 * The option names handler/main.ts gives parseArgs. main.ts starts the handler when imported, so
 * its parser cannot be called here; its options block is read instead.
 */
function handlerOptions(): Set<string> {
  return new Set(Object.keys(HANDLER_FLAGS));
}

/** The port a probe's in-container fetch reaches, and the path. */
function probeTarget(probe: Probe | undefined): { port: number; path: string } {
  const script = probe?.exec?.command.join(' ') ?? '';
  const m = /http:\/\/127\.0\.0\.1:(\d+)(\/[a-z]+)/.exec(script);
  if (m === null) throw new Error(`probe does not fetch 127.0.0.1: ${script}`);
  return { port: Number(m[1]), path: m[2] ?? '' };
}

const controller = container('Deployment', COMPONENTS.controller);
const handler = container('DaemonSet', COMPONENTS.handler);
const controllerFlags = parseControllerFlags(controller.args, {
  launcherCommand: ['unused'],
  logLevel: 'info',
  leaseNamespace: 'not-from-the-manifest',
  leaseName: 'not-from-the-manifest',
});
const handlerFlags = flagMap(handler.args);

const AUTH_READER = 'extension-apiserver-authentication-reader';

/** The option names virt-api/main.ts accepts: its FILE_FLAGS and the two plain ones. */
function virtApiOptions(): Set<string> {
  const source = readFileSync(new URL('../../../virt-api/main.ts', import.meta.url), 'utf8');
  const files = /FILE_FLAGS = \[([\s\S]*?)\]/.exec(source)?.[1] ?? '';
  return new Set(['kubeconfig', 'port', 'address', ...[...files.matchAll(/'([a-z-]+)'/g)].map((m) => m[1] ?? '')]);
}

describe('manifests/', () => {
  it('put every namespaced object in SYSTEM_NAMESPACE, which namespace.yaml creates', () => {
    expect(one('Namespace', SYSTEM_NAMESPACE).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe(
      'privileged',
    );
    const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'APIService'];
    // The one exception: virt-api reads the front proxy's settings with the built-in Role in kube-system.
    const readsAuthConfig = (m: Manifest): boolean =>
      m.kind === 'RoleBinding' && m.metadata.namespace === 'kube-system' && m.roleRef?.name === AUTH_READER;
    const namespaced = manifests.filter((m) => !clusterScoped.includes(m.kind) && !readsAuthConfig(m));
    expect(namespaced.length).toBeGreaterThan(0);
    for (const m of namespaced)
      expect([m.kind, m.metadata.name, m.metadata.namespace]).toEqual([m.kind, m.metadata.name, SYSTEM_NAMESPACE]);
  });

  it('name images after the components and the release, and the launcher image after LAUNCHER_IMAGE', () => {
    expect(controller.image).toBe(`tsvirt.io/${COMPONENTS.controller}:${RELEASE_VERSION}`);
    expect(handler.image).toBe(`tsvirt.io/${COMPONENTS.handler}:${RELEASE_VERSION}`);
    expect(controllerFlags.launcherImage).toBe(LAUNCHER_IMAGE);
    // The services' Node flags are api/names.ts SERVICE_NODE_FLAGS, here as everywhere else.
    expect(controller.command).toEqual(['node', ...SERVICE_NODE_FLAGS, `/opt/tsvirt/${COMPONENTS.controller}.js`]);
    expect(handler.command).toEqual(['node', ...SERVICE_NODE_FLAGS, `/opt/tsvirt/${COMPONENTS.handler}.js`]);
  });

  it('give virt-controller flags controllers/flags.ts accepts: leader election on the named Lease', () => {
    expect(controllerFlags.leaderElect).toBe(true);
    expect(controllerFlags.leaseNamespace).toBe(SYSTEM_NAMESPACE);
    expect(controllerFlags.leaseName).toBe(CONTROLLER_LEASE_NAME);
    expect(controllerFlags.kubeconfig).toBeUndefined();
    expect(controllerFlags.healthPort).toBeGreaterThan(0);
    expect(probeTarget(controller.livenessProbe)).toEqual({ port: controllerFlags.healthPort, path: '/healthz' });
    expect(probeTarget(controller.readinessProbe)).toEqual({ port: controllerFlags.healthPort, path: '/readyz' });
    expect(one('Deployment', COMPONENTS.controller).spec?.replicas).toBe(2);
  });

  it('give virt-handler only flags handler/main.ts parses, its node from spec.nodeName', () => {
    const accepted = handlerOptions();
    expect(accepted.has('node-name')).toBe(true);
    for (const flag of handlerFlags.keys()) expect([flag, accepted.has(flag)]).toEqual([flag, true]);
    expect(handlerFlags.get('node-name')).toBe('$(NODE_NAME)');
    const nodeName = handler.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath;
    expect(nodeName).toBe('spec.nodeName');
    expect(EMULATION_MODES).toContain(handlerFlags.get('emulation'));
    const metricsPort = Number(handlerFlags.get('metrics-port'));
    expect(probeTarget(handler.livenessProbe)).toEqual({ port: metricsPort, path: '/healthz' });
  });

  it('point the launcher at the handler socket in the run dir the handler shares from the host', () => {
    const runDir = handlerFlags.get('run-dir') ?? '';
    expect(controllerFlags.launcherCommand).toContain(`--handler-socket=${runDir}/${HANDLER_SOCKET_NAME}`);
    const spec = one('DaemonSet', COMPONENTS.handler).spec?.template.spec;
    const hostPaths = new Map((spec?.volumes ?? []).map((v) => [v.name, v.hostPath?.path]));
    const mounted = (handler.volumeMounts ?? []).map((m) => [m.mountPath, hostPaths.get(m.name)]);
    // libvirtd on the host reads the handler's files by the same path, so each is mounted 1:1.
    for (const path of [runDir, handlerFlags.get('libvirt-log-dir') ?? '', '/var/run/libvirt']) {
      expect(mounted).toContainEqual([path, path]);
    }
    expect(handlerFlags.get('libvirt-uri')).toBe('qemu:///system');
  });

  it('run virt-controller non-root on a read-only root, and only virt-handler privileged', () => {
    const pod = one('Deployment', COMPONENTS.controller).spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(controller.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(handler.securityContext).toMatchObject({ privileged: true });
  });

  it('bind each component ServiceAccount to its own roles, and the controller Lease by name', () => {
    for (const component of [COMPONENTS.controller, COMPONENTS.handler]) {
      expect(one('ServiceAccount', component).metadata.namespace).toBe(SYSTEM_NAMESPACE);
      expect(one(`Deployment`, COMPONENTS.controller).spec?.template.spec.serviceAccountName).toBe(
        COMPONENTS.controller,
      );
      expect(one('DaemonSet', COMPONENTS.handler).spec?.template.spec.serviceAccountName).toBe(COMPONENTS.handler);
      for (const [binding, role] of [
        ['ClusterRoleBinding', 'ClusterRole'],
        ['RoleBinding', 'Role'],
      ] as const) {
        const b = one(binding, `tsvirt:${component}`);
        expect(b.roleRef).toMatchObject({ kind: role, name: `tsvirt:${component}` });
        expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: component, namespace: SYSTEM_NAMESPACE }]);
      }
    }
    const leaseRules = one('Role', `tsvirt:${COMPONENTS.controller}`).rules ?? [];
    expect(leaseRules).toContainEqual({
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: [CONTROLLER_LEASE_NAME],
      verbs: ['get', 'update'],
    });
  });

  it('grant tsvirt resources by the names in api/names.ts and never a wildcard', () => {
    const rules = manifests.flatMap((m) => m.rules ?? []);
    const tsvirtResources = new Set(rules.filter((r) => r.apiGroups.includes(GROUP)).flatMap((r) => r.resources));
    for (const r of tsvirtResources) expect([VM_PLURAL, VMI_PLURAL, VMIM_PLURAL]).toContain(r.split('/')[0]);
    for (const r of rules) expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
    const handlerVmi = one('ClusterRole', `tsvirt:${COMPONENTS.handler}`).rules?.find((r) =>
      r.resources.includes(VMI_PLURAL),
    );
    expect(handlerVmi?.verbs).not.toContain('create');
    expect(handlerVmi?.verbs).not.toContain('delete');
  });

  it('give virt-api only flags virt-api/main.ts parses, two replicas, and an APIService for subresources.tsvirt.io', () => {
    const api = container('Deployment', COMPONENTS.api);
    const accepted = virtApiOptions();
    for (const flag of flagMap(api.args).keys()) expect([flag, accepted.has(flag)]).toEqual([flag, true]);
    expect(one('Deployment', COMPONENTS.api).spec?.replicas).toBe(2);
    expect(one('Deployment', COMPONENTS.api).spec?.template.spec.serviceAccountName).toBe(COMPONENTS.api);
    const service = one('APIService', APISERVICE_NAME) as unknown as { spec: Record<string, unknown> };
    expect(service.spec).toMatchObject({
      group: SUBRESOURCES_GROUP,
      version: SUBRESOURCES_VERSION,
      service: { name: VIRT_API_SERVICE, namespace: SYSTEM_NAMESPACE },
    });
    expect(one('RoleBinding', `tsvirt:${COMPONENTS.api}:${AUTH_READER}`).subjects).toEqual([
      { kind: 'ServiceAccount', name: COMPONENTS.api, namespace: SYSTEM_NAMESPACE },
    ]);
  });

  it('aggregate tsvirt.io:view|edit|admin into the built-in roles; view may not start, stop, pause or console', () => {
    const subresourceRules = (role: string): Rule[] =>
      (one('ClusterRole', role).rules ?? []).filter((r) => r.apiGroups.includes(SUBRESOURCES_GROUP));
    for (const level of ['view', 'edit', 'admin'])
      expect(one('ClusterRole', `tsvirt.io:${level}`).metadata.labels).toMatchObject({
        [`rbac.authorization.k8s.io/aggregate-to-${level}`]: 'true',
      });
    expect(subresourceRules('tsvirt.io:view')).toEqual([]);
    for (const level of ['edit', 'admin']) {
      const granted = subresourceRules(`tsvirt.io:${level}`).flatMap((r) =>
        r.resources.map((res) => `${r.verbs.join()} ${res}`),
      );
      expect(granted.sort()).toEqual(
        [
          ...VM_VERBS.map((v) => `update ${VM_PLURAL}/${v}`),
          ...VMI_VERBS.map((v) => `update ${VMI_PLURAL}/${v}`),
          `get ${VMI_PLURAL}/${CONSOLE_SUBRESOURCE}`,
          `get ${VMI_PLURAL}/${PORTFORWARD_SUBRESOURCE}`,
        ].sort(),
      );
    }
  });
});
