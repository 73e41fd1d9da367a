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
import { type ContainerDiskCache, ImagePullError } from './containerdisk/cache.js';
import { formatReference } from './containerdisk/reference.js';
import { runTool } from './containerdisk/tools.js';
import type { HostFile, NodeDisk } from './domain/vmi-to-domain.js';

const QEMU_IMG_TIMEOUT_MS = 60_000;
/** Beside each containerDisk overlay: the digest of its base, which keeps the base from collection. */
export const BASE_DIGEST_SUFFIX = '.base-digest';

export interface NodeDiskContext {
  /** Undefined on a node configured without a cache (then containerDisks fail with a clear message). */
  readonly cache: ContainerDiskCache | undefined;
  /** The content of a dockerconfigjson Secret in the VMI's namespace. @throws ImagePullError */
  readonly pullSecret: (name: string) => Promise<string>;
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
  const auth = disk.pullSecret === undefined ? undefined : await ctx.pullSecret(disk.pullSecret);
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

async function makeNodeDisk(file: HostFile, disk: NodeDisk, ctx: NodeDiskContext): Promise<void> {
  switch (disk.kind) {
    case 'emptyDisk':
      await runTool('qemu-img', ['create', '-q', '-f', 'qcow2', file.path, String(disk.bytes)], QEMU_IMG_TIMEOUT_MS);
      return;
    case 'containerDisk':
      await makeContainerDisk(file, disk, ctx);
      return;
    case 'cloudInit':
      await writeNoCloudIso(file.path, disk.files);
      return;
    default:
      disk satisfies never;
  }
}

/** Creates every `node` file of the plan that is not there yet. @throws ImagePullError, ToolError */
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
