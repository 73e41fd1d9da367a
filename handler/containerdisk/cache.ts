/**
 * The node's containerDisk cache: one read-only disk per image manifest digest under
 * `<cacheDir>/sha256-<hex>/` (`disk` plus `meta.json`), pulled with skopeo (which verifies every
 * blob against the manifest's digests), unpacked with umoci, checked with qemu-img. An entry
 * appears by one rename of a finished folder, so an interrupted pull leaves only a `.tmp-*`
 * folder, which is never read and is removed by the next collection.
 *
 * Garbage collection (docs/api.md): an entry no VMI on this node uses (no overlay in the run
 * folder names its digest) and unused for longer than `maxUnusedMs` is deleted; every use
 * touches its meta.json. Tag → digest records (`refs/`) serve imagePullPolicy IfNotPresent
 * without asking the registry.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PullPolicy } from '../../api/types.js';
import { ManifestError, type Platform, readManifest, sha256Digest } from './manifest.js';
import { type ImageReference, defaultPullPolicy, formatReference, pinnedReference } from './reference.js';
import { ToolError, runTool } from './tools.js';

export const DEFAULT_CACHE_DIR = '/var/lib/tsvirt/containerdisks';
export const DEFAULT_MAX_UNUSED_MS = 24 * 3600 * 1000;
const PULL_TIMEOUT_MS = 15 * 60 * 1000;
const INSPECT_TIMEOUT_MS = 60 * 1000;
const QEMU_IMG_TIMEOUT_MS = 60 * 1000;
/** containers/image's policy: accept unsigned images, as the kubelet does; the node pins digests. */
const POLICY = JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] });

export type DiskFormat = 'raw' | 'qcow2';

export interface CachedDisk {
  readonly digest: string;
  readonly path: string;
  readonly format: DiskFormat;
  /** The registry was asked and the disk copied on this call (false: served from the cache). */
  readonly pulled: boolean;
}

export interface PullRequest {
  readonly reference: ImageReference;
  /** The file inside the image; default the one file under /disk/. */
  readonly path?: string;
  readonly policy?: PullPolicy;
  /** A containers-auth.json document (a dockerconfigjson Secret's content), for private registries. */
  readonly auth?: string;
}

/** The image could not be pulled; the message is the registry's (or the tool's) own. */
export class ImagePullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImagePullError';
  }
}

export interface CacheOptions {
  readonly dir: string;
  /** Registries (`host:port`) the node may reach over plain HTTP; every other one needs TLS. */
  readonly insecureRegistries: ReadonlySet<string>;
  readonly platform: Platform;
}

interface Meta {
  readonly digest: string;
  readonly reference: string;
  readonly format: DiskFormat;
}

const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');
export const entryDirName = (digest: string): string => `sha256-${hexOf(digest)}`;

export class ContainerDiskCache {
  private readonly inflight = new Map<string, Promise<CachedDisk>>();

  constructor(private readonly opts: CacheOptions) {}

  get dir(): string {
    return this.opts.dir;
  }

  /** The disk for `req`, from the cache or pulled. @throws ImagePullError */
  async ensure(req: PullRequest): Promise<CachedDisk> {
    await mkdir(join(this.opts.dir, 'refs'), { recursive: true, mode: 0o755 });
    const policy = req.policy ?? defaultPullPolicy(req.reference);
    const known = await this.knownDigest(req.reference);
    if (policy !== 'Always' && known !== undefined) {
      const hit = await this.entry(known);
      if (hit !== undefined) return hit;
    }
    if (policy === 'Never')
      throw new ImagePullError(`${formatReference(req.reference)} is not on this node and imagePullPolicy is Never`);
    const digest = await this.withAuth(req.auth, (auth) => this.resolve(req.reference, auth));
    await this.rememberDigest(req.reference, digest);
    const cached = await this.entry(digest);
    if (cached !== undefined) return cached;
    const running = this.inflight.get(digest);
    if (running !== undefined) return running;
    const pull = this.withAuth(req.auth, (auth) => this.pull(req, digest, auth)).finally(() =>
      this.inflight.delete(digest),
    );
    this.inflight.set(digest, pull);
    return pull;
  }

  /** Deletes entries nobody uses that were last used before `now - maxUnusedMs`, and leftovers of pulls. */
  async collect(inUse: ReadonlySet<string>, now: number, maxUnusedMs: number): Promise<ReadonlyArray<string>> {
    const removed: string[] = [];
    const names = await readdir(this.opts.dir).catch(() => [] as string[]);
    for (const name of names) {
      const path = join(this.opts.dir, name);
      if (name.startsWith('.tmp-') && !this.isOwnPull(name)) {
        await rm(path, { recursive: true, force: true });
        removed.push(name);
        continue;
      }
      if (!name.startsWith('sha256-') || inUse.has(`sha256:${name.slice(7)}`)) continue;
      const used = await stat(join(path, 'meta.json')).catch(() => undefined);
      if (used !== undefined && now - used.mtimeMs <= maxUnusedMs) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }

  private isOwnPull(name: string): boolean {
    return [...this.inflight.keys()].some((d) => name.startsWith(`.tmp-${hexOf(d)}-${process.pid}-`));
  }

  private refFile(r: ImageReference): string {
    return join(this.opts.dir, 'refs', hexOf(sha256Digest(formatReference(r))));
  }

  private async knownDigest(r: ImageReference): Promise<string | undefined> {
    if (r.digest !== undefined && r.tag === undefined) {
      // A pinned reference to a single manifest needs no record; one to an index does.
      const direct = await this.entry(r.digest);
      if (direct !== undefined) return r.digest;
    }
    const text = await readFile(this.refFile(r), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : text.trim();
  }

  private async rememberDigest(r: ImageReference, digest: string): Promise<void> {
    const file = this.refFile(r);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, `${digest}\n`);
    await rename(tmp, file);
  }

  private async entry(digest: string): Promise<CachedDisk | undefined> {
    const dir = join(this.opts.dir, entryDirName(digest));
    const text = await readFile(join(dir, 'meta.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const meta = JSON.parse(text) as Meta;
    const now = new Date();
    await utimes(join(dir, 'meta.json'), now, now);
    return { digest, path: join(dir, 'disk'), format: meta.format, pulled: false };
  }

  private tlsFlag(r: ImageReference, flag: string): string {
    return `${flag}=${this.opts.insecureRegistries.has(r.registry) ? 'false' : 'true'}`;
  }

  private async common(): Promise<string[]> {
    const policy = join(this.opts.dir, 'policy.json');
    await writeFile(policy, POLICY);
    return ['--policy', policy];
  }

  /** The manifest digest for this node's platform (an index is resolved to its entry). */
  private async resolve(r: ImageReference, auth: string | undefined): Promise<string> {
    const args = [
      ...(await this.common()),
      'inspect',
      '--raw',
      '--retry-times=0',
      this.tlsFlag(r, '--tls-verify'),
      ...(auth === undefined ? [] : ['--authfile', auth]),
      `docker://${formatReference(r)}`,
    ];
    const raw = await this.skopeo(args, INSPECT_TIMEOUT_MS);
    try {
      const view = readManifest(raw, this.opts.platform, r.tag === undefined ? r.digest : undefined);
      return view.kind === 'index' ? view.chosen : view.digest;
    } catch (e) {
      if (e instanceof ManifestError) throw new ImagePullError(`${formatReference(r)}: ${e.message}`);
      throw e;
    }
  }

  private async skopeo(args: readonly string[], timeoutMs: number): Promise<string> {
    try {
      return await runTool('skopeo', args, timeoutMs);
    } catch (e) {
      if (e instanceof ToolError) throw new ImagePullError(e.message);
      throw e;
    }
  }

  private async withAuth<T>(auth: string | undefined, use: (file: string | undefined) => Promise<T>): Promise<T> {
    if (auth === undefined) return use(undefined);
    await mkdir(this.opts.dir, { recursive: true });
    const file = join(this.opts.dir, `.auth-${process.pid}-${randomBytes(6).toString('hex')}.json`);
    await writeFile(file, auth, { mode: 0o600 });
    try {
      return await use(file);
    } finally {
      await rm(file, { force: true });
    }
  }

  private async pull(req: PullRequest, digest: string, auth: string | undefined): Promise<CachedDisk> {
    const r = req.reference;
    const tmp = join(this.opts.dir, `.tmp-${hexOf(digest)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp, { recursive: true });
    try {
      await this.skopeo(
        [
          ...(await this.common()),
          'copy',
          '--quiet',
          '--retry-times=0',
          this.tlsFlag(r, '--src-tls-verify'),
          ...(auth === undefined ? [] : ['--src-authfile', auth]),
          `docker://${pinnedReference(r, digest)}`,
          `oci:${join(tmp, 'layout')}:disk`,
        ],
        PULL_TIMEOUT_MS,
      );
      const disk = await unpackDisk(tmp, req.path);
      const format = await checkDisk(disk, formatReference(r));
      await rename(disk, join(tmp, 'disk'));
      await chmod(join(tmp, 'disk'), 0o444);
      await rm(join(tmp, 'layout'), { recursive: true, force: true });
      await rm(join(tmp, 'rootfs'), { recursive: true, force: true });
      const meta: Meta = { digest, reference: formatReference(r), format };
      await writeFile(join(tmp, 'meta.json'), `${JSON.stringify(meta)}\n`);
      await chmod(tmp, 0o755);
      const final = join(this.opts.dir, entryDirName(digest));
      // Another handler process may have finished the same digest first: theirs stays.
      await rename(tmp, final).catch(async (e: unknown) => {
        if (!(await this.entry(digest))) throw e;
      });
      return { digest, path: join(final, 'disk'), format, pulled: true };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}

/** umoci unpacks the layers (whiteouts and all); the disk is `path` or the one file under /disk/. */
async function unpackDisk(tmp: string, path: string | undefined): Promise<string> {
  const rootfs = join(tmp, 'rootfs');
  try {
    await runTool(
      'umoci',
      ['raw', 'unpack', '--rootless', '--image', `${join(tmp, 'layout')}:disk`, rootfs],
      PULL_TIMEOUT_MS,
    );
  } catch (e) {
    if (e instanceof ToolError) throw new ImagePullError(`could not unpack the image: ${e.message}`);
    throw e;
  }
  if (path !== undefined) {
    const inside = join(rootfs, path.replace(/^\/+/, ''));
    if (!inside.startsWith(`${rootfs}/`) || path.split('/').includes('..'))
      throw new ImagePullError(`containerDisk path "${path}" must stay inside the image`);
    const s = await stat(inside).catch(() => undefined);
    if (s?.isFile() !== true) throw new ImagePullError(`the image has no file at ${path}`);
    return inside;
  }
  const entries = await readdir(join(rootfs, 'disk'), { withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile());
  const [only] = files;
  if (only === undefined || files.length !== 1)
    throw new ImagePullError(
      `a containerDisk image holds exactly one file under /disk/ (found ${files.length}); name it with containerDisk.path`,
    );
  return join(rootfs, 'disk', only.name);
}

/**
 * qemu-img's view of the disk: raw or qcow2, and no backing or data file of its own. An image is
 * tenant input: a qcow2 whose backing file names a node path would hand that file to the guest.
 */
async function checkDisk(path: string, ref: string): Promise<DiskFormat> {
  const out = await runTool('qemu-img', ['info', '--output=json', path], QEMU_IMG_TIMEOUT_MS).catch((e: unknown) => {
    throw new ImagePullError(`${ref}: qemu-img cannot read the disk: ${e instanceof Error ? e.message : String(e)}`);
  });
  const info = JSON.parse(out) as {
    format?: string;
    'backing-filename'?: string;
    'format-specific'?: { data?: { 'data-file'?: string } };
  };
  if (info['backing-filename'] !== undefined || info['format-specific']?.data?.['data-file'] !== undefined)
    throw new ImagePullError(`${ref}: the disk refers to another file (a backing or data file); flatten it first`);
  if (info.format === 'raw' || info.format === 'qcow2') return info.format;
  throw new ImagePullError(`${ref}: the disk is ${info.format ?? 'of no known format'}; use qcow2 or raw`);
}
