// `npm run generate`: writes the CRD manifests and the generated types from api/crds/ (the I/O
// shell around generatedFiles(), which the drift test uses too).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './crds/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

for (const [path, content] of await generatedFiles()) {
  const target = join(root, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, content);
  process.stdout.write(`Wrote ${path}\n`);
}
