/**
 * The VM reconciler: the thin shell around ./next-step.ts and ./status.ts. Per key it reads the VM
 * and its VMI from the informer caches, takes the one step the run strategy asks for (create or
 * delete the VMI), and writes the VM's status through the status subresource only when it
 * changed, with the resourceVersion it read (a 409 is retried through the queue, re-reading the
 * cache). Expectations keep a stale cache from making a second VMI; the VMI's deterministic name
 * (the VM's) makes a repeated create a harmless 409 AlreadyExists.
 */
import type { Logger } from 'pino';
import { API_VERSION, CONDITION_TYPES, VM_KIND } from '../../api/names.js';
import type { PrintableStatus, VirtualMachine, VirtualMachineInstance, VirtualMachineStatus } from '../../api/types.js';
import { formatApiError, isAlreadyExists, isNotFound, toApiError } from '../../kube/errors.js';
import type { Informer } from '../../kube/informer.js';
import { objectKey, type ResourceClient } from '../../kube/resources.js';
import type { WorkQueue } from '../../kube/workqueue.js';
import { findCondition } from '../../api/conditions.js';
import { EVENT_REASONS, type EventSink, type EventType } from '../events.js';
import { Expectations, enqueueFrom } from '../expectations.js';
import { DONE, fromApiFailure, requeueAfter, type Result } from '../result.js';
import { sameJson } from '../same-json.js';
import { nextVmStep, type VmStep } from './next-step.js';
import { computeVmStatus, type SyncError } from './status.js';
import { isOwnedBy, vmiForVm } from './vmi-for-vm.js';

export type VmReconcilerDeps = Readonly<{
  vms: ResourceClient<VirtualMachine>;
  vmis: ResourceClient<VirtualMachineInstance>;
  vmCache: Informer<VirtualMachine>;
  vmiCache: Informer<VirtualMachineInstance>;
  events: EventSink;
  log: Logger;
  now?: () => Date;
}>;

/** What applying a step left behind: the VMI as it now is, and why it could not be done. */
type Applied = Readonly<{ vmi: VirtualMachineInstance | undefined; result: Result; syncError?: SyncError }>;

const vmRef = (vm: VirtualMachine): { namespace: string; name: string } => ({
  namespace: vm.metadata.namespace ?? '',
  name: vm.metadata.name ?? '',
});

/** The key of the VM controlling a VMI, or undefined for a VMI no VM controls. */
export function ownerVmKey(vmi: VirtualMachineInstance): string | undefined {
  const ref = vmi.metadata.ownerReferences?.find(
    (r) => r.controller === true && r.kind === VM_KIND && r.apiVersion === API_VERSION,
  );
  return ref === undefined ? undefined : `${vmi.metadata.namespace ?? ''}/${ref.name}`;
}

export class VmReconciler {
  private readonly vmiExpectations = new Expectations();
  private readonly vmExpectations = new Expectations();
  private readonly now: () => Date;

  constructor(private readonly deps: VmReconcilerDeps) {
    this.now = deps.now ?? ((): Date => new Date());
  }

  /** Feeds the queue from both informers: a VM's own changes and its VMI's. */
  connect(queue: WorkQueue): void {
    enqueueFrom(this.deps.vmCache, queue, objectKey, this.vmExpectations);
    enqueueFrom(this.deps.vmiCache, queue, ownerVmKey, this.vmiExpectations);
  }

  async reconcile(key: string, log: Logger): Promise<Result> {
    const vm = this.deps.vmCache.getByKey(key);
    if (vm === undefined) {
      this.vmiExpectations.forget(key);
      this.vmExpectations.forget(key);
      return DONE; // deleted: owner references let the garbage collector remove the VMI
    }
    const wait = Math.max(this.vmiExpectations.waitMs(key), this.vmExpectations.waitMs(key));
    if (wait > 0) return requeueAfter(wait); // the informer event that meets them re-queues sooner
    const cached = this.deps.vmiCache.getByKey(key);
    if (cached !== undefined && !isOwnedBy(cached, vm)) {
      const syncError = {
        reason: EVENT_REASONS.failedCreate,
        message: `VirtualMachineInstance ${key} exists and is not controlled by this VirtualMachine`,
      };
      return this.writeStatus(vm, undefined, syncError, log);
    }
    const now = this.now();
    const step = nextVmStep(vm, cached, now);
    const applied = await this.apply(vm, cached, step, log);
    const written = await this.writeStatus(vm, applied.vmi, applied.syncError, log);
    return written.kind === 'done' ? applied.result : written;
  }

  private async apply(
    vm: VirtualMachine,
    vmi: VirtualMachineInstance | undefined,
    step: VmStep,
    log: Logger,
  ): Promise<Applied> {
    switch (step.kind) {
      case 'createVmi':
        return this.createVmi(vm, log);
      case 'deleteVmi':
        return this.deleteVmi(vm, vmi, step.reason, log);
      case 'waitBackoff':
        return { vmi, result: requeueAfter(step.ms) };
      case 'recordStatus':
      case 'none':
        return { vmi, result: DONE };
      default:
        return { vmi, result: DONE };
    }
  }

  private async createVmi(vm: VirtualMachine, log: Logger): Promise<Applied> {
    const key = objectKey(vm);
    try {
      const created = await this.deps.vmis.create(vmiForVm(vm));
      this.vmiExpectations.expectObject(key, created);
      log.info({ vmi: created.metadata.name, uid: created.metadata.uid }, 'Created VirtualMachineInstance');
      this.deps.events.record(
        vm,
        'Normal',
        EVENT_REASONS.successfulCreate,
        `Created virtual machine instance ${created.metadata.name ?? ''}`,
      );
      return { vmi: created, result: DONE };
    } catch (err) {
      // Same name as the VM: it is there already, the cache has not shown it yet.
      if (isAlreadyExists(err)) return { vmi: undefined, result: { kind: 'retry', cause: toApiError(err) } };
      const message = `Error creating virtual machine instance: ${formatApiError(toApiError(err))}`;
      log.warn({ err: toApiError(err) }, 'Could not create VirtualMachineInstance');
      this.deps.events.record(vm, 'Warning', EVENT_REASONS.failedCreate, message);
      return {
        vmi: undefined,
        result: fromApiFailure(err),
        syncError: { reason: EVENT_REASONS.failedCreate, message },
      };
    }
  }

  private async deleteVmi(
    vm: VirtualMachine,
    vmi: VirtualMachineInstance | undefined,
    reason: string,
    log: Logger,
  ): Promise<Applied> {
    if (vmi === undefined) return { vmi, result: DONE };
    const key = objectKey(vm);
    try {
      // The uid precondition: never delete a successor that took the name meanwhile.
      await this.deps.vmis.delete(
        vmRef(vm),
        vmi.metadata.uid === undefined ? {} : { preconditions: { uid: vmi.metadata.uid } },
      );
      this.vmiExpectations.expectDeletion(key, vmi.metadata.uid);
      log.info({ vmi: vmi.metadata.name, uid: vmi.metadata.uid, reason }, 'Deleted VirtualMachineInstance');
      this.deps.events.record(
        vm,
        'Normal',
        EVENT_REASONS.successfulDelete,
        `Stopped the virtual machine by deleting the virtual machine instance ${vmi.metadata.uid ?? ''} (${reason})`,
      );
      return {
        vmi: { ...vmi, metadata: { ...vmi.metadata, deletionTimestamp: this.now().toISOString() } },
        result: DONE,
      };
    } catch (err) {
      if (isNotFound(err)) return { vmi: undefined, result: DONE };
      const message = `Error deleting virtual machine instance: ${formatApiError(toApiError(err))}`;
      this.deps.events.record(vm, 'Warning', EVENT_REASONS.failedDelete, message);
      return { vmi, result: fromApiFailure(err), syncError: { reason: EVENT_REASONS.failedDelete, message } };
    }
  }

  private async writeStatus(
    vm: VirtualMachine,
    vmi: VirtualMachineInstance | undefined,
    syncError: SyncError | undefined,
    log: Logger,
  ): Promise<Result> {
    const status = computeVmStatus(vm, vmi, this.now(), syncError);
    if (sameJson(status, vm.status ?? {})) return DONE;
    try {
      const updated = await this.deps.vms.updateStatus({ ...vm, status });
      this.vmExpectations.expectObject(objectKey(vm), updated);
      this.announce(vm, vm.status?.printableStatus, status);
      log.debug({ printableStatus: status.printableStatus }, 'Updated VirtualMachine status');
      return DONE;
    } catch (err) {
      if (isNotFound(err)) return DONE;
      log.warn({ err: toApiError(err) }, 'Could not update VirtualMachine status');
      return fromApiFailure(err);
    }
  }

  /** Events for the printable-status transitions a user cares about. */
  private announce(vm: VirtualMachine, before: PrintableStatus | undefined, after: VirtualMachineStatus): void {
    const now = after.printableStatus;
    if (now === before || now === undefined) return;
    // A new VM's first status is Stopped; that is no transition worth an Event.
    if (now === 'Stopped' && before === undefined) return;
    const event = ANNOUNCED[now]?.(after);
    if (event !== undefined) this.deps.events.record(vm, event[0], event[1], event[2]);
  }
}

type Announcement = (s: VirtualMachineStatus) => readonly [EventType, string, string];

const ANNOUNCED: Readonly<Partial<Record<PrintableStatus, Announcement>>> = {
  Running: () => ['Normal', EVENT_REASONS.started, 'The virtual machine is running'],
  Stopped: () => ['Normal', EVENT_REASONS.stopped, 'The virtual machine is stopped'],
  ErrorUnschedulable: (s) => [
    'Warning',
    EVENT_REASONS.unschedulable,
    findCondition(s.conditions, CONDITION_TYPES.podScheduled)?.message ?? 'The launcher Pod cannot be scheduled',
  ],
  CrashLoopBackOff: (s) => ['Warning', EVENT_REASONS.crashLoopBackOff, crashLoopMessage(s)],
};

function crashLoopMessage(s: VirtualMachineStatus): string {
  const sf = s.startFailure;
  return `The virtual machine failed to start ${sf?.consecutiveFailCount ?? 0} time(s) in a row; next attempt after ${sf?.retryAfterTimestamp ?? 'the back-off'}`;
}
