// tsvirt's own components as local processes against a running local cluster (cluster/sync.sh):
// virt-controller, virt-api (registered with its APIService), and one virt-handler per node. A
// component whose bundle is not built yet is skipped with a message, so sync.sh works while the
// tree is still growing.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPONENTS, SERVICE_NODE_FLAGS } from '../api/names.js';
import { HANDLER_TLS_SERVER_NAME, VIRT_API_CLIENT_CN, VIRT_API_SERVICE_DNS } from '../api/subresources.js';
import { adminAccess, kubectlOrThrow } from './cluster-api.js';
import { statePaths, type Command } from './layout.js';
import { saveCluster, type ClusterInfo, type NodeInfo } from './local-cluster.js';
import { HANDLER_CERT, VIRT_API_CERT, VIRT_API_CLIENT_CERT, ensureLeaves, tsvirtCertSpecs } from './pki.js';
import { freePorts } from './ports.js';
import { virtApiRegistration } from './virt-api-registration.js';
import { MARKER_ENV, isRunning, startProcess, stopProcess, type ProcessRecord } from './processes.js';

const bundle = (info: ClusterInfo, name: string): string => join(info.repoRoot, 'dist', `${name}.js`);
const nodeBin = (info: ClusterInfo): string => join(info.repoRoot, 'node_modules', '.bin', 'node');

export function controllerCommand(info: ClusterInfo): Command {
  return {
    name: COMPONENTS.controller,
    command: nodeBin(info),
    args: [
      ...SERVICE_NODE_FLAGS,
      bundle(info, COMPONENTS.controller),
      `--kubeconfig=${info.kubeconfig}`,
      '--leader-elect',
      '--metrics-port=0',
      '--health-port=0',
    ],
  };
}

const pem = (info: ClusterInfo, name: string, ext: 'crt' | 'key'): string =>
  join(statePaths(info.stateDir).pki, `${name}.${ext}`);

/** Makes virt-api's and the handlers' certificates from the cluster CA when they are missing. */
export async function ensureTsvirtCerts(info: ClusterInfo): Promise<void> {
  await ensureLeaves(
    statePaths(info.stateDir).pki,
    tsvirtCertSpecs({
      virtApiDns: VIRT_API_SERVICE_DNS,
      handlerDns: HANDLER_TLS_SERVER_NAME,
      virtApiClientCn: VIRT_API_CLIENT_CN,
    }),
  );
}

/** virt-api on loopback: the aggregator reaches it through an ExternalName Service (cluster/README.md). */
export function virtApiCommand(info: ClusterInfo, port: number): Command {
  return {
    name: COMPONENTS.api,
    command: nodeBin(info),
    args: [
      ...SERVICE_NODE_FLAGS,
      bundle(info, COMPONENTS.api),
      `--kubeconfig=${info.kubeconfig}`,
      '--address=127.0.0.1',
      `--port=${port}`,
      `--tls-cert-file=${pem(info, VIRT_API_CERT, 'crt')}`,
      `--tls-key-file=${pem(info, VIRT_API_CERT, 'key')}`,
      `--handler-client-cert-file=${pem(info, VIRT_API_CLIENT_CERT, 'crt')}`,
      `--handler-client-key-file=${pem(info, VIRT_API_CLIENT_CERT, 'key')}`,
      `--handler-ca-file=${pem(info, 'ca', 'crt')}`,
    ],
  };
}

/** The handler's endpoint for virt-api, on a free loopback port it writes on its Node. */
export function handlerEndpointArgs(info: ClusterInfo): string[] {
  return [
    `--tls-cert-file=${pem(info, HANDLER_CERT, 'crt')}`,
    `--tls-key-file=${pem(info, HANDLER_CERT, 'key')}`,
    `--client-ca-file=${pem(info, 'ca', 'crt')}`,
    '--endpoint-address=127.0.0.1',
    '--endpoint-port=0',
    '--advertise-address=127.0.0.1',
  ];
}

export function handlerCommand(info: ClusterInfo, node: NodeInfo): Command {
  return {
    name: `${COMPONENTS.handler}-${node.name}`,
    command: nodeBin(info),
    args: [
      ...SERVICE_NODE_FLAGS,
      bundle(info, COMPONENTS.handler),
      `--kubeconfig=${info.kubeconfig}`,
      `--node-name=${node.name}`,
      `--libvirt-uri=${node.libvirtUri}`,
      `--run-dir=${node.handlerRunDir}`,
      `--image-cache-dir=${node.imageCacheDir}`,
      // The local registry is plain HTTP; a handler reaches no other registry without TLS.
      ...(info.registry === undefined ? [] : [`--insecure-registry=${info.registry}`]),
      '--metrics-port=0',
      // A private libvirtd's logs are not in /var/log/libvirt/qemu; without them a guest's own
      // power-off would read as Failed.
      ...(node.libvirtLogDir === undefined ? [] : [`--libvirt-log-dir=${node.libvirtLogDir}`]),
      ...handlerEndpointArgs(info),
      // Guests on this machine reach nothing beyond it (QEMU's restrict=on); tests add the node
      // ports they serve with --guest-node-port.
      '--guest-network=node-only',
    ],
  };
}

/** The components sync.sh runs, given which bundles exist; the rest come back as skip messages. */
export function plannedComponents(
  info: ClusterInfo,
  built: (bundleName: string) => boolean,
  virtApiPort = 0,
): { commands: Command[]; skipped: string[] } {
  const commands: Command[] = [];
  const skipped: string[] = [];
  const add = (bundleName: string, cmds: Command[]): void => {
    if (built(bundleName)) commands.push(...cmds);
    else
      skipped.push(
        `dist/${bundleName}.js is not built yet (its main.ts does not exist yet); ${bundleName} not started`,
      );
  };
  add(COMPONENTS.controller, [controllerCommand(info)]);
  add(
    COMPONENTS.handler,
    info.nodes.map((n) => handlerCommand(info, n)),
  );
  add(COMPONENTS.api, [virtApiCommand(info, virtApiPort)]);
  return { commands, skipped };
}

export type SyncReport = Readonly<{ started: readonly ProcessRecord[]; skipped: readonly string[] }>;

/** Stops the components sync started before, then starts the current build's; records them in cluster.json. */
export async function syncComponents(info: ClusterInfo): Promise<SyncReport> {
  await Promise.all(info.components.map((c) => stopProcess(c)));
  info.components = [];
  await saveCluster(info);
  const paths = statePaths(info.stateDir);
  await ensureTsvirtCerts(info);
  const [virtApiPort = 0] = await freePorts(1);
  const { commands, skipped } = plannedComponents(info, (name) => existsSync(bundle(info, name)), virtApiPort);
  for (const cmd of commands) {
    const record = await startProcess({
      name: cmd.name,
      command: cmd.command,
      args: cmd.args,
      env: { [MARKER_ENV]: info.stateDir },
      cwd: info.repoRoot,
      logFile: join(paths.logs, `${cmd.name}.log`),
      pidFile: join(paths.pids, `${cmd.name}.pid`),
    });
    info.components.push(record);
    await saveCluster(info);
  }
  if (commands.some((c) => c.name === COMPONENTS.api)) await registerVirtApi(info, virtApiPort);
  return { started: info.components, skipped };
}

/** Points the APIService at the virt-api just started (its port changes with every sync). */
export async function registerVirtApi(info: ClusterInfo, port: number): Promise<void> {
  const paths = statePaths(info.stateDir);
  const access = await adminAccess(info.server, paths.pki, info.binDir, info.kubeconfig);
  const ca = await readFile(join(paths.pki, 'ca.crt'), 'utf8');
  const list = { apiVersion: 'v1', kind: 'List', items: virtApiRegistration(port, ca) };
  await kubectlOrThrow(access, ['apply', '-f', '-'], JSON.stringify(list));
  // Users' roles (tsvirt.io:view|edit|admin), so a binding to the built-in view or edit means what it says.
  await kubectlOrThrow(access, ['apply', '-f', join(info.repoRoot, 'manifests', 'base', 'user-rbac.yaml')]);
}

/** Components recorded in cluster.json that are no longer running. */
export async function deadComponents(info: ClusterInfo): Promise<ProcessRecord[]> {
  const alive = await Promise.all(info.components.map(isRunning));
  return info.components.filter((_, i) => alive[i] !== true);
}
