/**
 * Reads what `describe` shows, in two rounds of concurrent requests on one connection: the VM
 * and its VMI, then the launcher Pod, the handler's heartbeat Lease on the VMI's node and the
 * Events of all three.
 */
import { LABELS, SYSTEM_NAMESPACE } from '../../api/names.js';
import { handlerLeaseName } from '../../api/object-names.js';
import type { VirtualMachineInstance } from '../../api/types.js';
import type { ApiClient } from '../../kube/api-client.js';
import { findLease, findVmi, getPod, getVm, listEventsFor, listPods } from '../../kube/cli-resources.js';
import type { DescribeInput } from './render.js';
import { eventView, leaseRenewTime, podView, type EventView, type PodView } from './views.js';
import { whyNotRunning } from './why.js';
import { byteOrder } from '../printers/table.js';

/** How many Events describe shows, newest last, as kubectl describe does. */
export const RECENT_EVENTS = 10;

async function launcherPod(
  client: ApiClient,
  namespace: string,
  vmi: VirtualMachineInstance | undefined,
): Promise<PodView | undefined> {
  if (vmi === undefined) return undefined;
  const name = vmi.status?.launcherPodName;
  if (name !== undefined) return podView(await getPod(client, namespace, name));
  if (vmi.metadata.uid === undefined) return undefined;
  const pods = await listPods(client, namespace, `${LABELS.createdBy}=${vmi.metadata.uid}`);
  // The newest Pod is the one that matters: an older one may be a finished attempt.
  const views = pods.map(podView).filter((p): p is PodView => p !== undefined);
  return views.at(-1);
}

async function handlerRenewTime(client: ApiClient, node: string | undefined): Promise<string | undefined> {
  if (node === undefined) return undefined;
  return leaseRenewTime(await findLease(client, SYSTEM_NAMESPACE, handlerLeaseName(node)));
}

function recentEvents(lists: readonly (readonly unknown[])[]): EventView[] {
  const all = lists.flat().map(eventView);
  return all.sort((a, b) => byteOrder(a.at ?? '', b.at ?? '')).slice(-RECENT_EVENTS);
}

export async function fetchDescribe(
  client: ApiClient,
  namespace: string,
  name: string,
  now: () => number,
): Promise<DescribeInput> {
  const [vm, vmi] = await Promise.all([getVm(client, namespace, name), findVmi(client, namespace, name)]);
  const uids = [vm.metadata.uid, vmi?.metadata.uid].filter((u): u is string => u !== undefined);
  const [pod, renew, ...eventLists] = await Promise.all([
    launcherPod(client, namespace, vmi),
    handlerRenewTime(client, vmi?.status?.nodeName),
    ...uids.map((uid) => listEventsFor(client, namespace, uid)),
  ]);
  const podEvents = pod?.uid === undefined ? [] : await listEventsFor(client, namespace, pod.uid);
  const t = now();
  return {
    vm,
    vmi,
    pod,
    events: recentEvents([...eventLists, podEvents]),
    whyNotRunning: whyNotRunning({ vm, vmi, pod, handlerRenewTime: renew, now: t }),
    now: t,
  };
}
