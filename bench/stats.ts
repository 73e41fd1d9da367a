// The statistics every benchmark reports, in one place so two results files never disagree on what
// "P95" means: the median interpolates between the middle two samples; other percentiles are
// nearest-rank (the smallest sample with at least p% of the samples at or below it), so a P95 is
// always a time that was actually measured.

/** Median, P95, extremes and count of a set of samples. */
export type Summary = Readonly<{ n: number; median: number; p95: number; min: number; max: number }>;

function sorted(xs: readonly number[]): number[] {
  if (xs.length === 0) throw new Error('no samples: a benchmark that measured nothing cannot report a figure');
  if (xs.some((x) => !Number.isFinite(x))) throw new Error(`samples must be finite numbers, got ${xs.join(', ')}`);
  return [...xs].sort((a, b) => a - b);
}

/** The nearest-rank percentile `p` (0 < p <= 100) of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new Error(`percentile: p must be in (0, 100], got ${p}`);
  const s = sorted(xs);
  return s[Math.min(s.length, Math.ceil((p / 100) * s.length)) - 1] ?? NaN;
}

/** The middle sample, or the mean of the middle two when the count is even. */
export function median(xs: readonly number[]): number {
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

export function summarize(xs: readonly number[]): Summary {
  const s = sorted(xs);
  return { n: s.length, median: median(s), p95: percentile(s, 95), min: s[0] ?? NaN, max: s.at(-1) ?? NaN };
}

/** `ours / baseline` to two decimals: how many times the baseline a figure is. */
export function ratio(ours: number, baseline: number): number {
  if (!(baseline > 0)) throw new Error(`ratio: the baseline must be positive, got ${baseline}`);
  return Math.round((ours / baseline) * 100) / 100;
}

/** Rounds to `digits` decimals, for figures written to results files. */
export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
