/**
 * The client's version: package.json's, put in by the CLI build (hack/cli-wrapper.ts `define`),
 * `dev` when run from source. The server's tsvirt version is the `app.kubernetes.io/version`
 * label of the installed VirtualMachine CRD.
 */
import { VERSION_LABEL } from '../api/names.js';

declare const __TSVIRT_VERSION__: string | undefined;

export const CLIENT_VERSION: string = typeof __TSVIRT_VERSION__ === 'string' ? __TSVIRT_VERSION__ : 'dev';

/** The label on tsvirt's CRDs that says which tsvirt installed them. */
export const SERVER_VERSION_LABEL = VERSION_LABEL;

const isRec = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

/** The version a CRD carries, or `unknown` when tsvirt's CRDs carry no version label. */
export function serverVersionFromCrd(crd: unknown): string {
  const meta = isRec(crd) && isRec(crd['metadata']) ? crd['metadata'] : {};
  const labels = isRec(meta['labels']) ? meta['labels'] : {};
  const v = labels[SERVER_VERSION_LABEL];
  return typeof v === 'string' && v !== '' ? v : 'unknown';
}
