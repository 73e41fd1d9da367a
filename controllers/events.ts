/**
 * The Events virt-controller records for what a user should see in `kubectl virt describe`
 * (kubevirt: SuccessfulCreate, SuccessfulDelete, FailedCreate ...). Recording never fails a
 * reconcile: an Event is a courtesy, the status is the truth.
 */
import type { KubeObject } from '../kube/resources.js';

export type EventType = 'Normal' | 'Warning';

/** Where Events go; main.ts connects it to kube/'s EventRecorder. */
export interface EventSink {
  record(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

/** Event reasons virt-controller uses (KubeVirt's words where it has them). */
export const EVENT_REASONS = {
  successfulCreate: 'SuccessfulCreate',
  successfulDelete: 'SuccessfulDelete',
  failedCreate: 'FailedCreate',
  failedDelete: 'FailedDelete',
  started: 'Started',
  stopped: 'Stopped',
  unschedulable: 'Unschedulable',
  crashLoopBackOff: 'CrashLoopBackOff',
} as const;
