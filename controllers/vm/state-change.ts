/**
 * status.stateChangeRequests: the queue through which a client starts, stops and restarts a VM
 * with one write (kubevirt vm.go: hasStartRequest, hasStopRequestForVMI,
 * isTrimFirstChangeRequestNeeded). Only the head of the queue is acted on; a request leaves the
 * queue once the world shows it done. Pure.
 */
import type { StateChangeRequest, VirtualMachineInstance } from '../../api/types.js';
import { isBeingDeleted, isFinal } from '../../api/lifecycle.js';

type Requests = ReadonlyArray<StateChangeRequest>;

export function hasStartRequest(requests: Requests): boolean {
  return requests[0]?.action === 'Start';
}

/** A Stop at the head naming this VMI's uid. */
export function hasStopRequestFor(requests: Requests, vmi: VirtualMachineInstance): boolean {
  const head = requests[0];
  return head?.action === 'Stop' && head.uid !== undefined && head.uid === vmi.metadata.uid;
}

/** Whether the head request is done, given the VMI as it is now. */
function headIsDone(head: StateChangeRequest, vmi: VirtualMachineInstance | undefined): boolean {
  if (head.action === 'Stop') {
    // No VMI, or another incarnation: the one the request named is gone. A Stop without a uid
    // can never be matched, so it is dropped rather than left blocking the queue.
    return vmi === undefined || head.uid === undefined || head.uid !== vmi.metadata.uid;
  }
  // A Start is done once a live VMI exists; a final or terminating one still needs the start.
  return vmi !== undefined && !isBeingDeleted(vmi) && !isFinal(vmi);
}

/** Drops the requests at the head of the queue that the VMI shows done. */
export function trimStateChangeRequests(
  requests: Requests | undefined,
  vmi: VirtualMachineInstance | undefined,
): Requests {
  const list = requests ?? [];
  let done = 0;
  while (done < list.length && headIsDone(list[done] as StateChangeRequest, vmi)) done++;
  return done === 0 ? list : list.slice(done);
}
