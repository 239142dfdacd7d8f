/**
 * Objectives: gradients/hessians of the loss w.r.t. the raw score, initial scores and the loss
 * itself. Scores are raw margins: log-odds (binary), per-class logits (multiclass, row-major n × k),
 * values (regression).
 */
import type { Task } from '../types.ts';

export interface Objective {
  task: Task;
  /** Trees per boosting round (k for multiclass, else 1). */
  k: number;
  /** Initial raw score per class (length k). */
  initScore(y: Float32Array, w: Float32Array | undefined): Float64Array;
  /**
   * Gradients/hessians of the trees of class `cls` for every row, from scores (n × k).
   * For multiclass `probs` (n × k) must be filled by `prepare` first.
   */
  gradients(
    scores: Float64Array,
    y: Float32Array,
    w: Float32Array | undefined,
    cls: number,
    grad: Float32Array,
    hess: Float32Array,
  ): void;
  /** Once per round, before `gradients` (multiclass: softmax probabilities). */
  prepare(scores: Float64Array, n: number): void;
  /** Mean loss of rows `rows` (or all rows when undefined). */
  loss(scores: Float64Array, y: Float32Array, w: Float32Array | undefined, rows?: Uint32Array): number;
  /** Raw scores → output (probabilities / values), in place into `out`. */
  transform(scores: Float64Array, n: number, out: Float64Array): void;
}

export function sigmoid(s: number): number {
  return 1 / (1 + Math.exp(-s));
}

function logLossRow(s: number, y: number): number {
  // −[y log σ(s) + (1−y) log(1−σ(s))] = log(1 + e^s) − y s, computed stably.
  const sp = s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
  return sp - y * s;
}

export function binaryObjective(): Objective {
  return {
    task: 'binary',
    k: 1,
    initScore(y, w) {
      let sy = 0;
      let sw = 0;
      for (let i = 0; i < y.length; i++) {
        const wi = w ? w[i] : 1;
        sy += wi * y[i];
        sw += wi;
      }
      const p = Math.min(1 - 1e-12, Math.max(1e-12, sw > 0 ? sy / sw : 0.5));
      return Float64Array.of(Math.log(p / (1 - p)));
    },
    prepare() {},
    gradients(scores, y, w, _cls, grad, hess) {
      const n = y.length;
      if (!w) {
        for (let i = 0; i < n; i++) {
          const p = 1 / (1 + Math.exp(-scores[i]));
          grad[i] = p - y[i];
          const h = p * (1 - p);
          hess[i] = h > 1e-16 ? h : 1e-16;
        }
        return;
      }
      for (let i = 0; i < n; i++) {
        const p = 1 / (1 + Math.exp(-scores[i]));
        const wi = w[i];
        grad[i] = (p - y[i]) * wi;
        hess[i] = Math.max(p * (1 - p), 1e-16) * wi;
      }
    },
    loss(scores, y, w, rows) {
      let s = 0;
      let sw = 0;
      const m = rows ? rows.length : y.length;
      for (let j = 0; j < m; j++) {
        const i = rows ? rows[j] : j;
        const wi = w ? w[i] : 1;
        s += wi * logLossRow(scores[i], y[i]);
        sw += wi;
      }
      return sw > 0 ? s / sw : 0;
    },
    transform(scores, n, out) {
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-scores[i]));
    },
  };
}

export function regressionObjective(): Objective {
  return {
    task: 'regression',
    k: 1,
    initScore(y, w) {
      let sy = 0;
      let sw = 0;
      for (let i = 0; i < y.length; i++) {
        const wi = w ? w[i] : 1;
        sy += wi * y[i];
        sw += wi;
      }
      return Float64Array.of(sw > 0 ? sy / sw : 0);
    },
    prepare() {},
    gradients(scores, y, w, _cls, grad, hess) {
      const n = y.length;
      for (let i = 0; i < n; i++) {
        const wi = w ? w[i] : 1;
        grad[i] = (scores[i] - y[i]) * wi;
        hess[i] = wi;
      }
    },
    loss(scores, y, w, rows) {
      let s = 0;
      let sw = 0;
      const m = rows ? rows.length : y.length;
      for (let j = 0; j < m; j++) {
        const i = rows ? rows[j] : j;
        const wi = w ? w[i] : 1;
        const d = scores[i] - y[i];
        s += wi * d * d;
        sw += wi;
      }
      return sw > 0 ? s / sw : 0;
    },
    transform(scores, n, out) {
      out.set(scores.subarray(0, n));
    },
  };
}

/** Softmax cross-entropy; one tree per class per round. Hessian uses LightGBM's k/(k−1) factor. */
export function multiclassObjective(k: number): Objective {
  let probs = new Float64Array(0);
  const factor = k / (k - 1);
  const softmaxRow = (scores: Float64Array, base: number, out: Float64Array): void => {
    let mx = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) if (scores[base + c] > mx) mx = scores[base + c];
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(scores[base + c] - mx);
      out[base + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) out[base + c] /= sum;
  };
  return {
    task: 'multiclass',
    k,
    initScore(y, w) {
      const cnt = new Float64Array(k);
      let sw = 0;
      for (let i = 0; i < y.length; i++) {
        const wi = w ? w[i] : 1;
        cnt[y[i]] += wi;
        sw += wi;
      }
      const out = new Float64Array(k);
      for (let c = 0; c < k; c++) out[c] = Math.log(Math.max(cnt[c] / sw, 1e-12));
      return out;
    },
    prepare(scores, n) {
      if (probs.length !== n * k) probs = new Float64Array(n * k);
      for (let i = 0; i < n; i++) softmaxRow(scores, i * k, probs);
    },
    gradients(_scores, y, w, cls, grad, hess) {
      const n = y.length;
      for (let i = 0; i < n; i++) {
        const p = probs[i * k + cls];
        const wi = w ? w[i] : 1;
        grad[i] = (p - (y[i] === cls ? 1 : 0)) * wi;
        hess[i] = Math.max(factor * p * (1 - p), 1e-16) * wi;
      }
    },
    loss(scores, y, w, rows) {
      let s = 0;
      let sw = 0;
      const m = rows ? rows.length : y.length;
      for (let j = 0; j < m; j++) {
        const i = rows ? rows[j] : j;
        const base = i * k;
        let mx = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < k; c++) if (scores[base + c] > mx) mx = scores[base + c];
        let sum = 0;
        for (let c = 0; c < k; c++) sum += Math.exp(scores[base + c] - mx);
        const wi = w ? w[i] : 1;
        s += wi * (mx + Math.log(sum) - scores[base + y[i]]);
        sw += wi;
      }
      return sw > 0 ? s / sw : 0;
    },
    transform(scores, n, out) {
      for (let i = 0; i < n; i++) softmaxRow(scores, i * k, out);
    },
  };
}

export function objectiveFor(task: Task, classes?: number): Objective {
  if (task === 'binary') return binaryObjective();
  if (task === 'regression') return regressionObjective();
  const k = classes ?? 0;
  if (!(k >= 2)) throw new Error('GBDT multiclass needs ctx.classes ≥ 2');
  return multiclassObjective(k);
}
