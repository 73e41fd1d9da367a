// The kubelet's Pod loop for launcher Pods: watch Pods bound to this node, run each launcher as
// a local process, report its status, stop it on deletion (SIGTERM, grace period, SIGKILL) and
// remove the Pod. One key at a time per Pod through kube/'s work queue.
import { join } from 'node:path';
import { LAUNCHER_IMAGE } from '../../api/names.js';
import { HANDLER_SOCKET_NAME, LAUNCHER_ENV } from '../../api/launcher-protocol.js';
import type { KubeClients } from '../../kube/clients.js';
import { pods, type Pod } from '../../kube/core.js';
import { toApiError } from '../../kube/errors.js';
import { Informer } from '../../kube/informer.js';
import type { KubeLogger } from '../../kube/logger.js';
import { objectKey, type ResourceClient } from '../../kube/resources.js';
import { WorkQueue, type QueueOutcome } from '../../kube/workqueue.js';
import { PodSpecError, processSpecFor } from './pod-env.js';
import type { PodProcesses } from './pod-processes.js';
import {
  desiredPodStatus,
  isLauncherPod,
  isTerminal,
  statusDiffers,
  statusMergePatch,
  type PodStatus,
  type RuntimeState,
} from './pod-status.js';

const DONE: QueueOutcome = { kind: 'done' };
const DEFAULT_GRACE_SECONDS = 30;
/** After SIGKILL, how often to look again until the exit is seen. */
const KILL_RECHECK_MS = 1000;

export type PodAgentOptions = Readonly<{ nodeName: string; handlerRunDir: string; log: KubeLogger; workers?: number }>;

/** Whether our own last write is newer than what the cache shows (etcd revisions grow). */
function newer(a: string | undefined, b: string | undefined): boolean {
  try {
    return a !== undefined && b !== undefined && BigInt(a) > BigInt(b);
  } catch {
    return false;
  }
}

export class PodAgent {
  private readonly pods: ResourceClient<Pod>;
  private readonly informer: Informer<Pod>;
  private readonly queue: WorkQueue;
  /** uid → when SIGTERM was sent. */
  private readonly terminating = new Map<string, number>();
  /** uid → the status we last wrote and the resourceVersion the server gave it, against a stale cache. */
  private readonly written = new Map<string, { status: PodStatus; resourceVersion: string | undefined }>();

  constructor(
    clients: KubeClients,
    private readonly processes: PodProcesses,
    private readonly opts: PodAgentOptions,
  ) {
    this.pods = pods(clients);
    this.informer = new Informer(this.pods, { fieldSelector: `spec.nodeName=${opts.nodeName}`, logger: opts.log });
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      workers: opts.workers ?? 4,
      onError: (key, err) => opts.log.error({ pod: key, err }, 'Pod reconcile threw'),
    });
  }

  /** Called by PodProcesses when a process ends. */
  processChanged(uid: string): void {
    const r = this.processes.record(uid);
    if (r !== undefined) this.queue.add(`${r.namespace}/${r.name}`);
  }

  /** Starts watching; resolves once the Pod cache is synced and every known Pod is queued. */
  async start(signal: AbortSignal): Promise<boolean> {
    const enqueue = (p: Pod): void => this.queue.add(objectKey(p));
    this.informer.addHandlers({ add: enqueue, update: (_, p) => enqueue(p), delete: enqueue });
    this.informer.start();
    const synced = await this.informer.waitForSync(signal);
    if (!synced) return false;
    // Processes whose Pod vanished while the agent was down get their key queued too.
    for (const uid of this.processes.uids()) this.processChanged(uid);
    this.queue.start();
    return true;
  }

  /** Stops the watch and lets running reconciles finish; launcher processes keep running. */
  async stop(): Promise<void> {
    await this.informer.stop();
    await this.queue.shutdown();
  }

  private async reconcile(key: string): Promise<QueueOutcome> {
    const pod = this.informer.getByKey(key);
    const uid = pod?.metadata?.uid;
    await this.forgetOthers(key, uid);
    if (pod === undefined || uid === undefined) return DONE;
    if (pod.metadata?.deletionTimestamp !== undefined) return this.terminate(pod, uid);
    const state = this.runtimeState(pod, uid);
    if (state !== undefined) await this.writeStatus(pod, uid, state);
    return DONE;
  }

  // A process whose Pod is gone (force-deleted, or recreated under the same name) must not linger.
  private async forgetOthers(key: string, uid: string | undefined): Promise<void> {
    for (const other of this.processes.uids()) {
      const r = this.processes.record(other);
      if (r !== undefined && `${r.namespace}/${r.name}` === key && other !== uid) await this.forget(other);
    }
  }

  private async forget(uid: string): Promise<void> {
    this.terminating.delete(uid);
    this.written.delete(uid);
    await this.processes.forget(uid);
  }

  private runtimeState(pod: Pod, uid: string): RuntimeState | undefined {
    if (!isLauncherPod(pod)) {
      const image = pod.spec?.containers.find((c) => c.image !== LAUNCHER_IMAGE)?.image ?? '';
      return { kind: 'unsupported', image };
    }
    const known = this.processes.state(uid);
    if (known !== undefined) return known;
    // Ended before the agent's state was lost: the status already tells, and a Pod never restarts here.
    if (isTerminal(pod)) return undefined;
    return this.startProcess(pod, uid);
  }

  private startProcess(pod: Pod, uid: string): RuntimeState {
    const meta = { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid };
    try {
      const spec = processSpecFor(pod, { [LAUNCHER_ENV.socket]: join(this.opts.handlerRunDir, HANDLER_SOCKET_NAME) });
      const state = this.processes.start(meta, spec);
      const key = `${meta.namespace}/${meta.name}`;
      if (state.kind === 'running') this.opts.log.info({ pod: key, pid: state.pid }, 'Started launcher process');
      else this.opts.log.warn({ pod: key, state }, 'Could not start launcher process');
      return state;
    } catch (e) {
      if (!(e instanceof PodSpecError)) throw e;
      return { kind: 'invalid', message: e.message };
    }
  }

  private async writeStatus(pod: Pod, uid: string, state: RuntimeState): Promise<void> {
    const last = this.written.get(uid);
    const current =
      last !== undefined && newer(last.resourceVersion, pod.metadata?.resourceVersion) ? last.status : pod.status;
    const desired = desiredPodStatus(current === undefined ? pod : { ...pod, status: current }, state, Date.now());
    if (!statusDiffers(current, desired)) return;
    const ref = { namespace: pod.metadata?.namespace, name: pod.metadata?.name ?? '' };
    const updated = await this.pods.patchStatus(ref, { type: 'merge', patch: statusMergePatch(desired) });
    this.written.set(uid, { status: desired, resourceVersion: updated.metadata?.resourceVersion });
    this.opts.log.debug({ pod: objectKey(pod), phase: desired.phase }, 'Updated Pod status');
  }

  private async terminate(pod: Pod, uid: string): Promise<QueueOutcome> {
    const state = this.processes.state(uid);
    if (state?.kind === 'running') return this.stopProcess(pod, uid);
    // The process ended: report how, as a kubelet does, then remove the Pod for good.
    if (state !== undefined && isLauncherPod(pod))
      await this.writeStatus(pod, uid, state).catch((e: unknown) => this.logWriteFailure(pod, e));
    const ref = { namespace: pod.metadata?.namespace, name: pod.metadata?.name ?? '' };
    await this.pods.delete(ref, { gracePeriodSeconds: 0, preconditions: { uid } });
    this.opts.log.info({ pod: objectKey(pod) }, 'Removed terminated Pod');
    await this.forget(uid);
    return DONE;
  }

  private logWriteFailure(pod: Pod, e: unknown): void {
    this.opts.log.warn({ pod: objectKey(pod), err: toApiError(e) }, 'Could not write the final Pod status');
  }

  private stopProcess(pod: Pod, uid: string): QueueOutcome {
    const now = Date.now();
    let sentAt = this.terminating.get(uid);
    if (sentAt === undefined) {
      sentAt = now;
      this.terminating.set(uid, now);
      this.processes.signal(uid, 'SIGTERM');
      this.opts.log.info({ pod: objectKey(pod) }, 'Sent SIGTERM to launcher process');
    }
    const grace =
      (pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) *
      1000;
    const left = sentAt + grace - now;
    if (left > 0) return { kind: 'requeueAfter', ms: left };
    if (this.processes.signal(uid, 'SIGKILL'))
      this.opts.log.info({ pod: objectKey(pod) }, 'Sent SIGKILL to launcher process after the grace period');
    return { kind: 'requeueAfter', ms: KILL_RECHECK_MS };
  }
}
