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
import { createRng } from '../ml/random.ts';

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

/** Row counts of one resample of n rows. */
export function resampleCounts(
  n: number,
  rng: { int(n: number): number },
  out = new Float64Array(n),
): Float64Array {
  out.fill(0);
  for (let i = 0; i < n; i++) out[rng.int(n)]++;
  return out;
}

export interface Compared {
  model: Estimate;
  baseline?: Estimate;
  /** model − baseline, paired on the same resamples. */
  diff?: Estimate;
}

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
  const B = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rng = createRng(opts.seed ?? 42);
  const names = Object.keys(model);
  const dm: Record<string, number[]> = {};
  const db: Record<string, number[]> = {};
  const dd: Record<string, number[]> = {};
  for (const k of names) {
    dm[k] = [];
    db[k] = [];
    dd[k] = [];
  }
  const w = new Float64Array(n);
  if (n > 0)
    for (let b = 0; b < B; b++) {
      resampleCounts(n, rng, w);
      for (const k of names) {
        const a = model[k](w);
        dm[k].push(a);
        const f = baseline?.[k];
        if (f) {
          const c = f(w);
          db[k].push(c);
          dd[k].push(a - c);
        }
      }
    }
  const out: Record<string, Compared> = {};
  for (const k of names) {
    const v = model[k]();
    const reason = opts.reasons?.[k];
    const r: Compared = { model: summarise(v, dm[k], B, level, reason) };
    const f = baseline?.[k];
    if (f) {
      const bv = f();
      r.baseline = summarise(bv, db[k], B, level, reason);
      r.diff = summarise(v - bv, dd[k], B, level, reason);
    }
    out[k] = r;
  }
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
  const rng = createRng(opts.seed ?? 42);
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
