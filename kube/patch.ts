/** Patch flavours, written once for both clients: the API server picks the patch by Content-Type. */
export const PATCH_CONTENT_TYPES = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
/** `merge`, `json`, `strategic` or `apply`. */
export type PatchType = keyof typeof PATCH_CONTENT_TYPES;

/** A JSON Patch (RFC 6902) operation. */
export type JsonPatchOp = Readonly<
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string }
>;
