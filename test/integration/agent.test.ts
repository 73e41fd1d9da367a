// The node agent against the real control plane: restart safety (re-adopting live launcher
// processes, failing Pods whose process died meanwhile) and refusing images it cannot run.
// It runs its own agent for a node of its own, so it can stop and restart it freely; Pods are
// bound to that node directly (spec.nodeName). The cluster tests cover the scheduler's side.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAUNCHER_CONTAINER_NAME, LAUNCHER_IMAGE } from '../../api/names.js';
import {
  applyObjects,
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  kubectlJson,
  startComponent,
  stopAllComponents,
  waitFor,
  type ComponentHandle,
} from '../harness/index.js';

type ContainerState = {
  running?: { startedAt: string };
  terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string };
  waiting?: { reason?: string };
};
type Pod = {
  metadata: { name: string; uid: string; resourceVersion: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { containerID?: string; ready: boolean; restartCount: number; state?: ContainerState }[];
  };
};

const node = `agent-test-${process.pid}`;
let ns: string;
let stateDir: string;
let agent: ComponentHandle | undefined;

async function startAgent(): Promise<ComponentHandle> {
  const cluster = clusterFromEnv();
  const handle = await startComponent('node-agent', [
    `--kubeconfig=${cluster.kubeconfig}`,
    `--node-name=${node}`,
    `--state-dir=${stateDir}`,
    '--cpu=4',
    '--memory=4Gi',
    '--pods=20',
  ]);
  await handle.waitForLog(/Node agent started/);
  return handle;
}

function launcherPod(name: string, script: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      nodeName: node,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      automountServiceAccountToken: false,
      containers: [{ name: LAUNCHER_CONTAINER_NAME, image: LAUNCHER_IMAGE, command: ['/bin/sh', '-c', script] }],
    },
  };
}

const getPod = (name: string): Promise<Pod> => kubectlJson<Pod>(['get', 'pod', name, '-n', ns]);
const stateOf = (p: Pod): ContainerState | undefined => p.status?.containerStatuses?.[0]?.state;
const pidOf = (p: Pod): number =>
  Number((p.status?.containerStatuses?.[0]?.containerID ?? '').replace('tsvirt-agent://', ''));

async function waitForPhase(name: string, phase: string): Promise<Pod> {
  return waitFor(
    async (seen) => {
      const p = await getPod(name);
      seen(p.status);
      return p.status?.phase === phase ? p : undefined;
    },
    { timeoutMs: 30_000, describe: `Pod ${name} to be ${phase}` },
  );
}

async function deletePodAndWait(name: string): Promise<void> {
  await kubectl(['delete', 'pod', name, '-n', ns, '--wait=false', '--ignore-not-found']);
  await waitFor(
    async () =>
      (await kubectl(['get', 'pod', name, '-n', ns, '--ignore-not-found', '-o', 'name'])).stdout.trim() === '',
    {
      timeoutMs: 30_000,
      describe: `Pod ${name} to be removed by the agent`,
    },
  );
}

beforeAll(async () => {
  ns = await createTestNamespace('agent');
  stateDir = await mkdtemp(join(tmpdir(), 'tsvirt-agent-test-'));
  agent = await startAgent();
});

afterAll(async () => {
  // With the agent up, so it stops every launcher process it started before it goes.
  if (agent === undefined) agent = await startAgent();
  const pods = await kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', ns]).catch(() => ({ items: [] as Pod[] }));
  await Promise.all(pods.items.map((p) => deletePodAndWait(p.metadata.name)));
  await stopAllComponents();
  await kubectl(['delete', 'node', node, '--ignore-not-found', '--wait=false'], { allowFailure: true });
  await deleteTestNamespace(ns);
  await rm(stateDir, { recursive: true, force: true });
});

describe('the node agent', () => {
  it('registers its Node as Ready with the capacity it was given and keeps a Lease', async () => {
    type Node = {
      metadata: { labels: Record<string, string> };
      status: { capacity: Record<string, string>; conditions: { type: string; status: string }[] };
    };
    const n = await kubectlJson<Node>(['get', 'node', node]);
    expect(n.status.capacity).toMatchObject({ cpu: '4', memory: '4Gi', pods: '20' });
    expect(n.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': node, 'kubernetes.io/os': 'linux' });
    expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    const lease = await kubectlJson<{ spec: { holderIdentity: string } }>([
      'get',
      'lease',
      node,
      '-n',
      'kube-node-lease',
    ]);
    expect(lease.spec.holderIdentity).toBe(node);
  });

  it('re-adopts a running launcher process after a restart, keeps its status and still reports its exit', async () => {
    const gate = join(stateDir, 'keep-running');
    await writeFile(gate, '');
    await applyObjects([launcherPod('adopt', `while [ -f '${gate}' ]; do sleep 0.1; done; echo done; exit 0`)], ns);
    const before = await waitForPhase('adopt', 'Running');
    const pid = pidOf(before);
    expect(pid).toBeGreaterThan(0);

    await agent?.stop();
    agent = undefined;
    expect(existsSync(`/proc/${pid}`)).toBe(true); // like a kubelet restart: the Pod's process keeps running

    agent = await startAgent();
    await agent.waitForLog(/Adopted running launcher process/);
    const during = await getPod('adopt');
    expect(during.status?.phase).toBe('Running');
    expect(stateOf(during)?.running?.startedAt).toBe(stateOf(before)?.running?.startedAt);
    expect(pidOf(during)).toBe(pid);

    await unlink(gate);
    const after = await waitForPhase('adopt', 'Succeeded');
    expect(stateOf(after)?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
      startedAt: stateOf(before)?.running?.startedAt,
    });
    await deletePodAndWait('adopt');
  });

  it('reports the exit code of a process that ended on its own while the agent was down', async () => {
    const gate = join(stateDir, 'hold-exit');
    await writeFile(gate, '');
    await applyObjects(
      [launcherPod('exit-while-down', `while [ -f '${gate}' ]; do sleep 0.1; done; echo 'disk on fire' >&2; exit 3`)],
      ns,
    );
    const before = await waitForPhase('exit-while-down', 'Running');
    const pid = pidOf(before);

    await agent?.stop();
    agent = undefined;
    await unlink(gate);
    await waitFor(() => !existsSync(`/proc/${pid}`) || undefined, {
      timeoutMs: 10_000,
      describe: `process ${pid} to exit`,
    });

    agent = await startAgent();
    const after = await waitForPhase('exit-while-down', 'Failed');
    expect(stateOf(after)?.terminated).toMatchObject({ exitCode: 3, reason: 'Error', message: 'disk on fire' });
    await deletePodAndWait('exit-while-down');
  });

  it('fails a Pod whose process was killed while the agent was down and left no exit code', async () => {
    await applyObjects([launcherPod('killed-while-down', 'while :; do sleep 0.1; done')], ns);
    const before = await waitForPhase('killed-while-down', 'Running');
    const pid = pidOf(before);

    await agent?.stop();
    agent = undefined;
    process.kill(-pid, 'SIGKILL'); // the wrapper goes too, so no exit code is recorded
    await waitFor(() => !existsSync(`/proc/${pid}/cmdline`) || undefined, {
      timeoutMs: 10_000,
      describe: `process group ${pid} to die`,
    });

    agent = await startAgent();
    const after = await waitForPhase('killed-while-down', 'Failed');
    expect(stateOf(after)?.terminated).toMatchObject({ exitCode: 137, reason: 'ContainerStatusUnknown' });
    expect(after.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    await deletePodAndWait('killed-while-down');
  });

  it('fails a Pod with any other image as UnsupportedImage and runs nothing', async () => {
    await applyObjects(
      [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'nginx' },
          spec: {
            nodeName: node,
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            containers: [{ name: 'web', image: 'nginx:1.27' }],
          },
        },
      ],
      ns,
    );
    const pod = await waitForPhase('nginx', 'Failed');
    expect(pod.status?.reason).toBe('UnsupportedImage');
    expect(pod.status?.message).toContain('nginx:1.27');
    expect(pod.status?.message).toContain(LAUNCHER_IMAGE);
    expect(stateOf(pod)?.terminated?.reason).toBe('UnsupportedImage');
    await deletePodAndWait('nginx');
  });
});
