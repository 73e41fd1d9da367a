// Writes docs/cli.md from the commands (see cli/reference.ts): `npx tsx cli/write-reference.ts`.
import { writeFileSync } from 'node:fs';
import { COMMANDS } from './commands.js';
import { renderReference } from './reference.js';

writeFileSync(new URL('../docs/cli.md', import.meta.url), renderReference(COMMANDS));
process.stderr.write('wrote docs/cli.md\n');
