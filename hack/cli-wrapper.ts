// The kubectl-virt build: called by hack/build.ts (the lead's). kubectl runs any executable named
// kubectl-virt on PATH; ours is a tiny POSIX sh wrapper that execs the Node 24 pinned in
// node_modules (the machine's `node` may be v20) on the CLI bundle. The bundle is split
// (esbuild `splitting`), so a command loads only the chunks it imports: `version --client` never
// parses the API client, `list` never parses ink. `kubectl_complete-virt` beside it is what
// kubectl's own shell completion runs to complete `kubectl virt <TAB>` (VM names included).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';

const WRAPPER = `#!/bin/sh
# kubectl runs this file for \`kubectl virt ...\`. It runs the CLI bundle on the Node 24 that tsvirt
# pins in node_modules, since the machine's node may be older; TSVIRT_NODE overrides it.
self=$0
# Follow symlinks (krew links plugins into ~/.krew/bin) to find the bundle beside the real file.
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in /*) self=$link ;; *) self=\${self%/*}/$link ;; esac
done
bin=\${self%/*}
node=\${TSVIRT_NODE:-$bin/../../node_modules/.bin/node}
[ -x "$node" ] || node=node
exec "$node" "$bin/../cli/main.js" "$@"
`;

const COMPLETE = `#!/bin/sh
# kubectl's completion runs kubectl_complete-virt for \`kubectl virt <TAB>\` (kubectl >= 1.26);
# it answers in cobra's __complete protocol: one candidate a line, then :<directive>.
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in /*) self=$link ;; *) self=\${self%/*}/$link ;; esac
done
exec "\${self%/*}/kubectl-virt" __complete "$@"
`;

// ESM bundles of CommonJS dependencies need a require() of their own. getBuiltinModule, not an
// import: an ESM import of a builtin builds a facade of all its exports, in every chunk's start-up.
/** ws's optional native speed-ups: required in a try/catch, not installed, never bundled. */
export const WS_OPTIONAL_ADDONS = ['bufferutil', 'utf-8-validate'];

export const ESM_REQUIRE_BANNER =
  "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);";

/**
 * Builds <out>/cli/ (main.js, commands.js and shared chunks) and the two executables in <out>/bin/.
 * `out` is dist by default; a folder outside the repository needs TSVIRT_NODE set to run.
 */
export async function buildCli(out = 'dist'): Promise<void> {
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
  // Built beside, then swapped in with renames: several sessions build into one tree while others
  // run kubectl-virt, and an `rm` before a slow build left them without a CLI for a second.
  const fresh = `${out}/.cli-${process.pid}`;
  const stale = `${out}/.cli-old-${process.pid}`;
  await rm(fresh, { recursive: true, force: true });
  await build({
    entryPoints: ['cli/main.ts', 'cli/commands.ts'],
    outdir: fresh,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    jsx: 'automatic',
    define: { __TSVIRT_VERSION__: JSON.stringify(`v${pkg.version}`), 'process.env.NODE_ENV': '"production"' },
    banner: { js: ESM_REQUIRE_BANNER },
    // oclif requires typescript (3.5 MB) only to read a tsconfig in development; a bundle never does.
    // ink imports react-devtools-core only when DEV=true; it is not installed, so leave it out.
    external: ['typescript', 'react-devtools-core', ...WS_OPTIONAL_ADDONS],
    logLevel: 'warning',
  });
  // The folder must say its .js files are ESM: dist/ has hack/build.ts's package.json, others need one.
  await writeFile(`${fresh}/package.json`, '{ "type": "module" }\n');
  await swapIn(fresh, `${out}/cli`, stale);
  await mkdir(`${out}/bin`, { recursive: true });
  await writeExecutable(`${out}/bin/kubectl-virt`, WRAPPER);
  await writeExecutable(`${out}/bin/kubectl_complete-virt`, COMPLETE);
  await packCli(out);
}

/** Moves `dir` away to `stale` and `fresh` into its place; retried when another build got between. */
async function swapIn(fresh: string, dir: string, stale: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    await rm(stale, { recursive: true, force: true });
    await rename(dir, stale).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    try {
      await rename(fresh, dir);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt >= 3 || (code !== 'ENOTEMPTY' && code !== 'EEXIST')) throw err;
    }
  }
  await rm(stale, { recursive: true, force: true });
}

/** Writes a script beside its place and renames it there, so no one runs a half-written file. */
async function writeExecutable(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}`;
  await writeFile(tmp, text);
  await chmod(tmp, 0o755);
  await rename(tmp, path);
}

/**
 * The krew package: <out>/kubectl-virt-<version>.tar.gz (bin/ and cli/, without source maps) and
 * <out>/krew/virt.yaml, cli/krew/virt.yaml with the version and the archive's sha256 filled in.
 */
export async function packCli(out = 'dist'): Promise<{ archive: string; manifest: string }> {
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
  const version = `v${pkg.version}`;
  const archive = `${out}/kubectl-virt-${version}.tar.gz`;
  const partial = `${archive}.${process.pid}`;
  // Fixed owner and mtime, so the same build gives the same archive and sha256.
  execFileSync('tar', [
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mtime=@0',
    '--exclude=*.map',
    '-czf',
    partial,
    '-C',
    out,
    'bin/kubectl-virt',
    'bin/kubectl_complete-virt',
    'cli',
  ]);
  await rename(partial, archive);
  const sha256 = createHash('sha256')
    .update(await readFile(archive))
    .digest('hex');
  const template = await readFile('cli/krew/virt.yaml', 'utf8');
  await mkdir(`${out}/krew`, { recursive: true });
  const manifest = `${out}/krew/virt.yaml`;
  await writeFile(
    `${manifest}.${process.pid}`,
    template.replaceAll('{{VERSION}}', version).replaceAll('{{SHA256}}', sha256),
  );
  await rename(`${manifest}.${process.pid}`, manifest);
  return { archive, manifest };
}
