/**
 * KernelSHAP (Lundberg & Lee, 2017) for models without an exact explanation (the MLP). Players are
 * groups of encoded columns (one group per input column, so a one-hot block moves together); a
 * coalition keeps its players' values from the explained row and takes the others from each
 * background row (interventional / marginal expectation over a background sample, default 50 rows).
 *
 * v(z) = mean over background rows b of f(x_z, b_¬z), f = the model's raw output (log-odds, log P,
 * value). The Shapley values solve the kernel-weighted least squares with Σφ = f(x) − E[f] imposed
 * exactly (last player eliminated). With at most `maxCoalitions` coalitions every one is enumerated:
 * the values are then the exact Shapley values of that game (`exact: true`, error bound 0). Otherwise
 * coalitions are sampled by size from the Shapley kernel (with their complements), and the standard
 * errors come from the weighted least squares: Cov(β) = σ² (XᵀWX)⁻¹, σ² = Σ w r² / (Z − p).
 * `errorBound` = 1.96 × the largest standard error (≈ a 95 % half-width per value).
 */
import { createRng } from '../ml/random.ts';
import type { Matrix } from '../ml/types.ts';

export interface KernelShapInput {
  /** The encoded row to explain (length = background.cols). */
  x: ArrayLike<number>;
  /** Background rows (same encoding). */
  background: Matrix;
  /** Encoded column indices of each player. */
  groups: number[][];
  /** Raw model output per row of an encoded matrix. */
  f(X: Matrix): Promise<Float64Array>;
}

export interface KernelShapOptions {
  /** Enumerate every coalition when there are at most this many; otherwise sample this many. Default 2048. */
  maxCoalitions?: number;
  seed?: number;
  /** Rows per call of f. Default 32,768. */
  batchRows?: number;
}

export interface KernelShapResult {
  /** E[f] over the background. */
  base: number;
  /** f(x). */
  output: number;
  /** One per player (group); base + Σ values = output. */
  values: Float64Array;
  standardErrors: Float64Array;
  /** 1.96 × the largest standard error; 0 when exact. */
  errorBound: number;
  exact: boolean;
  coalitions: number;
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Solve A x = b (A p×p symmetric) by Gaussian elimination with partial pivoting; returns A⁻¹ too. */
function solve(A: number[][], b: number[]): { x: number[]; inv: number[][] } {
  const p = b.length;
  const M = A.map((row, i) => [...row, b[i], ...Array.from({ length: p }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    const d = M[c][c] || 1e-300;
    for (let j = c; j < M[c].length; j++) M[c][j] /= d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = M[r][c];
      if (f === 0) continue;
      for (let j = c; j < M[r].length; j++) M[r][j] -= f * M[c][j];
    }
  }
  return { x: M.map((row) => row[p]), inv: M.map((row) => row.slice(p + 1)) };
}

export async function kernelShap(
  input: KernelShapInput,
  opts: KernelShapOptions = {},
): Promise<KernelShapResult> {
  const { x, background, groups, f } = input;
  const m = groups.length;
  const cols = background.cols;
  const nb = background.rows;
  const maxCoalitions = opts.maxCoalitions ?? 2048;
  const batchRows = opts.batchRows ?? 32768;
  const one = { rows: 1, cols, data: Float32Array.from(x), features: background.features };
  const output = (await f(one))[0];
  const bg = await f(background);
  let base = 0;
  for (let i = 0; i < nb; i++) base += bg[i];
  base /= nb;
  const delta = output - base;
  const values = new Float64Array(m);
  const se = new Float64Array(m);
  if (m === 0) return { base, output, values, standardErrors: se, errorBound: 0, exact: true, coalitions: 0 };
  if (m === 1) {
    values[0] = delta;
    return { base, output, values, standardErrors: se, errorBound: 0, exact: true, coalitions: 0 };
  }

  // Coalitions (membership masks) and their weights.
  const masks: Uint8Array[] = [];
  const weights: number[] = [];
  const total = 2 ** m - 2;
  const exact = m <= 30 && total <= maxCoalitions;
  if (exact) {
    for (let code = 1; code <= total; code++) {
      const z = new Uint8Array(m);
      let s = 0;
      for (let j = 0; j < m; j++)
        if ((code >>> j) & 1) {
          z[j] = 1;
          s++;
        }
      masks.push(z);
      weights.push((m - 1) / (binom(m, s) * s * (m - s)));
    }
  } else {
    const rng = createRng(opts.seed ?? 42);
    const sizeW = Array.from({ length: m - 1 }, (_, i) => (m - 1) / ((i + 1) * (m - 1 - i)));
    const sum = sizeW.reduce((a, b) => a + b, 0);
    const idx = Array.from({ length: m }, (_, j) => j);
    for (let c = 0; c + 1 < maxCoalitions; c += 2) {
      let u = rng.next() * sum;
      let s = 1;
      for (; s < m - 1 && u > sizeW[s - 1]; s++) u -= sizeW[s - 1];
      rng.shuffle(idx);
      const z = new Uint8Array(m);
      for (let j = 0; j < s; j++) z[idx[j]] = 1;
      const zc = z.map((v) => 1 - v);
      masks.push(z, zc);
      weights.push(1, 1);
    }
  }

  // v(z): the mean raw output over background rows with the coalition's columns taken from x.
  const Z = masks.length;
  const v = new Float64Array(Z);
  const perBatch = Math.max(1, Math.floor(batchRows / nb));
  for (let start = 0; start < Z; start += perBatch) {
    const end = Math.min(Z, start + perBatch);
    const rows = (end - start) * nb;
    const data = new Float32Array(rows * cols);
    for (let zi = start; zi < end; zi++) {
      const z = masks[zi];
      for (let b = 0; b < nb; b++) {
        const off = ((zi - start) * nb + b) * cols;
        data.set(background.data.subarray(b * cols, (b + 1) * cols), off);
        for (let j = 0; j < m; j++) if (z[j]) for (const c of groups[j]) data[off + c] = x[c];
      }
    }
    const out = await f({ rows, cols, data, features: background.features });
    for (let zi = start; zi < end; zi++) {
      let s = 0;
      for (let b = 0; b < nb; b++) s += out[(zi - start) * nb + b];
      v[zi] = s / nb;
    }
  }

  // Weighted least squares with the last player eliminated: φ_m = Δ − Σ_{j<m} φ_j.
  const p = m - 1;
  const wsum = weights.reduce((a, b) => a + b, 0);
  const A = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const rhs = new Array<number>(p).fill(0);
  const X = masks.map((z) => Array.from({ length: p }, (_, j) => z[j] - z[m - 1]));
  const t = masks.map((z, i) => v[i] - base - z[m - 1] * delta);
  for (let i = 0; i < Z; i++) {
    const w = (weights[i] * Z) / wsum;
    const xi = X[i];
    for (let a = 0; a < p; a++) {
      if (xi[a] === 0) continue;
      rhs[a] += w * xi[a] * t[i];
      for (let b = 0; b < p; b++) A[a][b] += w * xi[a] * xi[b];
    }
  }
  for (let a = 0; a < p; a++) A[a][a] += 1e-12;
  const { x: beta, inv } = solve(A, rhs);
  let rest = delta;
  for (let j = 0; j < p; j++) {
    values[j] = beta[j];
    rest -= beta[j];
  }
  values[m - 1] = rest;

  let errorBound = 0;
  if (!exact) {
    let rss = 0;
    for (let i = 0; i < Z; i++) {
      let fit = 0;
      for (let j = 0; j < p; j++) fit += X[i][j] * beta[j];
      rss += ((weights[i] * Z) / wsum) * (t[i] - fit) ** 2;
    }
    const sigma2 = rss / Math.max(1, Z - p);
    let sumAll = 0;
    for (let a = 0; a < p; a++) {
      se[a] = Math.sqrt(Math.max(0, sigma2 * inv[a][a]));
      for (let b = 0; b < p; b++) sumAll += inv[a][b];
    }
    se[m - 1] = Math.sqrt(Math.max(0, sigma2 * sumAll));
    for (let j = 0; j < m; j++) errorBound = Math.max(errorBound, 1.96 * se[j]);
  }
  return { base, output, values, standardErrors: se, errorBound, exact, coalitions: Z };
}
