/**
 * Writes a NoCloud volume as an ISO9660 image labelled `cidata` with xorrisofs (Joliet and Rock
 * Ridge, as KubeVirt's cloud-init does), through a staging folder beside it and a rename, so a
 * half-written ISO never reaches a domain.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runTool } from '../containerdisk/tools.js';
import { CIDATA_LABEL, type NoCloudFiles } from './nocloud.js';

const XORRISO_TIMEOUT_MS = 60_000;

export async function writeNoCloudIso(path: string, files: NoCloudFiles): Promise<void> {
  const stage = join(dirname(path), `.cidata-${randomBytes(4).toString('hex')}`);
  await mkdir(stage, { recursive: true });
  try {
    const names = Object.keys(files) as Array<keyof NoCloudFiles>;
    for (const name of names) await writeFile(join(stage, name), files[name] ?? '');
    const tmp = `${path}.tmp`;
    await runTool(
      'xorrisofs',
      ['-quiet', '-output', tmp, '-volid', CIDATA_LABEL, '-joliet', '-rock', ...names.map((n) => join(stage, n))],
      XORRISO_TIMEOUT_MS,
    );
    await chmod(tmp, 0o444);
    await rename(tmp, path);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
