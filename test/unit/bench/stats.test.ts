import { median, percentile, ratio, round, summarize } from '../../../bench/stats.js';

describe('bench statistics', () => {
  it('takes the middle sample as the median of an odd count', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('averages the middle two samples as the median of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('picks the nearest-rank P95, a sample that was measured', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
    expect(percentile(xs, 95)).toBe(19);
    expect(percentile(xs, 100)).toBe(20);
    expect(percentile(xs, 50)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
  });

  it('summarizes known samples regardless of their order', () => {
    expect(summarize([120, 100, 110, 300, 105])).toEqual({ n: 5, median: 110, p95: 300, min: 100, max: 300 });
  });

  it('gives the ratio to a baseline to two decimals', () => {
    expect(ratio(110, 96)).toBe(1.15);
    expect(ratio(50, 100)).toBe(0.5);
  });

  it('rounds figures to the digits asked', () => {
    expect(round(1.2345)).toBe(1.2);
    expect(round(1.2345, 2)).toBe(1.23);
  });

  it('refuses to report a figure from no samples, a non-finite sample, a bad p or a zero baseline', () => {
    expect(() => median([])).toThrow(/no samples/);
    expect(() => summarize([1, NaN])).toThrow(/finite/);
    expect(() => percentile([1], 0)).toThrow(/p must be/);
    expect(() => ratio(1, 0)).toThrow(/baseline must be positive/);
  });
});
