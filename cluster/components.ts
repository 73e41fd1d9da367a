// tsvirt's own components as local processes against a running local cluster (cluster/sync.sh):
// virt-controller, and one virt-handler per node. A component whose bundle is not built yet is
// skipped with a message, so sync.sh works while the tree is still growing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENTS } from '../api/names.js';
import { statePaths, type Command } from './layout.js';
import { saveCluster, type ClusterInfo, type NodeInfo } from './local-cluster.js';
import { MARKER_ENV, isRunning, startProcess, stopProcess, type ProcessRecord } from './processes.js';

const bundle = (info: ClusterInfo, name: string): string => join(info.repoRoot, 'dist', `${name}.js`);
const nodeBin = (info: ClusterInfo): string => join(info.repoRoot, 'node_modules', '.bin', 'node');

export function controllerCommand(info: ClusterInfo): Command {
  return {
    name: COMPONENTS.controller,
    command: nodeBin(info),
    args: [
      bundle(info, COMPONENTS.controller),
      `--kubeconfig=${info.kubeconfig}`,
      '--leader-elect',
      '--metrics-port=0',
      '--health-port=0',
    ],
  };
}

export function handlerCommand(info: ClusterInfo, node: NodeInfo): Command {
  return {
    name: `${COMPONENTS.handler}-${node.name}`,
    command: nodeBin(info),
    args: [
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
    ],
  };
}

/** The components sync.sh runs, given which bundles exist; the rest come back as skip messages. */
export function plannedComponents(
  info: ClusterInfo,
  built: (bundleName: string) => boolean,
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
  return { commands, skipped };
}

export type SyncReport = Readonly<{ started: readonly ProcessRecord[]; skipped: readonly string[] }>;

/** Stops the components sync started before, then starts the current build's; records them in cluster.json. */
export async function syncComponents(info: ClusterInfo): Promise<SyncReport> {
  await Promise.all(info.components.map((c) => stopProcess(c)));
  info.components = [];
  await saveCluster(info);
  const paths = statePaths(info.stateDir);
  const { commands, skipped } = plannedComponents(info, (name) => existsSync(bundle(info, name)));
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
  return { started: info.components, skipped };
}

/** Components recorded in cluster.json that are no longer running. */
export async function deadComponents(info: ClusterInfo): Promise<ProcessRecord[]> {
  const alive = await Promise.all(info.components.map(isRunning));
  return info.components.filter((_, i) => alive[i] !== true);
}
