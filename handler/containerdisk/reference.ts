/**
 * Image references as a containerDisk names them, parsed the way Docker and containers/image
 * normalise them (github.com/distribution/reference): `[registry/]repository[:tag][@sha256:hex]`,
 * docker.io and `library/` for bare names, `latest` when neither tag nor digest is given. Pure.
 * The handler hands skopeo the fully qualified form, so no short-name lookup ever picks a registry.
 */

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';

export interface ImageReference {
  /** `host[:port]`, lower case. */
  readonly registry: string;
  /** `path/to/repo`, lower case as the registry requires. */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` when the reference pins one. */
  readonly digest?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$|^\[[0-9a-fA-F:]+\](?::[0-9]{1,5})?$/;

/** Bad input, with what to write instead. */
export class ImageReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageReferenceError';
  }
}

function isRegistryPart(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[');
}

function splitDigest(ref: string): { rest: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at < 0) return { rest: ref };
  const digest = ref.slice(at + 1);
  if (!DIGEST.test(digest)) throw new ImageReferenceError(`"${ref}": the digest must be sha256:<64 lower-case hex>`);
  return { rest: ref.slice(0, at), digest };
}

function splitTag(rest: string): { path: string; tag?: string } {
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon <= slash) return { path: rest };
  return { path: rest.slice(0, colon), tag: rest.slice(colon + 1) };
}

/**
 * Parses `ref`.
 * @throws ImageReferenceError saying what is wrong with it.
 */
export function parseImageReference(ref: string): ImageReference {
  if (ref === '' || ref.trim() !== ref) throw new ImageReferenceError(`"${ref}" is not an image reference`);
  const { rest, digest } = splitDigest(ref);
  const { path, tag } = splitTag(rest);
  if (tag !== undefined && !TAG.test(tag)) throw new ImageReferenceError(`"${ref}": "${tag}" is not a valid tag`);
  const base = splitRepository(ref, path);
  if (digest === undefined) return { ...base, tag: tag ?? DEFAULT_TAG };
  return tag === undefined ? { ...base, digest } : { ...base, tag, digest };
}

function splitRepository(ref: string, path: string): { registry: string; repository: string } {
  const parts = path.split('/');
  const first = parts[0] ?? '';
  const hasRegistry = parts.length > 1 && isRegistryPart(first);
  const registry = hasRegistry ? first.toLowerCase() : DEFAULT_REGISTRY;
  if (!HOST.test(registry)) throw new ImageReferenceError(`"${ref}": "${first}" is not a registry host`);
  const repoParts = hasRegistry ? parts.slice(1) : parts;
  if (registry === DEFAULT_REGISTRY && repoParts.length === 1) repoParts.unshift('library');
  const bad = repoParts.find((c) => !COMPONENT.test(c));
  if (bad !== undefined)
    throw new ImageReferenceError(`"${ref}": "${bad}" is not a repository name (lower-case letters, digits, . _ -)`);
  return { registry, repository: repoParts.join('/') };
}

/** `registry/repository[:tag][@digest]`, the fully qualified form. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag === undefined ? '' : `:${r.tag}`}${r.digest === undefined ? '' : `@${r.digest}`}`;
}

/** The same repository pinned to `digest` (the tag dropped): what the node copies. */
export function pinnedReference(r: ImageReference, digest: string): string {
  return `${r.registry}/${r.repository}@${digest}`;
}

/** KubeVirt's (and the kubelet's) default: Always for `latest` or no tag, IfNotPresent otherwise. */
export function defaultPullPolicy(r: ImageReference): 'Always' | 'IfNotPresent' {
  return r.digest === undefined && (r.tag === undefined || r.tag === DEFAULT_TAG) ? 'Always' : 'IfNotPresent';
}
