// `guest`: the tiny guest under a private libvirtd alone (TCG, 1 vCPU, 128 MiB), no cluster: domain
// start → marker line and ACPI shutdown → shut off, each run also booting the guest with QEMU directly
// as the baseline at the same load (test/e2e/guest/boot-check.ts does the runs and cleans up).
// Needs root: `npm run bench -- --real-guest` (or `--only guest`).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run } from '../bench-processes.js';
import type { Benchmark, BenchContext } from '../runner.js';

type BootRun = Readonly<{ startToMarkerMs: number; shutdownToShutoffMs: number; directQemuStartToMarkerMs: number }>;

async function measure(ctx: BenchContext, runs: number): Promise<void> {
  ctx.progress('the tiny guest (test/e2e/guest/build.sh)');
  await run(join(REPO, 'test/e2e/guest/build.sh'), []);
  const dir = await mkdtemp(join(tmpdir(), 'tsvirt-bench-guest-'));
  try {
    ctx.progress(`${runs} boots under libvirtd and ${runs} direct QEMU boots`);
    const json = join(dir, 'guest.json');
    await run(join(REPO, 'node_modules/.bin/tsx'), [
      'test/e2e/guest/boot-check.ts',
      '--runs',
      String(runs),
      '--json',
      json,
    ]);
    const r = (JSON.parse(await readFile(json, 'utf8')) as { runs: readonly BootRun[] }).runs;
    ctx.detail('runs', r);
    ctx.report({
      name: 'libvirt domain start → marker over a direct QEMU boot',
      unit: 'ms',
      samples: r.map((x) => x.startToMarkerMs),
      baseline: { name: 'direct QEMU', samples: r.map((x) => x.directQemuStartToMarkerMs) },
      target: { of: 'ratio', max: 1.05 },
    });
    ctx.report({
      name: 'ACPI shutdown → shut off',
      unit: 'ms',
      samples: r.map((x) => x.shutdownToShutoffMs),
      target: { of: 'median', max: 2000 },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const guestBenchmark: Benchmark = {
  name: 'guest',
  summary: 'the tiny guest under libvirtd alone: start → marker over direct QEMU, ACPI shutdown → shut off',
  boundMs: { quick: 4 * 60_000, full: 8 * 60_000 },
  needs: 'real-guest',
  run: (ctx) => measure(ctx, ctx.quick ? 2 : 5),
};
