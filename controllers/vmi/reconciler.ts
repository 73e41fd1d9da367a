/**
 * The VMI reconciler: the shell around ./launcher-pod.ts and ./status.ts. Per key it reads the VMI
 * and its launcher Pod from the caches, creates the Pod once (expectations plus a deterministic
 * name make a second one impossible), and writes the VMI's status, then its node label, only when
 * they changed, each with the resourceVersion it holds.
 *
 * Deletion and the finalizer (the handshake with virt-handler, see controllers/README.md):
 * a VMI carries FINALIZERS.vmiCleanup from birth. When it is deleted, this reconciler deletes the
 * launcher Pod; the launcher stays up until virt-handler has stopped the domain, so the Pod being
 * gone means the domain is gone. Once the Pod is gone and the VMI's phase is final (set by
 * virt-handler, or here when the Pod vanished), the finalizer is removed and the VMI goes.
 */
import type { Logger } from 'pino';
import { FINALIZERS, LABELS, VMI_KIND } from '../../api/names.js';
import type { VirtualMachineInstance } from '../../api/types.js';
import type { Pod } from '../../kube/core.js';
import { formatApiError, isAlreadyExists, isNotFound, toApiError } from '../../kube/errors.js';
import type { Informer } from '../../kube/informer.js';
import { objectKey, type ResourceClient } from '../../kube/resources.js';
import type { WorkQueue } from '../../kube/workqueue.js';
import { EVENT_REASONS, type EventSink } from '../events.js';
import { Expectations, enqueueFrom } from '../expectations.js';
import { DONE, fromApiFailure, requeueAfter, type Result } from '../result.js';
import { sameJson } from '../same-json.js';
import { isBeingDeleted, isFinalPhase } from '../../api/lifecycle.js';
import { launcherPodFor, type LauncherConfig } from './launcher-pod.js';
import { launcherPodName } from '../../api/object-names.js';
import { podEnded } from './phase.js';
import { computeVmiStatus, schedulingQuietMs } from './status.js';

export type VmiReconcilerDeps = Readonly<{
  vmis: ResourceClient<VirtualMachineInstance>;
  pods: ResourceClient<Pod>;
  vmiCache: Informer<VirtualMachineInstance>;
  podCache: Informer<Pod>;
  events: EventSink;
  launcher: LauncherConfig;
  now?: () => Date;
}>;

/** The key of the VMI that controls a Pod, or undefined for Pods no VMI controls. */
export function ownerVmiKey(pod: Pod): string | undefined {
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === VMI_KIND);
  return ref === undefined ? undefined : `${pod.metadata?.namespace ?? ''}/${ref.name}`;
}

const refOf = (vmi: VirtualMachineInstance): { namespace: string; name: string } => ({
  namespace: vmi.metadata.namespace ?? '',
  name: vmi.metadata.name ?? '',
});

const hasFinalizer = (vmi: VirtualMachineInstance): boolean =>
  (vmi.metadata.finalizers ?? []).includes(FINALIZERS.vmiCleanup);

export class VmiReconciler {
  private readonly podExpectations = new Expectations();
  private readonly vmiExpectations = new Expectations();
  private readonly now: () => Date;

  constructor(private readonly deps: VmiReconcilerDeps) {
    this.now = deps.now ?? ((): Date => new Date());
  }

  connect(queue: WorkQueue): void {
    enqueueFrom(this.deps.vmiCache, queue, objectKey, this.vmiExpectations);
    enqueueFrom(this.deps.podCache, queue, ownerVmiKey, this.podExpectations);
  }

  async reconcile(key: string, log: Logger): Promise<Result> {
    const vmi = this.deps.vmiCache.getByKey(key);
    if (vmi === undefined) {
      this.podExpectations.forget(key);
      this.vmiExpectations.forget(key);
      return DONE;
    }
    const wait = Math.max(this.podExpectations.waitMs(key), this.vmiExpectations.waitMs(key));
    if (wait > 0) return requeueAfter(wait);
    const pod = this.launcherPod(vmi);
    if (isBeingDeleted(vmi)) return this.finalize(vmi, pod, log);
    if (isFinalPhase(vmi.status?.phase)) return this.retireLauncher(vmi, pod, log);
    if (!hasFinalizer(vmi)) return this.addFinalizer(vmi, log);
    if (pod !== undefined) return this.sync(vmi, pod, log);
    const created = await this.createPodIfNeeded(vmi, log);
    return created.stop ?? this.sync(vmi, created.pod, log);
  }

  /**
   * The VMI's launcher Pod from the cache: the one its status names (a migration moves it to the
   * target Pod), else the deterministic name, and really this VMI's.
   */
  private launcherPod(vmi: VirtualMachineInstance): Pod | undefined {
    const name = vmi.status?.launcherPodName ?? launcherPodName(vmi);
    const pod = this.deps.podCache.get(vmi.metadata.namespace ?? '', name);
    return pod?.metadata?.labels?.[LABELS.createdBy] === vmi.metadata.uid ? pod : undefined;
  }

  /** Creates the Pod when the VMI has none yet: the new Pod, none, or a Result to stop at. */
  private async createPodIfNeeded(
    vmi: VirtualMachineInstance,
    log: Logger,
  ): Promise<Readonly<{ pod?: Pod; stop?: Result }>> {
    const phase = vmi.status?.phase;
    // Past Pending a missing Pod is a vanished Pod (the VMI fails), never one to create again.
    if (phase !== undefined && phase !== 'Pending') return {};
    try {
      const created = await this.deps.pods.create(launcherPodFor(vmi, this.deps.launcher));
      this.podExpectations.expectObject(objectKey(vmi), created);
      log.info({ pod: created.metadata?.name }, 'Created virt-launcher Pod');
      this.deps.events.record(
        vmi,
        'Normal',
        EVENT_REASONS.successfulCreate,
        `Created virtual machine pod ${created.metadata?.name ?? ''}`,
      );
      return { pod: created };
    } catch (err) {
      if (isAlreadyExists(err)) return { stop: { kind: 'retry', cause: toApiError(err) } };
      log.warn({ err: toApiError(err) }, 'Could not create virt-launcher Pod');
      this.deps.events.record(
        vmi,
        'Warning',
        EVENT_REASONS.failedCreate,
        `Error creating pod: ${formatApiError(toApiError(err))}`,
      );
      return { stop: fromApiFailure(err) };
    }
  }

  /** Writes status when it changed; handlers select on its nodeName (api/names.ts VMI_NODE_FIELD). */
  private async sync(vmi: VirtualMachineInstance, pod: Pod | undefined, log: Logger): Promise<Result> {
    const key = objectKey(vmi);
    const { status, decision } = computeVmiStatus(vmi, pod, this.now());
    // The binding's watch event brings the next pass; this requeue only covers a slow scheduler.
    const quiet = schedulingQuietMs(vmi, pod, status.phase ?? 'Pending', this.now());
    if (quiet !== undefined) return requeueAfter(quiet);
    try {
      if (!sameJson(status, vmi.status ?? {})) {
        const current = await this.deps.vmis.updateStatus({ ...vmi, status });
        this.vmiExpectations.expectObject(key, current);
        if (status.phase !== vmi.status?.phase)
          log.info(
            { phase: status.phase, from: vmi.status?.phase, node: status.nodeName, reason: decision.message },
            'Moved VirtualMachineInstance to a new phase',
          );
      }
      return DONE;
    } catch (err) {
      if (isNotFound(err)) return DONE;
      log.warn({ err: toApiError(err) }, 'Could not update VirtualMachineInstance');
      return fromApiFailure(err);
    }
  }

  private async addFinalizer(vmi: VirtualMachineInstance, log: Logger): Promise<Result> {
    const finalizers = [...(vmi.metadata.finalizers ?? []), FINALIZERS.vmiCleanup];
    return this.patchMeta(vmi, { finalizers }, log);
  }

  private async patchMeta(
    vmi: VirtualMachineInstance,
    meta: Readonly<Record<string, unknown>>,
    log: Logger,
  ): Promise<Result> {
    try {
      const patched = await this.deps.vmis.patch(refOf(vmi), {
        type: 'merge',
        patch: { metadata: { ...meta, resourceVersion: vmi.metadata.resourceVersion } },
      });
      this.vmiExpectations.expectObject(objectKey(vmi), patched);
      return DONE;
    } catch (err) {
      if (isNotFound(err)) return DONE;
      log.warn({ err: toApiError(err) }, 'Could not update VirtualMachineInstance metadata');
      return fromApiFailure(err);
    }
  }

  private async deletePod(vmi: VirtualMachineInstance, pod: Pod, log: Logger): Promise<Result> {
    try {
      const uid = pod.metadata?.uid;
      await this.deps.pods.delete(
        { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' },
        uid === undefined ? {} : { preconditions: { uid } },
      );
      this.podExpectations.expectDeletion(objectKey(vmi), uid);
      log.info({ pod: pod.metadata?.name }, 'Deleted virt-launcher Pod');
      return DONE;
    } catch (err) {
      if (isNotFound(err)) return DONE;
      log.warn({ err: toApiError(err) }, 'Could not delete virt-launcher Pod');
      return fromApiFailure(err);
    }
  }

  /** A final VMI keeps no live launcher: the handler may have ended it while the Pod still runs. */
  private async retireLauncher(vmi: VirtualMachineInstance, pod: Pod | undefined, log: Logger): Promise<Result> {
    if (pod === undefined || podEnded(pod) || pod.metadata?.deletionTimestamp !== undefined)
      return this.sync(vmi, pod, log);
    return this.deletePod(vmi, pod, log);
  }

  /** A deleted VMI: Pod first, then a final phase, then the finalizer. */
  private async finalize(vmi: VirtualMachineInstance, pod: Pod | undefined, log: Logger): Promise<Result> {
    if (!hasFinalizer(vmi)) return DONE;
    if (pod !== undefined) {
      if (pod.metadata?.deletionTimestamp !== undefined) return DONE; // its deletion event re-queues us
      return this.deletePod(vmi, pod, log);
    }
    if (!isFinalPhase(vmi.status?.phase)) return this.sync(vmi, undefined, log);
    const finalizers = (vmi.metadata.finalizers ?? []).filter((f) => f !== FINALIZERS.vmiCleanup);
    const result = await this.patchMeta(vmi, { finalizers }, log);
    if (result.kind === 'done')
      log.info({}, 'Removed the cleanup finalizer: launcher Pod gone, VirtualMachineInstance final');
    return result;
  }
}
