// containerDisks against the test cluster's real registry (Debian's docker-registry, started by
// the cluster) and a second, password-protected one this file starts: virt-handler on libvirt's
// test driver pulls with skopeo into its own cache folder and gives each VMI a qcow2 overlay.
// The images are built here as KubeVirt users build them: FROM scratch, one qcow2 under /disk/.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '../../cluster/ports.js';
import { type ProcessRecord, startProcess, stopProcess } from '../../cluster/processes.js';
import type { VirtualMachine } from '../../api/types.js';
import { ContainerDiskCache } from '../../handler/containerdisk/cache.js';
import { nodePlatform } from '../../handler/containerdisk/manifest.js';
import { digestsInUse } from '../../handler/node-disks.js';
import {
  clusterFromEnv,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  stopAllComponents,
  waitFor,
} from '../harness/index.js';
import type { ComponentHandle } from '../harness/index.js';
import {
  createVms,
  deleteAllVms,
  getVmi,
  nodeInfo,
  startController,
  startHandler,
  vmManifest,
  waitVmStatus,
  waitVmiPhase,
} from './handler-stack.js';

const run = promisify(execFile);
const NODE = 'node-1';
const TIMEOUT = 90_000;
const USER = 'tsvirt';
const PASSWORD = 'not-a-secret-just-a-test';

function registry(): string {
  const r = clusterFromEnv().info.registry;
  if (r === undefined)
    throw new Error('The test cluster runs no registry: install docker-registry (hack/install-deps.sh)');
  return r;
}

/**
 * An OCI layout holding one image: FROM scratch, a small qcow2 at /disk/disk.qcow2. Each test
 * gets its own (another virtual size, so another digest): the node caches by digest.
 */
async function buildImage(work: string, name: string, size: string): Promise<string> {
  const disk = join(work, `${name}.qcow2`);
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', disk, size]);
  const b = ['--root', join(work, 'store'), '--runroot', join(work, 'run'), '--storage-driver', 'vfs'];
  const ctr = (await run('buildah', [...b, 'from', 'scratch'])).stdout.trim();
  await run('buildah', [...b, 'copy', ctr, disk, '/disk/disk.qcow2']);
  const layout = join(work, `oci-${name}`);
  await run('buildah', [...b, 'commit', '--quiet', '--format', 'oci', ctr, `oci:${layout}:disk`]);
  await run('buildah', [...b, 'rm', ctr]);
  await rm(join(work, 'store'), { recursive: true, force: true });
  return layout;
}

async function push(layout: string, dest: string, creds?: string): Promise<void> {
  const auth = creds === undefined ? [] : ['--dest-creds', creds];
  await run('skopeo', [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    ...auth,
    `oci:${layout}:disk`,
    `docker://${dest}`,
  ]);
}

function diskVm(name: string, image: string, extra: Record<string, unknown> = {}): VirtualMachine {
  return vmManifest(name, {
    node: NODE,
    spec: {
      domain: {
        memory: { guest: '32Mi' },
        resources: { requests: { cpu: '10m' } },
        devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] },
      },
      volumes: [{ name: 'root', containerDisk: { image, ...extra } }],
    },
  });
}

function pulls(handler: ComponentHandle, image: string): number {
  return handler
    .logs()
    .split('\n')
    .filter((l) => l.includes('"Pulled the containerDisk"') && l.includes(`"image":"${image}"`)).length;
}

async function cacheEntries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter(
    (n) => n.startsWith('sha256-') || n.startsWith('.tmp-'),
  );
}

async function syncedCondition(ns: string, name: string, reason: string): Promise<string> {
  return waitFor(
    async (seen) => {
      const v = await getVmi(ns, name);
      const c = v?.status?.conditions?.find((x) => x.type === 'Synchronized');
      seen(v?.status);
      return c?.status === 'False' && c.reason === reason ? (c.message ?? '') : undefined;
    },
    { timeoutMs: 30_000, describe: `VMI ${ns}/${name} Synchronized=False ${reason}` },
  );
}

describe('containerDisk on a node (test driver, real registries)', () => {
  let ns: string;
  let work: string;
  let cacheDir: string;
  let layout: string;
  let corruptLayout: string;
  let privateLayout: string;
  let handler: ComponentHandle;
  let privateRegistry: string;
  let privateProcess: ProcessRecord;

  beforeAll(async () => {
    ns = await createTestNamespace('cdisk');
    work = await mkdtemp(join(tmpdir(), 'tsvirt-cdisk-'));
    cacheDir = join(work, 'cache');
    layout = await buildImage(work, 'shared', '64M');
    corruptLayout = await buildImage(work, 'corrupt', '48M');
    privateLayout = await buildImage(work, 'private', '32M');
    // A registry that wants a password, as a private one does (htpasswd, bcrypt).
    const [port] = await freePorts(1);
    privateRegistry = `127.0.0.1:${port ?? 0}`;
    const htpasswd = (await run('htpasswd', ['-Bbn', USER, PASSWORD])).stdout;
    await writeFile(join(work, 'htpasswd'), htpasswd);
    await writeFile(
      join(work, 'private.yml'),
      `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'private')}\n` +
        `http:\n  addr: ${privateRegistry}\nauth:\n  htpasswd:\n    realm: tsvirt-test\n    path: ${join(work, 'htpasswd')}\n`,
    );
    privateProcess = await startProcess({
      name: 'private-registry',
      command: 'docker-registry',
      args: ['serve', join(work, 'private.yml')],
      logFile: join(work, 'private.log'),
      pidFile: join(work, 'private.pid'),
    });
    await push(layout, `${registry()}/it/disk:1`);
    await waitFor(
      async () => {
        await push(privateLayout, `${privateRegistry}/it/private:1`, `${USER}:${PASSWORD}`);
        return true;
      },
      { timeoutMs: 20_000, describe: 'the private registry to take a push' },
    );
    await startController();
    handler = await startHandler({
      node: NODE,
      extra: [
        `--image-cache-dir=${cacheDir}`,
        `--insecure-registry=${registry()}`,
        `--insecure-registry=${privateRegistry}`,
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await deleteAllVms(ns);
    await stopAllComponents();
    await deleteTestNamespace(ns);
    await stopProcess(privateProcess);
    await rm(work, { recursive: true, force: true });
  }, 90_000);

  it(
    'pulls an image once for two VMIs (a cache hit the second time), each on its own overlay; deleting them leaves no overlay',
    async () => {
      const image = `${registry()}/it/disk:1`;
      await createVms(ns, [diskVm('one', image)]);
      await waitVmiPhase(ns, 'one', 'Running', { timeoutMs: 60_000 });
      await createVms(ns, [diskVm('two', image)]);
      await waitVmiPhase(ns, 'two', 'Running', { timeoutMs: 60_000 });
      expect(pulls(handler, image)).toBe(1);
      const entries = await cacheEntries(cacheDir);
      expect(entries).toHaveLength(1);
      const base = join(cacheDir, entries[0] ?? '', 'disk');
      const runDir = nodeInfo(NODE).handlerRunDir;
      for (const vm of ['one', 'two']) {
        const overlay = join(runDir, `${ns}_${vm}`, 'disks', 'root.qcow2');
        const info = JSON.parse((await run('qemu-img', ['info', '--output=json', overlay])).stdout) as Record<
          string,
          unknown
        >;
        expect(info).toMatchObject({ format: 'qcow2', 'backing-filename': base, 'backing-filename-format': 'qcow2' });
      }
      expect(((await stat(base)).mode & 0o777).toString(8)).toBe('444');
      await deleteAllVms(ns);
      await waitFor(
        (seen) => {
          const left = ['one', 'two'].filter((vm) => existsSync(join(runDir, `${ns}_${vm}`)));
          seen(left);
          return left.length === 0;
        },
        { timeoutMs: 30_000, describe: 'both run folders (and their overlays) to be gone' },
      );
    },
    TIMEOUT,
  );

  it(
    'collects by the documented rule: an entry in use or used recently stays, an unused old one and pull leftovers go',
    async () => {
      const image = `${registry()}/it/disk:1`;
      await createVms(ns, [diskVm('kept', image)]);
      await waitVmiPhase(ns, 'kept', 'Running', { timeoutMs: 60_000 });
      const [entry] = await cacheEntries(cacheDir);
      const digest = `sha256:${(entry ?? '').slice('sha256-'.length)}`;
      await mkdir(join(cacheDir, '.tmp-0123-1-abcd'), { recursive: true });
      const cache = new ContainerDiskCache({ dir: cacheDir, insecureRegistries: new Set(), platform: nodePlatform() });
      const inUse = await digestsInUse(nodeInfo(NODE).handlerRunDir);
      expect([...inUse]).toEqual([digest]);
      const day = 24 * 3600 * 1000;
      // In use: kept however old; the leftover of a pull is removed.
      expect(await cache.collect(inUse, Date.now() + 2 * day, day)).toEqual(['.tmp-0123-1-abcd']);
      await deleteAllVms(ns);
      const none = await digestsInUse(nodeInfo(NODE).handlerRunDir);
      // Unused but used within the window: kept; unused for longer: removed.
      expect(await cache.collect(none, Date.now(), day)).toEqual([]);
      expect(await cache.collect(none, Date.now() + 2 * day, day)).toEqual([entry]);
      expect(await cacheEntries(cacheDir)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'a missing tag gives ErrImagePull with the registry message, then ImagePullBackOff',
    async () => {
      await createVms(ns, [diskVm('missing', `${registry()}/it/disk:no-such-tag`)]);
      const message = await syncedCondition(ns, 'missing', 'ErrImagePull');
      expect(message).toContain('manifest unknown');
      await waitVmStatus(ns, 'missing', 'ImagePullBackOff', 30_000);
      const later = await syncedCondition(ns, 'missing', 'ImagePullBackOff');
      expect(later).toContain('manifest unknown');
      expect((await getVmi(ns, 'missing'))?.status?.phase).toBe('Scheduled');
      await deleteAllVms(ns);
    },
    TIMEOUT,
  );

  it(
    'refuses a layer whose content does not match its digest, and leaves no cache entry behind',
    async () => {
      await push(corruptLayout, `${registry()}/it/corrupt:1`);
      const manifest = JSON.parse(
        (await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry()}/it/corrupt:1`])).stdout,
      ) as { layers: Array<{ digest: string }> };
      const hex = (manifest.layers[0]?.digest ?? '').replace('sha256:', '');
      // The registry serves a blob from this file as it is; overwrite it with as many other bytes.
      const data = join(
        clusterFromEnv().info.stateDir,
        'registry/docker/registry/v2/blobs/sha256',
        hex.slice(0, 2),
        hex,
        'data',
      );
      const file = await open(data, 'r+');
      const { size } = await file.stat();
      await file.write(Buffer.alloc(size, 0x5a), 0, size, 0);
      await file.close();
      const before = await cacheEntries(cacheDir);
      await createVms(ns, [diskVm('corrupt', `${registry()}/it/corrupt:1`)]);
      const message = await syncedCondition(ns, 'corrupt', 'ErrImagePull');
      expect(message.toLowerCase()).toContain('digest');
      expect(message).toContain(hex);
      expect(await cacheEntries(cacheDir)).toEqual(before);
      await deleteAllVms(ns);
    },
    TIMEOUT,
  );

  it(
    'a private image needs its pull secret, and works with it',
    async () => {
      const image = `${privateRegistry}/it/private:1`;
      await createVms(ns, [diskVm('nosecret', image)]);
      expect((await syncedCondition(ns, 'nosecret', 'ErrImagePull')).toLowerCase()).toMatch(
        /unauthorized|authentication required/,
      );
      const auths = { auths: { [privateRegistry]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } };
      await kubectl([
        'create',
        'secret',
        'generic',
        'regcred',
        '-n',
        ns,
        '--type=kubernetes.io/dockerconfigjson',
        `--from-literal=.dockerconfigjson=${JSON.stringify(auths)}`,
      ]);
      await createVms(ns, [diskVm('withsecret', image, { imagePullSecret: 'regcred' })]);
      await waitVmiPhase(ns, 'withsecret', 'Running', { timeoutMs: 60_000 });
      expect(pulls(handler, image)).toBe(1);
      // No credentials stay on the node: skopeo's authfile lived only for the pull.
      expect((await readdir(cacheDir)).filter((n) => n.startsWith('.auth-'))).toEqual([]);
      await deleteAllVms(ns);
    },
    TIMEOUT,
  );
});
