// One esbuild bundle per entry point: each process loads only its own code, and a bundle starts
// faster than a tree of node_modules (FACTS.md: 160-210 ms bundled vs 350-470 ms unbundled).
import { build } from 'esbuild';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';

type Entry = Readonly<{ source: string; out: string; executable?: boolean }>;

const ENTRIES: readonly Entry[] = [
  { source: 'cli/main.ts', out: 'dist/bin/kubectl-virt', executable: true },
  { source: 'controllers/main.ts', out: 'dist/virt-controller.js' },
  { source: 'handler/main.ts', out: 'dist/virt-handler.js' },
  { source: 'launcher/main.ts', out: 'dist/virt-launcher.js' },
  { source: 'cluster/agent/main.ts', out: 'dist/node-agent.js' },
  { source: 'cluster/local-cluster-cli.ts', out: 'dist/local-cluster.js' },
  { source: 'virt-api/main.ts', out: 'dist/virt-api.js' },
];

// Native addons cannot be bundled; they load from node_modules at run time.
const EXTERNAL = ['@unraid/libvirt'];

// ESM bundles of CommonJS dependencies need a require() of their own.
const BANNER = [
  "import { createRequire as __tsvirtCreateRequire } from 'node:module';",
  'const require = __tsvirtCreateRequire(import.meta.url);',
].join('\n');

async function bundle(entry: Entry): Promise<void> {
  await build({
    entryPoints: [entry.source],
    outfile: entry.out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    external: EXTERNAL,
    jsx: 'automatic',
    banner: { js: entry.executable === true ? `#!/usr/bin/env node\n${BANNER}` : BANNER },
    logLevel: 'warning',
  });
  if (entry.executable === true) await chmod(entry.out, 0o755);
}

async function main(): Promise<void> {
  await mkdir('dist/bin', { recursive: true });
  // The bundles are ESM; a package.json beside them says so to node.
  await writeFile('dist/package.json', '{ "type": "module" }\n');
  const present = ENTRIES.filter((e) => existsSync(e.source));
  const missing = ENTRIES.filter((e) => !existsSync(e.source));
  for (const e of missing) process.stderr.write(`build: ${e.source} does not exist yet, ${e.out} not built\n`);
  await Promise.all(present.map(bundle));
  process.stderr.write(`build: ${present.length} bundles in dist/\n`);
}

await main();
