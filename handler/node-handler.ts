/**
 * virt-handler's shell for one node: the VMI informer (only VMIs on this node), the launcher socket,
 * the guest agent watch and a poll of domain state (domain-poll.ts) feed one work queue keyed by
 * VMI uid. Each run of a uid is observe (observe.ts) → decide (the pure sync/decide.ts `nextStep`)
 * → execute (steps/), repeated until the step ends the run (docs/conventions.md §2).
 */
import type { VirtualMachineInstance } from '../api/types.js';
import type { Pod, Secret } from '../kube/core.js';
import { isConflict, toApiError } from '../kube/errors.js';
import type { Informer } from '../kube/informer.js';
import type { KubeLogger } from '../kube/logger.js';
import type { VirtualMachineInstanceClient } from '../kube/tsvirt.js';
import { WorkQueue, type QueueOutcome } from '../kube/workqueue.js';
import type { ContainerDiskCache } from './containerdisk/cache.js';
import type { HostFacts } from './domain/host-facts.js';
import { DomainPoll } from './domain-poll.js';
import { GuestAgentWatch } from './guest-agent-watch.js';
import { LauncherPodIPs } from './launcher-pod-ips.js';
import type { NodePathPolicy } from './host-paths/policy.js';
import { LauncherServer } from './launcher-server.js';
import { LibvirtUnavailableError, type LibvirtConnection } from './libvirt/connection.js';
import { type ObserveSources, observe, vmiOf } from './observe.js';
import { OwnWrites } from './own-writes.js';
import type { StepContext } from './steps/context.js';
import { executeStep } from './steps/execute.js';
import { type Memory, nextStep } from './sync/decide.js';
import type { VmiEventRecorder } from './vmi-events.js';
import type { MigrationLimits } from '../api/cluster-config.js';
import { MigrationJobs } from './migration/jobs.js';

export { UID_INDEX } from './observe.js';

export interface NodeHandlerConfig {
  readonly nodeName: string;
  readonly host: HostFacts;
  readonly socketPath: string;
  readonly pollIntervalMs: number;
  /** Where libvirt writes `<domain>.log` (the shut-off cause); undefined: not known for this URI. */
  readonly libvirtLogDir: string | undefined;
  readonly workers: number;
  /** The node's host-path policy now (host-paths/node-config.ts). */
  readonly hostPaths: () => Promise<NodePathPolicy>;
  /** Live migration: this handler's URI, what it publishes as a target, the cluster's limits. */
  readonly migration?: Readonly<{
    libvirtUri: string;
    targetLibvirtUri: string;
    targetAddress: string;
    limits: () => MigrationLimits;
  }>;
}

export interface NodeHandlerDeps {
  readonly libvirt: LibvirtConnection;
  readonly vmis: Informer<VirtualMachineInstance>;
  /**
   * VMIs that migrate to this node (label tsvirt.io/migration-target-node, indexed by uid too):
   * their status.nodeName is still the source's, so `vmis` does not hold them.
   */
  readonly migrationTargets?: Informer<VirtualMachineInstance>;
  readonly vmiClient: VirtualMachineInstanceClient;
  readonly events: VmiEventRecorder;
  readonly log: KubeLogger;
  readonly now: () => number;
  /** Called after each successful poll with its duration and the number of tsvirt domains. */
  readonly onPoll?: (ms: number, domains: number) => void;
  /** The node's containerDisk cache; without it containerDisks fail to pull. */
  readonly imageCache?: ContainerDiskCache;
  /** Reads a Secret (get only; undefined when missing): pull secrets and cloud-init data. */
  readonly secret?: (namespace: string, name: string) => Promise<Secret | undefined>;
  /** Reads a Pod (get only): the launcher Pod's address for status.interfaces. */
  readonly pod?: (namespace: string, name: string) => Promise<Pod | undefined>;
}

/** Steps in one run before it yields to other keys (a run normally ends far sooner, at idle or wait). */
const MAX_STEPS_PER_RUN = 16;
/** A run that used up its steps comes back this soon, after other keys had their turn. */
const YIELDED_RETRY_MS = 100;
const LIBVIRT_DOWN_RETRY_MS = 1000;
/** An orphan is only an orphan once the cache is complete: wait this long for it. */
const CACHE_SYNC_RETRY_MS = 200;

export class NodeHandler {
  readonly launchers: LauncherServer;
  private readonly agents: GuestAgentWatch | undefined;
  private readonly poll: DomainPoll;
  private readonly queue: WorkQueue;
  private readonly sources: ObserveSources;
  private readonly steps: StepContext;
  private readonly informers: ReadonlyArray<Informer<VirtualMachineInstance>>;

  constructor(config: NodeHandlerConfig, deps: NodeHandlerDeps) {
    this.informers = deps.migrationTargets === undefined ? [deps.vmis] : [deps.vmis, deps.migrationTargets];
    // The node's own VMIs first: a VMI that moved here is found there once its nodeName says so.
    const vmis = {
      byIndex: (name: string, value: string): VirtualMachineInstance[] =>
        this.informers.flatMap((i) => i.byIndex(name, value)),
      get: (namespace: string, name: string): VirtualMachineInstance | undefined =>
        this.informers.map((i) => i.get(namespace, name)).find((v) => v !== undefined),
    };
    const memory = new Map<string, Memory>();
    const ownWrites = new OwnWrites();
    this.queue = new WorkQueue((uid) => this.process(uid), {
      workers: config.workers,
      onError: (uid, err) => deps.log.error({ uid, err }, 'Sync of a VMI failed unexpectedly'),
    });
    const changed = (uid: string): void => this.queue.add(uid);
    const jobs = new MigrationJobs(changed, deps.now);
    this.launchers = new LauncherServer(config.socketPath, {
      changed,
      log: (level, fields, msg) => deps.log[level](fields, msg),
    });
    this.poll = new DomainPoll({
      libvirt: deps.libvirt,
      log: deps.log,
      intervalMs: config.pollIntervalMs,
      hasVmi: (uid) => vmiOf(this.sources, uid) !== undefined,
      changed,
      onPoll: deps.onPoll,
    });
    // The test driver runs no guests, so there is no agent to ask.
    this.agents = deps.libvirt.uri.startsWith('test:')
      ? undefined
      : new GuestAgentWatch(deps.libvirt, { domains: () => this.poll.domains(), changed });
    const readPod = deps.pod;
    const podIPs =
      readPod === undefined
        ? undefined
        : new LauncherPodIPs({ pod: readPod, now: deps.now, warn: (fields, msg) => deps.log.warn(fields, msg) });
    this.sources = {
      vmis,
      ownWrites,
      libvirt: deps.libvirt,
      launchers: this.launchers,
      agents: this.agents,
      podIPs,
      polled: () => this.poll.domains(),
      memory,
      libvirtLogDir: config.libvirtLogDir,
      emulation: config.host.domainType,
      now: deps.now,
      ...(config.migration === undefined
        ? {}
        : { migration: { node: config.nodeName, jobs, limits: config.migration.limits } }),
    };
    this.steps = {
      nodeName: config.nodeName,
      host: config.host,
      hostPaths: config.hostPaths,
      libvirt: deps.libvirt,
      launchers: this.launchers,
      vmis,
      vmiClient: deps.vmiClient,
      events: deps.events,
      log: deps.log,
      now: deps.now,
      ownWrites,
      memory,
      imageCache: deps.imageCache,
      secret: deps.secret,
      podIPs,
      ...(config.migration === undefined ? {} : { migration: { ...config.migration, jobs } }),
    };
  }

  async start(): Promise<void> {
    const enqueue = (vmi: VirtualMachineInstance): void => {
      if (vmi.metadata.uid !== undefined) this.queue.add(vmi.metadata.uid);
    };
    for (const i of this.informers)
      i.addHandlers({ add: enqueue, update: (_old, vmi) => enqueue(vmi), delete: enqueue });
    await this.launchers.listen();
    this.queue.start();
    await this.poll.start();
    this.agents?.start();
  }

  /** Stops polling and syncing; domains and launchers are left alone (a restart re-adopts them). */
  async stop(): Promise<void> {
    await this.poll.stop();
    await this.agents?.stop();
    await this.queue.shutdown();
    await this.launchers.close();
  }

  private async process(uid: string): Promise<QueueOutcome> {
    if (!this.informers.every((i) => i.hasSynced())) return { kind: 'requeueAfter', ms: CACHE_SYNC_RETRY_MS };
    try {
      for (let i = 0; i < MAX_STEPS_PER_RUN; i++) {
        const observed = await observe(this.sources, uid);
        const outcome = await executeStep(this.steps, uid, observed, nextStep(observed.view));
        if (outcome !== undefined) return outcome;
      }
      return { kind: 'requeueAfter', ms: YIELDED_RETRY_MS };
    } catch (err) {
      return this.onSyncError(uid, err);
    }
  }

  private onSyncError(uid: string, err: unknown): QueueOutcome {
    if (err instanceof LibvirtUnavailableError) {
      this.poll.noteLibvirtDown(err);
      return { kind: 'requeueAfter', ms: LIBVIRT_DOWN_RETRY_MS };
    }
    if (isConflict(err)) return { kind: 'retry' };
    this.steps.log.warn(
      { uid, err: err instanceof Error && !('code' in err) ? err : toApiError(err) },
      'Could not sync a VMI; retrying',
    );
    return { kind: 'retry' };
  }
}
