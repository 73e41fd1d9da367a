/**
 * The write-status step: one merge patch of the status subresource carrying the resourceVersion
 * that was read (a 409 is a retry from the fresh cache, docs/conventions.md §2), remembered as the
 * handler's own write (own-writes.ts) so the next step of the pass sees it. A VMI that failed gets
 * a Warning Event with the verdict's reason, so `kubectl describe` tells why.
 */
import { COMPONENTS } from '../../api/names.js';
import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../../api/types.js';
import { isNotFound } from '../../kube/errors.js';
import type { PhaseVerdict } from '../domain/state.js';
import type { StepContext } from './context.js';

export async function writeStatus(
  ctx: StepContext,
  uid: string,
  vmi: VirtualMachineInstance | undefined,
  step: Readonly<{ verdict: PhaseVerdict; status: VirtualMachineInstanceStatus }>,
): Promise<void> {
  if (vmi === undefined) return;
  const ref = { namespace: vmi.metadata.namespace ?? '', name: vmi.metadata.name ?? '' };
  const patch = { metadata: { resourceVersion: vmi.metadata.resourceVersion }, status: step.status };
  try {
    const updated = await ctx.vmiClient.patchStatus(
      ref,
      { type: 'merge', patch },
      { fieldManager: COMPONENTS.handler },
    );
    ctx.ownWrites.wrote(uid, vmi, updated);
  } catch (err) {
    // A VMI deleted meanwhile has nothing left to report to.
    if (isNotFound(err)) return;
    throw err;
  }
  const { verdict } = step;
  ctx.log.info({ uid, ...ref, phase: verdict.phase, reason: verdict.reason }, 'Updated VirtualMachineInstance status');
  if (verdict.phase === 'Failed') await ctx.events.warn(vmi, verdict.reason, verdict.message);
}
