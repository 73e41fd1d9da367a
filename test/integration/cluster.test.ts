// The local cluster against itself: the real API server stores and validates tsvirt's resources,
// the real scheduler places launcher Pods, and the node agents run them as local processes.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  API_VERSION,
  LAUNCHER_CONTAINER_NAME,
  LAUNCHER_IMAGE,
  VM_KIND,
  VM_PLURAL,
  VMI_PLURAL,
  GROUP,
} from '../../api/names.js';
import { isAlive } from '../../cluster/processes.js';
import {
  applyObjects,
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  kubectlJson,
  waitFor,
} from '../harness/index.js';

type Condition = { type: string; status: string; reason?: string; message?: string };
type Terminated = { exitCode: number; reason?: string };
type Pod = {
  metadata: { name: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: { name: string; state?: { terminated?: Terminated; running?: unknown } }[];
  };
};
type Crd = {
  status?: { conditions?: Condition[] };
  spec: { versions: { name: string; additionalPrinterColumns?: { name: string; priority?: number }[] }[] };
};
type Vm = {
  metadata: { name: string; generation: number };
  spec: { runStrategy?: string };
  status?: { printableStatus?: string; ready?: boolean };
};

let ns: string;
let scratch: string;

beforeAll(async () => {
  ns = await createTestNamespace('cluster');
  scratch = await mkdtemp(join(tmpdir(), 'tsvirt-cluster-test-'));
});

afterAll(async () => {
  await deleteTestNamespace(ns);
  await rm(scratch, { recursive: true, force: true });
});

function vm(name: string): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: VM_KIND,
    metadata: { name },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: { cpu: { cores: 1 }, memory: { guest: '64Mi' }, devices: {} },
        },
      },
    },
  };
}

const getVm = (name: string): Promise<Vm> => kubectlJson<Vm>(['get', `${VM_PLURAL}.${GROUP}`, name, '-n', ns]);
const getPod = (name: string): Promise<Pod> => kubectlJson<Pod>(['get', 'pod', name, '-n', ns]);
const podGone = async (name: string): Promise<boolean> =>
  (await kubectl(['get', 'pod', name, '-n', ns, '--ignore-not-found', '-o', 'name'])).stdout.trim() === '';

describe('the local control plane', () => {
  it('has the tsvirt CRDs Established', async () => {
    for (const plural of [VM_PLURAL, VMI_PLURAL]) {
      const crd = await kubectlJson<Crd>(['get', 'crd', `${plural}.${GROUP}`]);
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }
  });

  it('creates, reads, lists and deletes a VirtualMachine', async () => {
    await applyObjects([vm('crud')], ns);
    const read = await getVm('crud');
    expect(read.spec.runStrategy).toBe('Halted');

    const list = await kubectlJson<{ items: Vm[] }>(['get', 'vm', '-n', ns]);
    expect(list.items.map((i) => i.metadata.name)).toContain('crud');

    await kubectl(['delete', 'vm', 'crud', '-n', ns, '--wait=true', '--timeout=30s']);
    const after = await kubectl(['get', 'vm', 'crud', '-n', ns, '--ignore-not-found', '-o', 'name']);
    expect(after.stdout.trim()).toBe('');
  });

  it('lists VMs with the printer columns the CRD declares', async () => {
    await applyObjects([vm('columns')], ns);
    await kubectl([
      'patch',
      'vm',
      'columns',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"printableStatus":"Stopped","ready":false}}',
    ]);
    const crd = await kubectlJson<Crd>(['get', 'crd', `${VM_PLURAL}.${GROUP}`]);
    const columns = (crd.spec.versions[0]?.additionalPrinterColumns ?? [])
      .filter((c) => (c.priority ?? 0) === 0)
      .map((c) => c.name.toUpperCase());

    const table = (await kubectl(['get', 'vm', 'columns', '-n', ns])).stdout.trim().split('\n');

    expect(table[0]?.split(/\s{2,}/)).toEqual(['NAME', ...columns]);
    expect(table[1]).toMatch(/^columns\s+/);
    expect(table[1]).toContain('Stopped');
  });

  it('writes VM status only through the status subresource', async () => {
    await applyObjects([vm('status-only')], ns);

    // A status change on the main resource is dropped; a spec change on the status subresource too.
    await kubectl([
      'patch',
      'vm',
      'status-only',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"status":{"printableStatus":"Running"}}',
    ]);
    expect((await getVm('status-only')).status?.printableStatus).toBeUndefined();
    await kubectl([
      'patch',
      'vm',
      'status-only',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"spec":{"runStrategy":"Always"},"status":{"printableStatus":"Stopped"}}',
    ]);

    const after = await getVm('status-only');
    expect(after.status?.printableStatus).toBe('Stopped');
    expect(after.spec.runStrategy).toBe('Halted');
  });
});

function launcherPod(
  name: string,
  script: string,
  options: { cpu?: string; grace?: number } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: options.grace ?? 5,
      containers: [
        {
          name: LAUNCHER_CONTAINER_NAME,
          image: LAUNCHER_IMAGE,
          command: ['sh', '-c', script],
          resources: { requests: { cpu: options.cpu ?? '100m', memory: '16Mi' } },
        },
      ],
    },
  };
}

async function waitForPhase(name: string, phase: string, timeoutMs = 30_000): Promise<Pod> {
  return waitFor(
    async (seen) => {
      const pod = await getPod(name);
      seen(pod.status);
      return pod.status?.phase === phase && pod;
    },
    { timeoutMs, describe: `Pod ${ns}/${name} to reach phase ${phase}` },
  );
}

/**
 * A script that writes its pid where the test can read it, then runs until stopped. `$$$$`: the
 * kubelet (and so the agent) turns `$$` in a command into `$`, so the shell sees `$$`.
 */
const longRunning = (pidFile: string, onTerm: 'exit' | 'ignore'): string =>
  `echo $$$$ > ${pidFile}; trap '${onTerm === 'exit' ? 'exit 0' : ''}' TERM; while :; do sleep 0.2; done`;

async function runningPid(name: string, pidFile: string): Promise<number> {
  await waitForPhase(name, 'Running');
  return waitFor(async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || undefined, {
    timeoutMs: 10_000,
    describe: `the process of Pod ${name} to write ${pidFile}`,
  });
}

describe('launcher Pods on the node agents', () => {
  it('binds a launcher Pod with the real scheduler and reports Succeeded when the process exits 0', async () => {
    await applyObjects([launcherPod('exit-zero', 'exit 0')], ns);

    const pod = await waitForPhase('exit-zero', 'Succeeded');

    expect(clusterFromEnv().nodes).toContain(pod.spec.nodeName);
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
  });

  it('reports Failed with exit code 1 when the process exits 1', async () => {
    await applyObjects([launcherPod('exit-one', 'exit 1')], ns);

    const pod = await waitForPhase('exit-one', 'Failed');

    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(1);
  });

  it('stops the process when the Pod is deleted', async () => {
    const pidFile = join(scratch, 'graceful.pid');
    await applyObjects([launcherPod('graceful', longRunning(pidFile, 'exit'), { grace: 5 })], ns);
    const pid = await runningPid('graceful', pidFile);
    expect(await isAlive(pid)).toBe(true);

    const t0 = Date.now();
    await kubectl(['delete', 'pod', 'graceful', '-n', ns, '--wait=false']);

    await waitFor(async () => !(await isAlive(pid)), {
      timeoutMs: 5_000,
      describe: `process ${pid} of Pod graceful to exit on SIGTERM`,
    });
    await waitFor(() => podGone('graceful'), { timeoutMs: 10_000, describe: 'Pod graceful to be removed' });
    expect(Date.now() - t0).toBeLessThan(5_000 + 5_000);
  });

  it('kills a process that ignores SIGTERM once the grace period is over', async () => {
    const pidFile = join(scratch, 'stubborn.pid');
    await applyObjects([launcherPod('stubborn', longRunning(pidFile, 'ignore'), { grace: 2 })], ns);
    const pid = await runningPid('stubborn', pidFile);

    await kubectl(['delete', 'pod', 'stubborn', '-n', ns, '--wait=false']);

    // Grace period 2 s, plus the agent's poll and the signal's delivery.
    await waitFor(async () => !(await isAlive(pid)), {
      timeoutMs: 2_000 + 4_000,
      describe: `process ${pid} of Pod stubborn to be killed after its grace period`,
    });
    await waitFor(() => podGone('stubborn'), { timeoutMs: 10_000, describe: 'Pod stubborn to be removed' });
  });

  it('spreads launcher Pods over both nodes', async () => {
    const names = ['spread-1', 'spread-2', 'spread-3', 'spread-4'];
    await applyObjects(
      names.map((n) => launcherPod(n, 'while :; do sleep 0.2; done', { cpu: '500m', grace: 1 })),
      ns,
    );

    const nodes = await Promise.all(names.map(async (n) => (await waitForPhase(n, 'Running')).spec.nodeName));

    expect(new Set(nodes)).toEqual(new Set(clusterFromEnv().nodes));
    await kubectl(['delete', 'pod', ...names, '-n', ns, '--wait=true', '--timeout=30s']);
  });

  it('leaves a Pod that asks for more CPU than any node has Pending and Unschedulable', async () => {
    await applyObjects([launcherPod('too-big', 'exit 0', { cpu: '64' })], ns);

    const condition = await waitFor(
      async (seen) => {
        const pod = await getPod('too-big');
        seen(pod.status);
        const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
        return scheduled?.status === 'False' && scheduled;
      },
      { timeoutMs: 30_000, describe: 'Pod too-big to get PodScheduled=False' },
    );

    expect(condition.reason).toBe('Unschedulable');
    const pod = await getPod('too-big');
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec.nodeName).toBeUndefined();
  });
});

/** A serving certificate for `<service>.<namespace>.svc`, signed by the cluster CA, as the aggregator verifies it. */
async function servingCert(dir: string, dnsName: string): Promise<{ key: string; cert: string; ca: string }> {
  const pki = join(clusterFromEnv().stateDir, 'pki');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-noenc',
    '-keyout',
    join(dir, 'aggregated.key'),
    '-out',
    join(dir, 'aggregated.crt'),
    '-subj',
    '/CN=aggregated',
    '-days',
    '1',
    '-CA',
    join(pki, 'ca.crt'),
    '-CAkey',
    join(pki, 'ca.key'),
    '-addext',
    'extendedKeyUsage=serverAuth',
    '-addext',
    `subjectAltName=DNS:${dnsName}`,
  ]);
  const read = (f: string): Promise<string> => readFile(f, 'utf8');
  return {
    key: await read(join(dir, 'aggregated.key')),
    cert: await read(join(dir, 'aggregated.crt')),
    ca: await read(join(pki, 'ca.crt')),
  };
}

type Seen = { url: string; user: string | undefined; proxyCn: string | undefined; proxyTrusted: boolean };

/** An aggregated API server of one group/version with one resource, recording who called it. */
async function aggregatedServer(
  tls: { key: string; cert: string },
  groupVersion: string,
  seen: Seen[],
): Promise<Server> {
  const frontProxyCa = await readFile(join(clusterFromEnv().stateDir, 'pki', 'front-proxy-ca.crt'), 'utf8');
  const server = createServer(
    { ...tls, ca: frontProxyCa, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const user = req.headers['x-remote-user'];
      seen.push({
        url: req.url ?? '',
        user: typeof user === 'string' ? user : undefined,
        proxyCn: String(socket.getPeerCertificate().subject?.CN),
        proxyTrusted: socket.authorized,
      });
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion,
          resources: [{ name: 'things', namespaced: true, kind: 'Thing', verbs: ['get'] }],
        }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('aggregated APIs', () => {
  it('routes an APIService to a local process through an ExternalName Service, over the front proxy', async () => {
    const group = 'probe.cluster-test.tsvirt.io';
    const seen: Seen[] = [];
    const tls = await servingCert(scratch, `aggregated.${ns}.svc`);
    const server = await aggregatedServer(tls, `${group}/v1`, seen);
    const port = (server.address() as { port: number }).port;
    const apiService = `v1.${group}`;
    try {
      await applyObjects([
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'aggregated', namespace: ns },
          spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ port }] },
        },
        {
          apiVersion: 'apiregistration.k8s.io/v1',
          kind: 'APIService',
          metadata: { name: apiService },
          spec: {
            group,
            version: 'v1',
            groupPriorityMinimum: 1000,
            versionPriority: 15,
            caBundle: Buffer.from(tls.ca).toString('base64'),
            service: { name: 'aggregated', namespace: ns, port },
          },
        },
      ]);
      await kubectl(['wait', '--for=condition=Available', `apiservice/${apiService}`, '--timeout=30s']);

      await kubectl(['get', '--raw', `/apis/${group}/v1/namespaces/${ns}/things/one`]);

      const call = seen.find((s) => s.url.endsWith('/things/one'));
      expect(call).toEqual({
        url: `/apis/${group}/v1/namespaces/${ns}/things/one`,
        user: 'kubernetes-admin',
        proxyCn: 'front-proxy-client',
        proxyTrusted: true,
      });
    } finally {
      // Cluster-scoped: an APIService left behind with its server gone breaks discovery for every later test.
      await kubectl(['delete', 'apiservice', apiService, '--ignore-not-found']);
      // The aggregator keeps its connections alive; close() alone would wait for them to idle out.
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
