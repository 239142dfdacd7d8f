/**
 * Evaluation metrics, pure TypeScript in double precision (no DOM). Definitions follow scikit-learn
 * (checked against tests/fixtures/sklearn/metrics.json, made by tools/gen-sklearn-fixtures.py).
 *
 * Conventions: `y` holds 0/1 for binary, class indices for multiclass, values for regression; `p` is
 * P(class 1) for binary, row-major n × k probabilities for multiclass, predicted values for regression.
 * Every function takes optional per-row weights `w` (non-negative; the bootstrap passes resample counts,
 * so a weighted metric equals the metric of the materialised resample). Undefined metrics are NaN here;
 * the report layer turns them into `null` with a reason.
 */

export type Num = ArrayLike<number>;

/** numpy's float64 epsilon: scikit-learn's `log_loss(eps="auto")` clipping. */
export const EPS = 2.220446049250313e-16;

const wt = (w: Num | undefined, i: number) => (w ? w[i] : 1);

/** Indices sorted by score, descending (ties in index order). */
export function descendingOrder(score: Num): Uint32Array {
  const idx = new Uint32Array(score.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => score[b] - score[a] || a - b);
}

/**
 * Cumulative true / false positive weights at each distinct score, scores descending (scikit-learn's
 * `_binary_clf_curve`): predicting positive when score ≥ thresholds[i] gives tps[i], fps[i].
 */
export function binaryClfCurve(
  y: Num,
  score: Num,
  w?: Num,
  order: Uint32Array = descendingOrder(score),
): { tps: Float64Array; fps: Float64Array; thresholds: Float64Array } {
  const tps: number[] = [];
  const fps: number[] = [];
  const th: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    const wi = wt(w, i);
    if (y[i] === 1) tp += wi;
    else fp += wi;
    const last = j === order.length - 1 || score[order[j + 1]] !== score[i];
    if (last) {
      // With weights, a group of weight 0 repeats the previous point: harmless for areas and sums.
      tps.push(tp);
      fps.push(fp);
      th.push(score[i]);
    }
  }
  return { tps: Float64Array.from(tps), fps: Float64Array.from(fps), thresholds: Float64Array.from(th) };
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** thresholds[0] = +Infinity (nothing predicted positive). */
  thresholds: number[];
}

/** ROC curve as `sklearn.metrics.roc_curve` (drop_intermediate=True by default); NaN rates when a class is absent. */
export function rocCurve(y: Num, score: Num, opts: { dropIntermediate?: boolean; w?: Num } = {}): RocCurve {
  let { tps, fps, thresholds } = binaryClfCurve(y, score, opts.w);
  if ((opts.dropIntermediate ?? true) && fps.length > 2) {
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      const d2f = fps[i + 1] - 2 * fps[i] + fps[i - 1];
      const d2t = tps[i + 1] - 2 * tps[i] + tps[i - 1];
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    tps = Float64Array.from(keep, (i) => tps[i]);
    fps = Float64Array.from(keep, (i) => fps[i]);
    thresholds = Float64Array.from(keep, (i) => thresholds[i]);
  }
  const P = tps.length ? tps[tps.length - 1] : 0;
  const N = fps.length ? fps[fps.length - 1] : 0;
  return {
    fpr: [0, ...Array.from(fps, (f) => (N > 0 ? f / N : Number.NaN))],
    tpr: [0, ...Array.from(tps, (t) => (P > 0 ? t / P : Number.NaN))],
    thresholds: [Number.POSITIVE_INFINITY, ...thresholds],
  };
}

export interface PrCurve {
  precision: number[];
  recall: number[];
  /** Increasing; one fewer than precision / recall (the last point is recall 0, precision 1). */
  thresholds: number[];
}

/** Precision–recall curve as `sklearn.metrics.precision_recall_curve` (scikit-learn 1.2). */
export function prCurve(y: Num, score: Num, w?: Num): PrCurve {
  const { tps, fps, thresholds } = binaryClfCurve(y, score, w);
  const n = tps.length;
  const P = n ? tps[n - 1] : 0;
  const precision: number[] = [];
  const recall: number[] = [];
  const th: number[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const ps = tps[i] + fps[i];
    precision.push(ps !== 0 ? tps[i] / ps : 0);
    recall.push(P === 0 ? 1 : tps[i] / P);
    th.push(thresholds[i]);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: th };
}

/** Average precision (`sklearn.metrics.average_precision_score`): Σ (Rₙ − Rₙ₋₁) Pₙ. NaN without positives. */
export function averagePrecision(y: Num, score: Num, w?: Num, order?: Uint32Array): number {
  const { tps, fps } = binaryClfCurve(y, score, w, order);
  const n = tps.length;
  const P = n ? tps[n - 1] : 0;
  if (!(P > 0)) return Number.NaN;
  let ap = 0;
  let prevR = 0;
  for (let i = 0; i < n; i++) {
    const r = tps[i] / P;
    // With weights, leading groups of weight 0 have tp = fp = 0 (precision 0/0) and add no recall.
    if (r !== prevR) ap += (r - prevR) * (tps[i] / (tps[i] + fps[i]));
    prevR = r;
  }
  return ap;
}

/** ROC-AUC (ties count one half; `sklearn.metrics.roc_auc_score`). NaN when a class is absent. */
export function rocAuc(y: Num, score: Num, w?: Num, order?: Uint32Array): number {
  const { tps, fps } = binaryClfCurve(y, score, w, order);
  const n = tps.length;
  const P = n ? tps[n - 1] : 0;
  const N = n ? fps[n - 1] : 0;
  if (!(P > 0) || !(N > 0)) return Number.NaN;
  let area = 0;
  let pt = 0;
  let pf = 0;
  for (let i = 0; i < n; i++) {
    area += (fps[i] - pf) * (tps[i] + pt);
    pt = tps[i];
    pf = fps[i];
  }
  return area / (2 * P * N);
}

const clip = (p: number, eps: number) => Math.min(1 - eps, Math.max(eps, p));

/** Every binary metric of the metric table at once (see `binaryMetricsBatch`). */
export interface BinaryValues {
  auc: number;
  ap: number;
  logloss: number;
  brier: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** The keys of `BinaryValues`, in the order `binaryMetricsBatch` writes them. */
export const BINARY_KEYS = [
  'auc',
  'ap',
  'logloss',
  'brier',
  'accuracy',
  'precision',
  'recall',
  'f1',
] as const satisfies readonly (keyof BinaryValues)[];

/**
 * All binary metrics of weighted rows in two passes, for the bootstrap (which evaluates them on
 * 1,000 resamples of up to 100,000+ rows, model and baseline). Everything that does not depend on
 * the weights is computed once here: the sort, the tie groups, each row's log loss, squared error and
 * confusion cell. Each call then makes one pass in row order (log loss, Brier, confusion counts) and
 * one in score order (ROC-AUC and average precision from the same cumulative counts), into reused
 * buffers: no allocation per call. The additions happen in the same order as in `rocAuc`,
 * `averagePrecision`, `logLoss`, `brier` and `confusionAt`, so the values are bit-for-bit theirs
 * (checked in the tests). Writes `out` in `BINARY_KEYS` order.
 */
export function binaryMetricsBatch(
  y: Num,
  p: Num,
  threshold: number,
  order: Uint32Array = descendingOrder(p),
): (w: Float64Array | undefined, out: Float64Array) => void {
  const n = y.length;
  const ll = new Float64Array(n);
  const sq = new Float64Array(n);
  // 0 = tp, 1 = fp, 2 = fn, 3 = tn.
  const cell = new Uint8Array(n);
  let finite = true;
  for (let i = 0; i < n; i++) {
    const q = clip(p[i], EPS);
    ll[i] = y[i] === 1 ? -Math.log(q) : -Math.log(1 - q);
    sq[i] = (y[i] - p[i]) ** 2;
    if (!Number.isFinite(ll[i]) || !Number.isFinite(sq[i])) finite = false;
    const pos = p[i] >= threshold;
    cell[i] = y[i] === 1 ? (pos ? 0 : 2) : pos ? 1 : 3;
  }
  // Rows in score order: 1 for a positive, and whether the row ends a group of tied scores.
  const posF = new Float64Array(n);
  const last = new Uint8Array(n);
  let groups = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    posF[j] = y[i] === 1 ? 1 : 0;
    if (j === n - 1 || p[order[j + 1]] !== p[i]) {
      last[j] = 1;
      groups++;
    }
  }
  // One spare slot: the branch-free loop below writes the running counts at every row.
  const tps = new Float64Array(groups + 1);
  const fps = new Float64Array(groups + 1);
  const c = new Float64Array(4);
  const sums = new Float64Array(3);
  return (w, out) => {
    c.fill(0);
    rowSums(n, w, finite, cell, ll, sq, c, sums);
    const s = sums[0];
    const sb = sums[1];
    const t = sums[2];
    const g = scoreOrderCounts(n, w, order, posF, last, tps, fps);
    curveAreas(g, tps, fps, sums);
    const auc = sums[0];
    const ap = sums[1];
    const m = metricsFromConfusion({ tp: c[0], fp: c[1], fn: c[2], tn: c[3] });
    out[0] = auc;
    out[1] = ap;
    out[2] = t > 0 ? s / t : Number.NaN;
    out[3] = t > 0 ? sb / t : Number.NaN;
    out[4] = m.accuracy;
    out[5] = m.precision;
    out[6] = m.recall;
    out[7] = m.f1;
  };
}

/**
 * ROC-AUC and average precision from cumulative counts per tie group, with rocAuc's and
 * averagePrecision's arithmetic; into out[0], out[1].
 */
function curveAreas(g: number, tps: Float64Array, fps: Float64Array, out: Float64Array): void {
  const P = g ? tps[g - 1] : 0;
  const N = g ? fps[g - 1] : 0;
  let auc = Number.NaN;
  if (P > 0 && N > 0) {
    let area = 0;
    let pt = 0;
    let pf = 0;
    for (let i = 0; i < g; i++) {
      area += (fps[i] - pf) * (tps[i] + pt);
      pt = tps[i];
      pf = fps[i];
    }
    auc = area / (2 * P * N);
  }
  let ap = Number.NaN;
  if (P > 0) {
    ap = 0;
    let prevR = 0;
    let prevT = 0;
    for (let i = 0; i < g; i++) {
      // The same count over the same P is the same recall: skip the divisions (most groups, on
      // resamples) — the result is unchanged since averagePrecision adds nothing there either.
      if (tps[i] === prevT) continue;
      prevT = tps[i];
      const r = tps[i] / P;
      if (r !== prevR) ap += (r - prevR) * (tps[i] / (tps[i] + fps[i]));
      prevR = r;
    }
  }
  out[0] = auc;
  out[1] = ap;
}

/** binaryMetricsBatch's pass in row order (its own function: V8 optimises small loops best). */
function rowSums(
  n: number,
  w: Float64Array | undefined,
  finite: boolean,
  cell: Uint8Array,
  ll: Float64Array,
  sq: Float64Array,
  c: Float64Array,
  out: Float64Array,
): void {
  let s = 0;
  let sb = 0;
  let t = 0;
  if (!w)
    for (let i = 0; i < n; i++) {
      c[cell[i]] += 1;
      s += ll[i];
      sb += sq[i];
      t += 1;
    }
  else if (finite)
    // A weight of 0 adds exactly +0 to a finite sum: no branch needed (mispredicted ~⅓ of the time
    // on resample counts) for the same result as logLoss / brier, which skip such rows.
    for (let i = 0; i < n; i++) {
      const wi = w[i];
      c[cell[i]] += wi;
      s += wi * ll[i];
      sb += wi * sq[i];
      t += wi;
    }
  else
    for (let i = 0; i < n; i++) {
      const wi = w[i];
      c[cell[i]] += wi;
      if (wi === 0) continue;
      s += wi * ll[i];
      sb += wi * sq[i];
      t += wi;
    }
  out[0] = s;
  out[1] = sb;
  out[2] = t;
}

/**
 * binaryMetricsBatch's pass in score order: cumulative positive / negative weight at the end of each
 * tie group into tps / fps; returns the number of groups. Branch-free: tp gains w·1 or exactly +0, fp
 * the rest (w − w = +0 or w − 0 = w), as binaryClfCurve's if / else; every row writes its group's
 * slot and the group's last row wins.
 */
function scoreOrderCounts(
  n: number,
  w: Float64Array | undefined,
  order: Uint32Array,
  posF: Float64Array,
  last: Uint8Array,
  tps: Float64Array,
  fps: Float64Array,
): number {
  let tp = 0;
  let fp = 0;
  let g = 0;
  if (!w)
    for (let j = 0; j < n; j++) {
      tp += posF[j];
      fp += 1 - posF[j];
      tps[g] = tp;
      fps[g] = fp;
      g += last[j];
    }
  else
    for (let j = 0; j < n; j++) {
      const wi = w[order[j]];
      const pw = wi * posF[j];
      tp += pw;
      fp += wi - pw;
      tps[g] = tp;
      fps[g] = fp;
      g += last[j];
    }
  return g;
}

function wmean(n: number, w: Num | undefined, f: (i: number) => number): number {
  let s = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    const wi = wt(w, i);
    if (wi === 0) continue;
    s += wi * f(i);
    t += wi;
  }
  return t > 0 ? s / t : Number.NaN;
}

/** Binary log loss, probabilities clipped to [eps, 1 − eps] (`sklearn.metrics.log_loss`). */
export function logLoss(y: Num, p: Num, w?: Num, eps = EPS): number {
  return wmean(y.length, w, (i) => {
    const q = clip(p[i], eps);
    return y[i] === 1 ? -Math.log(q) : -Math.log(1 - q);
  });
}

/** Brier score: mean squared difference between P(1) and the 0/1 outcome. */
export function brier(y: Num, p: Num, w?: Num): number {
  return wmean(y.length, w, (i) => (y[i] - p[i]) ** 2);
}

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Confusion counts when predicting positive for p ≥ threshold. */
export function confusionAt(y: Num, p: Num, threshold: number, w?: Num): Confusion {
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < y.length; i++) {
    const wi = wt(w, i);
    const pos = p[i] >= threshold;
    if (y[i] === 1) {
      if (pos) c.tp += wi;
      else c.fn += wi;
    } else if (pos) c.fp += wi;
    else c.tn += wi;
  }
  return c;
}

export interface ThresholdMetrics extends Confusion {
  threshold: number;
  accuracy: number;
  /** 0 when nothing is predicted positive (scikit-learn's zero_division=0). */
  precision: number;
  recall: number;
  f1: number;
  /** Share of rows predicted positive. */
  positiveRate: number;
}

export function metricsFromConfusion(c: Confusion, threshold = Number.NaN): ThresholdMetrics {
  const n = c.tp + c.fp + c.fn + c.tn;
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  const f1 = 2 * c.tp + c.fp + c.fn > 0 ? (2 * c.tp) / (2 * c.tp + c.fp + c.fn) : 0;
  return {
    ...c,
    threshold,
    accuracy: n > 0 ? (c.tp + c.tn) / n : Number.NaN,
    precision,
    recall,
    f1,
    positiveRate: n > 0 ? (c.tp + c.fp) / n : Number.NaN,
  };
}

export function thresholdMetrics(y: Num, p: Num, threshold: number, w?: Num): ThresholdMetrics {
  return metricsFromConfusion(confusionAt(y, p, threshold, w), threshold);
}

/** Value of each outcome (benefits positive, costs negative), in any currency unit. */
export interface CostMatrix {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Expected value per 1,000 cases of a confusion matrix under a cost/benefit matrix. */
export function expectedValuePer1000(c: Confusion, v: CostMatrix): number {
  const n = c.tp + c.fp + c.fn + c.tn;
  if (!(n > 0)) return Number.NaN;
  return ((c.tp * v.tp + c.fp * v.fp + c.fn * v.fn + c.tn * v.tn) / n) * 1000;
}

/**
 * The threshold with the highest expected value, scanning every unique score (predict positive when
 * p ≥ t) plus +Infinity (never positive). Ties keep the highest threshold.
 */
export function bestThreshold(y: Num, p: Num, v: CostMatrix): { threshold: number; value: number } {
  const { tps, fps, thresholds } = binaryClfCurve(y, p);
  const n = y.length;
  const P = tps.length ? tps[tps.length - 1] : 0;
  const N = n - P;
  const ev = (tp: number, fp: number) =>
    ((tp * v.tp + fp * v.fp + (P - tp) * v.fn + (N - fp) * v.tn) / n) * 1000;
  let best = { threshold: Number.POSITIVE_INFINITY, value: ev(0, 0) };
  for (let i = 0; i < tps.length; i++) {
    const e = ev(tps[i], fps[i]);
    if (e > best.value) best = { threshold: thresholds[i], value: e };
  }
  return best;
}

/** One threshold's point of the expected-value curve (for the slider's chart). */
export function valueCurve(
  y: Num,
  p: Num,
  v: CostMatrix,
  points = 101,
): { threshold: number; value: number }[] {
  const out: { threshold: number; value: number }[] = [];
  for (let i = 0; i < points; i++) {
    const t = i / (points - 1);
    out.push({ threshold: t, value: expectedValuePer1000(confusionAt(y, p, t), v) });
  }
  return out;
}

export interface CalibrationBin {
  /** Bin bounds (lo, hi]; the first bin includes 0. */
  lo: number;
  hi: number;
  count: number;
  /** Observed share of positives (`prob_true`). */
  observed: number;
  /** Mean predicted probability (`prob_pred`). */
  predicted: number;
}

/**
 * Reliability bins as `sklearn.calibration.calibration_curve(strategy="uniform")` (empty bins left
 * out) and the expected calibration error Σ (nᵦ / n) |observed − predicted|.
 */
export function calibration(y: Num, p: Num, nBins = 10, w?: Num): { bins: CalibrationBin[]; ece: number } {
  const step = 1 / nBins;
  const edges = Array.from({ length: nBins + 1 }, (_, i) => i * step);
  edges[nBins] = 1;
  const sumP = new Float64Array(nBins);
  const sumY = new Float64Array(nBins);
  const cnt = new Float64Array(nBins);
  for (let i = 0; i < y.length; i++) {
    const wi = wt(w, i);
    if (wi === 0) continue;
    // searchsorted(edges[1:-1], p, side="left"): the number of interior edges < p.
    let b = 0;
    while (b < nBins - 1 && edges[b + 1] < p[i]) b++;
    sumP[b] += wi * p[i];
    sumY[b] += wi * (y[i] === 1 ? 1 : 0);
    cnt[b] += wi;
  }
  const bins: CalibrationBin[] = [];
  let total = 0;
  for (let b = 0; b < nBins; b++) total += cnt[b];
  let ece = 0;
  for (let b = 0; b < nBins; b++) {
    if (cnt[b] === 0) continue;
    const bin = {
      lo: edges[b],
      hi: edges[b + 1],
      count: cnt[b],
      observed: sumY[b] / cnt[b],
      predicted: sumP[b] / cnt[b],
    };
    bins.push(bin);
    ece += (cnt[b] / total) * Math.abs(bin.observed - bin.predicted);
  }
  return { bins, ece: total > 0 ? ece : Number.NaN };
}

export interface GainsPoint {
  /** Share of rows targeted (highest scores first). */
  fraction: number;
  /** Share of all positives captured. */
  gain: number;
  /** gain / fraction (1 = random targeting). */
  lift: number;
}

/** Cumulative gains and lift at every distinct score (ties taken together), starting at (0, 0). */
export function gains(y: Num, score: Num): GainsPoint[] {
  const { tps, fps } = binaryClfCurve(y, score);
  const n = y.length;
  const P = tps.length ? tps[tps.length - 1] : 0;
  const out: GainsPoint[] = [{ fraction: 0, gain: 0, lift: Number.NaN }];
  for (let i = 0; i < tps.length; i++) {
    const fraction = (tps[i] + fps[i]) / n;
    const gain = P > 0 ? tps[i] / P : Number.NaN;
    out.push({ fraction, gain, lift: gain / fraction });
  }
  return out;
}

// ---------------------------------------------------------------- multiclass

/** k × k counts, rows = true class, columns = predicted class. */
export function confusionMatrix(yTrue: Num, yPred: Num, k: number, w?: Num): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]] += wt(w, i);
  return m;
}

/** Normalise a confusion matrix: `true` rows sum to 1, `pred` columns, `all` the whole matrix. */
export function normaliseConfusion(m: number[][], by: 'true' | 'pred' | 'all'): number[][] {
  const k = m.length;
  const rowSum = m.map((r) => r.reduce((a, b) => a + b, 0));
  const colSum = Array.from({ length: k }, (_, j) => m.reduce((a, r) => a + r[j], 0));
  const all = rowSum.reduce((a, b) => a + b, 0);
  return m.map((r, i) =>
    r.map((v, j) => {
      const d = by === 'true' ? rowSum[i] : by === 'pred' ? colSum[j] : all;
      return d > 0 ? v / d : 0;
    }),
  );
}

/** argmax per row (first maximum wins, as numpy). */
export function argmaxRows(p: Num, k: number): Int32Array {
  const n = Math.floor(p.length / k);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

export interface PerClass {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Per-class precision / recall / F1 / support (zero_division=0). */
export function perClass(yTrue: Num, yPred: Num, k: number, w?: Num): PerClass[] {
  const m = confusionMatrix(yTrue, yPred, k, w);
  return m.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = m.reduce((a, r) => a + r[c], 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = support + predicted > 0 ? (2 * tp) / (support + predicted) : 0;
    return { precision, recall, f1, support };
  });
}

/**
 * Macro and support-weighted F1 over the classes present in y or in the predictions (scikit-learn's
 * default `labels`).
 */
export function f1Scores(yTrue: Num, yPred: Num, k: number, w?: Num): { macro: number; weighted: number } {
  const m = confusionMatrix(yTrue, yPred, k, w);
  const pc = perClass(yTrue, yPred, k, w);
  let sum = 0;
  let count = 0;
  let wsum = 0;
  let wtot = 0;
  for (let c = 0; c < k; c++) {
    const predicted = m.reduce((a, r) => a + r[c], 0);
    if (pc[c].support === 0 && predicted === 0) continue;
    sum += pc[c].f1;
    count++;
    wsum += pc[c].f1 * pc[c].support;
    wtot += pc[c].support;
  }
  return { macro: count ? sum / count : Number.NaN, weighted: wtot > 0 ? wsum / wtot : Number.NaN };
}

/** Weighted share of equal labels. */
export function accuracy(yTrue: Num, yPred: Num, w?: Num): number {
  return wmean(yTrue.length, w, (i) => (yTrue[i] === yPred[i] ? 1 : 0));
}

/**
 * Top-k accuracy (`sklearn.metrics.top_k_accuracy_score`): the true class among the k highest
 * probabilities; ties ordered as scikit-learn does (stable ascending sort, reversed).
 */
export function topKAccuracy(yTrue: Num, p: Num, nClasses: number, topK: number, w?: Num): number {
  const idx = Array.from({ length: nClasses }, (_, c) => c);
  return wmean(yTrue.length, w, (i) => {
    const asc = idx.slice().sort((a, b) => p[i * nClasses + a] - p[i * nClasses + b] || a - b);
    for (let j = 0; j < Math.min(topK, nClasses); j++) if (asc[nClasses - 1 - j] === yTrue[i]) return 1;
    return 0;
  });
}

/** Multiclass log loss from row-major n × k probabilities (clipped, not renormalised). */
export function multiLogLoss(yTrue: Num, p: Num, k: number, w?: Num, eps = EPS): number {
  return wmean(yTrue.length, w, (i) => {
    // scikit-learn clips then renormalises each row; rows of probabilities already sum to 1.
    let s = 0;
    for (let c = 0; c < k; c++) s += clip(p[i * k + c], eps);
    return -Math.log(clip(p[i * k + yTrue[i]], eps) / s);
  });
}

// ---------------------------------------------------------------- regression

export function rmse(y: Num, p: Num, w?: Num): number {
  return Math.sqrt(wmean(y.length, w, (i) => (y[i] - p[i]) ** 2));
}

export function mae(y: Num, p: Num, w?: Num): number {
  return wmean(y.length, w, (i) => Math.abs(y[i] - p[i]));
}

/** R² = 1 − SS_res / SS_tot; NaN when y is constant (undefined). */
export function r2(y: Num, p: Num, w?: Num): number {
  const mean = wmean(y.length, w, (i) => y[i]);
  let res = 0;
  let tot = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = wt(w, i);
    res += wi * (y[i] - p[i]) ** 2;
    tot += wi * (y[i] - mean) ** 2;
  }
  return tot === 0 ? Number.NaN : 1 - res / tot;
}

/** Mean absolute percentage error (a fraction, as scikit-learn); NaN when any y is 0 (undefined). */
export function mape(y: Num, p: Num, w?: Num): number {
  for (let i = 0; i < y.length; i++) if (y[i] === 0 && wt(w, i) > 0) return Number.NaN;
  return wmean(y.length, w, (i) => Math.abs((y[i] - p[i]) / y[i]));
}
