// The tsvirt stack the handler integration tests run on the test cluster: virt-controller with the
// real launcher command, a virt-handler per node as asked, VM manifests and the reads the tests
// make. Processes come from test/harness (own process group, stopped in afterAll).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { API_VERSION, VM_KIND } from '../../api/names.js';
import type { RunStrategy, VirtualMachine, VirtualMachineInstance, VmiPhase } from '../../api/types.js';
import {
  type ComponentHandle,
  clusterFromEnv,
  kubectl,
  kubectlJson,
  startComponent,
  waitFor,
} from '../harness/index.js';

export function launcherCommand(): string {
  const repo = clusterFromEnv().repoRoot;
  return JSON.stringify([join(repo, 'node_modules/.bin/node'), join(repo, 'dist/virt-launcher.cjs')]);
}

export async function startController(): Promise<ComponentHandle> {
  const c = clusterFromEnv();
  const controller = await startComponent('virt-controller', [
    `--kubeconfig=${c.kubeconfig}`,
    '--leader-elect=false',
    '--metrics-port=0',
    '--health-port=0',
    `--launcher-command=${launcherCommand()}`,
  ]);
  await controller.waitForLog(/Started virt-controller|"msg":"Started/);
  return controller;
}

export type HandlerOptions = Readonly<{ node: string; uri?: string; logDir?: string; extra?: readonly string[] }>;

export function nodeInfo(node: string): Readonly<{ name: string; handlerRunDir: string; stateDir: string }> {
  const info = clusterFromEnv().info.nodes.find((n) => n.name === node);
  if (info === undefined) throw new Error(`The test cluster has no node ${node}`);
  return info;
}

/** Starts virt-handler for a node with the run folder its node agent points launchers at. */
export async function startHandler(opts: HandlerOptions): Promise<ComponentHandle> {
  const c = clusterFromEnv();
  const handler = await startComponent('virt-handler', [
    `--kubeconfig=${c.kubeconfig}`,
    `--node-name=${opts.node}`,
    `--libvirt-uri=${opts.uri ?? 'test:///default'}`,
    `--run-dir=${nodeInfo(opts.node).handlerRunDir}`,
    '--emulation=tcg',
    '--metrics-port=0',
    '--poll-interval=200',
    ...(opts.logDir === undefined ? [] : [`--libvirt-log-dir=${opts.logDir}`]),
    ...(opts.extra ?? []),
  ]);
  await handler.waitForLog(/Started virt-handler/);
  return handler;
}

export type VmOptions = Readonly<{
  runStrategy?: RunStrategy;
  node: string;
  graceSeconds?: number;
  spec?: Partial<VirtualMachine['spec']['template']['spec']>;
}>;

export function vmManifest(name: string, opts: VmOptions): VirtualMachine {
  return {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name },
    spec: {
      runStrategy: opts.runStrategy ?? 'Always',
      template: {
        spec: {
          terminationGracePeriodSeconds: opts.graceSeconds ?? 1,
          nodeSelector: { 'kubernetes.io/hostname': opts.node },
          // 10m: a simulated node has 2 CPUs, and these guests idle; one vCPU each all the same.
          domain: { memory: { guest: '32Mi' }, resources: { requests: { cpu: '10m' } }, devices: {} },
          ...opts.spec,
        },
      },
    },
  };
}

export async function createVms(ns: string, vms: readonly VirtualMachine[]): Promise<void> {
  await kubectl(['create', '-n', ns, '-f', '-'], { input: vms.map((v) => JSON.stringify(v)).join('\n') });
}

export async function getVmi(ns: string, name: string): Promise<VirtualMachineInstance | undefined> {
  const res = await kubectl(['get', 'vmi', name, '-n', ns, '-o', 'json', '--ignore-not-found'], { allowFailure: true });
  return res.code === 0 && res.stdout.trim() !== '' ? (JSON.parse(res.stdout) as VirtualMachineInstance) : undefined;
}

export async function listVmis(ns: string): Promise<readonly VirtualMachineInstance[]> {
  return (await kubectlJson<{ items: VirtualMachineInstance[] }>(['get', 'vmi', '-n', ns])).items;
}

export async function getVm(ns: string, name: string): Promise<VirtualMachine> {
  return kubectlJson<VirtualMachine>(['get', 'vm', name, '-n', ns]);
}

const summary = (v: VirtualMachineInstance | undefined): unknown =>
  v === undefined
    ? '(no VMI)'
    : {
        uid: v.metadata.uid,
        phase: v.status?.phase,
        reason: v.status?.reason,
        node: v.status?.nodeName,
        conditions: v.status?.conditions,
      };

/** Waits until the VMI named `name` has `phase` (and, if given, a uid other than `notUid`). */
export async function waitVmiPhase(
  ns: string,
  name: string,
  phase: VmiPhase,
  opts: Readonly<{ timeoutMs?: number; notUid?: string }> = {},
): Promise<VirtualMachineInstance> {
  return waitFor(
    async (seen) => {
      const v = await getVmi(ns, name);
      seen(summary(v));
      if (v === undefined || v.status?.phase !== phase) return undefined;
      return opts.notUid !== undefined && v.metadata.uid === opts.notUid ? undefined : v;
    },
    { timeoutMs: opts.timeoutMs ?? 30_000, describe: `VMI ${ns}/${name} to be ${phase}` },
  );
}

export async function waitVmStatus(
  ns: string,
  name: string,
  printable: string,
  timeoutMs = 30_000,
): Promise<VirtualMachine> {
  return waitFor(
    async (seen) => {
      const vm = await getVm(ns, name);
      seen(vm.status);
      return vm.status?.printableStatus === printable ? vm : undefined;
    },
    { timeoutMs, describe: `VM ${ns}/${name} to be ${printable}` },
  );
}

/** The pid of the launcher process the node agent runs for a Pod (from the agent's record). */
export async function launcherPid(node: string, podUid: string): Promise<number> {
  const record = JSON.parse(await readFile(join(nodeInfo(node).stateDir, 'pods', podUid, 'record.json'), 'utf8')) as {
    pid: number;
  };
  return record.pid;
}

/** Every launcher the node agent has records of (pod uid → pid); for leak checks. */
export async function launcherRecords(node: string): Promise<ReadonlyMap<string, number>> {
  const dir = join(nodeInfo(node).stateDir, 'pods');
  const out = new Map<string, number>();
  for (const uid of await readdir(dir).catch(() => [] as string[])) {
    const text = await readFile(join(dir, uid, 'record.json'), 'utf8').catch(() => undefined);
    if (text !== undefined) out.set(uid, (JSON.parse(text) as { pid: number }).pid);
  }
  return out;
}

export async function patchVm(ns: string, name: string, patch: unknown, subresource?: 'status'): Promise<void> {
  await kubectl([
    'patch',
    'vm',
    name,
    '-n',
    ns,
    '--type=merge',
    '-p',
    JSON.stringify(patch),
    ...(subresource === undefined ? [] : ['--subresource=status']),
  ]);
}

/**
 * Deletes every VM and VMI in the namespace and waits until their launcher Pods are gone, while
 * the controller and handlers still run: launchers then end with their domains, none is left.
 */
export async function deleteAllVms(ns: string, timeoutMs = 60_000): Promise<void> {
  await kubectl(['delete', 'vm,vmi', '--all', '-n', ns, '--wait=false'], { allowFailure: true });
  await waitFor(
    async (seen) => {
      const left = await kubectl(['get', 'vmi,pods', '-n', ns, '-o', 'name'], { allowFailure: true });
      seen(left.stdout.trim());
      return left.code === 0 && left.stdout.trim() === '';
    },
    { timeoutMs, describe: `every VMI and launcher Pod in ${ns} to be gone` },
  );
}
