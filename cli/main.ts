/**
 * The `kubectl-virt` entry point. The V8 compile cache goes on before anything else loads (it
 * halves the bundle's parse and compile time from the second run on). `list` and `get` answer
 * on a fast path without oclif (fast-path.ts); everything else, and any command line the fast
 * path does not take, runs through oclif with the explicit command map.
 */
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

// Node >= 22.1; on an older node the CLI still runs, only without the cache.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { mark } = await import('./startup-trace.js');
mark('main evaluated (node started, compile cache on)');
const argv = process.argv.slice(2);
const { tryFastPath } = await import('./fast-path.js');
mark('fast path imported');
if (await tryFastPath(argv)) {
  mark('fast path done');
} else {
  const { runCli } = await import('./run.js');
  mark('oclif and run.js imported');
  // commands.js is a separate entry of the bundle, beside this file; oclif imports it by path.
  await runCli(argv, fileURLToPath(new URL('./commands.js', import.meta.url)));
}
