/**
 * The handler's one stale-cache mechanism (docs/conventions.md §2): after a status patch, the VMI
 * the API server returned stands in for the cached one until the informer moves past the
 * resourceVersion the patch was written over.
 *
 * Why this and not the controllers' expectations (controllers/expectations.ts): the handler only
 * ever patches the status of the VMI it read, with that VMI's resourceVersion, and the next step of
 * the same pass depends on what it wrote (status first, then the launcher's exit, then undefine).
 * The patch's response is then exactly the object the cache will show next, so it can be used at
 * once; an expectation would end the pass and wait for the watch event (a round trip per write on
 * the way to Running), and it needs a timeout for a missed event, which this does not: a cache
 * that shows any other resourceVersion, or no VMI, is newer than the write and wins.
 */
import type { VirtualMachineInstance } from '../api/types.js';

/** A status this handler wrote, and the resourceVersion it was written over. */
export interface OwnWrite {
  readonly baseResourceVersion: string | undefined;
  readonly vmi: VirtualMachineInstance;
}

/**
 * The VMI to act on: the handler's own write while the cache still shows the object it was
 * written over, else the cache. `keep` says whether the write is still ahead of the cache.
 */
export function freshestVmi(
  cached: VirtualMachineInstance | undefined,
  written: OwnWrite | undefined,
): Readonly<{ vmi: VirtualMachineInstance | undefined; keep: boolean }> {
  if (written === undefined) return { vmi: cached, keep: false };
  if (cached !== undefined && cached.metadata.resourceVersion === written.baseResourceVersion)
    return { vmi: written.vmi, keep: true };
  return { vmi: cached, keep: false };
}

/** The writes still ahead of the cache, by VMI uid. */
export class OwnWrites {
  private readonly byUid = new Map<string, OwnWrite>();

  /** The VMI with this uid as the handler should see it; drops a write the cache has caught up with. */
  read(uid: string, cached: VirtualMachineInstance | undefined): VirtualMachineInstance | undefined {
    const { vmi, keep } = freshestVmi(cached, this.byUid.get(uid));
    if (!keep) this.byUid.delete(uid);
    return vmi;
  }

  /** After a successful status patch of `base`: `updated` is what the API server returned. */
  wrote(uid: string, base: VirtualMachineInstance, updated: VirtualMachineInstance): void {
    this.byUid.set(uid, { baseResourceVersion: base.metadata.resourceVersion, vmi: updated });
  }

  forget(uid: string): void {
    this.byUid.delete(uid);
  }
}
