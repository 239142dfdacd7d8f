import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../../src/core/ml/metrics.ts';
import {
  bootstrapMeanAucDiff,
  mean,
  median,
  type PairedScores,
  sampleSd,
  studentTCdf,
  studentTQuantile,
  tInterval,
} from '../stats.ts';

describe('mean / sampleSd / median', () => {
  it('match hand-computed values', () => {
    expect(mean([1, 2, 3, 4, 5])).toBe(3);
    // Σ(x − 3)² = 10, / (5 − 1) = 2.5
    expect(sampleSd([1, 2, 3, 4, 5])).toBeCloseTo(Math.sqrt(2.5), 14);
    expect(median([5, 1, 4, 2])).toBe(3);
    expect(Number.isNaN(sampleSd([1]))).toBe(true);
  });
});

describe('studentTCdf', () => {
  it('matches the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [-7.5, -1.3, -0.2, 0, 0.4, 1, 2.5, 30]) {
      // df = 1 is the Cauchy distribution; df = 2 has F(t) = 1/2 + t / (2 √(2 + t²)).
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });

  it('matches reference values (scipy.stats.t.cdf)', () => {
    expect(studentTCdf(-1.3, 7)).toBeCloseTo(0.11738391769618858, 10);
    expect(studentTCdf(2, 5)).toBeCloseTo(0.9490302605850709, 10);
  });

  it('tends to the normal CDF for large df', () => {
    expect(studentTCdf(1.959963984540054, 1e7)).toBeCloseTo(0.975, 6);
  });
});

describe('studentTQuantile', () => {
  // Two-sided 95 % (p = 0.975), 90 % and 99 % critical values from printed t tables / scipy.stats.t.ppf.
  const known: [number, number, number][] = [
    [0.975, 1, 12.706204736432095],
    [0.975, 2, 4.302652729911275],
    [0.975, 4, 2.7764451051977987],
    [0.975, 9, 2.2621571627409915],
    [0.975, 29, 2.045229642132703],
    [0.95, 10, 1.8124611228107335],
    [0.975, 1e6, 1.9599663568141066],
    [0.975, 2.5, 3.5746548420118773],
  ];
  it.each(known)('p = %f, df = %f → %f', (p, df, q) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(q, 8);
    expect(studentTQuantile(1 - p, df)).toBeCloseTo(-q, 8);
  });

  it('inverts the closed-form CDF of df = 3 in the far tail (printed tables: t_0.995,3 = 5.8409)', () => {
    // F(t) = 1/2 + (u / (1 + u²) + atan u) / π with u = t / √3. (scipy's ppf here is off by 1e-8.)
    const q = studentTQuantile(0.995, 3);
    const u = q / Math.sqrt(3);
    expect(0.5 + (u / (1 + u * u) + Math.atan(u)) / Math.PI).toBeCloseTo(0.995, 13);
    expect(q).toBeCloseTo(5.8409, 4);
  });

  it('names bad input', () => {
    expect(() => studentTQuantile(1, 5)).toThrow(/p must be in \(0, 1\)/);
    expect(() => studentTQuantile(0.9, 0)).toThrow(/degrees of freedom/);
  });
});

describe('tInterval', () => {
  const diffs = [0.012, -0.004, 0.021, 0.003, -0.01, 0.008];

  it('matches scipy.stats.t.interval for a plain mean', () => {
    const ci = tInterval(diffs);
    expect(ci.n).toBe(6);
    expect(ci.df).toBe(5);
    expect(ci.mean).toBeCloseTo(0.005, 14);
    expect(ci.sd).toBeCloseTo(0.011171392035015153, 12);
    expect(ci.low).toBeCloseTo(-0.006723656953257333, 10);
    expect(ci.high).toBeCloseTo(0.016723656953257334, 10);
    expect(ci.excludesZero).toBe(false);
  });

  it('widens by the Nadeau–Bengio factor √(1/n + n_test/n_train) for overlapping random splits', () => {
    // Reference: mean ± t_{0.975,5} · sd · √(1/6 + 0.15/0.70), computed with scipy.
    const ci = tInterval(diffs, { testTrainRatio: 0.15 / 0.7 });
    expect(ci.low).toBeCloseTo(-0.01272450328831548, 10);
    expect(ci.high).toBeCloseTo(0.022724503288315483, 10);
  });

  it('flags an interval that excludes 0', () => {
    const ci = tInterval([0.01, 0.012, 0.011, 0.013, 0.009]);
    expect(ci.excludesZero).toBe(true);
    expect(ci.low).toBeGreaterThan(0);
  });

  it('names bad input', () => {
    expect(() => tInterval([1])).toThrow(/at least 2 values/);
    expect(() => tInterval([1, Number.NaN])).toThrow(/finite/);
    expect(() => tInterval([1, 2], { level: 95 })).toThrow(/level must be in/);
  });
});

describe('bootstrapMeanAucDiff', () => {
  /** Two correlated scorers of a binary label: a shared signal plus each its own noise (seeded). */
  function synthetic(rows: number, seed: number): PairedScores {
    let st = seed;
    const u = () => {
      st = (Math.imul(st, 1103515245) + 12345) >>> 0;
      return (st + 0.5) / 2 ** 32;
    };
    const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    const y = new Float64Array(rows);
    const a = new Float64Array(rows);
    const b = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      y[i] = u() < 0.2 ? 1 : 0;
      const shared = y[i] + normal();
      a[i] = shared + 0.5 * normal();
      b[i] = shared + 0.7 * normal();
    }
    return { y, a, b };
  }

  /** DeLong's variance of AUC(a) − AUC(b) (DeLong, DeLong & Clarke-Pearson 1988), written out in full. */
  function delongVar({ y, a, b }: PairedScores): number {
    const pos: number[] = [];
    const neg: number[] = [];
    for (let i = 0; i < y.length; i++) (y[i] === 1 ? pos : neg).push(i);
    const psi = (x: number, z: number) => (x > z ? 1 : x === z ? 0.5 : 0);
    const comp = (s: ArrayLike<number>) => ({
      v10: pos.map((i) => mean(neg.map((j) => psi(s[i], s[j])))),
      v01: neg.map((j) => mean(pos.map((i) => psi(s[i], s[j])))),
    });
    const ca = comp(a);
    const cb = comp(b);
    const d10 = ca.v10.map((v, k) => v - cb.v10[k]);
    const d01 = ca.v01.map((v, k) => v - cb.v01[k]);
    return sampleSd(d10) ** 2 / pos.length + sampleSd(d01) ** 2 / neg.length;
  }

  it('spreads like DeLong’s standard error of the mean difference over two groups', () => {
    const groups = [synthetic(500, 1), synthetic(600, 2)];
    const boot = bootstrapMeanAucDiff(groups, { resamples: 1000, seed: 7 });
    const se = Math.sqrt(delongVar(groups[0]) + delongVar(groups[1])) / 2;
    expect(boot.sd / se).toBeGreaterThan(0.85);
    expect(boot.sd / se).toBeLessThan(1.15);
    const observed = mean(groups.map((g) => rocAuc(g.y, g.a) - rocAuc(g.y, g.b)));
    expect(Math.abs(boot.p50 - observed)).toBeLessThan(se / 2);
    expect(boot.p025).toBeLessThan(observed);
    expect(boot.p975).toBeGreaterThan(observed);
  });

  it('is exactly 0 when both models score alike, and deterministic for a seed', () => {
    const g = synthetic(200, 3);
    const same = bootstrapMeanAucDiff([{ y: g.y, a: g.a, b: g.a }], { resamples: 200 });
    expect([same.p025, same.p975, same.sd]).toEqual([0, 0, 0]);
    expect(bootstrapMeanAucDiff([g], { resamples: 100, seed: 5 })).toEqual(
      bootstrapMeanAucDiff([g], { resamples: 100, seed: 5 }),
    );
  });

  it('names bad input', () => {
    expect(() => bootstrapMeanAucDiff([])).toThrow(/no groups/);
    expect(() => bootstrapMeanAucDiff([{ y: [0, 1], a: [0.1], b: [0.2, 0.3] }])).toThrow(
      /group 0 has 2 labels/,
    );
  });
});
