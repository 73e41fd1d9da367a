/**
 * The define-and-start step: start-domain.ts plans, prepares and starts; what its result means
 * for memory and the run is sync/after-step.ts's; this logs it and, for a failed pull, records
 * the ErrImagePull Event the kubelet would.
 */
import { REASONS } from '../../api/names.js';
import type { VirtualMachineInstance } from '../../api/types.js';
import type { QueueOutcome } from '../../kube/workqueue.js';
import type { NodeDiskContext } from '../node-disks.js';
import { prepareAndStart } from '../start-domain.js';
import { FRESH_MEMORY, afterStart } from '../sync/after-step.js';
import { type StepContext, vmiFields } from './context.js';

export async function startDomain(
  ctx: StepContext,
  uid: string,
  vmi: VirtualMachineInstance | undefined,
): Promise<QueueOutcome | undefined> {
  if (vmi === undefined) return { kind: 'done' };
  const options = { node: ctx.nodeName, hostPaths: ctx.hostPaths, disks: diskContext(ctx, vmi) };
  const result = await prepareAndStart(vmi, ctx.host, ctx.libvirt, options);
  const next = afterStart(ctx.memory.get(uid) ?? FRESH_MEMORY, result, ctx.now());
  ctx.memory.set(uid, next.memory);
  const fields = vmiFields(uid, vmi);
  switch (result.kind) {
    case 'started':
      ctx.log.info({ ...fields, type: ctx.host.domainType }, 'Defined and started the domain');
      break;
    case 'failed':
      ctx.log.warn(
        { ...fields, reason: result.verdict.reason, cause: result.verdict.message },
        'Could not start the domain',
      );
      break;
    case 'pull-failed': {
      const attempts = next.memory.pullFailure?.attempts;
      ctx.log.warn({ ...fields, attempts, cause: result.message }, 'Could not pull the containerDisk; backing off');
      await ctx.events.warn(vmi, REASONS.errImagePull, result.message);
      break;
    }
    case 'busy':
      // Not a change we made, and it repeats until the old domain is undefined: debug only.
      ctx.log.debug({ ...fields, owner: result.owner }, 'Waiting for the domain of an older VMI of this name to go');
      break;
    default:
      return result satisfies never;
  }
  return next.outcome;
}

function diskContext(ctx: StepContext, vmi: VirtualMachineInstance): NodeDiskContext {
  const read = ctx.secret;
  const namespace = vmi.metadata.namespace ?? '';
  return {
    cache: ctx.imageCache,
    namespace,
    secret: (name) =>
      read === undefined
        ? Promise.reject(new Error(`cannot read Secret ${namespace}/${name} on this node`))
        : read(namespace, name),
    onPulled: (image, digest, ms) =>
      ctx.log.info({ namespace, name: vmi.metadata.name, image, digest, ms }, 'Pulled the containerDisk'),
  };
}
