import { rocAuc } from '../../src/core/ml/metrics.ts';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Milliseconds an async call takes, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export const round = (x: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1 in the denominator); NaN for fewer than two values. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~1e-15 relative). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta (modified Lentz), valid for x < (a+1)/(a+b+2). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast only on one side of the mean; use the symmetry otherwise.
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df > 0, not necessarily an integer). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`studentTCdf: degrees of freedom must be > 0, got ${df}`);
  if (Number.isNaN(t)) return Number.NaN;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom (0 < p < 1), by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile: degrees of freedom must be > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface TInterval {
  n: number;
  mean: number;
  sd: number;
  /** Standard error used for the interval (after the correction, if any). */
  se: number;
  df: number;
  /** Two-sided level, e.g. 0.95. */
  level: number;
  low: number;
  high: number;
  /** True when the interval excludes 0. */
  excludesZero: boolean;
}

/**
 * Two-sided t-interval for the mean of `xs` (e.g. per-split paired differences AUC_a − AUC_b).
 *
 * `testTrainRatio` applies Nadeau & Bengio's corrected resampled t (Machine Learning 52, 2003): when the
 * values come from repeated random train/test splits of ONE data set, the splits overlap, the values are
 * positively correlated and the plain s/√n understates the uncertainty; the corrected variance is
 * s² · (1/n + n_test/n_train). Leave it out for values from disjoint test sets.
 */
export function tInterval(
  xs: readonly number[],
  opts: { level?: number; testTrainRatio?: number } = {},
): TInterval {
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new Error(`tInterval: level must be in (0, 1), got ${level}`);
  const n = xs.length;
  if (n < 2) throw new Error(`tInterval: needs at least 2 values, got ${n}`);
  if (xs.some((x) => !Number.isFinite(x))) throw new Error('tInterval: values must be finite numbers');
  const m = mean(xs);
  const sd = sampleSd(xs);
  const ratio = opts.testTrainRatio ?? 0;
  if (!(ratio >= 0)) throw new Error(`tInterval: testTrainRatio must be ≥ 0, got ${opts.testTrainRatio}`);
  const se = sd * Math.sqrt(1 / n + ratio);
  const df = n - 1;
  const half = studentTQuantile(1 - (1 - level) / 2, df) * se;
  const low = m - half;
  const high = m + half;
  return { n, mean: m, sd, se, df, level, low, high, excludesZero: low > 0 || high < 0 };
}

/** One group of a paired comparison: labels and the two models' scores on the same rows. */
export interface PairedScores {
  y: ArrayLike<number>;
  a: ArrayLike<number>;
  b: ArrayLike<number>;
}

/**
 * Paired, grouped bootstrap of mean_g [AUC(a) − AUC(b)] over groups g (e.g. disjoint test windows): each
 * resample draws rows with replacement WITHIN every group (both models scored on the same draw), so it
 * measures how much the groups' finite test rows move the mean difference — not how much the models would
 * change with other training rows. Seeded (deterministic). Resamples in which a group lacks one class are
 * dropped. Returns the 2.5 / 50 / 97.5 % quantiles and the standard deviation of the resampled means.
 */
export function bootstrapMeanAucDiff(
  groups: readonly PairedScores[],
  opts: { resamples?: number; seed?: number } = {},
): { p025: number; p50: number; p975: number; sd: number; resamples: number } {
  if (groups.length === 0) throw new Error('bootstrapMeanAucDiff: no groups');
  for (const [i, g] of groups.entries()) {
    if (g.a.length !== g.y.length || g.b.length !== g.y.length)
      throw new Error(
        `bootstrapMeanAucDiff: group ${i} has ${g.y.length} labels but ${g.a.length} / ${g.b.length} scores`,
      );
  }
  const n = opts.resamples ?? 2000;
  let s = (opts.seed ?? 12345) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const bufs = groups.map((g) => ({
    y: new Float64Array(g.y.length),
    a: new Float64Array(g.y.length),
    b: new Float64Array(g.y.length),
  }));
  const means: number[] = [];
  for (let r = 0; r < n; r++) {
    let sum = 0;
    let ok = true;
    for (const [gi, g] of groups.entries()) {
      const m = g.y.length;
      const buf = bufs[gi];
      for (let i = 0; i < m; i++) {
        const k = Math.floor(rand() * m);
        buf.y[i] = g.y[k];
        buf.a[i] = g.a[k];
        buf.b[i] = g.b[k];
      }
      const d = rocAuc(buf.y, buf.a) - rocAuc(buf.y, buf.b);
      if (!Number.isFinite(d)) ok = false;
      sum += d;
    }
    if (ok) means.push(sum / groups.length);
  }
  if (means.length === 0) throw new Error('bootstrapMeanAucDiff: every resample lacked a class');
  means.sort((x, y) => x - y);
  const at = (q: number) => means[Math.min(means.length - 1, Math.floor(q * means.length))];
  return { p025: at(0.025), p50: at(0.5), p975: at(0.975), sd: sampleSd(means), resamples: means.length };
}
