/**
 * The `kubectl-virt` entry point. The V8 compile cache goes on before anything else loads (it
 * halves the bundle's parse and compile time from the second run on). `list` and `get` answer
 * on a fast path without oclif (fast-path.ts); everything else, and any command line the fast
 * path does not take, runs through oclif with the explicit command map.
 */
// getBuiltinModule, not `import`: an ESM import of a builtin builds a facade that reads all its
// exports, which costs start-up time. Node >= 22.1 has the compile cache; older nodes run without.
(process.getBuiltinModule('node:module') as { enableCompileCache?: () => unknown }).enableCompileCache?.();
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
  await runCli(argv, process.getBuiltinModule('node:url').fileURLToPath(new URL('./commands.js', import.meta.url)));
}
