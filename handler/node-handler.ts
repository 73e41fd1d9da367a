/**
 * virt-handler's shell for one node: the VMI informer (only VMIs labelled with this node), the
 * libvirt connection, the launcher socket and a poll of domain state feed one work queue keyed by
 * VMI uid; each run asks the pure {@link nextStep} what to do, does it, and asks again.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { COMPONENTS, REASONS } from '../api/names.js';
import type { VirtualMachineInstance } from '../api/types.js';
import { isConflict, isNotFound as isApiNotFound, toApiError } from '../kube/errors.js';
import type { Informer } from '../kube/informer.js';
import type { KubeLogger } from '../kube/logger.js';
import type { Pod, Secret } from '../kube/core.js';
import type { VirtualMachineInstanceClient } from '../kube/tsvirt.js';
import { WorkQueue, type QueueOutcome } from '../kube/workqueue.js';
import type { HostFacts } from './domain/host-facts.js';
import { domainName } from '../api/object-names.js';
import { type DomainObservation, type PhaseVerdict, type ShutoffCause, shutoffCauseFromLog } from './domain/state.js';
import { gracePeriodSecondsOf } from '../api/lifecycle.js';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../api/defaults.js';
import { GuestAgentWatch } from './guest-agent-watch.js';
import { LauncherPodIPs } from './launcher-pod-ips.js';
import { LauncherServer } from './launcher-server.js';
import { LibvirtUnavailableError, type LibvirtConnection, type ObservedDomain } from './libvirt/connection.js';
import type { ContainerDiskCache } from './containerdisk/cache.js';
import { type NodeDiskContext } from './node-disks.js';
import { prepareAndStart } from './start-domain.js';
import { unpinHostFiles } from './host-paths/node-paths.js';
import type { NodePathPolicy } from './host-paths/policy.js';
import { type Memory, type ShutdownVia, type Step, type SyncView, nextStep, pullBackOffMs } from './sync/decide.js';
import type { VmiEventRecorder } from './vmi-events.js';

export const UID_INDEX = 'uid';

export interface NodeHandlerConfig {
  readonly nodeName: string;
  readonly host: HostFacts;
  /** Why this node runs kvm or qemu domains, for the log at start. */
  readonly emulationWhy: string;
  readonly socketPath: string;
  readonly pollIntervalMs: number;
  /** Where libvirt writes `<domain>.log` (the shut-off cause); undefined: not known for this URI. */
  readonly libvirtLogDir: string | undefined;
  readonly workers: number;
  /** The node's host-path policy now (host-paths/node-config.ts). */
  readonly hostPaths: () => Promise<NodePathPolicy>;
}

export interface NodeHandlerDeps {
  readonly libvirt: LibvirtConnection;
  readonly vmis: Informer<VirtualMachineInstance>;
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

/** A status this handler wrote, used until the informer shows a newer object (no stale re-write). */
interface Written {
  readonly baseResourceVersion: string | undefined;
  readonly vmi: VirtualMachineInstance;
}

const MAX_STEPS_PER_RUN = 16;
const LIBVIRT_DOWN_RETRY_MS = 1000;

export class NodeHandler {
  readonly launchers: LauncherServer;
  /** Undefined on an in-process test driver, which has no guests to ask. */
  readonly agents: GuestAgentWatch | undefined;
  private readonly podIPs: LauncherPodIPs | undefined;
  private readonly queue: WorkQueue;
  private readonly memory = new Map<string, Memory>();
  private readonly written = new Map<string, Written>();
  private domains = new Map<string, ObservedDomain>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private libvirtDown = false;
  private stopped = false;
  /** Counters for the metrics endpoint and the benchmarks. */
  readonly stats = { polls: 0, pollMs: 0, statusWrites: 0, domainsStarted: 0 };

  constructor(
    private readonly config: NodeHandlerConfig,
    private readonly deps: NodeHandlerDeps,
  ) {
    this.launchers = new LauncherServer(config.socketPath, {
      changed: (uid) => this.queue.add(uid),
      log: (level, fields, msg) => deps.log[level](fields, msg),
    });
    this.agents = deps.libvirt.uri.startsWith('test:')
      ? undefined
      : new GuestAgentWatch(deps.libvirt, { domains: () => this.domains, changed: (uid) => this.queue.add(uid) });
    const readPod = deps.pod;
    this.podIPs =
      readPod === undefined
        ? undefined
        : new LauncherPodIPs({
            pod: readPod,
            now: deps.now,
            warn: (fields, msg) => deps.log.warn(fields, msg),
          });
    this.queue = new WorkQueue((uid) => this.process(uid), {
      workers: config.workers,
      onError: (uid, err) => deps.log.error({ uid, err }, 'Sync of a VMI failed unexpectedly'),
    });
  }

  async start(): Promise<void> {
    const enqueue = (vmi: VirtualMachineInstance): void => {
      if (vmi.metadata.uid !== undefined) this.queue.add(vmi.metadata.uid);
    };
    this.deps.vmis.addHandlers({ add: enqueue, update: (_old, vmi) => enqueue(vmi), delete: enqueue });
    await this.launchers.listen();
    this.queue.start();
    await this.pollOnce();
    this.schedulePoll();
    this.agents?.start();
  }

  /** Stops polling and syncing; domains and launchers are left alone (a restart re-adopts them). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    await this.polling;
    await this.agents?.stop();
    await this.queue.shutdown();
    await this.launchers.close();
  }

  /** Domains seen by the last poll, by VMI uid. */
  get observedDomains(): ReadonlyMap<string, ObservedDomain> {
    return this.domains;
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => {
      this.polling = this.pollOnce().finally(() => this.schedulePoll());
    }, this.config.pollIntervalMs);
  }

  /** One poll: every tsvirt domain's state; a uid whose domain changed, appeared or vanished is queued. */
  async pollOnce(): Promise<void> {
    const started = performance.now();
    let list: ReadonlyArray<ObservedDomain>;
    try {
      list = await this.deps.libvirt.listTsvirtDomains();
    } catch (err) {
      this.noteLibvirtDown(err);
      return;
    }
    if (this.libvirtDown) this.deps.log.info({ uri: this.deps.libvirt.uri }, 'Reconnected to libvirt');
    this.libvirtDown = false;
    const next = new Map(list.map((d) => [d.meta.uid, d] as const));
    for (const [uid, d] of next) if (this.domains.get(uid)?.state !== d.state || !this.hasVmi(uid)) this.queue.add(uid);
    for (const uid of this.domains.keys()) if (!next.has(uid)) this.queue.add(uid);
    this.domains = next;
    const ms = performance.now() - started;
    this.stats.polls += 1;
    this.stats.pollMs += ms;
    this.deps.onPoll?.(ms, next.size);
  }

  private noteLibvirtDown(err: unknown): void {
    if (!this.libvirtDown)
      this.deps.log.warn({ err, uri: this.deps.libvirt.uri }, 'Could not reach libvirt; domains are left as they are');
    this.libvirtDown = true;
  }

  private hasVmi(uid: string): boolean {
    return this.vmiByUid(uid) !== undefined;
  }

  private vmiByUid(uid: string): VirtualMachineInstance | undefined {
    const cached = this.deps.vmis.byIndex(UID_INDEX, uid)[0];
    const written = this.written.get(uid);
    if (written === undefined) return cached;
    if (cached !== undefined && cached.metadata.resourceVersion === written.baseResourceVersion) return written.vmi;
    this.written.delete(uid);
    return cached;
  }

  private domainNameFor(uid: string, vmi: VirtualMachineInstance | undefined): string | undefined {
    if (vmi?.metadata.namespace !== undefined && vmi.metadata.name !== undefined)
      return domainName(vmi.metadata.namespace, vmi.metadata.name);
    const polled = this.domains.get(uid);
    if (polled !== undefined) return polled.name;
    const id = this.launchers.identity(uid);
    return id === undefined ? undefined : domainName(id.namespace, id.name);
  }

  private shutoffCause(name: string, obs: DomainObservation): ShutoffCause {
    if (obs.kind !== 'present' || obs.state !== 'Shutoff' || this.config.libvirtLogDir === undefined) return 'unknown';
    try {
      const log = readFileSync(`${this.config.libvirtLogDir}/${name}.log`, 'utf8');
      return shutoffCauseFromLog(log.slice(-8192));
    } catch {
      return 'unknown';
    }
  }

  private async view(uid: string): Promise<{ view: SyncView; name: string | undefined }> {
    const vmi = this.vmiByUid(uid);
    const name = this.domainNameFor(uid, vmi);
    const domain: DomainObservation =
      name === undefined ? { kind: 'missing' } : await this.deps.libvirt.observe(name, uid);
    const graceSeconds =
      vmi !== undefined
        ? gracePeriodSecondsOf(vmi)
        : (this.domains.get(uid)?.meta.graceSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
    const view: SyncView = {
      vmi,
      domain,
      shutoffCause: name === undefined ? 'unknown' : this.shutoffCause(name, domain),
      graceSeconds,
      launcher: this.launchers.view(uid),
      memory: this.memory.get(uid) ?? { started: false },
      emulation: this.config.host.domainType,
      now: this.deps.now(),
      ...this.agentView(uid),
      ...(await this.podIPView(vmi, domain)),
    };
    return { view, name };
  }

  /** Once the VMI has a domain (or had one): the statuses that carry interfaces, read before the first. */
  private async podIPView(
    vmi: VirtualMachineInstance | undefined,
    domain: DomainObservation,
  ): Promise<Pick<SyncView, 'podIPs'>> {
    if (vmi === undefined || this.podIPs === undefined) return {};
    if (domain.kind !== 'present' && vmi.status?.phase !== 'Running') return {};
    return { podIPs: await this.podIPs.of(vmi) };
  }

  private agentView(uid: string): Pick<SyncView, 'agent'> {
    const agent = this.agents?.of(uid);
    return agent === undefined ? {} : { agent };
  }

  private async process(uid: string): Promise<QueueOutcome> {
    // An orphan is only an orphan once the cache is complete.
    if (!this.deps.vmis.hasSynced()) return { kind: 'requeueAfter', ms: 200 };
    try {
      for (let i = 0; i < MAX_STEPS_PER_RUN; i++) {
        const { view, name } = await this.view(uid);
        const step = nextStep(view);
        const outcome = await this.apply(uid, name, view, step);
        if (outcome !== undefined) return outcome;
      }
      return { kind: 'requeueAfter', ms: 100 };
    } catch (err) {
      return this.onSyncError(uid, err);
    }
  }

  private onSyncError(uid: string, err: unknown): QueueOutcome {
    if (err instanceof LibvirtUnavailableError) {
      this.noteLibvirtDown(err);
      return { kind: 'requeueAfter', ms: LIBVIRT_DOWN_RETRY_MS };
    }
    if (isConflict(err)) return { kind: 'retry' };
    this.deps.log.warn(
      { uid, err: err instanceof Error && !('code' in err) ? err : toApiError(err) },
      'Could not sync a VMI; retrying',
    );
    return { kind: 'retry' };
  }

  private remember(uid: string, change: Partial<Memory>): void {
    this.memory.set(uid, { ...(this.memory.get(uid) ?? { started: false }), ...change });
  }

  /** Applies one step; returns the queue outcome when the run should end, undefined to go on. */
  private async apply(
    uid: string,
    name: string | undefined,
    view: SyncView,
    step: Step,
  ): Promise<QueueOutcome | undefined> {
    switch (step.kind) {
      case 'forget':
        await this.removeUnusedRunDir(name);
        return this.rest(uid, step);
      case 'idle':
      case 'wait':
        return this.rest(uid, step);
      case 'define-and-start':
        return this.startDomain(uid, view);
      case 'write-status':
      case 'tell-launcher':
        await this.report(uid, view, step);
        return undefined;
      case 'shutdown':
      case 'destroy':
      case 'undefine':
        await this.changeDomain(uid, name, view, step);
        return undefined;
      default:
        return step satisfies never;
    }
  }

  private async report(
    uid: string,
    view: SyncView,
    step: Extract<Step, { kind: 'write-status' | 'tell-launcher' }>,
  ): Promise<void> {
    if (step.kind === 'tell-launcher') this.launchers.send(uid, step.message);
    else await this.writeStatus(uid, view, step.verdict, step.status);
  }

  private rest(uid: string, step: Extract<Step, { kind: 'idle' | 'forget' | 'wait' }>): QueueOutcome {
    if (step.kind === 'wait') return { kind: 'requeueAfter', ms: step.ms };
    if (step.kind === 'forget') this.forget(uid);
    return { kind: 'done' };
  }

  private async changeDomain(
    uid: string,
    domain: string | undefined,
    view: SyncView,
    step: Extract<Step, { kind: 'shutdown' | 'destroy' | 'undefine' }>,
  ): Promise<void> {
    const name = domain ?? '';
    const fields = { uid, domain: name, namespace: view.vmi?.metadata.namespace, name: view.vmi?.metadata.name };
    if (step.kind === 'shutdown') {
      const via = await this.shutdownGuest(name, step.via, fields);
      this.remember(uid, { acpiAt: this.deps.now(), shutdownVia: via });
      this.deps.log.info({ ...fields, why: step.why, via }, 'Asked the guest to shut down');
    } else if (step.kind === 'destroy') {
      await this.deps.libvirt.destroy(name);
      this.deps.log.info({ ...fields, why: step.why }, 'Destroyed the domain');
    } else {
      // Files first: once the name is free, a new VMI of the same name may prepare the same folder.
      await this.removeRunDir(name);
      await this.deps.libvirt.undefine(name);
      await unpinHostFiles(await this.config.hostPaths(), uid);
      this.deps.log.info(fields, 'Undefined the domain');
    }
  }

  /** Through the agent when asked to; ACPI when that fails (its shutdown command may refuse). Returns the way used. */
  private async shutdownGuest(name: string, via: ShutdownVia, fields: object): Promise<ShutdownVia> {
    if (via === 'agent') {
      try {
        await this.deps.libvirt.agentShutdown(name);
        return 'agent';
      } catch (err) {
        this.deps.log.warn({ ...fields, err }, 'The guest agent could not shut the guest down; pressing ACPI power');
      }
    }
    await this.deps.libvirt.shutdown(name);
    return 'acpi';
  }

  private async removeRunDir(name: string): Promise<void> {
    if (name === '' || name.includes('/')) return;
    await rm(`${this.config.host.runDir}/${name}`, { recursive: true, force: true });
  }

  /**
   * A VMI that never got a domain (its pull failed, it was deleted while pulling) still has a run
   * folder with its disks; it goes when the VMI does, unless a new VMI of that name took it over.
   */
  private async removeUnusedRunDir(name: string | undefined): Promise<void> {
    if (name === undefined) return;
    const [namespace, vmiName] = name.split('_');
    if (namespace !== undefined && vmiName !== undefined && this.deps.vmis.get(namespace, vmiName) !== undefined)
      return;
    await this.removeRunDir(name);
  }

  private forget(uid: string): void {
    this.memory.delete(uid);
    this.written.delete(uid);
    this.launchers.forget(uid);
    this.podIPs?.forget(uid);
  }

  private async startDomain(uid: string, view: SyncView): Promise<QueueOutcome | undefined> {
    const vmi = view.vmi;
    if (vmi === undefined) return { kind: 'done' };
    const options = { node: this.config.nodeName, hostPaths: this.config.hostPaths, disks: this.diskContext(vmi) };
    const result = await prepareAndStart(vmi, this.config.host, this.deps.libvirt, options);
    const fields = { uid, namespace: vmi.metadata.namespace, name: vmi.metadata.name };
    switch (result.kind) {
      case 'pull-failed':
        await this.notePullFailure(uid, vmi, result.message);
        return undefined;
      case 'started':
        this.remember(uid, { started: true });
        this.forgetPullFailure(uid);
        this.stats.domainsStarted += 1;
        this.deps.log.info({ ...fields, type: this.config.host.domainType }, 'Defined and started the domain');
        return undefined;
      case 'busy':
        // An older domain of the same name (a previous VMI) is still being cleaned up.
        return { kind: 'requeueAfter', ms: 250 };
      case 'failed':
        this.remember(uid, { startFailure: result.verdict });
        this.deps.log.warn(
          { ...fields, reason: result.verdict.reason, cause: result.verdict.message },
          'Could not start the domain',
        );
        return undefined;
      default:
        return result satisfies never;
    }
  }

  private forgetPullFailure(uid: string): void {
    const m = this.memory.get(uid);
    if (m?.pullFailure === undefined) return;
    const { pullFailure: _done, ...rest } = m;
    this.memory.set(uid, rest);
  }

  private diskContext(vmi: VirtualMachineInstance): NodeDiskContext {
    const read = this.deps.secret;
    const namespace = vmi.metadata.namespace ?? '';
    return {
      cache: this.deps.imageCache,
      namespace,
      secret: (name) =>
        read === undefined
          ? Promise.reject(new Error(`cannot read Secret ${namespace}/${name} on this node`))
          : read(namespace, name),
      onPulled: (image, digest, ms) =>
        this.deps.log.info({ namespace, name: vmi.metadata.name, image, digest, ms }, 'Pulled the containerDisk'),
    };
  }

  private async notePullFailure(uid: string, vmi: VirtualMachineInstance, message: string): Promise<void> {
    const attempts = (this.memory.get(uid)?.pullFailure?.attempts ?? 0) + 1;
    const now = this.deps.now();
    this.remember(uid, { pullFailure: { message, attempts, failedAt: now, retryAt: now + pullBackOffMs(attempts) } });
    const fields = { uid, namespace: vmi.metadata.namespace, name: vmi.metadata.name, attempts };
    this.deps.log.warn({ ...fields, cause: message }, 'Could not pull the containerDisk; backing off');
    await this.deps.events.warn(vmi, REASONS.errImagePull, message);
  }

  private async writeStatus(
    uid: string,
    view: SyncView,
    verdict: PhaseVerdict,
    status: NonNullable<VirtualMachineInstance['status']>,
  ): Promise<void> {
    const vmi = view.vmi;
    if (vmi === undefined) return;
    const ref = { namespace: vmi.metadata.namespace ?? '', name: vmi.metadata.name ?? '' };
    const patch = { metadata: { resourceVersion: vmi.metadata.resourceVersion }, status };
    try {
      const updated = await this.deps.vmiClient.patchStatus(
        ref,
        { type: 'merge', patch },
        { fieldManager: COMPONENTS.handler },
      );
      this.written.set(uid, { baseResourceVersion: vmi.metadata.resourceVersion, vmi: updated });
    } catch (err) {
      // A VMI deleted meanwhile has nothing left to report to.
      if (isApiNotFound(err)) return;
      throw err;
    }
    this.stats.statusWrites += 1;
    this.deps.log.info(
      { uid, ...ref, phase: verdict.phase, reason: verdict.reason },
      'Updated VirtualMachineInstance status',
    );
    await this.afterStatus(vmi, verdict);
  }

  private async afterStatus(vmi: VirtualMachineInstance, verdict: PhaseVerdict): Promise<void> {
    if (verdict.phase === 'Failed') await this.deps.events.warn(vmi, verdict.reason, verdict.message);
  }
}
