// virt-api on the real API server: the APIService, discovery, front-proxy authentication, one
// SubjectAccessReview per request, the VM verbs through kubectl --raw and kubectl virt, pause
// through the handler on the VMI's node, and the console relayed from a serial-socket stand-in
// (libvirt's test driver runs no QEMU) in the VMI's run folder, where QEMU would serve it.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { VMI_PLURAL, VM_PLURAL } from '../../api/names.js';
import {
  CONSOLE_SUBPROTOCOL,
  CONSOLE_SUBRESOURCE,
  CONSOLE_TAKEN_OVER,
  SUBRESOURCES_API_VERSION,
  subresourcePath,
} from '../../api/subresources.js';
import { serialSocketPath } from '../../handler/domain/host-facts.js';
import {
  applyObjects,
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import {
  createVms,
  deleteAllVms,
  nodeInfo,
  startController,
  startHandler,
  vmManifest,
  waitVmStatus,
} from './handler-stack.js';
import { handlerEndpointFlags, pkiFile, startVirtApi, type VirtApi } from '../harness/virt-api.js';

const NODE = 'node-1';
let ns: string;
let api: VirtApi;

beforeAll(async () => {
  ns = await createTestNamespace('virtapi');
  await startController();
  await startHandler({ node: NODE, extra: await handlerEndpointFlags() });
  api = await startVirtApi();
  // A viewer and an editor of this namespace, through the built-in roles tsvirt.io:* aggregate into.
  await applyObjects(
    [
      ['view', 'viewer'],
      ['edit', 'editor'],
    ].map(([role, user]) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: user },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    })),
    ns,
  );
}, 120_000);

afterAll(async () => {
  // Undefined when beforeAll failed early; the components it started are stopped all the same.
  await (api as VirtApi | undefined)?.unregister();
  // Deleted while the controller and handler still run: a later file's controller must not find them.
  await deleteAllVms(ns);
  await stopAllComponents();
  await deleteTestNamespace(ns);
});

type Run = Readonly<{ code: number; stdout: string; stderr: string }>;

/** kubectl-virt from dist/bin, as the admin of the test cluster. */
function virt(args: readonly string[], input = ''): Promise<Run> {
  const c = clusterFromEnv();
  return new Promise((resolve, reject) => {
    const child = spawn(join(c.repoRoot, 'dist', 'bin', 'kubectl-virt'), [...args, '-n', ns], {
      env: { ...process.env, KUBECONFIG: c.kubeconfig, NO_COLOR: '1' },
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** `kubectl replace --raw` (a PUT) on a subresource, with `as` impersonated when given. */
function putRaw(path: string, body: unknown = {}, as?: string): Promise<Run> {
  return kubectl([...(as === undefined ? [] : [`--as=${as}`]), 'replace', '--raw', path, '-f', '-'], {
    input: JSON.stringify(body),
    allowFailure: true,
  });
}

const vmPath = (name: string, verb: string): string => subresourcePath(VM_PLURAL, ns, name, verb);
const vmiPath = (name: string, verb: string): string => subresourcePath(VMI_PLURAL, ns, name, verb);

async function runningVm(name: string): Promise<void> {
  await createVms(ns, [vmManifest(name, { node: NODE, runStrategy: 'Always' })]);
  await waitVmStatus(ns, name, 'Running');
}

describe('virt-api registration', () => {
  it('becomes Available on the real API server, and discovery lists every subresource', async () => {
    const raw = await kubectl(['get', '--raw', `/apis/${SUBRESOURCES_API_VERSION}`]);
    const list = JSON.parse(raw.stdout) as { resources: { name: string; verbs: string[] }[] };
    expect(list.resources.map((r) => `${r.name} ${r.verbs.join()}`).sort()).toEqual([
      'virtualmachineinstances/console get',
      'virtualmachineinstances/pause update',
      'virtualmachineinstances/portforward get',
      'virtualmachineinstances/softreboot update',
      'virtualmachineinstances/unpause update',
      'virtualmachines/restart update',
      'virtualmachines/start update',
      'virtualmachines/stop update',
    ]);
    expect((await kubectl(['api-versions'])).stdout.split('\n')).toContain(SUBRESOURCES_API_VERSION);
  });

  it('refuses a request that reaches it directly, without the front-proxy certificate', async () => {
    // The admin's own client certificate (cluster CA) and a forged user header: still refused.
    const [cert, key] = await Promise.all([pkiFile('admin.crt'), pkiFile('admin.key')]);
    const answer = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request(
        `https://127.0.0.1:${api.port}${vmPath('any', 'start')}`,
        { method: 'PUT', cert, key, rejectUnauthorized: false, headers: { 'X-Remote-User': 'kubernetes-admin' } },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(answer.code).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ message: expect.stringContaining('front-proxy') as unknown });
  });

  it('asks a SubjectAccessReview itself: the front proxy vouching for a viewer does not let it start a VM', async () => {
    const [cert, key] = await Promise.all([pkiFile('front-proxy-client.crt'), pkiFile('front-proxy-client.key')]);
    const code = await new Promise<number>((resolve, reject) => {
      const req = request(
        `https://127.0.0.1:${api.port}${vmPath('any', 'start')}`,
        { method: 'PUT', cert, key, rejectUnauthorized: false, headers: { 'X-Remote-User': 'viewer' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(code).toBe(403);
  });
});

describe('VM verbs', () => {
  it('start, stop and restart through kubectl --raw, with a 409 a user understands', async () => {
    await createVms(ns, [vmManifest('raw', { node: NODE, runStrategy: 'Halted' })]);
    expect((await putRaw(vmPath('raw', 'start'))).code).toBe(0);
    await waitVmStatus(ns, 'raw', 'Running');
    const again = await putRaw(vmPath('raw', 'start'));
    expect([again.code, again.stderr.trim()]).toEqual([1, 'Error from server (Conflict): VM is already running']);
    const before = await kubectl(['get', 'vmi', 'raw', '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
    expect((await putRaw(vmPath('raw', 'restart'))).code).toBe(0);
    await waitFor(
      async () => {
        const now = await kubectl(['get', 'vmi', 'raw', '-n', ns, '-o', 'jsonpath={.metadata.uid} {.status.phase}']);
        return now.stdout !== `${before.stdout} Running` && now.stdout.endsWith(' Running');
      },
      { timeoutMs: 60_000, describe: 'a new VMI to run after the restart' },
    );
    const stop = await putRaw(vmPath('raw', 'stop'));
    expect([stop.code, stop.stderr]).toEqual([0, '']);
    await waitVmStatus(ns, 'raw', 'Stopped');
    const missing = await putRaw(vmPath('nope', 'start'));
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): virtualmachines.tsvirt.io "nope" not found');
    const bad = await putRaw(vmPath('raw', 'start'), { gracePeriod: 3 });
    expect(bad.stderr.trim()).toBe('Error from server (BadRequest): gracePeriod applies to stop only, not start');
  });

  it('start, stop and restart through kubectl virt; a viewer gets 403, an editor may start', async () => {
    await createVms(ns, [vmManifest('cli', { node: NODE, runStrategy: 'Halted' })]);
    const denied = await putRaw(vmPath('cli', 'start'), {}, 'viewer');
    expect(denied.stderr).toContain('Error from server (Forbidden)');
    expect((await putRaw(vmPath('cli', 'start'), { dryRun: ['All'] }, 'editor')).code).toBe(0);
    const viewer = await virt(['start', 'cli', '--as', 'viewer']);
    expect([viewer.code, viewer.stderr]).toEqual([1, expect.stringContaining('forbidden') as unknown]);
    const editor = await virt(['start', 'cli', '--as', 'editor', '--as-group', 'system:authenticated', '--wait']);
    expect([editor.code, editor.stdout]).toEqual([0, 'VM cli was scheduled to start\n']);
    const twice = await virt(['start', 'cli']);
    expect([twice.code, twice.stderr]).toEqual([1, 'error: starting VM cli: VM is already running\n']);
    expect((await virt(['restart', 'cli', '--wait', '--timeout', '60s'])).code).toBe(0);
    expect((await virt(['stop', 'cli', '--wait', '--timeout', '60s'])).code).toBe(0);
  });
});

describe('stop with a grace period', () => {
  const grace = async (name: string): Promise<string> =>
    (await kubectl(['get', 'vmi', name, '-n', ns, '-o', 'jsonpath={.spec.terminationGracePeriodSeconds}'])).stdout;
  const vmiGone = (name: string): Promise<unknown> =>
    waitFor(
      async () => (await kubectl(['get', 'vmi', name, '-n', ns, '--ignore-not-found', '-o', 'name'])).stdout === '',
      { timeoutMs: 60_000, describe: `VMI ${name} to end` },
    );

  it('dry run leaves the grace period and the VM alone', async () => {
    await runningVm('graceful');
    const before = await grace('graceful');
    const dry = await putRaw(vmPath('graceful', 'stop'), { gracePeriod: 0, dryRun: ['All'] });
    expect([dry.code, dry.stderr]).toEqual([0, '']);
    expect(await grace('graceful')).toBe(before);
    expect(before).toBe('1'); // handler-stack's VMs get 1 s; the dry run asked for 0
  });

  it('kubectl virt stop --force --grace-period=0 lowers the VMI grace, and the VMI ends', async () => {
    const stop = await virt(['stop', 'graceful', '--force', '--grace-period=0', '--wait', '--timeout', '60s']);
    expect([stop.code, stop.stderr]).toEqual([0, '']);
    await vmiGone('graceful');
    await waitVmStatus(ns, 'graceful', 'Stopped');
  });

  it('PUT .../stop {"gracePeriod": 1} through kubectl --raw, and the VMI ends', async () => {
    expect((await putRaw(vmPath('graceful', 'start'))).code).toBe(0);
    await waitVmStatus(ns, 'graceful', 'Running');
    const stop = await putRaw(vmPath('graceful', 'stop'), { gracePeriod: 1 });
    expect([stop.code, stop.stderr]).toEqual([0, '']);
    await vmiGone('graceful');
    await waitVmStatus(ns, 'graceful', 'Stopped');
  });
});

describe('VMI verbs', () => {
  it('pause and unpause through kubectl virt and kubectl --raw: the VM reads Paused, then Running', async () => {
    await runningVm('pausable');
    expect((await virt(['pause', 'pausable'])).stdout).toBe('VMI pausable was paused\n');
    await waitVmStatus(ns, 'pausable', 'Paused');
    const twice = await virt(['pause', 'pausable']);
    expect([twice.code, twice.stderr]).toEqual([1, 'error: pausing VMI pausable: VMI is already paused\n']);
    expect((await putRaw(vmiPath('pausable', 'unpause'))).code).toBe(0);
    await waitVmStatus(ns, 'pausable', 'Running');
    const denied = await putRaw(vmiPath('pausable', 'pause'), {}, 'viewer');
    expect(denied.stderr).toContain('Error from server (Forbidden)');
  });
});

/** A serial port stand-in where QEMU would bind it: echoes what it gets, one client at a time as QEMU. */
async function serialStandIn(name: string): Promise<{ server: Server; clients: Socket[]; path: string }> {
  const path = serialSocketPath({ runDir: nodeInfo(NODE).handlerRunDir }, ns, name);
  await rm(path, { force: true });
  const clients: Socket[] = [];
  const server = createServer((s) => {
    clients.push(s);
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { server, clients, path };
}

type Session = Readonly<{ ws: WebSocket; text: () => string; closed: Promise<number> }>;

/** A console WebSocket through kube-apiserver, as the admin (or impersonating `as`). */
async function openConsole(name: string, as?: string): Promise<Session> {
  const c = clusterFromEnv();
  const [ca, cert, key] = await Promise.all([pkiFile('ca.crt'), pkiFile('admin.crt'), pkiFile('admin.key')]);
  const url = `${c.server.replace(/^https/, 'wss')}${vmiPath(name, CONSOLE_SUBRESOURCE)}`;
  const ws = new WebSocket(url, CONSOLE_SUBPROTOCOL, {
    ca,
    cert,
    key,
    headers: as === undefined ? {} : { 'Impersonate-User': as },
  });
  let text = '';
  ws.on('message', (d: Buffer) => (text += d.toString('utf8')));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`console refused: ${res.statusCode ?? 0}`)));
    ws.once('error', reject);
  });
  return { ws, text: () => text, closed };
}

describe('console', () => {
  it('relays bytes both ways, stays open over 60 s idle, and a second session takes over the first', async () => {
    await runningVm('talky');
    const serial = await serialStandIn('talky');
    try {
      const first = await openConsole('talky');
      await waitFor(() => serial.clients.length === 1, { timeoutMs: 10_000, describe: 'the handler to connect' });
      serial.clients[0]?.write('guest says hi\r\n');
      first.ws.send(Buffer.from('echo me\n'));
      await waitFor(() => first.text().includes('guest says hi') && first.text().includes('echo me'), {
        timeoutMs: 10_000,
        describe: `both directions (seen ${JSON.stringify(first.text())})`,
      });
      // 61 s without a byte: the pings of virt-api and the handler keep both hops open.
      const idleUntil = Date.now() + 61_000;
      await waitFor(() => Date.now() >= idleUntil, { timeoutMs: 70_000, intervalMs: 1000, describe: '61 s idle' });
      first.ws.send(Buffer.from('still here\n'));
      await waitFor(() => first.text().includes('still here'), { timeoutMs: 10_000, describe: 'echo after idle' });

      const second = await openConsole('talky');
      expect(await first.closed).toBe(CONSOLE_TAKEN_OVER);
      second.ws.send(Buffer.from('second\n'));
      await waitFor(() => second.text().includes('second'), { timeoutMs: 10_000, describe: 'the second session' });
      second.ws.close();
      await second.closed;
    } finally {
      serial.server.close();
      for (const c of serial.clients) c.destroy();
    }
  }, 150_000);

  it('refuses a viewer with 403 and opens for an editor', async () => {
    await expect(openConsole('talky', 'viewer')).rejects.toThrow('console refused: 403');
    // The same refusal through kubectl virt: --as reaches the WebSocket upgrade.
    const viaCli = await virt(['console', 'talky', '--as', 'viewer']);
    expect([viaCli.code, viaCli.stderr]).toEqual([1, expect.stringMatching(/forbidden|403/i) as unknown]);
    const serial = await serialStandIn('talky');
    try {
      const session = await openConsole('talky', 'editor');
      session.ws.close();
      await session.closed;
    } finally {
      serial.server.close();
      for (const c of serial.clients) c.destroy();
    }
  });
});

describe('portforward', () => {
  it('refuses a viewer with 403; an editor reaches the VMI handler, which says the VMI has no interface to forward to', async () => {
    await runningVm('forwarded');
    const path = vmiPath('forwarded', 'portforward/22');
    const c = clusterFromEnv();
    const [ca, cert, key] = await Promise.all([pkiFile('ca.crt'), pkiFile('admin.crt'), pkiFile('admin.key')]);
    const refusal = (as: string): Promise<Readonly<{ code: number; body: string }>> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${c.server.replace(/^https/, 'wss')}${path}`, CONSOLE_SUBPROTOCOL, {
          ca,
          cert,
          key,
          headers: { 'Impersonate-User': as },
        });
        ws.once('open', () => reject(new Error('the forward opened on the test driver')));
        ws.once('unexpected-response', (_req, res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        });
        ws.once('error', reject);
      });
    expect((await refusal('viewer')).code).toBe(403);
    const editor = await refusal('editor');
    // The handler's own answer, relayed: the test VM has no network interface (the bytes are the e2e's).
    expect(editor).toEqual({
      code: 502,
      body: expect.stringContaining('the VMI has no network interface to forward to') as unknown,
    });
    const viaCli = await virt(['port-forward', '--stdio', 'vm/forwarded', '22', '--as', 'viewer']);
    expect([viaCli.code, viaCli.stderr]).toEqual([1, expect.stringMatching(/forbidden|403/i) as unknown]);
  });
});

// Last in the file: it stops virt-api, then takes its APIService away.
describe('without virt-api', () => {
  it('kubectl virt start, pause and console say virt-api is not answering, then that it is not installed', async () => {
    await runningVm('orphan');
    await api.handle.stop();
    // Registered but nobody behind it: the aggregator answers 503 once it notices the endpoint is gone.
    await waitFor(async () => (await virt(['start', 'orphan'])).stderr.includes('virt-api is not answering'), {
      timeoutMs: 60_000,
      describe: 'kubectl virt start to say virt-api is not answering',
    });
    await api.unregister();
    await waitFor(async () => (await virt(['pause', 'orphan'])).stderr.includes('virt-api is not installed'), {
      timeoutMs: 60_000,
      describe: 'kubectl virt pause to say virt-api is not installed',
    });
    for (const args of [
      ['start', 'orphan'],
      ['pause', 'orphan'],
      ['console', 'orphan'],
    ]) {
      const run = await virt(args);
      expect([args[0], run.code, run.stderr.split('\n').slice(0, 2)]).toEqual([
        args[0],
        1,
        [
          'error: virt-api is not installed: the API server has no v1alpha1.subresources.tsvirt.io APIService (it answered "404 page not found")',
          expect.stringMatching(
            /^hint: deploy virt-api .*kubectl get apiservice v1alpha1\.subresources\.tsvirt\.io/,
          ) as unknown,
        ],
      ]);
    }
  }, 180_000);
});
