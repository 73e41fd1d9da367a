// `--ha`: two kube-apiservers behind HAProxy on one stable address. Losing one API server must
// interrupt nobody, and stopping the cluster must leave no process behind. This file starts its own
// second cluster (no nodes) beside the shared one, in its own temporary folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminAccess, runKubectl, type AdminAccess } from '../../cluster/cluster-api.js';
import { startCluster, stopCluster, type ClusterInfo } from '../../cluster/local-cluster.js';
import { findMarkedProcesses, isRunning } from '../../cluster/processes.js';
import { clusterFromEnv, waitFor } from '../harness/index.js';

let stateDir: string;
let info: ClusterInfo;
let access: AdminAccess;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'tsvirt-ha-test-'));
  info = await startCluster({ stateDir, binDir: clusterFromEnv().info.binDir, nodes: 0, ha: true });
  access = await adminAccess(info.server, join(stateDir, 'pki'), info.binDir, info.kubeconfig);
});

afterAll(async () => {
  await stopCluster(stateDir);
  await rm(stateDir, { recursive: true, force: true });
});

const apiserver = (i: number) => {
  const record = info.processes.find((p) => p.name === `kube-apiserver-${i}`);
  if (record === undefined) throw new Error(`kube-apiserver-${i} is not in cluster.json`);
  return record;
};

describe('an HA local cluster', () => {
  it('serves clients on HAProxy, in front of two API servers', async () => {
    expect(info.ports.apiservers).toHaveLength(2);
    expect(info.server).toBe(`https://127.0.0.1:${info.ports.haproxy}`);
    const res = await runKubectl(access, ['get', '--raw', '/readyz']);
    expect(res.stdout).toBe('ok');
  });

  it('keeps answering every request when one API server dies', async () => {
    process.kill(apiserver(0).pid, 'SIGKILL');
    await waitFor(async () => !(await isRunning(apiserver(0))), {
      timeoutMs: 5_000,
      describe: 'kube-apiserver-0 to be gone',
    });

    const results = [];
    for (let i = 0; i < 10; i++)
      results.push(await runKubectl(access, ['create', 'configmap', `after-loss-${i}`, '-n', 'default']));

    expect(results.map((r) => r.code)).toEqual(Array(10).fill(0));
    expect(await isRunning(apiserver(1))).toBe(true);
  });

  it('leaves no process behind when stopped', async () => {
    const report = await stopCluster(stateDir);

    expect(report.stopped).toEqual(
      expect.arrayContaining([
        { name: 'kube-apiserver-0', outcome: 'not running' },
        { name: 'haproxy', outcome: 'stopped' },
      ]),
    );
    expect(report.strays).toEqual([]);
    expect(await findMarkedProcesses(info.stateDir)).toEqual([]);
  });
});
