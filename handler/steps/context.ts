/**
 * What the executor's steps reach: the edges a step acts on (libvirt, the API server, the launcher
 * socket, the run folder) and the two things a pass keeps between steps (memory and the handler's
 * own status writes).
 */
import type { Secret } from '../../kube/core.js';
import type { Informer } from '../../kube/informer.js';
import type { KubeLogger } from '../../kube/logger.js';
import type { VirtualMachineInstanceClient } from '../../kube/tsvirt.js';
import type { VirtualMachineInstance } from '../../api/types.js';
import type { ContainerDiskCache } from '../containerdisk/cache.js';
import type { HostFacts } from '../domain/host-facts.js';
import type { NodePathPolicy } from '../host-paths/policy.js';
import type { LauncherPodIPs } from '../launcher-pod-ips.js';
import type { LauncherServer } from '../launcher-server.js';
import type { LibvirtConnection } from '../libvirt/connection.js';
import type { OwnWrites } from '../own-writes.js';
import type { Memory } from '../sync/decide.js';
import type { VmiEventRecorder } from '../vmi-events.js';
import type { MigrationContext } from '../migration/steps.js';

export interface StepContext {
  readonly nodeName: string;
  readonly host: HostFacts;
  /** The node's host-path policy now (host-paths/node-config.ts). */
  readonly hostPaths: () => Promise<NodePathPolicy>;
  readonly libvirt: LibvirtConnection;
  readonly launchers: Pick<LauncherServer, 'send' | 'forget'>;
  readonly vmis: Pick<Informer<VirtualMachineInstance>, 'get'>;
  readonly vmiClient: Pick<VirtualMachineInstanceClient, 'patchStatus'>;
  readonly events: VmiEventRecorder;
  readonly log: KubeLogger;
  readonly now: () => number;
  readonly ownWrites: OwnWrites;
  readonly memory: Map<string, Memory>;
  /** The node's containerDisk cache; without it containerDisks fail to pull. */
  readonly imageCache: ContainerDiskCache | undefined;
  /** Reads a Secret (get only; undefined when missing): pull secrets and cloud-init data. */
  readonly secret: ((namespace: string, name: string) => Promise<Secret | undefined>) | undefined;
  /** The launcher Pods' addresses; undefined when the handler cannot read Pods (the test driver). */
  readonly podIPs: Pick<LauncherPodIPs, 'forget'> | undefined;
  /** Live migration; undefined where the handler takes part in none. */
  readonly migration?: MigrationContext;
}

/** The fields every log line about this uid's VMI carries (docs/conventions.md §6). */
export function vmiFields(
  uid: string,
  vmi: VirtualMachineInstance | undefined,
): Readonly<{ uid: string; namespace: string | undefined; name: string | undefined }> {
  return { uid, namespace: vmi?.metadata.namespace, name: vmi?.metadata.name };
}
