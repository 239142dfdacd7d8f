/**
 * The basic metrics the runs table shows. Pure TypeScript, double precision, no DOM.
 *
 * Conventions: `y` holds 0/1 for binary, class indices for multiclass, values for regression
 * (as in `Dataset.y`); `p` is a `Prediction` (binary: P(class 1); multiclass: row-major n × k
 * probabilities; regression: values). Undefined metrics (e.g. AUC with one class present) are NaN.
 */
import type { Prediction, Task } from './types.ts';

type Num = ArrayLike<number>;

/** Metric names used as keys in `ModelArtifact.metrics` and the runs table. */
export type MetricName = 'auc' | 'logloss' | 'accuracy' | 'macro_f1' | 'rmse' | 'mae' | 'r2';

/** Whether a larger value is better (for sorting the runs table and choosing a best run on valid). */
export function higherIsBetter(metric: string): boolean {
  return metric === 'auc' || metric === 'accuracy' || metric === 'macro_f1' || metric === 'r2';
}

/** The metric the runs table sorts by by default. */
export function primaryMetric(task: Task): MetricName {
  return task === 'binary' ? 'auc' : task === 'multiclass' ? 'logloss' : 'rmse';
}

/**
 * 1-based ranks of `x` with ties given their average rank (the "fractional" ranking used by the
 * Mann–Whitney U statistic).
 */
export function averageRanks(x: Num): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * ROC-AUC for binary labels (1 = positive) and scores, via the rank-sum (Mann–Whitney) identity;
 * tied scores count one half, exactly as the pairwise definition does. NaN when a class is absent.
 */
export function rocAuc(y: Num, score: Num): number {
  const ranks = averageRanks(score);
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 1) {
      nPos++;
      rankSum += ranks[i];
    }
  }
  const nNeg = y.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Macro-averaged one-vs-rest ROC-AUC for multiclass (classes absent from `y` are skipped). */
export function rocAucOvr(y: Num, p: Num, k: number): number {
  let sum = 0;
  let count = 0;
  const n = y.length;
  const yc = new Float64Array(n);
  const sc = new Float64Array(n);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      yc[i] = y[i] === c ? 1 : 0;
      sc[i] = p[i * k + c];
    }
    const a = rocAuc(yc, sc);
    if (!Number.isNaN(a)) {
      sum += a;
      count++;
    }
  }
  return count ? sum / count : Number.NaN;
}

const clip = (p: number, eps: number) => Math.min(1 - eps, Math.max(eps, p));

/** Mean binary cross-entropy, probabilities clipped to [eps, 1 − eps]. */
export function logLoss(y: Num, p: Num, eps = 1e-15): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = clip(p[i], eps);
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / y.length;
}

/** Mean multiclass cross-entropy from row-major n × k probabilities, clipped to [eps, 1 − eps]. */
export function multiLogLoss(y: Num, p: Num, k: number, eps = 1e-15): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(clip(p[i * k + y[i]], eps));
  return s / y.length;
}

/** Fraction of equal labels. */
export function accuracy(yTrue: Num, yPred: Num): number {
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

/**
 * Unweighted mean of per-class F1 over the `k` classes. A class that is neither present nor
 * predicted is left out of the mean (its F1 is undefined), matching scikit-learn's `labels=` present set.
 */
export function macroF1(yTrue: Num, yPred: Num, k: number): number {
  const tp = new Float64Array(k);
  const fp = new Float64Array(k);
  const fn = new Float64Array(k);
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const q = yPred[i];
    if (t === q) tp[t]++;
    else {
      fp[q]++;
      fn[t]++;
    }
  }
  let sum = 0;
  let count = 0;
  for (let c = 0; c < k; c++) {
    if (tp[c] + fp[c] + fn[c] === 0) continue;
    sum += (2 * tp[c]) / (2 * tp[c] + fp[c] + fn[c]);
    count++;
  }
  return count ? sum / count : Number.NaN;
}

export function rmse(y: Num, p: Num): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - p[i]) ** 2;
  return Math.sqrt(s / y.length);
}

export function mae(y: Num, p: Num): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(y[i] - p[i]);
  return s / y.length;
}

/** Coefficient of determination 1 − SS_res / SS_tot (NaN when y is constant). */
export function r2(y: Num, p: Num): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < y.length; i++) {
    res += (y[i] - p[i]) ** 2;
    tot += (y[i] - mean) ** 2;
  }
  return tot === 0 ? Number.NaN : 1 - res / tot;
}

/** Predicted class per row: argmax of the probabilities (binary: p ≥ 0.5). */
export function predictedClasses(task: Task, p: Prediction, k = 2): Int32Array {
  if (task === 'binary') return Int32Array.from(p, (v) => (v >= 0.5 ? 1 : 0));
  const n = p.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Every basic metric for a task. binary: auc, logloss, accuracy, macro_f1; multiclass: auc
 * (macro one-vs-rest), logloss, accuracy, macro_f1; regression: rmse, mae, r2.
 */
export function computeMetrics(task: Task, y: Num, p: Prediction, classes = 2): Record<string, number> {
  if (y.length === 0) return {};
  if (task === 'regression') return { rmse: rmse(y, p), mae: mae(y, p), r2: r2(y, p) };
  const k = task === 'binary' ? 2 : classes;
  const pred = predictedClasses(task, p, k);
  return {
    auc: task === 'binary' ? rocAuc(y, p) : rocAucOvr(y, p, k),
    logloss: task === 'binary' ? logLoss(y, p) : multiLogLoss(y, p, k),
    accuracy: accuracy(y, pred),
    macro_f1: macroF1(y, pred, k),
  };
}
