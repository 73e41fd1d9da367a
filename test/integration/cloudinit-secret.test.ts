// cloudInitNoCloud secretRef and networkDataSecretRef on libvirt's test driver: virt-handler reads
// the Secret of the VMI's namespace when it builds the cidata ISO in the run folder, which this
// file opens with xorriso. A missing Secret fails the VMI, naming the field, and its content is
// never logged.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CONDITION_TYPES, REASONS } from '../../api/names.js';
import type { VirtualMachine } from '../../api/types.js';
import {
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  stopAllComponents,
  type ComponentHandle,
} from '../harness/index.js';
import {
  createVms,
  deleteAllVms,
  nodeInfo,
  startController,
  startHandler,
  vmManifest,
  waitVmiPhase,
} from './handler-stack.js';

const run = promisify(execFile);
const NODE = 'node-1';
const TIMEOUT = 90_000;

function cloudInitVm(name: string, cloudInitNoCloud: Record<string, unknown>): VirtualMachine {
  return vmManifest(name, {
    node: NODE,
    runStrategy: 'Once',
    spec: {
      domain: {
        memory: { guest: '32Mi' },
        resources: { requests: { cpu: '10m' } },
        devices: {
          disks: [
            { name: 'root', disk: { bus: 'virtio' } },
            { name: 'cloudinit', disk: { bus: 'virtio' } },
          ],
        },
      },
      volumes: [
        { name: 'root', emptyDisk: { capacity: '16Mi' } },
        { name: 'cloudinit', cloudInitNoCloud },
      ],
    },
  });
}

/** A file of the VMI's cidata ISO, extracted with xorriso. */
async function isoFile(work: string, ns: string, vm: string, file: string): Promise<string> {
  const iso = join(nodeInfo(NODE).handlerRunDir, `${ns}_${vm}`, 'disks', 'cloudinit.iso');
  const out = join(work, `${vm}-${file}`);
  await run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', `/${file}`, out]);
  return readFile(out, 'utf8');
}

describe('cloudInitNoCloud from a Secret (test driver)', () => {
  let ns: string;
  let work: string;
  let handler: ComponentHandle;

  beforeAll(async () => {
    ns = await createTestNamespace('cisecret');
    work = await mkdtemp(join(tmpdir(), 'tsvirt-cisecret-'));
    await startController();
    handler = await startHandler({ node: NODE, extra: [`--image-cache-dir=${join(work, 'cache')}`] });
  }, 120_000);

  afterAll(async () => {
    await deleteAllVms(ns);
    await stopAllComponents();
    await deleteTestNamespace(ns);
    await rm(work, { recursive: true, force: true });
  }, 90_000);

  it(
    'builds the ISO with user-data and network-config equal to the Secrets values',
    async () => {
      const token = randomBytes(8).toString('hex');
      const userData = `#cloud-config\nruncmd:\n  - echo ${token}\n`;
      const networkData = 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n';
      await kubectl(['create', 'secret', 'generic', 'userdata', '-n', ns, `--from-literal=userdata=${userData}`]);
      await kubectl(['create', 'secret', 'generic', 'netdata', '-n', ns, `--from-literal=networkData=${networkData}`]);
      await createVms(ns, [
        cloudInitVm('fromsecret', { secretRef: { name: 'userdata' }, networkDataSecretRef: { name: 'netdata' } }),
      ]);
      const vmi = await waitVmiPhase(ns, 'fromsecret', 'Running', { timeoutMs: 60_000 });
      expect(await isoFile(work, ns, 'fromsecret', 'user-data')).toBe(userData);
      expect(await isoFile(work, ns, 'fromsecret', 'network-config')).toBe(networkData);
      expect(await isoFile(work, ns, 'fromsecret', 'meta-data')).toContain(`instance-id: "${vmi.metadata.uid ?? ''}"`);
      expect(handler.logs()).not.toContain(token);
      await deleteAllVms(ns);
    },
    TIMEOUT,
  );

  it(
    'fails the VMI naming the field and the Secret when the Secret does not exist',
    async () => {
      await createVms(ns, [cloudInitVm('nosecret', { secretRef: { name: 'no-such-secret' } })]);
      const failed = await waitVmiPhase(ns, 'nosecret', 'Failed', { timeoutMs: 60_000 });
      expect(failed.status?.reason).toBe(REASONS.failedDefine);
      expect(failed.status?.conditions?.find((c) => c.type === CONDITION_TYPES.ready)?.message).toBe(
        `Could not build the cloud-init volume: spec.volumes[1].cloudInitNoCloud.secretRef: Secret ${ns}/no-such-secret does not exist`,
      );
      await deleteAllVms(ns);
    },
    TIMEOUT,
  );

  it(
    'fails the VMI naming the keys when the Secret has no userdata or userData key',
    async () => {
      await kubectl(['create', 'secret', 'generic', 'wrongkey', '-n', ns, '--from-literal=user-data=#cloud-config']);
      await createVms(ns, [cloudInitVm('wrongkey', { secretRef: { name: 'wrongkey' } })]);
      const failed = await waitVmiPhase(ns, 'wrongkey', 'Failed', { timeoutMs: 60_000 });
      expect(failed.status?.conditions?.find((c) => c.type === CONDITION_TYPES.ready)?.message).toContain(
        `spec.volumes[1].cloudInitNoCloud.secretRef: Secret ${ns}/wrongkey has no key userdata or userData`,
      );
      await deleteAllVms(ns);
    },
    TIMEOUT,
  );
});
