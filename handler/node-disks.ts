/**
 * Makes the disks a domain plan asks the handler for, in the VMI's run folder: an emptyDisk as a
 * sparse qcow2, a containerDisk as a qcow2 overlay on the node cache's read-only base (the
 * overlay takes every write, the base never changes), a cloud-init NoCloud ISO. They go with the
 * run folder when the VMI does. A file already there is kept: a handler restart or a second
 * start attempt re-uses it rather than wiping the guest's writes.
 */
import { access, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeNoCloudIso } from './cloudinit/iso.js';
import {
  NETWORK_DATA_KEYS,
  type NoCloudFiles,
  NoCloudError,
  type SecretData,
  secretValue,
  USER_DATA_KEYS,
  withSecretData,
} from './cloudinit/nocloud.js';
import { type ContainerDiskCache, ImagePullError } from './containerdisk/cache.js';
import { authFileOf } from './containerdisk/pull-secret.js';
import { formatReference } from './containerdisk/reference.js';
import { runTool } from './containerdisk/tools.js';
import type { HostFile, NodeDisk } from './domain/vmi-to-domain.js';

const QEMU_IMG_TIMEOUT_MS = 60_000;
/** Beside each containerDisk overlay: the digest of its base, which keeps the base from collection. */
export const BASE_DIGEST_SUFFIX = '.base-digest';

export interface NodeDiskContext {
  /** Undefined on a node configured without a cache (then containerDisks fail with a clear message). */
  readonly cache: ContainerDiskCache | undefined;
  /** The VMI's namespace: where the Secrets below are read. */
  readonly namespace: string;
  /**
   * A Secret of the VMI's namespace by name (a get, undefined when it does not exist): the one way
   * the handler reads Secrets, for containerDisk pull secrets and cloud-init data alike.
   */
  readonly secret: (name: string) => Promise<(SecretData & { readonly type?: string }) | undefined>;
  /** Told when an image was copied from its registry (not served from the cache). */
  readonly onPulled?: (image: string, digest: string, ms: number) => void;
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

async function makeContainerDisk(
  file: HostFile,
  disk: Extract<NodeDisk, { kind: 'containerDisk' }>,
  ctx: NodeDiskContext,
): Promise<void> {
  if (ctx.cache === undefined) throw new ImagePullError('this node has no containerDisk cache configured');
  const auth =
    disk.pullSecret === undefined
      ? undefined
      : authFileOf(await ctx.secret(disk.pullSecret), ctx.namespace, disk.pullSecret);
  const started = performance.now();
  const base = await ctx.cache.ensure({
    reference: disk.image,
    ...(disk.path === undefined ? {} : { path: disk.path }),
    ...(disk.policy === undefined ? {} : { policy: disk.policy }),
    ...(auth === undefined ? {} : { auth }),
  });
  if (base.pulled) ctx.onPulled?.(formatReference(disk.image), base.digest, Math.round(performance.now() - started));
  await writeFile(`${file.path}${BASE_DIGEST_SUFFIX}`, `${base.digest}\n`);
  const tmp = `${file.path}.tmp`;
  await runTool(
    'qemu-img',
    ['create', '-q', '-f', 'qcow2', '-F', base.format, '-b', base.path, tmp],
    QEMU_IMG_TIMEOUT_MS,
  );
  await rename(tmp, file.path);
}

/** A cloud-init Secret that is missing or lacks its key; the message names the field and the Secret. */
export class CloudInitSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CloudInitSecretError';
  }
}

async function fromSecret(
  ctx: NodeDiskContext,
  name: string | undefined,
  field: string,
  keys: ReadonlyArray<string>,
): Promise<string | undefined> {
  if (name === undefined) return undefined;
  try {
    return secretValue(await ctx.secret(name), { field, namespace: ctx.namespace, name }, keys);
  } catch (e) {
    if (e instanceof NoCloudError) throw new CloudInitSecretError(`${e.field}: ${e.message}`);
    throw e;
  }
}

/** The volume's files with the data its Secrets hold (read now, so the ISO is built from one reading). */
async function cloudInitFiles(
  disk: Extract<NodeDisk, { kind: 'cloudInit' }>,
  ctx: NodeDiskContext,
): Promise<NoCloudFiles> {
  if (disk.secrets === undefined) return disk.files;
  const userData = await fromSecret(ctx, disk.secrets.userData, `${disk.field}.secretRef`, USER_DATA_KEYS);
  const networkData = await fromSecret(
    ctx,
    disk.secrets.networkData,
    `${disk.field}.networkDataSecretRef`,
    NETWORK_DATA_KEYS,
  );
  return withSecretData(disk.files, {
    ...(userData === undefined ? {} : { userData }),
    ...(networkData === undefined ? {} : { networkData }),
  });
}

async function makeNodeDisk(file: HostFile, disk: NodeDisk, ctx: NodeDiskContext): Promise<void> {
  switch (disk.kind) {
    case 'emptyDisk':
      await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', file.path, String(disk.bytes)], QEMU_IMG_TIMEOUT_MS);
      return;
    case 'containerDisk':
      await makeContainerDisk(file, disk, ctx);
      return;
    case 'cloudInit':
      await writeNoCloudIso(file.path, await cloudInitFiles(disk, ctx));
      return;
    default:
      disk satisfies never;
  }
}

/**
 * Creates every `node` file of the plan that is not there yet.
 * @throws ImagePullError, ToolError, CloudInitSecretError
 */
export async function prepareNodeDisks(files: ReadonlyArray<HostFile>, ctx: NodeDiskContext): Promise<void> {
  for (const file of files) {
    if (file.mode !== 'node' || file.node === undefined || (await exists(file.path))) continue;
    await makeNodeDisk(file, file.node, ctx);
  }
}

/** Digests the overlays under `runDir` stand on: what the cache must keep. */
export async function digestsInUse(runDir: string): Promise<ReadonlySet<string>> {
  const used = new Set<string>();
  for (const vmi of await readdir(runDir).catch(() => [] as string[])) {
    const disks = join(runDir, vmi, 'disks');
    for (const name of await readdir(disks).catch(() => [] as string[])) {
      if (!name.endsWith(BASE_DIGEST_SUFFIX)) continue;
      const digest = (await readFile(join(disks, name), 'utf8').catch(() => '')).trim();
      if (digest !== '') used.add(digest);
    }
  }
  return used;
}
