// One esbuild bundle per entry point: each process loads only its own code, and a bundle starts
// faster than a tree of node_modules (FACTS.md: 160-210 ms bundled vs 350-470 ms unbundled).
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER, WS_OPTIONAL_ADDONS, buildCli } from './cli-wrapper.js';
import { mkdir, writeFile } from 'node:fs/promises';

// virt-launcher runs once per VM, so its RSS counts N times: as CommonJS it holds 43.9 MiB
// against 47.6 MiB as the ESM dist/virt-launcher.js (5 runs each, measured here, connected to a
// handler socket). It has no top-level await or import.meta, so nothing is lost.
type Entry = Readonly<{ source: string; out: string; format?: 'esm' | 'cjs' }>;

const ENTRIES: readonly Entry[] = [
  { source: 'controllers/main.ts', out: 'dist/virt-controller.js' },
  { source: 'handler/main.ts', out: 'dist/virt-handler.js' },
  { source: 'virt-api/main.ts', out: 'dist/virt-api.js' },
  { source: 'launcher/main.ts', out: 'dist/virt-launcher.cjs', format: 'cjs' },
  { source: 'cluster/agent/main.ts', out: 'dist/node-agent.js' },
  { source: 'cluster/local-cluster-cli.ts', out: 'dist/local-cluster.js' },
];

// Native addons cannot be bundled; they load from node_modules at run time. ws tries its optional
// native helpers (bufferutil, utf-8-validate) in a try/catch and runs without them.
const EXTERNAL = ['@unraid/libvirt', ...WS_OPTIONAL_ADDONS];

async function bundle(entry: Entry): Promise<void> {
  const format = entry.format ?? 'esm';
  await build({
    entryPoints: [entry.source],
    outfile: entry.out,
    bundle: true,
    platform: 'node',
    format,
    target: 'node24',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    external: EXTERNAL,
    jsx: 'automatic',
    ...(format === 'esm' // ESM bundles of CommonJS dependencies need a require() of their own.
      ? { banner: { js: ESM_REQUIRE_BANNER } }
      : {}),
    logLevel: 'warning',
  });
}

async function main(): Promise<void> {
  await mkdir('dist/bin', { recursive: true });
  // The bundles are ESM; a package.json beside them says so to node.
  await writeFile('dist/package.json', '{ "type": "module" }\n');
  // kubectl-virt is split per command and wrapped to run on the pinned Node (hack/cli-wrapper.ts).
  await Promise.all([...ENTRIES.map(bundle), buildCli()]);
  process.stderr.write(`build: ${ENTRIES.length} service bundles and kubectl-virt in dist/\n`);
}

await main();
