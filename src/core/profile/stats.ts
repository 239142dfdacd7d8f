/**
 * Small statistics on aggregated counts (never on raw rows): confidence intervals, AUC from per-bin
 * counts, mutual information from a contingency table, correlation ratio from per-bin sums.
 */

const Z95 = 1.959963984540054;

/** Wilson score 95 % interval for `k` successes out of `n`. */
export function wilson(k: number, n: number): { lo: number; hi: number } {
  if (n <= 0) return { lo: 0, hi: 1 };
  const p = k / n;
  const z2 = Z95 * Z95;
  const den = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / den;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den;
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

// Two-sided 95 % critical values of Student's t for 1…30 degrees of freedom.
// biome-ignore format: a table
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Two-sided 95 % critical value of t with `df` degrees of freedom (normal beyond 30; ≤ 1 % off for 31–120). */
export function t95(df: number): number {
  if (df < 1) return Number.POSITIVE_INFINITY;
  if (df <= 30) return T95[Math.floor(df) - 1];
  // Cornish–Fisher style correction keeps the error small between 30 and ~120.
  return Z95 + (Z95 ** 3 + Z95) / (4 * df);
}

/** 95 % interval of a mean from n, Σy, Σy² (t with n − 1 df; a single value gives a point). */
export function meanInterval(n: number, s: number, ss: number): { mean: number; lo: number; hi: number } {
  const mean = n > 0 ? s / n : Number.NaN;
  if (n < 2) return { mean, lo: mean, hi: mean };
  const v = Math.max(0, (ss - n * mean * mean) / (n - 1));
  const half = t95(n - 1) * Math.sqrt(v / n);
  return { mean, lo: mean - half, hi: mean + half };
}

/**
 * ROC-AUC of a score that is constant within bins, from per-bin positives `pos` and totals `n`:
 * pairs (positive, negative) where the positive's bin scores higher count 1, same bin ½. Bins are
 * scored by their positive rate, so this is the in-sample AUC of target encoding (≥ 0.5).
 */
export function binnedAuc(bins: readonly { n: number; pos: number }[]): number {
  const sorted = bins.filter((b) => b.n > 0).sort((a, b) => a.pos / a.n - b.pos / b.n);
  const P = sorted.reduce((a, b) => a + b.pos, 0);
  const N = sorted.reduce((a, b) => a + b.n - b.pos, 0);
  if (P === 0 || N === 0) return 0.5;
  let negBelow = 0;
  let sum = 0;
  // Bins with exactly equal rates are one score level: merge them.
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let pos = 0;
    let neg = 0;
    const r = sorted[i].pos / sorted[i].n;
    while (j < sorted.length && sorted[j].pos / sorted[j].n === r) {
      pos += sorted[j].pos;
      neg += sorted[j].n - sorted[j].pos;
      j++;
    }
    sum += pos * negBelow + 0.5 * pos * neg;
    negBelow += neg;
    i = j;
  }
  return sum / (P * N);
}

/** Mutual information (bits) and Theil's U = MI / H(target) of a contingency table `counts[bin][class]`. */
export function mutualInformation(counts: readonly (readonly number[])[]): { mi: number; u: number } {
  const total = counts.reduce((a, row) => a + row.reduce((x, y) => x + y, 0), 0);
  if (total === 0) return { mi: 0, u: 0 };
  const k = Math.max(0, ...counts.map((r) => r.length));
  const colSum = Array.from({ length: k }, (_, j) => counts.reduce((a, r) => a + (r[j] ?? 0), 0));
  let mi = 0;
  for (const row of counts) {
    const rs = row.reduce((x, y) => x + y, 0);
    for (let j = 0; j < row.length; j++) {
      const c = row[j];
      if (c > 0) mi += (c / total) * Math.log2((c * total) / (rs * colSum[j]));
    }
  }
  let h = 0;
  for (const c of colSum) if (c > 0) h -= (c / total) * Math.log2(c / total);
  mi = Math.max(0, mi);
  return { mi, u: h > 0 ? Math.min(1, mi / h) : 0 };
}

/** Correlation ratio η² from per-bin n, Σy, Σy²: between-bin / total sum of squares. */
export function etaSquared(bins: readonly { n: number; s: number; ss: number }[]): number {
  const n = bins.reduce((a, b) => a + b.n, 0);
  if (n < 2) return 0;
  const mean = bins.reduce((a, b) => a + b.s, 0) / n;
  const sst = bins.reduce((a, b) => a + b.ss, 0) - n * mean * mean;
  if (!(sst > 0)) return 0;
  const ssb = bins.reduce((a, b) => (b.n > 0 ? a + b.n * (b.s / b.n - mean) ** 2 : a), 0);
  return Math.min(1, Math.max(0, ssb / sst));
}
