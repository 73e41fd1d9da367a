// What the controller's integration tests and bench/controller share: VM manifests sized so a
// hundred fit on the test nodes, a launcher command whose outcome the VM's name picks, readers for
// VMs, VMIs and launcher Pods, and the API server's write counters.
import { API_VERSION, GROUP, LABELS, VM_KIND, VM_PLURAL, VMI_PLURAL } from '../../api/names.js';
import type { RunStrategy, VirtualMachine, VirtualMachineInstance } from '../../api/types.js';
import type { Pod } from '../../kube/core.js';
import {
  clusterFromEnv,
  kubectl,
  kubectlJson,
  startComponent,
  waitFor,
  type ComponentHandle,
} from '../harness/index.js';

/**
 * The launcher Pod's process in these tests (no virt-handler yet): a VM named fail-* exits 1 after
 * a second (the Pod fails), done-* exits 0 (the Pod succeeds), any other stays up.
 */
export const TEST_LAUNCHER_COMMAND = [
  'sh',
  '-c',
  'case "$VMI_NAME" in fail-*) sleep 1; exit 1;; done-*) sleep 1; exit 0;; esac; exec sleep 3600',
];

export function testVm(name: string, runStrategy: RunStrategy, cores = 1): VirtualMachine {
  return {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name },
    spec: {
      runStrategy,
      template: {
        metadata: { labels: { app: name } },
        spec: {
          // 10m of CPU and 32Mi: a hundred launcher Pods fit on two 2-CPU, 8Gi test nodes.
          domain: {
            cpu: { cores },
            memory: { guest: '32Mi' },
            resources: cores > 1 ? {} : { requests: { cpu: '10m' } },
            devices: {},
          },
        },
      },
    },
  };
}

/** virt-controller against the test cluster, with the test launcher command. */
export function startController(extra: readonly string[] = []): Promise<ComponentHandle> {
  return startComponent('virt-controller', [
    `--kubeconfig=${clusterFromEnv().kubeconfig}`,
    `--launcher-command=${JSON.stringify(TEST_LAUNCHER_COMMAND)}`,
    ...extra,
  ]);
}

const VMS = `${VM_PLURAL}.${GROUP}`;
const VMIS = `${VMI_PLURAL}.${GROUP}`;

export async function getVm(ns: string, name: string): Promise<VirtualMachine | undefined> {
  const r = await kubectl(['get', VMS, name, '-n', ns, '--ignore-not-found', '-o', 'json']);
  return r.stdout.trim() === '' ? undefined : (JSON.parse(r.stdout) as VirtualMachine);
}

export async function getVmi(ns: string, name: string): Promise<VirtualMachineInstance | undefined> {
  const r = await kubectl(['get', VMIS, name, '-n', ns, '--ignore-not-found', '-o', 'json']);
  return r.stdout.trim() === '' ? undefined : (JSON.parse(r.stdout) as VirtualMachineInstance);
}

export async function listVmis(ns: string): Promise<VirtualMachineInstance[]> {
  return (await kubectlJson<{ items: VirtualMachineInstance[] }>(['get', VMIS, '-n', ns])).items;
}

export async function listVms(ns: string): Promise<VirtualMachine[]> {
  return (await kubectlJson<{ items: VirtualMachine[] }>(['get', VMS, '-n', ns])).items;
}

/** Launcher Pods in `ns`, optionally of one VMI uid. */
export async function launcherPods(ns: string, vmiUid?: string): Promise<Pod[]> {
  const selector = vmiUid === undefined ? LABELS.createdBy : `${LABELS.createdBy}=${vmiUid}`;
  return (await kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', selector])).items;
}

/** Patches status.stateChangeRequests, as kubectl virt start/stop/restart do for Manual VMs. */
export async function requestStateChange(ns: string, name: string, requests: readonly object[]): Promise<void> {
  await kubectl([
    'patch',
    VMS,
    name,
    '-n',
    ns,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { stateChangeRequests: requests } }),
  ]);
}

export async function setRunStrategy(ns: string, name: string, runStrategy: RunStrategy): Promise<void> {
  await kubectl(['patch', VMS, name, '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { runStrategy } })]);
}

/** Mutating requests (POST, PUT, PATCH, DELETE, APPLY) the API server counted, per resource. */
export async function apiServerWrites(resources: readonly string[]): Promise<Record<string, number>> {
  const text = (await kubectl(['get', '--raw', '/metrics'])).stdout;
  const counts: Record<string, number> = Object.fromEntries(resources.map((r) => [r, 0]));
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    const subresource = /subresource="([^"]*)"/.exec(line)?.[1] ?? '';
    if (!['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY'].includes(verb) || !resources.includes(resource)) continue;
    const key = subresource === '' ? resource : `${resource}/${subresource}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    if (key !== resource) counts[resource] = (counts[resource] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

export const sum = (counts: Record<string, number>, resources: readonly string[]): number =>
  resources.reduce((n, r) => n + (counts[r] ?? 0), 0);

/**
 * Deletes every VM in `ns` and waits until their VMIs are gone, while the controller still runs:
 * a VMI keeps the controller's finalizer until the controller removes it, so stopping the
 * controller first would leave the namespace stuck terminating.
 */
export async function deleteVmsAndWait(ns: string, timeoutMs = 60_000): Promise<void> {
  await kubectl(['delete', VMS, '--all', '-n', ns, '--wait=false']);
  await waitFor(
    async (seen) => {
      const left = await listVmis(ns);
      seen(left.map((v) => `${v.metadata.name ?? ''}:${v.status?.phase ?? ''}`));
      return left.length === 0;
    },
    { timeoutMs, describe: `the VMIs in ${ns} to be gone` },
  );
}
