/**
 * The launcher Pod's addresses, which KubeVirt reports as a masquerade interface's IP: read once
 * per Pod (a Pod keeps its IP for life) with one GET by name, not a Pod informer on every node.
 * A read that failed or found no address (403 where RBAC lacks `get pods`) is tried again after
 * a pause, and meanwhile the status falls back to the guest's own addresses.
 */
import { launcherPodName } from '../api/object-names.js';
import type { VirtualMachineInstance } from '../api/types.js';
import type { Pod } from '../kube/core.js';

/** A failed or empty read is not repeated sooner than this. */
export const POD_IP_RETRY_MS = 10_000;

/** status.podIPs in order (the primary first), else status.podIP; empty while the Pod has none. */
export function podIPsOf(pod: Pod | undefined): ReadonlyArray<string> {
  const listed = (pod?.status?.podIPs ?? []).flatMap((p) => (typeof p.ip === 'string' && p.ip !== '' ? [p.ip] : []));
  if (listed.length > 0) return listed;
  const single = pod?.status?.podIP;
  return typeof single === 'string' && single !== '' ? [single] : [];
}

type Known = Readonly<{ pod: string; ips: ReadonlyArray<string>; readAt: number }>;

export class LauncherPodIPs {
  private readonly known = new Map<string, Known>();
  private readonly reading = new Map<string, Promise<Known>>();

  constructor(
    private readonly deps: Readonly<{
      pod: (namespace: string, name: string) => Promise<Pod | undefined>;
      now: () => number;
      warn: (fields: object, msg: string) => void;
    }>,
  ) {}

  /**
   * The addresses of this VMI's launcher Pod. Read before the handler's first status write for
   * the domain (the launcher has connected by then, so its Pod has its IP), which therefore
   * carries the Pod's address at once instead of a second write once a background read ends.
   */
  async of(vmi: VirtualMachineInstance): Promise<ReadonlyArray<string>> {
    const uid = vmi.metadata.uid;
    if (uid === undefined) return [];
    const pod = vmi.status?.launcherPodName ?? launcherPodName(vmi);
    const k = this.known.get(uid);
    if (k !== undefined && this.isFresh(k, pod)) return k.ips;
    let read = this.reading.get(uid);
    if (read === undefined) {
      read = this.read(uid, vmi.metadata.namespace ?? '', pod).finally(() => this.reading.delete(uid));
      this.reading.set(uid, read);
    }
    return (await read).ips;
  }

  /** Known for this Pod, and either an address or a recent failed read. */
  private isFresh(k: Known, pod: string): boolean {
    if (k.pod !== pod) return false;
    return k.ips.length > 0 || this.deps.now() - k.readAt < POD_IP_RETRY_MS;
  }

  forget(uid: string): void {
    this.known.delete(uid);
  }

  private async read(uid: string, namespace: string, pod: string): Promise<Known> {
    let ips: ReadonlyArray<string> = [];
    try {
      ips = podIPsOf(await this.deps.pod(namespace, pod));
    } catch (err) {
      this.deps.warn({ uid, namespace, pod, err }, "Could not read the launcher Pod's address; retrying later");
    }
    const k: Known = { pod, ips, readAt: this.deps.now() };
    this.known.set(uid, k);
    return k;
  }
}
