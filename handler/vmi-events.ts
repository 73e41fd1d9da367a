/**
 * Events about a VMI that a user should see (`kubectl virt describe`): why its domain failed,
 * which orphan domains were removed. Few on purpose: every Event is an API write, and kube/'s
 * EventRecorder (the service runtime's one recorder) folds a repeat into the first Event's count.
 */
import { API_VERSION, COMPONENTS, VMI_KIND } from '../api/names.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { CoreEvent } from '../kube/core.js';
import type { EventBuilder, EventRecorder, InvolvedObject } from '../kube/events.js';

export interface VmiEventRecorder {
  /** Resolves once the Event was written (or failed, logged by the recorder); never rejects. */
  warn(vmi: VirtualMachineInstance, reason: string, message: string): Promise<void>;
}

export interface EventFacts {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The core/v1 Event for a VMI. Pure. */
export function vmiEvent(vmi: InvolvedObject, facts: EventFacts, node: string, now: Date): CoreEvent {
  const { type, reason, message } = facts;
  const time = now.toISOString();
  const meta = vmi.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Event',
    // The API server names it: two handlers can never pick the same name for different Events.
    metadata: { generateName: `${meta.name ?? 'vmi'}.`, namespace: meta.namespace ?? '' },
    involvedObject: {
      apiVersion: API_VERSION,
      kind: VMI_KIND,
      namespace: meta.namespace ?? '',
      name: meta.name ?? '',
      uid: meta.uid ?? '',
      ...(meta.resourceVersion === undefined ? {} : { resourceVersion: meta.resourceVersion }),
    },
    type,
    reason,
    message,
    source: { component: COMPONENTS.handler, host: node },
    reportingComponent: COMPONENTS.handler,
    reportingInstance: node,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

/** How the handler's recorder builds a first Event: {@link vmiEvent}, from the node it runs on. */
export function vmiEventBuilder(node: string): EventBuilder {
  return (obj, facts) => vmiEvent(obj, facts, node, new Date(facts.now));
}

/** The handler's VMI Events on the runtime's recorder (built with {@link vmiEventBuilder}). */
export function eventRecorder(recorder: EventRecorder): VmiEventRecorder {
  return { warn: (vmi, reason, message) => recorder.event(vmi, 'Warning', reason, message) };
}
