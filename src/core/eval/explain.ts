/**
 * Explanations of a trained model on evaluation rows, pure (no DOM):
 * - local: contributions of each INPUT column to one row's raw output (log-odds for binary, log P(class)
 *   for multiclass, the value for regression), from the family's exact `explain` (TreeSHAP for GBDT,
 *   exact for linear) folded from encoded features onto input columns by `FeatureInfo.source`, or
 *   KernelSHAP (./kernelShap.ts) over input-column groups when the family has none (MLP);
 *   for text columns, optionally also per term (./terms.ts) from the per-encoded-feature values of the
 *   family's explainer (not from KernelSHAP, whose players are whole columns);
 * - global: mean |contribution| per input column over a sample of rows;
 * - permutation importance: seeded shuffles of one input column across the evaluation rows, the drop
 *   in the metric (mean and spread over the repeats).
 */
import { createRng } from '../ml/random.ts';
import type { FeatureInfo, Matrix, Prediction, Task, TrainedModel } from '../ml/types.ts';
import { kernelShap } from './kernelShap.ts';
import { type TextTerms, termContributions } from './terms.ts';

const clip = (p: number) => Math.min(1 - 1e-15, Math.max(1e-15, p));

/** The raw output explanations add up to: logit(p), log p_class, or the value. */
export function rawOutput(task: Task, p: Prediction, row: number, k: number, classIndex = 0): number {
  if (task === 'binary') {
    const q = clip(p[row]);
    return Math.log(q / (1 - q));
  }
  if (task === 'multiclass') return Math.log(clip(p[row * k + classIndex]));
  return p[row];
}

/** Encoded column indices per input column (in first-seen order). */
export function groupsBySource(features: readonly FeatureInfo[]): { sources: string[]; groups: number[][] } {
  const index = new Map<string, number>();
  const groups: number[][] = [];
  const sources: string[] = [];
  features.forEach((f, j) => {
    let g = index.get(f.source);
    if (g === undefined) {
      g = sources.length;
      index.set(f.source, g);
      sources.push(f.source);
      groups.push([]);
    }
    groups[g].push(j);
  });
  return { sources, groups };
}

/** Sum encoded-feature contributions onto their input columns. */
export function foldBySource(
  features: readonly FeatureInfo[],
  values: ArrayLike<number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  features.forEach((f, j) => {
    out[f.source] = (out[f.source] ?? 0) + values[j];
  });
  return out;
}

export interface RowExplanation {
  /** Position among the evaluation rows. */
  index: number;
  /** Explained class (multiclass: the predicted one). */
  classIndex: number;
  base: number;
  /**
   * The model's raw output for the row, = base + Σ contributions: log-odds (binary), the family's
   * margin (multiclass exact explainers) or log P(class) (KernelSHAP), the value (regression).
   */
  output: number;
  /** Per input column, sorted by |value| descending. */
  contributions: { column: string; value: number }[];
  /** `sampled-shap`: the family's own sampling explanation (the MLP's permutation SHAP). */
  method: 'treeshap' | 'exact-linear' | 'sampled-shap' | 'kernelshap' | 'none';
  /** Approximations: error bound per value (KernelSHAP: 95 % half-width, 0 when every coalition was enumerated). */
  errorBound?: number;
  exact: boolean;
  /**
   * Text columns split per term (asked with `opts.terms`; only when the family explains per encoded
   * feature — TreeSHAP, exact linear, the MLP's sampled SHAP — not with the KernelSHAP fallback).
   * Each column's terms + otherPresent + absent = its entry in `contributions` (the same values summed;
   * for the MLP each term value carries the same `errorBound`).
   */
  terms?: TextTerms[];
}

function methodOf(family: string): RowExplanation['method'] {
  return family === 'gbdt' ? 'treeshap' : family === 'linear' ? 'exact-linear' : 'sampled-shap';
}

/** Rows of a matrix as a smaller matrix. */
export function subMatrix(X: Matrix, rows: readonly number[]): Matrix {
  const data = new Float32Array(rows.length * X.cols);
  rows.forEach((r, i) => {
    data.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), i * X.cols);
  });
  return { rows: rows.length, cols: X.cols, data, features: X.features };
}

export interface ExplainContext {
  task: Task;
  /** Number of classes (2 for binary). */
  k: number;
  model: TrainedModel;
  /** Encoded evaluation rows. */
  X: Matrix;
  /** The model's predictions on X (to pick the class and the raw output). */
  p: Prediction;
  /** Background rows for KernelSHAP (default: 50 seeded rows of X). */
  background?: Matrix;
  seed?: number;
  /** KernelSHAP coalition budget (see kernelShap). */
  maxCoalitions?: number;
}

function predictedClass(ctx: ExplainContext, row: number): number {
  if (ctx.task !== 'multiclass') return 0;
  let best = 0;
  for (let c = 1; c < ctx.k; c++) if (ctx.p[row * ctx.k + c] > ctx.p[row * ctx.k + best]) best = c;
  return best;
}

/** A seeded sample of up to `n` row positions out of `total`. */
export function sampleRows(total: number, n: number, seed: number): number[] {
  const idx = Array.from({ length: total }, (_, i) => i);
  if (total <= n) return idx;
  createRng(seed).shuffle(idx);
  return idx.slice(0, n).sort((a, b) => a - b);
}

/**
 * Explain rows (positions in ctx.X). `opts.terms`: also keep, per text column, the top this many
 * present terms (see `RowExplanation.terms`); default 0 = none.
 */
export async function explainRows(
  ctx: ExplainContext,
  rows: readonly number[],
  opts: { terms?: number } = {},
): Promise<RowExplanation[]> {
  const wantTerms = (opts.terms ?? 0) > 0 && hasTerms(ctx.X);
  const { model, X, task, k } = ctx;
  const { sources, groups } = groupsBySource(X.features);
  const out: RowExplanation[] = [];
  const method = model.explain ? methodOf(model.family) : 'kernelshap';
  let background = ctx.background;
  if (!model.explain && !background) background = subMatrix(X, sampleRows(X.rows, 50, ctx.seed ?? 42));
  for (const r of rows) {
    const cls = predictedClass(ctx, r);
    let base: number;
    let folded: Record<string, number>;
    let errorBound: number | undefined;
    let exact = true;
    let terms: TextTerms[] | undefined;
    let output = rawOutput(task, ctx.p, r, k, cls);
    if (model.explain) {
      const e = await model.explain(X, r, { classIndex: cls });
      base = e.base;
      folded = foldBySource(X.features, e.values);
      if (wantTerms)
        terms = termContributions(X.features, e.values, X.data.subarray(r * X.cols, (r + 1) * X.cols), {
          top: opts.terms,
        });
      if (e.errorBound !== undefined) {
        errorBound = e.errorBound;
        exact = false;
      }
      // Exact explainers add up to the family's raw output (log-odds, margin, value).
      output = e.base + e.values.reduce((a, b) => a + b, 0);
    } else {
      const f = async (M: Matrix) => {
        const p = await model.predict(M);
        return Float64Array.from({ length: M.rows }, (_, i) => rawOutput(task, p, i, k, cls));
      };
      const ks = await kernelShap(
        { x: X.data.subarray(r * X.cols, (r + 1) * X.cols), background: background!, groups, f },
        { seed: ctx.seed, maxCoalitions: ctx.maxCoalitions },
      );
      base = ks.base;
      output = ks.output;
      folded = Object.fromEntries(sources.map((s, j) => [s, ks.values[j]]));
      errorBound = ks.errorBound;
      exact = ks.exact;
    }
    const contributions = Object.entries(folded)
      .map(([column, value]) => ({ column, value }))
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
    out.push({
      index: r,
      classIndex: cls,
      base,
      output,
      contributions,
      method,
      ...(errorBound !== undefined ? { errorBound } : {}),
      exact,
      ...(terms ? { terms } : {}),
    });
  }
  return out;
}

function hasTerms(X: Matrix): boolean {
  return X.features.some((f) => f.term !== undefined);
}

export interface GlobalImportance {
  column: string;
  /** Mean |contribution| (raw-output units). */
  meanAbs: number;
  /** Mean signed contribution. */
  mean: number;
}

/** Mean |SHAP| per input column over the explained rows, largest first. */
export function globalShap(explanations: readonly RowExplanation[]): GlobalImportance[] {
  const sumAbs = new Map<string, number>();
  const sum = new Map<string, number>();
  for (const e of explanations)
    for (const c of e.contributions) {
      sumAbs.set(c.column, (sumAbs.get(c.column) ?? 0) + Math.abs(c.value));
      sum.set(c.column, (sum.get(c.column) ?? 0) + c.value);
    }
  const n = Math.max(1, explanations.length);
  return [...sumAbs.entries()]
    .map(([column, s]) => ({ column, meanAbs: s / n, mean: (sum.get(column) ?? 0) / n }))
    .sort((a, b) => b.meanAbs - a.meanAbs);
}

export interface PermutationImportance {
  column: string;
  /** Mean drop in the metric (positive = the column matters; in "better" direction units). */
  drop: number;
  /** Standard deviation of the drop over the repeats. */
  std: number;
  repeats: number;
}

/**
 * Permutation importance: for each input column, `repeats` seeded shuffles of its values across the
 * rows (`encode(permutedColumn)` re-encodes the rows with that column's values replaced), the
 * prediction, and the drop `score(original) − score(permuted)` (for a lower-is-better metric the sign is
 * flipped, so a positive drop always means the model got worse).
 */
export async function permutationImportance(args: {
  columns: readonly string[];
  n: number;
  /** Encoded rows where `column`'s values are permuted by `perm` (row i takes row perm[i]'s value). */
  encode(column: string, perm: Uint32Array): Matrix;
  predict(X: Matrix): Promise<Prediction>;
  score(p: Prediction): number;
  baseline: number;
  higherIsBetter: boolean;
  repeats?: number;
  seed?: number;
}): Promise<PermutationImportance[]> {
  const repeats = args.repeats ?? 3;
  const rng = createRng(args.seed ?? 42);
  const out: PermutationImportance[] = [];
  const sign = args.higherIsBetter ? 1 : -1;
  for (const column of args.columns) {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const perm = Uint32Array.from({ length: args.n }, (_, i) => i);
      rng.shuffle(perm);
      const s = args.score(await args.predict(args.encode(column, perm)));
      drops.push(sign * (args.baseline - s));
    }
    const mean = drops.reduce((a, b) => a + b, 0) / repeats;
    const std = Math.sqrt(drops.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, repeats - 1));
    out.push({ column, drop: mean, std, repeats });
  }
  return out.sort((a, b) => b.drop - a.drop);
}
