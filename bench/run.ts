// `npm run bench`: builds dist/, runs each benchmark within its time bound (each brings up its own
// local cluster and stops it), and writes bench/results/<date>.json and bench/results/latest.md.
//   --only NAME[,NAME]   run these benchmarks only (names: `--list`)
//   --quick              fewer runs and VMs, smaller bounds: a few minutes in all
//   --real-guest         also the benchmarks that boot the tiny guest under QEMU (root, libvirtd)
//   --no-build           use dist/ as it is
import { parseArgs } from 'node:util';
import { run, REPO } from './bench-processes.js';
import { machine, runBenchmark, writeResults, type Benchmark, type BenchResult } from './runner.js';
import { cliBenchmark } from './cli/startup.js';
import { clusterBenchmark } from './cluster/bench.js';
import { controllerBenchmark } from './controller/create-to-scheduled.js';
import { e2eBenchmark } from './e2e/guest.js';
import { debianBenchmark } from './e2e/debian.js';
import { guestBenchmark } from './guest/boot.js';
import { startBenchmark } from './handler/create-to-running.js';
import { churnBenchmark, idleBenchmark } from './scale/scale.js';
import { viewBenchmark } from './view/view.js';

const BENCHMARKS: readonly Benchmark[] = [
  cliBenchmark,
  startBenchmark,
  controllerBenchmark,
  idleBenchmark,
  churnBenchmark,
  viewBenchmark,
  clusterBenchmark,
  guestBenchmark,
  e2eBenchmark,
  debianBenchmark,
];

function usage(message: string): never {
  process.stderr.write(`${message}\nBenchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}

function select(only: string | undefined, realGuest: boolean): Benchmark[] {
  if (only === undefined) return BENCHMARKS.filter((b) => b.needs === undefined || realGuest);
  const names = only.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) usage(`--only: no benchmark named ${unknown.join(', ')}; pick from the list below.`);
  return BENCHMARKS.filter((b) => names.includes(b.name));
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'real-guest': { type: 'boolean', default: false },
        'no-build': { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  if (values.list) {
    for (const b of BENCHMARKS) process.stdout.write(`${b.name}\t${b.summary}${b.needs ? ` (--${b.needs})` : ''}\n`);
    return;
  }
  const chosen = select(values.only, values['real-guest']);
  const bound = chosen.reduce((a, b) => a + (values.quick ? b.boundMs.quick : b.boundMs.full), 0);
  process.stderr.write(
    `bench: ${chosen.map((b) => b.name).join(', ')}${values.quick ? ' (quick)' : ''}; bounded at ${Math.round(bound / 60_000)} min in all\n`,
  );
  if (!values['no-build']) await run('npm', ['run', '--silent', 'build']);
  const measuredAt = new Date().toISOString();
  const results: BenchResult[] = [];
  for (const b of chosen) results.push(await runBenchmark(b, values.quick, REPO));
  const file = await writeResults(REPO, {
    measuredAt,
    quick: values.quick,
    machine: await machine(),
    benchmarks: results,
  });
  process.stderr.write(`bench: wrote ${file} and bench/results/latest.md\n`);
  for (const r of results)
    for (const f of r.figures)
      process.stdout.write(
        `${r.name}: ${f.name}: ${f.median}${f.unit === '' ? '' : ` ${f.unit}`}${f.ratio === undefined ? '' : ` (${f.ratio}× ${f.baseline?.name ?? ''})`}${f.met === undefined ? '' : f.met ? ' met' : ' NOT MET'}\n`,
      );
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

await main();
