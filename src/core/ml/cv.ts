/**
 * What k-fold training records (./train.ts with a `kfold` split), and the small pure helpers it uses:
 * per-metric mean ± standard deviation over the folds, and the budget (boosting rounds / epochs) of the
 * final refit on all non-test rows taken from the folds' early stopping. No DOM.
 */
import type { LossPoint } from './types.ts';

/** One fold of a cross-validated run. */
export interface CvFold {
  /** 1-based. */
  fold: number;
  /** Rows the fold's pipeline and model were fitted on, and rows it was scored on (with a target). */
  rows: { train: number; valid: number };
  /** Metrics of the fold's model on the fold's validation rows (NaN metrics left out). */
  valid: Record<string, number>;
  /** The baseline fitted on the fold's training rows, on the same validation rows. */
  baseline: Record<string, number>;
  /** Budget steps the fold's fit ran (trees / epochs / iterations), when the family has a budget. */
  steps?: number;
  /** Step with the lowest validation loss (what early stopping keeps). */
  bestStep?: number;
  /** The fold's loss curve (stored with the run, left out of the model artifact). */
  lossCurve?: LossPoint[];
}

/** How the final model's budget was set. */
export interface CvFinal {
  /** The family's budget parameter (`nEstimators`, `epochs`, …); absent when it has none. */
  param?: string;
  /** The value used for the final refit. */
  value?: number;
  /**
   * `cv-early-stopping`: the mean, over the folds, of the step early stopping kept (at least one fold
   * stopped before its budget); `configured`: the configured value (no fold stopped early, or the
   * family has no budget parameter).
   */
  source: 'cv-early-stopping' | 'configured';
  /** Rows the final pipeline and model were fitted on: every non-test row with a target. */
  rows: number;
}

/** A cross-validated run: per-fold metrics, their mean ± std, and how the final model was fitted. */
export interface CvRecord {
  k: number;
  stratified: boolean;
  groupColumn?: string;
  /** Primary metric of the task (what a search ranks by). */
  metric: string;
  higherIsBetter: boolean;
  folds: CvFold[];
  /** Mean over the folds of each metric defined on every fold. */
  mean: Record<string, number>;
  /** Sample standard deviation (n − 1) over the folds of each metric in `mean`. */
  std: Record<string, number>;
  /** Mean of the baseline's fold metrics. */
  baselineMean: Record<string, number>;
  final: CvFinal;
  /**
   * True when a hyperparameter search chose the parameters on these same folds: the fold scores are
   * then optimistic (selection, not nested CV). The test metrics are not: test rows were never seen.
   */
  selectedOnFolds: boolean;
}

/** Mean and sample standard deviation (n − 1; 0 for one fold) of each metric present in every fold. */
export function foldStats(folds: readonly Record<string, number>[]): {
  mean: Record<string, number>;
  std: Record<string, number>;
} {
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  if (folds.length === 0) return { mean, std };
  const names = Object.keys(folds[0]).filter((m) => folds.every((f) => Number.isFinite(f[m])));
  for (const m of names) {
    const xs = folds.map((f) => f[m]);
    const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean[m] = mu;
    std[m] = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / (xs.length - 1)) : 0;
  }
  return { mean, std };
}

/** The step with the lowest validation loss (the first such), or undefined without validation losses. */
export function bestStepOf(curve: readonly LossPoint[]): number | undefined {
  let best: LossPoint | undefined;
  for (const p of curve)
    if (p.valid !== undefined && Number.isFinite(p.valid) && (!best || p.valid < best.valid!)) best = p;
  return best?.step;
}

/**
 * The budget of the final refit: when at least one fold stopped early (ran fewer steps than
 * `configured`), the rounded mean of the folds' best steps (at least 1); otherwise `configured`.
 */
export function finalBudget(
  folds: readonly Pick<CvFold, 'steps' | 'bestStep'>[],
  configured: number,
): { value: number; source: CvFinal['source'] } {
  const stopped = folds.some((f) => f.steps !== undefined && f.steps < configured);
  const best = folds.map((f) => f.bestStep).filter((s): s is number => s !== undefined);
  if (!stopped || best.length !== folds.length) return { value: configured, source: 'configured' };
  const mean = best.reduce((a, b) => a + b, 0) / best.length;
  return { value: Math.max(1, Math.round(mean)), source: 'cv-early-stopping' };
}
