/**
 * Seeded bootstrap intervals. A resample is drawn as counts per row (n draws with replacement), so a
 * metric is evaluated with those counts as weights — the same value as on the materialised resample,
 * without copying arrays (and AUC needs no re-sort). Percentile intervals (numpy's linear
 * interpolation). A resample where a metric is undefined (e.g. AUC with one class) is skipped for that
 * metric and counted.
 *
 * Paired: the model and the baseline are scored on the SAME resamples, and the interval is that of
 * the per-resample difference (model − baseline).
 */
import { type Rng, seedOf } from '../ml/random.ts';

/** A metric of weighted rows (w undefined = every row once). */
export type WeightedMetric = (w?: Float64Array) => number;

export interface Estimate {
  /** Point estimate on the rows as they are; null when undefined. */
  value: number | null;
  /** 95 % percentile interval; null when fewer than 10 resamples were usable. */
  lo: number | null;
  hi: number | null;
  /** Resamples where the metric was undefined and left out. */
  skipped: number;
  resamples: number;
  /** Why `value` is null. */
  reason?: string;
}

export interface BootstrapOptions {
  seed?: number;
  /** Default 1,000. */
  resamples?: number;
  /** Interval level, default 0.95. */
  level?: number;
}

/** numpy.percentile (linear) of a sorted array, q in [0, 1]. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

function summarise(
  value: number,
  draws: number[],
  resamples: number,
  level: number,
  reason?: string,
): Estimate {
  const usable = draws.filter(Number.isFinite).sort((a, b) => a - b);
  const a = (1 - level) / 2;
  const ok = usable.length >= 10 && Number.isFinite(value);
  return {
    value: num(value),
    lo: ok ? quantileSorted(usable, a) : null,
    hi: ok ? quantileSorted(usable, 1 - a) : null,
    skipped: resamples - usable.length,
    resamples,
    ...(Number.isFinite(value) ? {} : { reason: reason ?? 'undefined on these rows' }),
  };
}

/**
 * The same generator as `createRng` (mulberry32, src/core/ml/random.ts: the same seed gives the same
 * numbers), with bulk draws written out in one loop: the bootstrap makes ~10⁸ draws on 100,000 rows,
 * and a closure call per draw was most of a resample's cost.
 */
export class BulkRng implements Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seedOf(seed);
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor(this.next() * Math.floor(n));
  }
  shuffle<A extends { length: number; [index: number]: unknown }>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }
  /** `out[int(n)]++`, `draws` times (n ≥ 1). */
  countDraws(n: number, draws: number, out: Float64Array): void {
    if (n <= 1) {
      if (n === 1) out[0] += draws;
      return;
    }
    const m = Math.floor(n);
    let a = this.a;
    for (let k = 0; k < draws; k++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * m)]++;
    }
    this.a = a;
  }
  /** pre[j] = pre[j − 1] + values[int(values.length)] for j = 1…count (pre[0] is left alone). */
  prefixDraws(values: Float64Array, count: number, pre: Float64Array): void {
    const n = values.length;
    if (n <= 1) {
      // int(1) is 0 without drawing, as in createRng.
      let acc = 0;
      for (let j = 1; j <= count; j++) {
        acc += values[0];
        pre[j] = acc;
      }
      return;
    }
    let a = this.a;
    let acc = 0;
    for (let j = 1; j <= count; j++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      acc += values[Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)];
      pre[j] = acc;
    }
    this.a = a;
  }
}

/** Row counts of one resample of n rows. */
export function resampleCounts(
  n: number,
  rng: { int(n: number): number },
  out = new Float64Array(n),
): Float64Array {
  out.fill(0);
  if (rng instanceof BulkRng) rng.countDraws(n, n, out);
  else for (let i = 0; i < n; i++) out[rng.int(n)]++;
  return out;
}

export interface Compared {
  model: Estimate;
  baseline?: Estimate;
  /** model − baseline, paired on the same resamples. */
  diff?: Estimate;
}

/**
 * Several metrics of weighted rows computed together (w undefined = every row once), written into
 * `out` in the order of the names they were declared with: one pass over the rows can then serve them
 * all (see `binaryMetricsBatch`).
 */
export type WeightedMetrics = (w: Float64Array | undefined, out: Float64Array) => void;

/**
 * Point estimates and intervals for several metrics of a model, and (when given) of a baseline with
 * the paired difference. `reasons` explains a metric that is undefined on the full rows.
 */
export function bootstrapCompare(
  n: number,
  model: Record<string, WeightedMetric>,
  baseline: Record<string, WeightedMetric> | undefined,
  opts: BootstrapOptions & { reasons?: Record<string, string> } = {},
): Record<string, Compared> {
  const names = Object.keys(model);
  const batch =
    (fs: Record<string, WeightedMetric>): WeightedMetrics =>
    (w, out) => {
      names.forEach((k, j) => {
        out[j] = fs[k](w);
      });
    };
  // Metrics the baseline lacks are evaluated as NaN for it and dropped from the result below.
  const base = baseline
    ? batch(Object.fromEntries(names.map((k) => [k, baseline[k] ?? (() => Number.NaN)])))
    : undefined;
  const res = bootstrapCompareBatch(n, names, batch(model), base, opts);
  if (baseline)
    for (const k of names)
      if (!baseline[k]) {
        delete res[k].baseline;
        delete res[k].diff;
      }
  return res;
}

/**
 * `bootstrapCompare` for metrics computed together: `names` in the order `model` / `baseline` write
 * them. The same seed draws the same resamples (one `resampleCounts` per resample), so the intervals
 * are those of `bootstrapCompare` with the metrics one by one.
 */
export function bootstrapCompareBatch(
  n: number,
  names: readonly string[],
  model: WeightedMetrics,
  baseline: WeightedMetrics | undefined,
  opts: BootstrapOptions & { reasons?: Record<string, string> } = {},
): Record<string, Compared> {
  const B = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rng = new BulkRng(opts.seed ?? 42);
  const m = names.length;
  const dm = names.map(() => [] as number[]);
  const db = names.map(() => [] as number[]);
  const dd = names.map(() => [] as number[]);
  const vm = new Float64Array(m);
  const vb = new Float64Array(m);
  const w = new Float64Array(n);
  if (n > 0)
    for (let b = 0; b < B; b++) {
      resampleCounts(n, rng, w);
      model(w, vm);
      if (baseline) baseline(w, vb);
      for (let j = 0; j < m; j++) {
        dm[j].push(vm[j]);
        if (baseline) {
          db[j].push(vb[j]);
          dd[j].push(vm[j] - vb[j]);
        }
      }
    }
  model(undefined, vm);
  if (baseline) baseline(undefined, vb);
  const out: Record<string, Compared> = {};
  names.forEach((k, j) => {
    const reason = opts.reasons?.[k];
    const r: Compared = { model: summarise(vm[j], dm[j], B, level, reason) };
    if (baseline) {
      r.baseline = summarise(vb[j], db[j], B, level, reason);
      r.diff = summarise(vm[j] - vb[j], dd[j], B, level, reason);
    }
    out[k] = r;
  });
  return out;
}

/** Bootstrap interval of the mean of per-row values (slices). */
export function bootstrapMean(
  values: ArrayLike<number>,
  opts: BootstrapOptions & { transform?: (mean: number) => number } = {},
): Estimate {
  const n = values.length;
  const B = opts.resamples ?? 500;
  const t = opts.transform ?? ((x: number) => x);
  const rng = new BulkRng(opts.seed ?? 42);
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const draws: number[] = [];
  if (n > 0)
    for (let b = 0; b < B; b++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += values[rng.int(n)];
      draws.push(t(m / n));
    }
  return summarise(n > 0 ? t(s / n) : Number.NaN, draws, B, opts.level ?? 0.95, n ? undefined : 'no rows');
}

const LOG_FACT = (() => {
  const t = new Float64Array(256);
  for (let k = 2; k < 256; k++) t[k] = t[k - 1] + Math.log(k);
  return t;
})();
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(k!) for an integer k ≥ 0: a table below 256, Stirling's series (error < 1e-15) above. */
export function logFactorial(k: number): number {
  if (k < 256) return LOG_FACT[k];
  const x = k + 1;
  const x2 = x * x;
  return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + (1 / 12 - (1 / 360 - 1 / (1260 * x2)) / x2) / x;
}

/**
 * An exact Binomial(n, p) draw: inversion when n·p < 10, else Hörmann's transformed rejection with
 * squeeze (BTRS, 1993; the sampler TensorFlow and JAX use), a handful of uniforms per draw at any n.
 */
export function binomial(n: number, p: number, rng: { next(): number }): number {
  if (n <= 0 || !(p > 0)) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(n, 1 - p, rng);
  const q = 1 - p;
  if (n * p < 10) {
    const s = p / q;
    const a = (n + 1) * s;
    const r0 = q ** n;
    for (;;) {
      let r = r0;
      let u = rng.next();
      let x = 0;
      while (u > r && x <= n) {
        u -= r;
        x++;
        r *= a / x - s;
      }
      // Rounding can leave a sliver of u past the last term: draw again.
      if (x <= n) return x;
    }
  }
  const spq = Math.sqrt(n * p * q);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const alpha = (2.83 + 5.1 / b) * spq;
  const lpq = Math.log(p / q);
  const m = Math.floor((n + 1) * p);
  const h = logFactorial(m) + logFactorial(n - m);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    if (us >= 0.07 && v <= vr) return k;
    const lv = Math.log((v * alpha) / (a / (us * us) + b));
    if (lv <= h - logFactorial(k) - logFactorial(n - k) + (k - m) * lpq) return k;
  }
}

/**
 * How `draws` uniform draws from a pool made of groups of `sizes` rows fall into the groups
 * (Multinomial(draws, sizes / Σ sizes)), by conditional binomials in group order, into `out`.
 * Groups whose index is `skip` are left out of the pool (and get 0).
 */
export function multinomialCounts(
  draws: number,
  sizes: ArrayLike<number>,
  rng: { next(): number },
  out: Int32Array | Float64Array,
  skip = -1,
): void {
  let rest = 0;
  let lastGroup = -1;
  for (let g = 0; g < sizes.length; g++)
    if (g !== skip && sizes[g] > 0) {
      rest += sizes[g];
      lastGroup = g;
    }
  let left = draws;
  for (let g = 0; g < sizes.length; g++) {
    if (g === skip || !(sizes[g] > 0)) {
      out[g] = 0;
      continue;
    }
    const m = g === lastGroup ? left : binomial(left, sizes[g] / rest, rng);
    out[g] = m;
    left -= m;
    rest -= sizes[g];
  }
}
