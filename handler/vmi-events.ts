/**
 * Events about a VMI that a user should see (`kubectl virt describe`): why its domain failed,
 * which orphan domains were removed. Few on purpose: every Event is an API write.
 */
import { API_VERSION, COMPONENTS, VMI_KIND } from '../api/names.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { CoreEvent } from '../kube/core.js';
import { toApiError } from '../kube/errors.js';
import type { KubeLogger } from '../kube/logger.js';
import type { ResourceClient } from '../kube/resources.js';

export interface VmiEventRecorder {
  warn(vmi: VirtualMachineInstance, reason: string, message: string): Promise<void>;
}

export interface EventFacts {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/** The core/v1 Event for a VMI. Pure. */
export function vmiEvent(vmi: VirtualMachineInstance, facts: EventFacts, node: string, now: Date): CoreEvent {
  const { type, reason, message } = facts;
  const time = now.toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: `${vmi.metadata.name ?? 'vmi'}.`, namespace: vmi.metadata.namespace ?? '' },
    involvedObject: {
      apiVersion: API_VERSION,
      kind: VMI_KIND,
      namespace: vmi.metadata.namespace ?? '',
      name: vmi.metadata.name ?? '',
      uid: vmi.metadata.uid ?? '',
      ...(vmi.metadata.resourceVersion === undefined ? {} : { resourceVersion: vmi.metadata.resourceVersion }),
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

export function eventRecorder(
  events: ResourceClient<CoreEvent>,
  node: string,
  log: KubeLogger,
  now: () => Date,
): VmiEventRecorder {
  return {
    async warn(vmi, reason, message) {
      try {
        await events.create(vmiEvent(vmi, { type: 'Warning', reason, message }, node, now()), {
          namespace: vmi.metadata.namespace ?? '',
        });
      } catch (err) {
        // An Event is best effort; the VMI's status carries the same reason.
        log.warn(
          { namespace: vmi.metadata.namespace, name: vmi.metadata.name, err: toApiError(err) },
          'Could not record an Event',
        );
      }
    },
  };
}
