/**
 * Who a work item is about, pure: a VMI uid may be known from the cache, the last domain poll or
 * the launcher that said hello, and an orphan only from the last two. These pick the domain's name
 * and grace period from whichever knows, and which uids a poll must queue.
 */
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../../api/defaults.js';
import { gracePeriodSecondsOf } from '../../api/lifecycle.js';
import { domainName } from '../../api/object-names.js';
import type { VmiIdentity } from '../../api/launcher-protocol.js';
import type { VirtualMachineInstance } from '../../api/types.js';
import type { ObservedDomain } from '../libvirt/connection.js';

/** The domain's name: from the VMI, else the polled domain, else the launcher's hello; undefined if none knows. */
export function domainNameFor(
  vmi: VirtualMachineInstance | undefined,
  polled: ObservedDomain | undefined,
  launcher: VmiIdentity | undefined,
): string | undefined {
  if (vmi?.metadata.namespace !== undefined && vmi.metadata.name !== undefined)
    return domainName(vmi.metadata.namespace, vmi.metadata.name);
  if (polled !== undefined) return polled.name;
  return launcher === undefined ? undefined : domainName(launcher.namespace, launcher.name);
}

/** The grace period: the VMI's, else (an orphan) the one stamped into the domain's metadata. */
export function graceSecondsFor(vmi: VirtualMachineInstance | undefined, polled: ObservedDomain | undefined): number {
  if (vmi !== undefined) return gracePeriodSecondsOf(vmi);
  return polled?.meta.graceSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
}

/**
 * The VMI a domain name belongs to (the inverse of api/object-names.ts `domainName`; Kubernetes
 * names hold no `_`), or undefined for a name tsvirt would not make.
 */
export function vmiRefOfDomain(name: string): Readonly<{ namespace: string; name: string }> | undefined {
  const parts = name.split('_');
  const [namespace, vmiName] = parts;
  if (parts.length !== 2 || namespace === undefined || vmiName === undefined) return undefined;
  if (namespace === '' || vmiName === '') return undefined;
  return { namespace, name: vmiName };
}

/** True when `name` can name a folder directly under the run folder (nothing else is ever removed). */
export function isRunFolderName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/');
}

/**
 * The uids a poll must queue: a domain whose state changed or that appeared, one with no VMI in the
 * cache (an orphan to clean up), and one that vanished.
 */
export function uidsToQueue(
  before: ReadonlyMap<string, ObservedDomain>,
  after: ReadonlyMap<string, ObservedDomain>,
  hasVmi: (uid: string) => boolean,
): ReadonlyArray<string> {
  const queued: string[] = [];
  for (const [uid, d] of after) if (before.get(uid)?.state !== d.state || !hasVmi(uid)) queued.push(uid);
  for (const uid of before.keys()) if (!after.has(uid)) queued.push(uid);
  return queued;
}
