import { figure, markdown } from '../../../bench/runner.js';

describe('bench figures', () => {
  it('reports the median and P95 of the samples, the baseline from the same run and the ratio', () => {
    const f = figure({
      name: 'list',
      unit: 'ms',
      samples: [110, 100, 120, 105, 115],
      baseline: { name: 'kubectl get vms', samples: [96, 90, 100] },
      target: { of: 'ratio', max: 1.0 },
    });
    expect(f).toEqual({
      name: 'list',
      unit: 'ms',
      median: 110,
      p95: 120,
      n: 5,
      baseline: { name: 'kubectl get vms', median: 96 },
      ratio: 1.15,
      target: { of: 'ratio', max: 1.0 },
      met: false,
    });
  });

  it('judges a target on the median by default and keeps a single measurement as its own median', () => {
    const f = figure({ name: 'writes', unit: '', samples: [8], target: { of: 'median', max: 8 } });
    expect(f).toEqual({ name: 'writes', unit: '', median: 8, target: { of: 'median', max: 8 }, met: true });
  });

  it('writes the machine, the load and a row per figure into latest.md', () => {
    const md = markdown({
      measuredAt: '2026-12-03T06:00:00.000Z',
      quick: true,
      machine: { cpus: 2, model: 'AMD EPYC', memoryGiB: 23.5, node: 'v24.21.0', kernel: '6.1' },
      benchmarks: [
        {
          name: 'start',
          summary: 'VM start',
          ok: true,
          elapsedMs: 61_000,
          boundMs: 180_000,
          load: { before: [3.1, 2, 1], after: [4.2, 2.5, 1.1] },
          figures: [figure({ name: 'writes', unit: '', samples: [14], target: { of: 'median', max: 8 } })],
          detail: {},
        },
      ],
    });
    expect(md).toContain('Machine: 2 cores (AMD EPYC), 23.5 GiB');
    expect(md).toContain('01:01 of its 03:00 bound; load 3.1 2 1 → 4.2 2.5 1.1.');
    expect(md).toContain('| writes | 14 |  |  |  | median ≤ 8 | **not met** |');
  });
});
