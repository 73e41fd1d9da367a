/**
 * The node's host-path policy as a pure decision: may virt-handler open or create this host path
 * for this spec field? The shell (host-paths/node-paths.ts) gathers the facts (realpath, lstat,
 * stat) and acts on the decision; nothing here touches the file system, so the whole rule set is a
 * table test (test/unit/handler/host-path-policy.test.ts). Other handler code that opens a path
 * named by a tenant asks the same question through {@link decideHostPath}; paths the handler
 * derives itself (its run folder, its image cache) are not tenant input and need no decision.
 */

/** Which kind of file a spec field names: a disk image or a kernel/initrd. Each has its roots. */
export type PathUse = 'hostDisk' | 'boot';

export type FileType = 'file' | 'directory' | 'device' | 'fifo' | 'socket' | 'other';

/** What the node says about one requested path, every symlink followed. */
export type PathFacts = Readonly<
  | { kind: 'exists'; resolved: string; type: FileType; size: number }
  /** Nothing at the path; `resolved` is the nearest existing folder, resolved, plus the missing rest. */
  | { kind: 'missing'; resolved: string }
  /** A symlink (the path itself or a folder on the way) whose target does not exist. */
  | { kind: 'dangling'; link: string }
  | { kind: 'loop' }
  | { kind: 'tooLong' }
  | { kind: 'unreadable'; code: string }
>;

export interface NodePathPolicy {
  /** The hostDisk roots, themselves resolved (no symlinks), without a trailing slash. */
  readonly hostDiskRoots: ReadonlyArray<string>;
  /** The kernel/initrd roots, resolved. */
  readonly bootRoots: ReadonlyArray<string>;
  /** The cluster's HostDisk feature gate. */
  readonly hostDiskGate: boolean;
}

export interface PathRequest {
  readonly field: string;
  readonly path: string;
  readonly use: PathUse;
  /** DiskOrCreate: the size of the image to create when nothing is there. */
  readonly createBytes?: number;
}

export type Rule =
  'gate' | 'path' | 'tooLong' | 'loop' | 'dangling' | 'outside' | 'reserved' | 'type' | 'size' | 'unreadable';

export type PathDecision = Readonly<
  | { kind: 'open'; field: string; path: string; root: string }
  | { kind: 'create'; field: string; path: string; root: string; bytes: number }
  /** Inside a root but not there: the VMI fails (FailedDefine), nothing is created. */
  | { kind: 'missing'; field: string; path: string }
  | { kind: 'refuse'; field: string; rule: Rule; message: string }
>;

/** Linux's PATH_MAX (with its NUL) and NAME_MAX. */
export const PATH_MAX = 4095;
export const NAME_MAX = 255;
/**
 * The folder, in each root, where the handler keeps hard links to the files it verified
 * (host-paths/node-paths.ts); a spec may never name a path in it.
 */
export const PINNED_DIR = '.tsvirt-pinned';

/** Why a path is not a plain absolute path the policy can judge, or undefined when it is one. */
export function lexicalProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'is not an absolute path';
  if (Buffer.byteLength(path) > PATH_MAX) return `is longer than ${PATH_MAX} bytes`;
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    return "has an empty, '.' or '..' segment; name the file by its plain absolute path";
  if (segments.some((s) => Buffer.byteLength(s) > NAME_MAX)) return `has a name longer than ${NAME_MAX} bytes`;
  return undefined;
}

/** The root (of `roots`) that `path` lies strictly inside, if any. Both are resolved absolute paths. */
export function rootOf(roots: ReadonlyArray<string>, path: string): string | undefined {
  return roots.find((r) => path.startsWith(r === '/' ? '/' : `${r}/`) && path !== r);
}

function rootsOf(policy: NodePathPolicy, use: PathUse): ReadonlyArray<string> {
  return use === 'hostDisk' ? policy.hostDiskRoots : policy.bootRoots;
}

const FLAG: Readonly<Record<PathUse, string>> = { hostDisk: '--host-disk-root', boot: '--boot-root' };

function refuse(req: PathRequest, rule: Rule, problem: string): PathDecision {
  return { kind: 'refuse', field: req.field, rule, message: `${req.field}: ${problem}` };
}

type Unusable = Exclude<PathFacts, { kind: 'exists' } | { kind: 'missing' }>;

function factsProblem(req: PathRequest, facts: Unusable): PathDecision {
  switch (facts.kind) {
    case 'loop':
      return refuse(req, 'loop', `${req.path} is a symlink loop`);
    case 'tooLong':
      return refuse(req, 'tooLong', `${req.path} resolves to a path longer than ${PATH_MAX} bytes`);
    case 'dangling':
      return refuse(req, 'dangling', `${req.path}: ${facts.link} is a symlink whose target does not exist`);
    case 'unreadable':
      return refuse(req, 'unreadable', `${req.path} cannot be resolved on the node (${facts.code})`);
    default:
      return facts satisfies never;
  }
}

function placeProblem(req: PathRequest, resolved: string, policy: NodePathPolicy): PathDecision | string {
  const roots = rootsOf(policy, req.use);
  const root = rootOf(roots, resolved);
  const via = resolved === req.path ? '' : ` (resolves to ${resolved})`;
  if (root === undefined) {
    const list = roots.length === 0 ? 'none' : roots.join(', ');
    return refuse(
      req,
      'outside',
      `${req.path}${via} is outside the node's ${req.use === 'hostDisk' ? 'host disk' : 'boot'} roots (${list}); put the file under one of them (virt-handler ${FLAG[req.use]})`,
    );
  }
  if (resolved.slice(root.length + 1).split('/')[0] === PINNED_DIR)
    return refuse(req, 'reserved', `${req.path}${via} is inside ${root}/${PINNED_DIR}, which virt-handler owns`);
  return root;
}

/**
 * The node's verdict on one requested path. Order matters: the gate first (a gated-off field
 * reaches no file), then what the path says, then where it really leads, then what is there.
 */
export function decideHostPath(req: PathRequest, facts: PathFacts, policy: NodePathPolicy): PathDecision {
  if (req.use === 'hostDisk' && !policy.hostDiskGate)
    return refuse(
      req,
      'gate',
      'hostDisk volumes are off in this cluster (feature gate HostDisk in ConfigMap tsvirt-system/tsvirt-config)',
    );
  const lexical = lexicalProblem(req.path);
  if (lexical !== undefined) return refuse(req, 'path', `${req.path} ${lexical}`);
  if (facts.kind !== 'exists' && facts.kind !== 'missing') return factsProblem(req, facts);
  if (lexicalProblem(facts.resolved) !== undefined)
    return refuse(req, 'path', `${req.path} resolves to ${facts.resolved}, which is not a plain absolute path`);
  const root = placeProblem(req, facts.resolved, policy);
  if (typeof root !== 'string') return root;
  return facts.kind === 'missing' ? decideMissing(req, facts.resolved, root) : decideExisting(req, facts, root);
}

function decideMissing(req: PathRequest, resolved: string, root: string): PathDecision {
  if (req.createBytes === undefined) return { kind: 'missing', field: req.field, path: req.path };
  return { kind: 'create', field: req.field, path: resolved, root, bytes: req.createBytes };
}

function decideExisting(req: PathRequest, facts: Extract<PathFacts, { kind: 'exists' }>, root: string): PathDecision {
  if (facts.type !== 'file') return refuse(req, 'type', `${req.path} is a ${facts.type}, not a regular file`);
  if (req.createBytes !== undefined && facts.size !== req.createBytes)
    return refuse(
      req,
      'size',
      `${req.path} exists with ${facts.size} bytes, not the capacity's ${req.createBytes}; DiskOrCreate never resizes an existing file: set capacity to its size or use type Disk`,
    );
  return { kind: 'open', field: req.field, path: facts.resolved, root };
}
