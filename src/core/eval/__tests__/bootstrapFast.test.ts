/**
 * The fast paths of the evaluation against naive references on random data: the two-pass binary
 * evaluator against each metric function on the same resample counts (bit for bit); the batched
 * bootstrap against the metric-by-metric one (the same draws, so the same intervals); the slices'
 * shared-stream draws against a materialised re-implementation (the same numbers) and against the
 * plain "resample the slice, resample the rest" bootstrap it replaced (the same distribution); the
 * binomial sampler against the binomial distribution.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../../ml/random.ts';
import {
  BulkRng,
  binomial,
  bootstrapCompare,
  logFactorial,
  multinomialCounts,
  resampleCounts,
} from '../bootstrap.ts';
import {
  averagePrecision,
  BINARY_KEYS,
  binaryMetricsBatch,
  brier,
  descendingOrder,
  logLoss,
  metricsFromConfusion,
  confusionAt,
  rocAuc,
} from '../metrics.ts';
import { metricTable } from '../report.ts';
import { sliceDraws } from '../slices.ts';

function data(n: number, seed: number, levels: number) {
  const r = createRng(seed);
  const y = new Float64Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // `levels` distinct scores gives ties; 0 gives continuous scores (and exact 0 / 1 now and then).
    p[i] = levels ? Math.round(r.next() * levels) / levels : r.next();
    y[i] = r.next() < p[i] ? 1 : 0;
  }
  return { y, p };
}

function naive(y: Float64Array, p: Float64Array, t: number, w?: Float64Array): number[] {
  const m = metricsFromConfusion(confusionAt(y, p, t, w));
  return [
    rocAuc(y, p, w),
    averagePrecision(y, p, w),
    logLoss(y, p, w),
    brier(y, p, w),
    m.accuracy,
    m.precision,
    m.recall,
    m.f1,
  ];
}

describe('BulkRng', () => {
  it('draws what createRng draws for the same seed, one by one and in bulk', () => {
    for (const seed of [0, 42, -7, 2 ** 40 + 3]) {
      const a = createRng(seed);
      const b = new BulkRng(seed);
      for (let i = 0; i < 50; i++) expect(b.next()).toBe(a.next());
      for (let i = 0; i < 50; i++) expect(b.int(i)).toBe(a.int(i));
      expect(b.normal()).toBe(a.normal());
      expect(b.shuffle([1, 2, 3, 4, 5, 6])).toEqual(a.shuffle([1, 2, 3, 4, 5, 6]));
      // Bulk counts = resampleCounts with createRng; then both streams are at the same place.
      for (const n of [1, 2, 1000]) expect(resampleCounts(n, b)).toEqual(resampleCounts(n, a));
      const values = Float64Array.from({ length: 37 }, (_, i) => i * 0.37);
      const pre = new Float64Array(101);
      b.prefixDraws(values, 100, pre);
      let acc = 0;
      for (let j = 1; j <= 100; j++) {
        acc += values[a.int(37)];
        expect(pre[j]).toBe(acc);
      }
      expect(b.next()).toBe(a.next());
    }
  });
});

describe('binaryMetricsBatch', () => {
  it('equals rocAuc, averagePrecision, logLoss, brier and the confusion metrics bit for bit', () => {
    for (const [n, levels, seed] of [
      [500, 20, 1],
      [2000, 0, 2],
      [50, 3, 3],
      [1, 0, 4],
    ]) {
      const { y, p } = data(n, seed, levels);
      const f = binaryMetricsBatch(y, p, 0.4);
      const out = new Float64Array(BINARY_KEYS.length);
      f(undefined, out);
      expect(Array.from(out)).toEqual(naive(y, p, 0.4));
      const rng = createRng(seed + 10);
      for (let b = 0; b < 20; b++) {
        const w = resampleCounts(n, rng);
        f(w, out);
        expect(Array.from(out)).toEqual(naive(y, p, 0.4, w));
      }
      // Fractional weights too (class weights): the same additions in the same order.
      const w = Float64Array.from({ length: n }, () => rng.next() * 3);
      f(w, out);
      expect(Array.from(out)).toEqual(naive(y, p, 0.4, w));
    }
  });

  it('one class only, a constant score, no rows: NaN where the metric is undefined', () => {
    const out = new Float64Array(8);
    binaryMetricsBatch([0, 0, 0], [0.1, 0.5, 0.9], 0.5)(undefined, out);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBeCloseTo((-Math.log(0.9) - Math.log(0.5) - Math.log(0.1)) / 3, 12);
    binaryMetricsBatch([0, 1, 1, 0], [0.3, 0.3, 0.3, 0.3], 0.5)(undefined, out);
    expect(out[0]).toBe(0.5);
    binaryMetricsBatch([], [], 0.5)(undefined, out);
    expect(Array.from(out).slice(0, 4).every(Number.isNaN)).toBe(true);
  });
});

describe('batched bootstrap', () => {
  it("metricTable's binary intervals equal bootstrapCompare over the metric functions one by one", () => {
    const { y, p } = data(1500, 7, 40);
    const base = new Float64Array(y.length).fill(0.37);
    const fast = metricTable('binary', y, p, base, 2, { seed: 5, resamples: 120, threshold: 0.45 });
    const fs = (q: Float64Array) => {
      const order = descendingOrder(q);
      const at = (j: number) => (w?: Float64Array) => naive(y, q, 0.45, w)[j];
      return Object.fromEntries(
        BINARY_KEYS.map((k, j) => [
          k,
          k === 'auc'
            ? (w?: Float64Array) => rocAuc(y, q, w, order)
            : k === 'ap'
              ? (w?: Float64Array) => averagePrecision(y, q, w, order)
              : at(j),
        ]),
      );
    };
    const slow = bootstrapCompare(y.length, fs(p), fs(base), { seed: 5, resamples: 120 });
    expect(fast.map((r) => r.key)).toEqual([...BINARY_KEYS]);
    for (const r of fast) {
      expect(r.model).toEqual(slow[r.key].model);
      expect(r.baseline).toEqual(slow[r.key].baseline);
      expect(r.diff).toEqual(slow[r.key].diff);
    }
    // And the interval is a real one: AUC's brackets its value, the baseline's AUC is exactly ½.
    const auc = fast[0];
    expect(auc.model.lo!).toBeLessThan(auc.model.value!);
    expect(auc.model.hi!).toBeGreaterThan(auc.model.value!);
    expect(auc.baseline).toMatchObject({ value: 0.5, lo: 0.5, hi: 0.5 });
  });
});

describe('binomial sampler', () => {
  const pmf = (n: number, p: number, k: number) =>
    Math.exp(
      logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log(1 - p),
    );

  it('log-factorial: the table and Stirling agree with Σ log k', () => {
    let s = 0;
    for (let k = 1; k <= 3000; k++) {
      s += Math.log(k);
      expect(Math.abs(logFactorial(k) - s)).toBeLessThanOrEqual(1e-9 * s);
    }
  });

  it('draws follow Binomial(n, p): chi-square over the bins, by inversion and by rejection', () => {
    const rng = createRng(21);
    // n·p < 10 takes inversion, the others BTRS; p > ½ goes through the mirror.
    for (const [n, p] of [
      [30, 0.1],
      [200, 0.3],
      [1000, 0.85],
      [100000, 0.02],
    ]) {
      const draws = 20000;
      const counts = new Map<number, number>();
      for (let i = 0; i < draws; i++) {
        const k = binomial(n, p, rng);
        expect(k >= 0 && k <= n && Number.isInteger(k)).toBe(true);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      // Bins with an expected count ≥ 5; the tails pooled into one bin.
      let chi = 0;
      let bins = 0;
      let tailExp = draws;
      let tailObs = draws;
      for (let k = 0; k <= n; k++) {
        const e = draws * pmf(n, p, k);
        if (e < 5) continue;
        const o = counts.get(k) ?? 0;
        chi += (o - e) ** 2 / e;
        bins++;
        tailExp -= e;
        tailObs -= o;
      }
      chi += (tailObs - tailExp) ** 2 / Math.max(tailExp, 1);
      // df ≈ bins: the 99.99th percentile of χ²(df) is below df + 6√(2 df) + 10 for these df.
      expect(chi).toBeLessThan(bins + 6 * Math.sqrt(2 * bins) + 10);
    }
  });

  it('multinomial counts add up, skip the left-out group, and have the right means', () => {
    const rng = createRng(4);
    const sizes = [50, 0, 300, 150, 500];
    const out = new Int32Array(5);
    const sum = new Float64Array(5);
    for (let r = 0; r < 4000; r++) {
      multinomialCounts(1000, sizes, rng, out, 4);
      expect(out[4]).toBe(0);
      expect(out[1]).toBe(0);
      expect(out.reduce((a, b) => a + b, 0)).toBe(1000);
      for (let g = 0; g < 5; g++) sum[g] += out[g];
    }
    // E = 1000 · size / 500; sd of the mean over 4,000 ≈ √(1000 p (1 − p)) / 63 < 0.25.
    expect(sum[0] / 4000).toBeCloseTo(100, 0);
    expect(sum[2] / 4000).toBeCloseTo(600, 0);
    expect(sum[3] / 4000).toBeCloseTo(300, 0);
  });
});

describe('slice draws', () => {
  const r = createRng(5);
  const sizes = [700, 350, 200, 120, 30];
  const n = sizes.reduce((a, b) => a + b, 0);
  // Exponential per-row losses with a different mean per segment.
  const scores = sizes.map((ns, g) =>
    Float64Array.from({ length: ns }, () => -Math.log(1 - r.next()) * (1 + g / 3)),
  );

  it('equal a materialised re-implementation of the scheme with the same draws', () => {
    const B = 60;
    const t = Math.sqrt; // RMSE's transform, so that t matters
    const fast = sliceDraws(scores, n, B, new BulkRng(9), t);
    // Naive: the same random calls in the same order, each resample's rows materialised as arrays.
    const rng = createRng(9);
    const K = sizes.length;
    for (let b = 0; b < B; b++) {
      const splits = sizes.map((_, s) => {
        const m = new Int32Array(K);
        multinomialCounts(n - sizes[s], sizes, rng, m, s);
        return m;
      });
      const streams = sizes.map((ng, g) => {
        const len = Math.max(ng, ...splits.map((m) => m[g]));
        return Array.from({ length: len }, () => scores[g][rng.int(ng)]);
      });
      for (let s = 0; s < K; s++) {
        const slice = streams[s].slice(0, sizes[s]);
        const rest = sizes.flatMap((_, g) => (g === s ? [] : streams[g].slice(0, splits[s][g])));
        expect(rest.length).toBe(n - sizes[s]);
        let a = 0;
        for (const x of slice) a += x;
        let c = 0;
        // Summed per segment then added, as the fast path does.
        let off = 0;
        for (let g = 0; g < K; g++) {
          if (g === s) continue;
          let cg = 0;
          for (let j = 0; j < splits[s][g]; j++) cg += rest[off + j];
          off += splits[s][g];
          c += cg;
        }
        expect(fast.mDraws[s][b]).toBe(t(a / sizes[s]));
        expect(fast.dDraws[s][b]).toBe(t(a / sizes[s]) - t((a + c) / n));
      }
    }
  });

  it('have the distribution of resampling the slice and the rest separately (the scheme it replaced)', () => {
    const B = 3000;
    const t = (x: number) => x;
    const fast = sliceDraws(scores, n, B, new BulkRng(1), t);
    const rng = createRng(2);
    const moments = (a: ArrayLike<number>) => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m += a[i];
      m /= a.length;
      let v = 0;
      for (let i = 0; i < a.length; i++) v += (a[i] - m) ** 2;
      return { mean: m, sd: Math.sqrt(v / a.length) };
    };
    sizes.forEach((ns, s) => {
      const rest = scores.flatMap((sc, g) => (g === s ? [] : Array.from(sc)));
      const nr = rest.length;
      const m: number[] = [];
      const d: number[] = [];
      for (let b = 0; b < B; b++) {
        let a = 0;
        for (let j = 0; j < ns; j++) a += scores[s][rng.int(ns)];
        let c = 0;
        for (let j = 0; j < nr; j++) c += rest[rng.int(nr)];
        m.push(a / ns);
        d.push(a / ns - (a + c) / n);
      }
      for (const [x, ref] of [
        [moments(fast.mDraws[s]), moments(m)],
        [moments(fast.dDraws[s]), moments(d)],
      ]) {
        // Means within 5 standard errors, spreads within 10 % (the sd's own error is ~1.3 % here).
        expect(Math.abs(x.mean - ref.mean)).toBeLessThan((5 * ref.sd) / Math.sqrt(B / 2));
        expect(Math.abs(x.sd / ref.sd - 1)).toBeLessThan(0.1);
      }
    });
  });
});
