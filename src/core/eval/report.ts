/**
 * The metric table of an evaluation: every metric of the task with its 95 % bootstrap interval, the
 * baseline's, and the paired difference (same resamples), plus the task's curves and matrices.
 * Pure (no DOM); JSON-serialisable output (numbers, arrays, null).
 */
import type { Task } from '../ml/types.ts';
import {
  type BootstrapOptions,
  bootstrapCompare,
  bootstrapCompareBatch,
  type Compared,
  type WeightedMetric,
} from './bootstrap.ts';
import {
  accuracy,
  argmaxRows,
  averagePrecision,
  BINARY_KEYS,
  bestThreshold,
  binaryMetricsBatch,
  brier,
  type CalibrationBin,
  type CostMatrix,
  calibration,
  confusionAt,
  confusionMatrix,
  descendingOrder,
  f1Scores,
  type GainsPoint,
  gains,
  logLoss,
  mae,
  mape,
  metricsFromConfusion,
  multiLogLoss,
  type PerClass,
  perClass,
  prCurve,
  r2,
  rmse,
  rocAuc,
  rocCurve,
  topKAccuracy,
} from './metrics.ts';

export interface MetricRow extends Compared {
  key: string;
  label: string;
  higherIsBetter: boolean;
  /** Short definition for a tooltip. */
  help: string;
}

export const DEFAULT_COSTS: CostMatrix = { tp: 100, fp: -20, fn: -50, tn: 0 };

interface Def {
  label: string;
  higherIsBetter: boolean;
  help: string;
  f: (y: ArrayLike<number>, p: ArrayLike<number>, w?: Float64Array) => number;
}

function definitions(task: Task, k: number, threshold: number, order?: Uint32Array): Record<string, Def> {
  if (task === 'binary') {
    const at =
      (key: 'accuracy' | 'precision' | 'recall' | 'f1') =>
      (y: ArrayLike<number>, p: ArrayLike<number>, w?: Float64Array) =>
        metricsFromConfusion(confusionAt(y, p, threshold, w))[key];
    return {
      auc: {
        label: 'ROC-AUC',
        higherIsBetter: true,
        help: 'Probability a random positive scores above a random negative (ties ½)',
        f: (y, p, w) => rocAuc(y, p, w, order),
      },
      ap: {
        label: 'PR-AUC (average precision)',
        higherIsBetter: true,
        help: 'Σ (Rₙ − Rₙ₋₁) Pₙ over thresholds (scikit-learn)',
        f: (y, p, w) => averagePrecision(y, p, w, order),
      },
      logloss: {
        label: 'log loss',
        higherIsBetter: false,
        help: 'Mean −log P(actual class)',
        f: (y, p, w) => logLoss(y, p, w),
      },
      brier: {
        label: 'Brier score',
        higherIsBetter: false,
        help: 'Mean (P − outcome)²',
        f: (y, p, w) => brier(y, p, w),
      },
      accuracy: {
        label: `accuracy @ ${threshold}`,
        higherIsBetter: true,
        help: 'Share correct, positive when P ≥ threshold',
        f: at('accuracy'),
      },
      precision: {
        label: `precision @ ${threshold}`,
        higherIsBetter: true,
        help: 'TP / (TP + FP)',
        f: at('precision'),
      },
      recall: {
        label: `recall @ ${threshold}`,
        higherIsBetter: true,
        help: 'TP / (TP + FN)',
        f: at('recall'),
      },
      f1: { label: `F1 @ ${threshold}`, higherIsBetter: true, help: '2TP / (2TP + FP + FN)', f: at('f1') },
    };
  }
  if (task === 'multiclass') {
    // The metrics of one resample share one argmax: p is the same array, only the weights change.
    let memo: { p: ArrayLike<number>; v: Int32Array } | undefined;
    const pred = (p: ArrayLike<number>) => {
      if (memo?.p !== p) memo = { p, v: argmaxRows(p, k) };
      return memo.v;
    };
    const defs: Record<string, Def> = {
      accuracy: {
        label: 'accuracy',
        higherIsBetter: true,
        help: 'Share of rows whose most likely class is right',
        f: (y, p, w) => accuracy(y, pred(p), w),
      },
      macro_f1: {
        label: 'macro F1',
        higherIsBetter: true,
        help: 'Unweighted mean of per-class F1',
        f: (y, p, w) => f1Scores(y, pred(p), k, w).macro,
      },
      weighted_f1: {
        label: 'weighted F1',
        higherIsBetter: true,
        help: 'Per-class F1 weighted by support',
        f: (y, p, w) => f1Scores(y, pred(p), k, w).weighted,
      },
      logloss: {
        label: 'log loss',
        higherIsBetter: false,
        help: 'Mean −log P(actual class)',
        f: (y, p, w) => multiLogLoss(y, p, k, w),
      },
    };
    if (k > 2)
      defs.top2 = {
        label: 'top-2 accuracy',
        higherIsBetter: true,
        help: 'Actual class among the 2 most likely',
        f: (y, p, w) => topKAccuracy(y, p, k, 2, w),
      };
    return defs;
  }
  return {
    rmse: {
      label: 'RMSE',
      higherIsBetter: false,
      help: '√ mean squared error',
      f: (y, p, w) => rmse(y, p, w),
    },
    mae: { label: 'MAE', higherIsBetter: false, help: 'Mean absolute error', f: (y, p, w) => mae(y, p, w) },
    r2: { label: 'R²', higherIsBetter: true, help: '1 − SS_res / SS_tot', f: (y, p, w) => r2(y, p, w) },
    mape: {
      label: 'MAPE',
      higherIsBetter: false,
      help: 'Mean |error / actual| (undefined when an actual is 0)',
      f: (y, p, w) => mape(y, p, w),
    },
  };
}

function reasonsFor(task: Task, y: ArrayLike<number>): Record<string, string> {
  const r: Record<string, string> = {};
  if (task === 'binary') {
    let pos = 0;
    for (let i = 0; i < y.length; i++) if (y[i] === 1) pos++;
    if (pos === 0 || pos === y.length)
      r.auc = `only one class (${pos === 0 ? 'no positives' : 'no negatives'}) in these rows`;
    if (pos === 0) r.ap = 'no positives in these rows';
  }
  if (task === 'regression') {
    let zeros = 0;
    for (let i = 0; i < y.length; i++) if (y[i] === 0) zeros++;
    if (zeros)
      r.mape = `the actual value is 0 in ${zeros} row${zeros > 1 ? 's' : ''}: a percentage error is undefined`;
    let same = true;
    for (let i = 1; i < y.length; i++) if (y[i] !== y[0]) same = false;
    if (same) r.r2 = 'the actual value is constant: R² is undefined';
  }
  return r;
}

/** Metrics with intervals for the model and (optionally) the baseline, paired. */
export function metricTable(
  task: Task,
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  baseline: ArrayLike<number> | undefined,
  k: number,
  opts: BootstrapOptions & { threshold?: number } = {},
): MetricRow[] {
  const threshold = opts.threshold ?? 0.5;
  const order = task === 'binary' ? descendingOrder(p) : undefined;
  const orderB = task === 'binary' && baseline ? descendingOrder(baseline) : undefined;
  const defs = definitions(task, k, threshold, order);
  if (task === 'binary') {
    // One two-pass evaluator for all eight binary metrics (the same values as `defs`' functions one
    // by one, ~10× faster on the bootstrap's resamples).
    const res = bootstrapCompareBatch(
      y.length,
      BINARY_KEYS,
      binaryMetricsBatch(y, p, threshold, order),
      baseline ? binaryMetricsBatch(y, baseline, threshold, orderB) : undefined,
      { ...opts, reasons: reasonsFor(task, y) },
    );
    return Object.entries(defs).map(([key, d]) => ({
      key,
      label: d.label,
      higherIsBetter: d.higherIsBetter,
      help: d.help,
      ...res[key],
    }));
  }
  const defsB = baseline ? definitions(task, k, threshold, orderB) : undefined;
  const model: Record<string, WeightedMetric> = {};
  const base: Record<string, WeightedMetric> = {};
  for (const [key, d] of Object.entries(defs)) {
    model[key] = (w) => d.f(y, p, w);
    if (baseline && defsB) base[key] = (w) => defsB[key].f(y, baseline, w);
  }
  const res = bootstrapCompare(y.length, model, baseline ? base : undefined, {
    ...opts,
    reasons: reasonsFor(task, y),
  });
  return Object.entries(defs).map(([key, d]) => ({
    key,
    label: d.label,
    higherIsBetter: d.higherIsBetter,
    help: d.help,
    ...res[key],
  }));
}

/** At most `max` points of a curve (evenly by index, first and last kept). */
export function thin<T>(points: readonly T[], max = 400): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))]);
  return out;
}

export interface BinaryDetails {
  roc: { fpr: number; tpr: number; threshold: number | null }[];
  pr: { recall: number; precision: number; threshold: number | null }[];
  calibration: CalibrationBin[];
  ece: number | null;
  gains: GainsPoint[];
  /** Share of positives among the rows. */
  prevalence: number;
  /** Best threshold for the costs, chosen on validation and reported on these rows. */
  best: {
    threshold: number | null;
    chosenOn: 'valid' | 'this part';
    validValue: number | null;
    value: number | null;
  } | null;
}

const fin = (x: number) => (Number.isFinite(x) ? x : null);

export function binaryDetails(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  costs: CostMatrix,
  valid?: { y: ArrayLike<number>; p: ArrayLike<number> },
): BinaryDetails {
  const roc = rocCurve(y, p);
  const pr = prCurve(y, p);
  const cal = calibration(y, p, 10);
  let pos = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) pos++;
  let best: BinaryDetails['best'] = null;
  if (y.length > 0) {
    const src = valid && valid.y.length > 0 ? valid : { y, p };
    const b = bestThreshold(src.y, src.p, costs);
    const c = confusionAt(y, p, b.threshold);
    const n = y.length;
    best = {
      threshold: fin(b.threshold),
      chosenOn: valid && valid.y.length > 0 ? 'valid' : 'this part',
      validValue: fin(b.value),
      value: fin(((c.tp * costs.tp + c.fp * costs.fp + c.fn * costs.fn + c.tn * costs.tn) / n) * 1000),
    };
  }
  return {
    roc: thin(roc.fpr.map((f, i) => ({ fpr: f, tpr: roc.tpr[i], threshold: fin(roc.thresholds[i]) }))),
    pr: thin(
      pr.recall.map((r, i) => ({
        recall: r,
        precision: pr.precision[i],
        threshold: fin(pr.thresholds[i] ?? Number.NaN),
      })),
    ),
    calibration: cal.bins,
    ece: fin(cal.ece),
    gains: thin(gains(y, p).map((g) => ({ ...g, lift: Number.isFinite(g.lift) ? g.lift : 0 }))),
    prevalence: y.length ? pos / y.length : 0,
    best,
  };
}

export interface MulticlassDetails {
  confusion: number[][];
  perClass: PerClass[];
}

export function multiclassDetails(y: ArrayLike<number>, p: ArrayLike<number>, k: number): MulticlassDetails {
  const pred = argmaxRows(p, k);
  return { confusion: confusionMatrix(y, pred, k), perClass: perClass(y, pred, k) };
}
