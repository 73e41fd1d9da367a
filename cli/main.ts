/**
 * The `kubectl-virt` entry point. The V8 compile cache goes on before anything else loads (it
 * halves the bundle's parse and compile time on the second run), then oclif runs with the
 * explicit command map and a package.json given inline, so dispatch reads no files.
 */
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

// Node >= 22.1; on an older node the CLI still runs, only without the cache.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { runCli } = await import('./run.js');
// commands.js is a separate entry of the bundle, beside this file; oclif imports it by path.
await runCli(process.argv.slice(2), fileURLToPath(new URL('./commands.js', import.meta.url)));
