/**
 * The I/O around the host-path policy (host-paths/policy.ts): resolve what a spec names (realpath,
 * lstat, stat), create a DiskOrCreate image exclusively, and pin every allowed file so that what
 * libvirt opens is the very inode that was checked.
 *
 * The check-then-open window. libvirtd (root) opens and re-owns disk, kernel and initrd files by
 * path, later than the handler checked them; a folder on the way swapped for a symlink in between
 * would make root re-own and hand QEMU another file. So the handler never gives libvirt the path
 * from the spec: it opens the resolved file (O_NOFOLLOW, so a last component swapped for a symlink
 * fails), confirms through /proc/self/fd that the open file is the resolved path, hard-links it
 * into `<root>/.tsvirt-pinned/<vmi-uid>/` (root-owned, 0711: nobody else can add, rename or swap
 * entries there) and checks that the link is the same inode (dev, ino) as the open file. libvirt
 * gets the link. A swap anywhere before that fails the VMI with HostPathNotAllowed; a swap after it
 * changes nothing, since the link names the inode, not the path. The pinned folder goes with the
 * domain (unpinHostFiles).
 */
import { constants, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, readlink, realpath, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { REASONS } from '../../api/names.js';
import type { VirtualMachineInstance } from '../../api/types.js';
import {
  type FileType,
  type NodePathPolicy,
  type PathDecision,
  type PathFacts,
  PINNED_DIR,
  decideHostPath,
} from './policy.js';
import { type HostPathRequest, hostPathRequests, withHostPaths } from './requests.js';

// Not `instanceof Error`: an error from another realm (a jest VM context, a worker) is one too.
const errCode = (e: unknown): string =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'EUNKNOWN';

function fileType(st: Stats): FileType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'device';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'other';
}

async function lexists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Facts for a path realpath could not resolve: which part is missing, or why it failed. */
async function unresolvedFacts(path: string, code: string): Promise<PathFacts> {
  if (code === 'ELOOP') return { kind: 'loop' };
  if (code === 'ENAMETOOLONG') return { kind: 'tooLong' };
  if (code !== 'ENOENT') return { kind: 'unreadable', code };
  const rest: string[] = [];
  for (let p = path; p !== '/'; p = dirname(p)) {
    // lstat sees it but realpath does not: p is a symlink whose target is missing.
    if (await lexists(p)) return { kind: 'dangling', link: p };
    rest.unshift(basename(p));
    try {
      return { kind: 'missing', resolved: join(await realpath(dirname(p)), ...rest) };
    } catch (e) {
      if (errCode(e) !== 'ENOENT') return unresolvedFacts(dirname(p), errCode(e));
    }
  }
  return { kind: 'unreadable', code };
}

/** What the node says about `path`, every symlink followed. Never throws. */
export async function inspectHostPath(path: string): Promise<PathFacts> {
  try {
    const resolved = await realpath(path);
    const st = await stat(resolved);
    return { kind: 'exists', resolved, type: fileType(st), size: st.size };
  } catch (e) {
    return unresolvedFacts(path, errCode(e));
  }
}

/** Each root resolved (the policy compares resolved paths); a root that does not exist is dropped. */
export async function resolveRoots(roots: ReadonlyArray<string>): Promise<ReadonlyArray<string>> {
  const out: string[] = [];
  for (const r of roots) {
    const resolved = await realpath(r).catch(() => undefined);
    if (resolved !== undefined) out.push(resolved);
  }
  return out;
}

export type PinResult = Readonly<{ kind: 'pinned'; path: string } | { kind: 'refused'; message: string }>;

const changed = (d: { field: string; path: string }, now: string): PinResult => ({
  kind: 'refused',
  message: `${d.field}: ${d.path} changed while virt-handler checked it (${now}); nothing was started`,
});

async function ownedDir(path: string): Promise<void> {
  await mkdir(path, { mode: 0o711 }).catch((e: unknown) => {
    if (errCode(e) !== 'EEXIST') throw e;
  });
  const st = await lstat(path);
  if (!st.isDirectory() || st.uid !== process.getuid?.()) throw new Error(`${path} is not a folder virt-handler owns`);
}

/** Makes the missing folders of a create decision, one level at a time, each inside the root. */
async function makeParents(d: Extract<PathDecision, { kind: 'create' }>): Promise<void> {
  const missing: string[] = [];
  for (let p = dirname(d.path); p.startsWith(`${d.root}/`) && !(await lexists(p)); p = dirname(p)) missing.unshift(p);
  // Not recursive: a folder that appeared meanwhile (EEXIST) may be someone's symlink.
  for (const p of missing) await mkdir(p, { mode: 0o755 });
}

/** Creates the image exclusively (never an existing file), sparse, at the decided size. */
async function createImage(d: Extract<PathDecision, { kind: 'create' }>): Promise<PinResult | undefined> {
  await makeParents(d);
  const fh = await open(
    d.path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    const actual = await readlink(`/proc/self/fd/${fh.fd}`);
    if (actual !== d.path) {
      await unlink(actual);
      return changed(d, `a folder on the way now leads to ${dirname(actual)}`);
    }
    await fh.truncate(d.bytes);
    return undefined;
  } finally {
    await fh.close();
  }
}

/** The pinned folder of a VMI in one root. */
export function pinnedDir(root: string, uid: string): string {
  return join(root, PINNED_DIR, uid);
}

/**
 * Hard-links the decided file into the VMI's pinned folder after checking that what is open is
 * what was decided. Returns the link, the one path libvirt gets.
 */
export async function pinHostFile(
  d: Extract<PathDecision, { kind: 'open' | 'create' }>,
  uid: string,
  name: string,
): Promise<PinResult> {
  if (d.kind === 'create') {
    const refused = await createImage(d);
    if (refused !== undefined) return refused;
  }
  // O_NONBLOCK: a FIFO swapped in must not hang the handler; O_NOFOLLOW: nor a symlink be followed.
  const fh = await open(d.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((e: unknown) =>
    errCode(e),
  );
  if (typeof fh === 'string') return changed(d, fh === 'ELOOP' ? 'it is a symlink now' : fh);
  try {
    const st = await fh.stat();
    if (!st.isFile()) return changed(d, `it is a ${fileType(st)} now`);
    const actual = await readlink(`/proc/self/fd/${fh.fd}`);
    if (actual !== d.path) return changed(d, `it leads to ${actual} now`);
    await ownedDir(join(d.root, PINNED_DIR));
    await ownedDir(pinnedDir(d.root, uid));
    const target = join(pinnedDir(d.root, uid), name);
    await rm(target, { force: true });
    await link(d.path, target);
    const pinned = await lstat(target);
    if (pinned.isFile() && pinned.ino === st.ino && pinned.dev === st.dev) return { kind: 'pinned', path: target };
    await unlink(target);
    return changed(d, 'another file took its place');
  } finally {
    await fh.close();
  }
}

/** Removes a VMI's pinned links from every root (the files themselves stay). Never throws. */
export async function unpinHostFiles(policy: NodePathPolicy, uid: string): Promise<void> {
  if (uid === '' || uid.includes('/')) return;
  for (const root of new Set([...policy.hostDiskRoots, ...policy.bootRoots]))
    await rm(pinnedDir(root, uid), { recursive: true, force: true }).catch(() => undefined);
}

export type HostPathsResult = Readonly<
  { kind: 'admitted'; vmi: VirtualMachineInstance } | { kind: 'refused'; reason: string; message: string }
>;

async function decideAll(
  requests: ReadonlyArray<HostPathRequest>,
  policy: NodePathPolicy,
  node: string,
): Promise<ReadonlyArray<PathDecision> | HostPathsResult> {
  const decisions: PathDecision[] = [];
  for (const req of requests) {
    const d = decideHostPath(req, await inspectHostPath(req.path), policy);
    if (d.kind === 'refuse') return { kind: 'refused', reason: REASONS.hostPathNotAllowed, message: d.message };
    if (d.kind === 'missing')
      return {
        kind: 'refused',
        reason: REASONS.failedDefine,
        message: `${d.field}: ${d.path} does not exist on node ${node}`,
      };
    decisions.push(d);
  }
  return decisions;
}

/**
 * Every host path of the VMI decided, then (only when all are allowed) created and pinned: the
 * VMI comes back with the pinned paths in place of the spec's, ready for planDomain. A refusal
 * changes nothing on the host. Throws only for I/O failures of the handler's own folders.
 */
export async function admitHostPaths(
  vmi: VirtualMachineInstance,
  policy: NodePathPolicy,
  node: string,
): Promise<HostPathsResult> {
  const requests = hostPathRequests(vmi);
  if (requests.length === 0) return { kind: 'admitted', vmi };
  const decisions = await decideAll(requests, policy, node);
  if (!Array.isArray(decisions)) return decisions as HostPathsResult;
  const uid = vmi.metadata.uid ?? '';
  await unpinHostFiles(policy, uid);
  const paths = new Map<string, string>();
  for (const [i, d] of (decisions as ReadonlyArray<PathDecision>).entries()) {
    const req = requests[i];
    if (req === undefined || (d.kind !== 'open' && d.kind !== 'create')) continue;
    const pinned = await pinHostFile(d, uid, req.pinName);
    if (pinned.kind === 'refused') {
      await unpinHostFiles(policy, uid);
      return { kind: 'refused', reason: REASONS.hostPathNotAllowed, message: pinned.message };
    }
    paths.set(req.field, pinned.path);
  }
  return { kind: 'admitted', vmi: withHostPaths(vmi, paths) };
}
