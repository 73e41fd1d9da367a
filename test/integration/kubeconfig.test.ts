// The credentials a kubectl user has, against the real API server: `kubectl virt` reads the same
// kubeconfig kubectl does and gets the same answer, and so does a service's KubeClients (the one
// transport, kube/api-client.ts, under both). A ServiceAccount token stands for a user's token;
// the admin kubeconfig (client certificates) is what every other test uses.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_VERSION, VM_KIND } from '../../api/names.js';
import { createKubeClients, type KubeClients, type WriteRecord } from '../../kube/clients.js';
import { loadKubeConfig } from '../../kube/config.js';
import { KubeConfigError } from '../../kube/kubeconfig-error.js';
import { virtualMachines } from '../../kube/tsvirt.js';
import {
  applyObjects,
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  kubectlJson,
  kubectlVirtWith,
  runProcess,
} from '../harness/index.js';

type Json = Record<string, unknown>;

let ns: string;
let dir: string;
let token: string;
let cluster: { server: string; 'certificate-authority-data': string };
const SA = 'reader';

beforeAll(async () => {
  ns = await createTestNamespace('kubeconfig');
  dir = await mkdtemp(join(tmpdir(), 'tsvirt-kubeconfig-'));
  await applyObjects(
    [
      {
        apiVersion: API_VERSION,
        kind: VM_KIND,
        metadata: { name: 'seen' },
        spec: {
          runStrategy: 'Halted',
          template: { spec: { domain: { memory: { guest: '32Mi' }, devices: {} } } },
        },
      },
    ],
    ns,
  );
  await kubectl(['create', 'serviceaccount', SA, '-n', ns]);
  // What kubectl virt list and describe read, granted in this namespace only.
  await kubectl([
    'create',
    'role',
    'vm-reader',
    '-n',
    ns,
    '--verb=get,list,watch',
    '--resource=virtualmachines.tsvirt.io,virtualmachineinstances.tsvirt.io,pods,events',
  ]);
  await kubectl(['create', 'rolebinding', 'vm-reader', '-n', ns, '--role=vm-reader', `--serviceaccount=${ns}:${SA}`]);
  token = (await kubectl(['create', 'token', SA, '-n', ns, '--duration=1h'])).stdout.trim();
  const raw = await kubectlJson<{ clusters: { cluster: typeof cluster }[] }>(['config', 'view', '--raw', '--minify']);
  const first = raw.clusters[0];
  if (first === undefined) throw new Error('the admin kubeconfig names no cluster');
  cluster = first.cluster;
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await deleteTestNamespace(ns);
}, 60_000);

/** A kubeconfig of one cluster, context and user, written to `name` (JSON is YAML). */
async function kubeconfig(name: string, user: Json, clusterExtra: Json = {}): Promise<string> {
  const file = join(dir, name);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'test',
    clusters: [{ name: 'test', cluster: { ...cluster, ...clusterExtra } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'u', namespace: ns } }],
  };
  await writeFile(file, JSON.stringify(doc));
  return file;
}

/** `kubectl virt list` and `kubectl get vms` with the same kubeconfig: both must see the VM. */
async function listsLikeKubectl(env: Record<string, string>, args: readonly string[] = []): Promise<string> {
  const virt = await kubectlVirtWith(['list', ...args], { env });
  expect({ code: virt.code, stderr: virt.stderr }).toEqual({ code: 0, stderr: '' });
  expect(virt.stdout).toMatch(/^seen\s/m);
  const go = await runProcess(clusterFromEnv().kubectl, ['get', 'vms', ...args], { env });
  expect({ code: go.code, stderr: go.stderr }).toEqual({ code: 0, stderr: '' });
  expect(go.stdout).toMatch(/^seen\s/m);
  return virt.stdout;
}

/**
 * Two kubeconfig files to merge: the first names the context and cluster, the second the user.
 * The second file's current-context loses to the first's, as in kubectl.
 */
async function mergedKubeconfigs(prefix: string): Promise<[string, string]> {
  const config = { apiVersion: 'v1', kind: 'Config' };
  const files: [string, string] = [join(dir, `${prefix}merge-a.json`), join(dir, `${prefix}merge-b.json`)];
  const docs = [
    {
      ...config,
      'current-context': 'merged',
      clusters: [{ name: 'test', cluster }],
      contexts: [{ name: 'merged', context: { cluster: 'test', user: 'elsewhere', namespace: ns } }],
    },
    { ...config, 'current-context': 'nowhere', users: [{ name: 'elsewhere', user: { token } }] },
  ];
  await Promise.all(files.map((f, i) => writeFile(f, JSON.stringify(docs[i]))));
  return files;
}

/** A service's clients for `kubeconfig` (as virt-controller builds them), and the VM names it lists. */
async function serviceLists(
  kubeconfig: string | undefined,
  onWrite?: (w: WriteRecord) => void,
): Promise<{ clients: KubeClients; names: string[] }> {
  const cfg = await loadKubeConfig(kubeconfig === undefined ? {} : { kubeconfig });
  const clients = createKubeClients(cfg, {
    userAgent: 'kubeconfig-test',
    ...(onWrite === undefined ? {} : { onWrite }),
  });
  const list = await virtualMachines(clients).list({ namespace: ns });
  return { clients, names: list.items.map((vm) => vm.metadata?.name ?? '') };
}

/** An exec plugin script that appends a line to `calls` per run and prints `credentials` in turn (the last one again). */
async function countingPlugin(
  name: string,
  tokens: readonly string[],
): Promise<{ command: string; calls: () => Promise<number> }> {
  const calls = join(dir, `${name}-calls`);
  const command = join(dir, `${name}.sh`);
  const answers = tokens.map((t) =>
    JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: t } }),
  );
  const cases = answers.map((a, i) => `  ${i + 1}) printf '%s' '${a}' ;;`).join('\n');
  await writeFile(calls, '');
  await writeFile(
    command,
    `#!/bin/sh\necho call >> '${calls}'\nn=$(wc -l < '${calls}' | tr -d ' ')\ncase "$n" in\n${cases}\n  *) printf '%s' '${answers.at(-1) ?? ''}' ;;\nesac\n`,
  );
  await chmod(command, 0o755);
  return {
    command,
    calls: async () => (await readFile(calls, 'utf8')).split('\n').filter((l) => l !== '').length,
  };
}

describe("a service's KubeClients read the kubeconfig as kubectl does", () => {
  let open: KubeClients[] = [];
  afterEach(async () => {
    await Promise.all(open.map((c) => c.close()));
    open = [];
  });
  const lists = async (kubeconfig: string | undefined, onWrite?: (w: WriteRecord) => void): Promise<string[]> => {
    const { clients, names } = await serviceLists(kubeconfig, onWrite);
    open.push(clients);
    return names;
  };

  it('authenticates with the client certificate of the admin kubeconfig', async () => {
    expect(await lists(clusterFromEnv().kubeconfig)).toContain('seen');
  }, 30_000);

  it('authenticates with a bearer token, and counts a refused write with its status', async () => {
    const writes: WriteRecord[] = [];
    const file = await kubeconfig('svc-token.json', { token });
    expect(await lists(file, (w) => writes.push(w))).toContain('seen');
    const clients = open[0];
    if (clients === undefined) throw new Error('no clients');
    // The reader's Role grants no create: the write is refused, and onWrite sees it with its 403.
    await expect(
      virtualMachines(clients).create({
        apiVersion: API_VERSION,
        kind: VM_KIND,
        metadata: { name: 'refused', namespace: ns },
        spec: { runStrategy: 'Halted', template: { spec: { domain: { memory: { guest: '32Mi' }, devices: {} } } } },
      }),
    ).rejects.toMatchObject({ code: 403 });
    expect(writes).toEqual([
      { verb: 'create', resource: 'virtualmachines', subresource: '', group: 'tsvirt.io', namespace: ns, code: 403 },
    ]);
  }, 30_000);

  it('authenticates with a tokenFile', async () => {
    const tokenFile = join(dir, 'svc-token');
    await writeFile(tokenFile, `${token}\n`);
    expect(await lists(await kubeconfig('svc-token-file.json', { tokenFile }))).toContain('seen');
  }, 30_000);

  it('runs an exec plugin once while its token is fresh, however many requests and watches follow', async () => {
    const plugin = await countingPlugin('svc-exec', [token]);
    const file = await kubeconfig('svc-exec.json', {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin.command, interactiveMode: 'Never' },
    });
    const { clients, names } = await serviceLists(file);
    open.push(clients);
    expect(names).toContain('seen');
    const vms = virtualMachines(clients);
    await Promise.all([vms.get({ namespace: ns, name: 'seen' }), vms.list({ namespace: ns })]);
    const list = await vms.list({ namespace: ns });
    const stop = new AbortController();
    const stream = await vms.watchStream({
      namespace: ns,
      resourceVersion: list.resourceVersion,
      timeoutSeconds: 1,
      signal: stop.signal,
    });
    stop.abort();
    await stream.cancel().catch(() => undefined);
    expect(await plugin.calls()).toBe(1);
  }, 30_000);

  it('authenticates with the client certificate an exec plugin hands out', async () => {
    type User = Record<string, string | undefined>;
    const raw = await kubectlJson<{ users: { user: User }[] }>(['config', 'view', '--raw', '--minify']);
    const admin = raw.users[0]?.user ?? {};
    const pem = async (data: string, file: string): Promise<string> =>
      admin[data] !== undefined
        ? Buffer.from(admin[data] ?? '', 'base64').toString('utf8')
        : readFile(admin[file] ?? '', 'utf8');
    const status = {
      clientCertificateData: await pem('client-certificate-data', 'client-certificate'),
      clientKeyData: await pem('client-key-data', 'client-key'),
    };
    const answer = join(dir, 'svc-exec-cert-answer.json');
    await writeFile(
      answer,
      JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status }),
    );
    const command = join(dir, 'svc-exec-cert.sh');
    await writeFile(command, `#!/bin/sh\ncat '${answer}'\n`);
    await chmod(command, 0o755);
    const file = await kubeconfig('svc-exec-cert.json', {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never' },
    });
    expect(await lists(file)).toContain('seen');
  }, 30_000);

  it('runs the exec plugin again after a 401 and sends the refused request once more', async () => {
    const plugin = await countingPlugin('svc-exec-401', ['not-a-valid-token', token]);
    const file = await kubeconfig('svc-exec-401.json', {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin.command, interactiveMode: 'Never' },
    });
    expect(await lists(file)).toContain('seen');
    expect(await plugin.calls()).toBe(2);
  }, 30_000);

  it("says what to install when the exec plugin is missing, with the entry's installHint", async () => {
    const file = await kubeconfig('svc-exec-missing.json', {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: join(dir, 'kubelogin'),
        interactiveMode: 'Never',
        installHint: 'Install kubelogin (kubectl krew install oidc-login).',
      },
    });
    const err = await lists(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeConfigError);
    expect(err).toMatchObject({
      message: `exec plugin ${join(dir, 'kubelogin')} was not found`,
      fix: 'Install kubelogin (kubectl krew install oidc-login).',
    });
  }, 30_000);

  it('merges the files in KUBECONFIG: a context in one, its user in the next', async () => {
    const [first, second] = await mergedKubeconfigs('svc-');
    const saved = process.env['KUBECONFIG'];
    process.env['KUBECONFIG'] = `${first}:${second}`;
    try {
      expect(await lists(undefined)).toContain('seen');
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
    }
    expect(open[0]?.namespace).toBe(ns);
  }, 30_000);
});

describe('kubectl virt reads the kubeconfig as kubectl does', () => {
  it('authenticates with a bearer token', async () => {
    await listsLikeKubectl({ KUBECONFIG: await kubeconfig('token.json', { token }) });
  }, 30_000);

  it('authenticates with a tokenFile', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${token}\n`);
    await listsLikeKubectl({ KUBECONFIG: await kubeconfig('token-file.json', { tokenFile }) });
  }, 30_000);

  it('runs an exec credential plugin once per invocation, however many requests it makes', async () => {
    const calls = join(dir, 'exec-calls');
    const plugin = join(dir, 'credential.sh');
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token },
    });
    await writeFile(plugin, `#!/bin/sh\necho call >> '${calls}'\nprintf '%s' '${credential}'\n`);
    await chmod(plugin, 0o755);
    const file = await kubeconfig('exec.json', {
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' },
    });
    await writeFile(calls, '');
    // describe makes several requests (VM, VMI, Pod, events): one credential serves them all.
    const described = await kubectlVirtWith(['describe', 'vm', 'seen'], { env: { KUBECONFIG: file } });
    expect({ code: described.code, stderr: described.stderr }).toEqual({ code: 0, stderr: '' });
    expect(described.stdout).toMatch(/^Name:\s+seen$/m);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual(['call']);
  }, 30_000);

  it('merges the files in KUBECONFIG: a context in one, its user in the next', async () => {
    const [first, second] = await mergedKubeconfigs('');
    await listsLikeKubectl({ KUBECONFIG: `${first}:${second}` });
  }, 30_000);

  it('impersonates with --as, refused where the RoleBinding does not reach', async () => {
    const admin = clusterFromEnv().kubeconfig;
    const as = `--as=system:serviceaccount:${ns}:${SA}`;
    const allowed = await kubectlVirtWith(['list', '-n', ns, as, `--kubeconfig=${admin}`]);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^seen\s/m);
    const refused = await kubectlVirtWith(['list', '-n', 'default', as, `--kubeconfig=${admin}`]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('forbidden');
    expect(refused.stderr).toContain(`system:serviceaccount:${ns}:${SA}`);
  }, 30_000);

  describe('through proxy-url', () => {
    let proxy: Server;
    const tunnels: string[] = [];
    const sockets = new Set<Socket>();

    // An HTTP CONNECT proxy on loopback: it reads the CONNECT line, opens the tunnel and pipes.
    beforeAll(async () => {
      proxy = createServer((client) => {
        sockets.add(client);
        client.once('data', (head) => {
          const [, target] = /^CONNECT (\S+) HTTP\/1\.[01]\r\n/.exec(head.toString('latin1')) ?? [];
          const m = target === undefined ? null : /^(.+):(\d+)$/.exec(target);
          if (target === undefined || m === null) {
            client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
            return;
          }
          tunnels.push(target);
          const upstream = connect(Number(m[2]), m[1]?.replace(/^\[|\]$/g, '') ?? '', () => {
            client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
            client.pipe(upstream).pipe(client);
          });
          sockets.add(upstream);
          upstream.on('error', () => client.destroy());
          client.on('error', () => upstream.destroy());
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    });

    it('tunnels every request through the proxy, as kubectl does', async () => {
      const address = proxy.address();
      if (address === null || typeof address === 'string') throw new Error('proxy has no port');
      const file = await kubeconfig('proxy.json', { token }, { 'proxy-url': `http://127.0.0.1:${address.port}` });
      tunnels.length = 0;
      const virt = await kubectlVirtWith(['list'], { env: { KUBECONFIG: file } });
      expect({ code: virt.code, stderr: virt.stderr }).toEqual({ code: 0, stderr: '' });
      expect(virt.stdout).toMatch(/^seen\s/m);
      expect(tunnels).toEqual([new URL(cluster.server).host]);
    }, 30_000);

    it("tunnels a service's requests through the proxy too, over one connection", async () => {
      const address = proxy.address();
      if (address === null || typeof address === 'string') throw new Error('proxy has no port');
      const file = await kubeconfig('svc-proxy.json', { token }, { 'proxy-url': `http://127.0.0.1:${address.port}` });
      tunnels.length = 0;
      const { clients, names } = await serviceLists(file);
      try {
        expect(names).toContain('seen');
        await virtualMachines(clients).get({ namespace: ns, name: 'seen' });
      } finally {
        await clients.close();
      }
      expect(tunnels).toEqual([new URL(cluster.server).host]);
    }, 30_000);

    it('says which proxy refused, without reaching the API server another way', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const address = closed.address();
      await new Promise((resolve) => closed.close(resolve));
      if (address === null || typeof address === 'string') throw new Error('no port');
      const file = await kubeconfig('dead-proxy.json', { token }, { 'proxy-url': `http://127.0.0.1:${address.port}` });
      const virt = await kubectlVirtWith(['list'], { env: { KUBECONFIG: file } });
      expect(virt.code).not.toBe(0);
      expect(virt.stderr).toContain('Could not reach the API server');
      expect(virt.stderr).toContain('ECONNREFUSED');
    }, 30_000);
  });
});
