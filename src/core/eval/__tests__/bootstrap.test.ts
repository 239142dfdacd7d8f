/**
 * Bootstrap intervals (seeded, counts as weights = the materialised resample), skipped resamples
 * where AUC is undefined, the paired difference; slices (credible flag, small and empty slices,
 * quantile bins, missing values), worst rows, the trust summary.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../ml/random.ts';
import { bootstrapCompare, quantileSorted, resampleCounts } from '../bootstrap.ts';
import { averagePrecision, brier, logLoss, rocAuc } from '../metrics.ts';
import { metricTable } from '../report.ts';
import { computeSlices, type SliceColumn, worstRows } from '../slices.ts';

function data(n: number, seed: number) {
  const r = createRng(seed);
  const y = new Float64Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    p[i] = Math.round(r.next() * 50) / 50; // ties
    y[i] = r.next() < p[i] ? 1 : 0;
  }
  return { y, p };
}

describe('bootstrap', () => {
  it('a weighted metric with resample counts equals the metric of the materialised resample', () => {
    const { y, p } = data(300, 1);
    const rng = createRng(3);
    for (let b = 0; b < 5; b++) {
      const w = resampleCounts(300, rng);
      const ry: number[] = [];
      const rp: number[] = [];
      w.forEach((c, i) => {
        for (let j = 0; j < c; j++) {
          ry.push(y[i]);
          rp.push(p[i]);
        }
      });
      expect(rocAuc(y, p, w)).toBeCloseTo(rocAuc(ry, rp), 12);
      expect(averagePrecision(y, p, w)).toBeCloseTo(averagePrecision(ry, rp), 12);
      expect(logLoss(y, p, w)).toBeCloseTo(logLoss(ry, rp), 12);
      expect(brier(y, p, w)).toBeCloseTo(brier(ry, rp), 12);
    }
  });

  it('weights of 0 on the highest scores do not make average precision undefined', () => {
    const y = [1, 0, 1, 0, 1, 1];
    const p = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
    const w = Float64Array.from([0, 0, 2, 1, 0, 1]);
    expect(averagePrecision(y, p, w)).toBeCloseTo(averagePrecision([1, 1, 0, 1], [0.7, 0.7, 0.6, 0.4]), 12);
    expect(rocAuc(y, p, w)).toBeCloseTo(rocAuc([1, 1, 0, 1], [0.7, 0.7, 0.6, 0.4]), 12);
  });

  it('is seeded, brackets the estimate, and narrows with more rows', () => {
    const small = data(100, 2);
    const big = data(3000, 2);
    const f = (d: { y: Float64Array; p: Float64Array }) => ({
      auc: (w?: Float64Array) => rocAuc(d.y, d.p, w),
    });
    const a = bootstrapCompare(100, f(small), undefined, { seed: 9, resamples: 300 }).auc.model;
    const b = bootstrapCompare(100, f(small), undefined, { seed: 9, resamples: 300 }).auc.model;
    expect(a).toEqual(b);
    expect(a.lo!).toBeLessThan(a.value!);
    expect(a.hi!).toBeGreaterThan(a.value!);
    const c = bootstrapCompare(3000, f(big), undefined, { seed: 9, resamples: 300 }).auc.model;
    expect(c.hi! - c.lo!).toBeLessThan((a.hi! - a.lo!) / 3);
  });

  it('skips resamples with a single class and counts them', () => {
    const y = [0, 0, 0, 0, 0, 1];
    const p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.9];
    const r = bootstrapCompare(6, { auc: (w) => rocAuc(y, p, w) }, undefined, { seed: 1, resamples: 1000 })
      .auc.model;
    // P(no positive drawn in 6 draws) = (5/6)^6 ≈ 0.335.
    expect(r.skipped).toBeGreaterThan(280);
    expect(r.skipped).toBeLessThan(390);
    expect(r.value).toBe(1);
    expect(r.resamples).toBe(1000);
  });

  it('undefined on the full rows → null with a reason', () => {
    const rows = metricTable('binary', [1, 1, 1], [0.2, 0.5, 0.9], [0.5, 0.5, 0.5], 2, { resamples: 50 });
    const auc = rows.find((r) => r.key === 'auc')!;
    expect(auc.model.value).toBeNull();
    expect(auc.model.reason).toMatch(/one class/);
    const reg = metricTable('regression', [0, 2, 3], [0.5, 2, 3], [1.7, 1.7, 1.7], 1, { resamples: 50 });
    const mape = reg.find((r) => r.key === 'mape')!;
    expect(mape.model.value).toBeNull();
    expect(mape.model.reason).toMatch(/0 in 1 row/);
  });

  it('paired difference: same resamples; a model against itself differs by exactly 0', () => {
    const { y, p } = data(400, 4);
    const m = { auc: (w?: Float64Array) => rocAuc(y, p, w) };
    const r = bootstrapCompare(400, m, m, { seed: 2, resamples: 200 }).auc;
    expect(r.diff).toMatchObject({ value: 0, lo: 0, hi: 0 });
    const rows = metricTable('binary', y, p, new Float64Array(400).fill(0.5), 2, { resamples: 200 });
    const auc = rows.find((x) => x.key === 'auc')!;
    expect(auc.baseline!.value).toBe(0.5);
    expect(auc.diff!.value).toBeCloseTo(auc.model.value! - 0.5, 12);
    expect(auc.diff!.lo!).toBeGreaterThan(0);
  });

  it('quantiles interpolate like numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.025)).toBeCloseTo(1.1, 12);
  });
});

describe('slices', () => {
  // 2,000 rows; segment "bad" of the category has random predictions, the rest are good.
  const n = 2000;
  const r = createRng(11);
  const y: number[] = [];
  const p: number[] = [];
  const seg: (string | null)[] = [];
  const num: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    const s = i % 10 === 0 ? 'bad' : i % 10 < 5 ? 'a' : i === 7 ? 'tiny' : 'b';
    seg.push(i % 97 === 0 ? null : s);
    num.push(i % 50 === 0 ? null : r.next() * 100);
    const yi = r.next() < 0.4 ? 1 : 0;
    y.push(yi);
    p.push(s === 'bad' ? r.next() : yi ? 0.8 : 0.2);
  }
  const cols: SliceColumn[] = [
    { name: 'seg', kind: 'categorical', values: seg },
    { name: 'num', kind: 'numeric', values: num },
    { name: 'empty', kind: 'numeric', values: new Array(n).fill(null) },
    { name: 'const', kind: 'categorical', values: new Array(n).fill('x') },
  ];
  const rep = computeSlices('binary', y, p, cols, 2, { resamples: 200 });

  it('no resample is skipped for AP when both classes are plentiful', () => {
    // Continuous scores: the top row alone is missing from ~37 % of resamples.
    const r0 = createRng(8);
    const p = Array.from({ length: 2000 }, () => r0.next());
    const y = p.map((q) => (r0.next() < q ? 1 : 0));
    const r = bootstrapCompare(2000, { ap: (w) => averagePrecision(y, p, w) }, undefined, { resamples: 300 });
    expect(r.ap.model.skipped).toBe(0);
  });

  it('flags the bad segment as credibly worse and ranks it first', () => {
    expect(rep.metric.key).toBe('logloss');
    expect(rep.slices[0]).toMatchObject({ feature: 'seg', label: 'bad', credible: true });
    expect(rep.slices[0].worseBy).toBeGreaterThan(0);
    expect(rep.slices[0].diff.lo!).toBeGreaterThan(0);
  });

  it('never flags a slice under 30 rows; missing values get their own slice; bins are quantiles', () => {
    const tiny = rep.slices.find((s) => s.label === 'tiny')!;
    expect(tiny.n).toBe(1);
    expect(tiny.credible).toBe(false);
    expect(rep.slices.find((s) => s.feature === 'seg' && s.label === '(missing)')!.n).toBe(21);
    const bins = rep.slices.filter((s) => s.feature === 'num' && s.kind === 'bin');
    expect(bins).toHaveLength(5);
    for (const b of bins) expect(Math.abs(b.n - 392)).toBeLessThanOrEqual(2);
    expect(rep.slices.find((s) => s.feature === 'num' && s.label === '(missing)')!.n).toBe(40);
    expect(rep.skipped.map((s) => s.feature).sort()).toEqual(['const', 'empty']);
    // The segments of one column add up to all rows.
    expect(rep.slices.filter((s) => s.feature === 'seg').reduce((a, s) => a + s.n, 0)).toBe(n);
  });

  it('worst rows: highest log loss first, with their features', () => {
    const w = worstRows('binary', y, p, cols, ['no', 'yes'], 2, 5);
    expect(w).toHaveLength(5);
    expect(w[0].loss).toBeGreaterThanOrEqual(w[4].loss);
    expect(w[0].features.seg).toBe(seg[w[0].index]);
    expect(['no', 'yes']).toContain(w[0].actual);
  });
});
