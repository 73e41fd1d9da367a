// The one runner every benchmark goes through (`npm run bench`): each benchmark gets a time bound,
// a progress line on stderr and a place for its figures; the runner records the machine and its load
// around each one and writes bench/results/<date>.json and bench/results/latest.md. A figure is a
// median (and P95) with, where one exists, the baseline measured in the same run and the ratio to it,
// so results from a loaded machine still compare like with like.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { ratio, round, summarize } from './stats.js';

/** One reported figure. `samples` become median/P95; a single measurement is its own median. */
export type Figure = Readonly<{
  name: string;
  unit: string;
  median: number;
  p95?: number;
  n?: number;
  baseline?: Readonly<{ name: string; median: number }>;
  ratio?: number;
  /** The goal: `of` names what is compared (the median, the P95 or the ratio), `max` its bound. */
  target?: Readonly<{ of: 'median' | 'p95' | 'ratio'; max: number }>;
  met?: boolean;
  note?: string;
}>;

export type FigureInput = Readonly<{
  name: string;
  unit: string;
  samples: readonly number[];
  baseline?: Readonly<{ name: string; samples: readonly number[] }>;
  target?: Figure['target'];
  note?: string;
}>;

/** Turns samples (and a baseline's samples) into a Figure, judging its target. */
export function figure(f: FigureInput): Figure {
  const s = summarize(f.samples);
  const b = f.baseline === undefined ? undefined : summarize(f.baseline.samples);
  const r = b === undefined || b.median === 0 ? undefined : ratio(s.median, b.median);
  const value = { median: s.median, p95: s.p95, ratio: r }[f.target?.of ?? 'median'];
  return {
    name: f.name,
    unit: f.unit,
    median: round(s.median),
    ...(s.n > 1 ? { p95: round(s.p95), n: s.n } : {}),
    ...(b === undefined || f.baseline === undefined
      ? {}
      : { baseline: { name: f.baseline.name, median: round(b.median) } }),
    ...(r === undefined ? {} : { ratio: r }),
    ...(f.target === undefined ? {} : { target: f.target, met: value !== undefined && value <= f.target.max }),
    ...(f.note === undefined ? {} : { note: f.note }),
  };
}

/** Raised when a benchmark passes its time bound; its own `finally` blocks still clean up. */
export class OutOfTime extends Error {}

export type BenchContext = Readonly<{
  quick: boolean;
  /** Where a benchmark keeps what it started (a fresh temp folder per benchmark is its own choice). */
  repo: string;
  /** Prints `[name mm:ss] message` on stderr; throws OutOfTime once the bound has passed. */
  progress: (message: string) => void;
  /** Milliseconds left before the bound, for the timeouts of waits inside the benchmark. */
  remainingMs: () => number;
  /** Records a figure. */
  report: (f: FigureInput) => void;
  /** Keeps raw data (per-run samples, breakdowns) in the JSON results, not in latest.md. */
  detail: (key: string, value: unknown) => void;
}>;

export type Benchmark = Readonly<{
  name: string;
  summary: string;
  /** Bounds in milliseconds for a quick and a full run. */
  boundMs: Readonly<{ quick: number; full: number }>;
  /** Runs only when asked for by name or with this flag (e.g. `--real-guest`). */
  needs?: 'real-guest';
  run: (ctx: BenchContext) => Promise<void>;
}>;

export type BenchResult = {
  name: string;
  summary: string;
  ok: boolean;
  error?: string;
  elapsedMs: number;
  boundMs: number;
  load: { before: readonly number[]; after: readonly number[] };
  figures: Figure[];
  detail: Record<string, unknown>;
};

const loads = (): number[] => loadavg().map((x) => round(x, 2));

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Runs one benchmark within its bound; a failure is recorded, never thrown, so the others still run. */
export async function runBenchmark(b: Benchmark, quick: boolean, repo: string): Promise<BenchResult> {
  const boundMs = quick ? b.boundMs.quick : b.boundMs.full;
  const t0 = Date.now();
  const result: BenchResult = {
    name: b.name,
    summary: b.summary,
    ok: true,
    elapsedMs: 0,
    boundMs,
    load: { before: loads(), after: [] },
    figures: [],
    detail: {},
  };
  const ctx: BenchContext = {
    quick,
    repo,
    progress: (message) => {
      process.stderr.write(`[${b.name} ${clock(Date.now() - t0)}] ${message}\n`);
      if (Date.now() - t0 > boundMs) throw new OutOfTime(`${b.name} passed its bound of ${clock(boundMs)}`);
    },
    remainingMs: () => Math.max(1000, boundMs - (Date.now() - t0)),
    report: (f) => result.figures.push(figure(f)),
    detail: (k, v) => (result.detail[k] = v),
  };
  try {
    await b.run(ctx);
  } catch (err) {
    result.ok = false;
    result.error = err instanceof Error ? err.message : String(err);
    process.stderr.write(`[${b.name}] failed: ${result.error}\n`);
  }
  result.elapsedMs = Date.now() - t0;
  result.load.after = loads();
  return result;
}

export type Machine = Readonly<{
  cpus: number;
  model: string;
  memoryGiB: number;
  node: string;
  kernel: string;
}>;

export async function machine(): Promise<Machine> {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: (await readFile('/proc/sys/kernel/osrelease', 'utf8').catch(() => '?')).trim(),
  };
}

export type RunReport = Readonly<{
  measuredAt: string;
  quick: boolean;
  machine: Machine;
  benchmarks: readonly BenchResult[];
}>;

function cell(f: Figure): string[] {
  const unit = f.unit === '' ? '' : ` ${f.unit}`;
  const target =
    f.target === undefined
      ? ''
      : `${f.target.of === 'ratio' ? '' : `${f.target.of} `}≤ ${f.target.max}${f.target.of === 'ratio' ? '×' : unit}`;
  return [
    f.name,
    `${f.median}${unit}`,
    f.p95 === undefined ? '' : `${f.p95}${unit}`,
    f.baseline === undefined ? '' : `${f.baseline.name}: ${f.baseline.median}${unit}`,
    f.ratio === undefined ? '' : `${f.ratio}×`,
    target,
    f.met === undefined ? '' : f.met ? 'met' : '**not met**',
  ];
}

/** latest.md: one table per benchmark, with the load it ran at; notes follow their table. */
export function markdown(r: RunReport): string {
  const m = r.machine;
  const lines = [
    `# tsvirt benchmarks, ${r.measuredAt}${r.quick ? ' (--quick)' : ''}`,
    '',
    `Machine: ${m.cpus} cores (${m.model}), ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}.`,
    'Load is the 1/5/15-minute load average before and after each benchmark; other work on the',
    'machine slows every figure, so read the ratios (ours over the baseline measured in the same run).',
    'Reproduce: `npm run bench` (or `npm run bench -- --only NAME`, `--quick`). Raw samples: the JSON beside this file.',
    '',
  ];
  for (const b of r.benchmarks) {
    lines.push(`## ${b.name}: ${b.summary}`, '');
    lines.push(
      `${clock(b.elapsedMs)} of its ${clock(b.boundMs)} bound; load ${b.load.before.join(' ')} → ${b.load.after.join(' ')}` +
        (b.ok ? '.' : `; **failed**: ${b.error ?? ''}`),
      '',
    );
    if (b.figures.length > 0) {
      lines.push('| figure | median | P95 | baseline (same run) | ratio | target | |', '|---|---|---|---|---|---|---|');
      for (const f of b.figures) lines.push(`| ${cell(f).join(' | ')} |`);
      lines.push('');
    }
    for (const f of b.figures) if (f.note !== undefined) lines.push(`- ${f.name}: ${f.note}`);
    if (b.figures.some((f) => f.note !== undefined)) lines.push('');
  }
  return lines.join('\n');
}

/** Writes bench/results/<date>.json and bench/results/latest.md; returns the JSON's path. */
export async function writeResults(repo: string, r: RunReport): Promise<string> {
  const dir = join(repo, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  // To the second: two runs in one minute (say `--only guest`, then `--only e2e`) keep both files.
  const file = join(dir, `${r.measuredAt.slice(0, 19).replaceAll(':', '')}Z.json`);
  await writeFile(file, `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(join(dir, 'latest.md'), markdown(r));
  return file;
}
