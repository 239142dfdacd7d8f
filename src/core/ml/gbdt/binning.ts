/**
 * Feature binning for the histogram GBDT: every feature value becomes a small integer (≤ 255) once,
 * before training, so histogram building is a tight loop over a Uint8Array.
 *
 * - Bin 0 is always "missing" (NaN; for categoricals also negative / non-integer codes).
 * - Numeric features: up to `maxBins - 1` value bins from quantiles of (a sample of) the training
 *   rows. Bin b (1-based) holds values `upper[b-1] < v <= upper[b]`; `upper` are midpoints between
 *   neighbouring distinct values, so a split "bin <= t" is the raw-value test `v <= upper[t]` and
 *   prediction never needs the bins.
 * - Categorical features (integer codes): one bin per code seen in training, the most frequent
 *   first; when there are more codes than bins the rarest share the last bin ("other").
 *
 * Layout: row-major `bins[r * nFeatures + f]`: one pass over a node's rows updates every feature's
 * histogram while reading each row's gradient once (the features-per-row count is small for tabular
 * data; this beat column-major in our measurements).
 */
import type { Matrix } from '../types.ts';

export interface FeatureBins {
  kind: 'numeric' | 'categorical';
  /** Number of bins including the missing bin 0. */
  nBins: number;
  /** Numeric: `upper[b]` = largest raw value in bin b (b ≥ 1; the last is +Infinity). Length nBins. */
  upper: Float64Array;
  /** Categorical: bin → the category codes it holds (bin 0: none). */
  binCodes: number[][];
  /** Categorical: code → bin (0 = unseen in training). Length = number of codes known. */
  codeToBin: Int32Array;
}

export interface BinnedData {
  rows: number;
  nFeatures: number;
  /** Row-major bins, rows × nFeatures. */
  bins: Uint8Array;
  features: FeatureBins[];
  /** Offset of each feature's first bin in a flat histogram; last entry = total bins. */
  binOffset: Int32Array;
  totalBins: number;
}

/** Rows used to find the numeric quantiles (like LightGBM's bin_construct_sample_cnt). */
const BIN_SAMPLE = 200_000;

/** Quantile-style edges for one numeric feature from its (sampled) non-missing values. */
export function numericUpperBounds(values: Float64Array, maxValueBins: number): Float64Array {
  const v = values.slice().sort();
  const n = v.length;
  if (n === 0) return Float64Array.of(Number.POSITIVE_INFINITY);
  // Distinct values with their counts.
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || v[i] !== v[i - 1]) {
      distinct.push(v[i]);
      counts.push(1);
    } else counts[counts.length - 1]++;
  }
  const d = distinct.length;
  const uppers: number[] = [];
  if (d <= maxValueBins) {
    for (let i = 0; i < d - 1; i++) uppers.push(midpoint(distinct[i], distinct[i + 1]));
  } else {
    // Greedy equal-frequency cut over distinct values: close a bin once it holds ≥ n / bins rows,
    // re-targeting the remaining rows over the remaining bins (heavy values get their own bin).
    let remaining = n;
    let binsLeft = maxValueBins;
    let inBin = 0;
    for (let i = 0; i < d - 1 && binsLeft > 1; i++) {
      inBin += counts[i];
      const target = remaining / binsLeft;
      if (inBin >= target || counts[i + 1] >= target) {
        uppers.push(midpoint(distinct[i], distinct[i + 1]));
        remaining -= inBin;
        binsLeft--;
        inBin = 0;
      }
    }
  }
  uppers.push(Number.POSITIVE_INFINITY);
  return Float64Array.from(uppers);
}

function midpoint(a: number, b: number): number {
  const m = a + (b - a) / 2;
  // Keep a < m; if the midpoint rounds onto b (adjacent doubles) use a itself (v <= a goes left).
  return m >= b ? a : m;
}

/** Deterministic sample of row indices (every k-th row) for quantiles. */
function sampleRows(rows: number): Uint32Array {
  if (rows <= BIN_SAMPLE) {
    const all = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) all[i] = i;
    return all;
  }
  const out = new Uint32Array(BIN_SAMPLE);
  const step = rows / BIN_SAMPLE;
  for (let i = 0; i < BIN_SAMPLE; i++) out[i] = Math.floor(i * step);
  return out;
}

/** Learn the bins of every feature from the training matrix. */
export function fitBins(X: Matrix, maxBins: number): FeatureBins[] {
  const nb = Math.max(3, Math.min(255, Math.floor(maxBins)));
  const { rows, cols, data } = X;
  const sample = sampleRows(rows);
  const out: FeatureBins[] = [];
  for (let f = 0; f < cols; f++) {
    const info = X.features[f];
    if (info?.kind === 'categorical') {
      out.push(fitCategorical(X, f, nb));
      continue;
    }
    const vals = new Float64Array(sample.length);
    let k = 0;
    for (let i = 0; i < sample.length; i++) {
      const v = data[sample[i] * cols + f];
      if (!Number.isNaN(v)) vals[k++] = v;
    }
    const ub = numericUpperBounds(vals.subarray(0, k), nb - 1);
    const upper = new Float64Array(ub.length + 1);
    upper[0] = Number.NaN;
    upper.set(ub, 1);
    out.push({ kind: 'numeric', nBins: upper.length, upper, binCodes: [], codeToBin: new Int32Array(0) });
  }
  return out;
}

function fitCategorical(X: Matrix, f: number, nb: number): FeatureBins {
  const { rows, cols, data } = X;
  let maxCode = (X.features[f]?.categories ?? 0) - 1;
  for (let r = 0; r < rows; r++) {
    const v = data[r * cols + f];
    if (v > maxCode && Number.isInteger(v)) maxCode = v;
  }
  const counts = new Float64Array(maxCode + 1);
  for (let r = 0; r < rows; r++) {
    const v = data[r * cols + f];
    if (v >= 0 && Number.isInteger(v)) counts[v]++;
  }
  const seen: number[] = [];
  for (let c = 0; c <= maxCode; c++) if (counts[c] > 0) seen.push(c);
  seen.sort((a, b) => counts[b] - counts[a] || a - b);
  const codeToBin = new Int32Array(maxCode + 1);
  const binCodes: number[][] = [[]];
  for (let i = 0; i < seen.length; i++) {
    const bin = Math.min(i + 1, nb - 1);
    codeToBin[seen[i]] = bin;
    if (bin >= binCodes.length) binCodes.push([]);
    binCodes[bin].push(seen[i]);
  }
  // At least one value bin so the layout is uniform.
  if (binCodes.length < 2) binCodes.push([]);
  return { kind: 'categorical', nBins: binCodes.length, upper: new Float64Array(0), binCodes, codeToBin };
}

/** Bin index of one raw value. */
export function binValue(fb: FeatureBins, v: number): number {
  if (Number.isNaN(v)) return 0;
  if (fb.kind === 'categorical') {
    return v >= 0 && v < fb.codeToBin.length && Number.isInteger(v) ? fb.codeToBin[v] : 0;
  }
  // First b ≥ 1 with v <= upper[b] (upper[nBins-1] = +Infinity).
  const u = fb.upper;
  let lo = 1;
  let hi = fb.nBins - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= u[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bin a whole matrix with learnt bins (row-major Uint8Array). */
export function binMatrix(X: Matrix, features: FeatureBins[]): BinnedData {
  const { rows, cols, data } = X;
  const bins = new Uint8Array(rows * cols);
  for (let f = 0; f < cols; f++) {
    const fb = features[f];
    if (fb.kind === 'categorical') {
      const map = fb.codeToBin;
      const m = map.length;
      for (let r = 0, i = f; r < rows; r++, i += cols) {
        const v = data[i];
        bins[i] = v >= 0 && v < m && v === Math.floor(v) ? map[v] : 0;
      }
    } else if (fb.nBins <= 17) {
      for (let r = 0, i = f; r < rows; r++, i += cols) bins[i] = binValue(fb, data[i]);
    } else {
      // Binary search inlined.
      const u = fb.upper;
      const last = fb.nBins - 1;
      for (let r = 0, i = f; r < rows; r++, i += cols) {
        const v = data[i];
        if (Number.isNaN(v)) continue;
        let lo = 1;
        let hi = last;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (v <= u[mid]) hi = mid;
          else lo = mid + 1;
        }
        bins[i] = lo;
      }
    }
  }
  const binOffset = new Int32Array(cols + 1);
  for (let f = 0; f < cols; f++) binOffset[f + 1] = binOffset[f] + features[f].nBins;
  return { rows, nFeatures: cols, bins, features, binOffset, totalBins: binOffset[cols] };
}
