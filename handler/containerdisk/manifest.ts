/**
 * What the node reads from a registry's manifest before it copies anything: OCI image manifests
 * and indexes, and Docker's v2 schema 2 manifests and manifest lists (the four media types the
 * distribution registry serves), with the digest of the exact bytes. An index names one manifest
 * per platform; a node takes linux/amd64 (or its own arch). Pure: bytes in, decision out.
 * skopeo does the fetching and verifies every blob against these digests as it copies.
 */
import { createHash } from 'node:crypto';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
const MANIFEST_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);

export interface Platform {
  readonly os: string;
  readonly architecture: string;
}

export type ManifestView = Readonly<
  | { kind: 'manifest'; digest: string; mediaType: string; layers: number; bytes: number }
  | { kind: 'index'; digest: string; mediaType: string; chosen: string }
>;

/** A manifest the node cannot use, with the registry's side of the story. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

type Json = Readonly<Record<string, unknown>>;
const isRecord = (u: unknown): u is Json => typeof u === 'object' && u !== null && !Array.isArray(u);

function parseJson(raw: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new ManifestError('the manifest is not JSON');
  }
  if (!isRecord(doc)) throw new ManifestError('the manifest is not a JSON object');
  if (doc['schemaVersion'] !== 2)
    throw new ManifestError(`schemaVersion ${String(doc['schemaVersion'])} is not supported (only 2)`);
  return doc;
}

/** The media type: the field, or (an OCI manifest may omit it) what the document holds. */
function mediaTypeOf(doc: Json): string {
  const declared = doc['mediaType'];
  if (typeof declared === 'string') return declared;
  if (Array.isArray(doc['manifests'])) return MEDIA_TYPES.ociIndex;
  if (Array.isArray(doc['layers'])) return MEDIA_TYPES.ociManifest;
  return '';
}

function entryPlatform(entry: Json): Platform | undefined {
  const p = entry['platform'];
  if (!isRecord(p) || typeof p['os'] !== 'string' || typeof p['architecture'] !== 'string') return undefined;
  return { os: p['os'], architecture: p['architecture'] };
}

function chooseFromIndex(doc: Json, want: Platform): string {
  const entries = (doc['manifests'] as readonly unknown[]).filter(isRecord);
  const seen: string[] = [];
  for (const e of entries) {
    const p = entryPlatform(e);
    if (p !== undefined) seen.push(`${p.os}/${p.architecture}`);
    if (p?.os === want.os && p.architecture === want.architecture && typeof e['digest'] === 'string') {
      if (!/^sha256:[0-9a-f]{64}$/.test(e['digest']))
        throw new ManifestError(`index entry digest ${e['digest']} is not sha256`);
      return e['digest'];
    }
  }
  throw new ManifestError(
    `the image index has no ${want.os}/${want.architecture} manifest (it has ${seen.length === 0 ? 'none with a platform' : seen.join(', ')})`,
  );
}

function layerBytes(doc: Json): { layers: number; bytes: number } {
  const layers = doc['layers'];
  if (!Array.isArray(layers) || layers.length === 0) throw new ManifestError('the image manifest has no layers');
  const bytes = layers.filter(isRecord).reduce((n, l) => n + (typeof l['size'] === 'number' ? l['size'] : 0), 0);
  return { layers: layers.length, bytes };
}

/**
 * Reads a raw manifest (the registry's exact bytes). `expected`, when the reference pinned a
 * digest, must be the digest of those bytes.
 * @throws ManifestError when the bytes do not match, are not a v2 manifest or index, or the
 *   index has no manifest for `want`.
 */
export function readManifest(raw: string, want: Platform, expected?: string): ManifestView {
  const digest = sha256Digest(raw);
  if (expected !== undefined && expected !== digest)
    throw new ManifestError(`the manifest's digest is ${digest}, not ${expected} as the reference says`);
  const doc = parseJson(raw);
  const mediaType = mediaTypeOf(doc);
  if (INDEX_TYPES.has(mediaType)) return { kind: 'index', digest, mediaType, chosen: chooseFromIndex(doc, want) };
  if (MANIFEST_TYPES.has(mediaType)) return { kind: 'manifest', digest, mediaType, ...layerBytes(doc) };
  throw new ManifestError(`media type "${mediaType}" is not an image manifest or index`);
}

/** The node's own platform in OCI words. */
export function nodePlatform(arch: string = process.arch): Platform {
  const architecture = arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
  return { os: 'linux', architecture };
}
