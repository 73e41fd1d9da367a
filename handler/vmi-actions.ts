/**
 * What the handler's endpoint does with a pause, unpause, soft reboot or console request for a VMI,
 * decided from the VMI it caches and the domain state libvirt reports (observe, decide, execute:
 * this is the decision, pure). Refusals carry the HTTP code virt-api passes on and a message a
 * user understands, in KubeVirt's words where it has them.
 */
import type { HandlerAction } from '../api/subresources.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { DomainObservation } from './domain/state.js';

export type ActionDecision = Readonly<{ kind: 'do' } | { kind: 'refuse'; code: 404 | 409; message: string }>;

const DO: ActionDecision = { kind: 'do' };
const conflict = (message: string): ActionDecision => ({ kind: 'refuse', code: 409, message });

/** Decides one request. `vmi` is the handler's cached VMI (undefined: not on this node). */
export function decideAction(
  action: HandlerAction,
  vmi: VirtualMachineInstance | undefined,
  domain: DomainObservation,
  nodeName: string,
): ActionDecision {
  if (vmi === undefined) return { kind: 'refuse', code: 404, message: `VMI is not on node ${nodeName}` };
  if (vmi.status?.phase !== 'Running' || domain.kind === 'missing') return conflict('VMI is not running');
  return decideOnRunning(action, domain.state === 'Paused');
}

function decideOnRunning(action: HandlerAction, paused: boolean): ActionDecision {
  switch (action) {
    case 'pause':
      return paused ? conflict('VMI is already paused') : DO;
    case 'unpause':
      return paused ? DO : conflict('VMI is not paused');
    case 'softreboot':
      return paused ? conflict('VMI is paused; unpause it before a soft reboot') : DO;
    case 'console':
    case 'portforward':
      // A paused guest's console or port is still its own: traffic resumes with the guest.
      return DO;
    default:
      return action satisfies never;
  }
}
