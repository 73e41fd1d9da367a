// Golden files for the CLI's printers (docs/conventions.md §7): compared whole; UPDATE_GOLDEN=1 rewrites them
// for a reviewed diff.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../../golden/cli/', import.meta.url));

export function expectGolden(file: string, actual: string): void {
  const path = DIR + file;
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
