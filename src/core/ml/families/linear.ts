/**
 * Linear family: ridge-penalised linear regression (regression), logistic regression (binary) and
 * multinomial (softmax) regression (multiclass).
 *
 * Fit: TF.js core ops on whatever backend the worker chose — full-batch Adam on standardised
 * features (and a standardised target for regression), L2 penalty, early stopping on the validation
 * loss (best weights kept). The fitted weights are converted back to the unstandardised feature space
 * and stored as plain JSON arrays, so predict and explain are plain TypeScript in double precision:
 * identical in the browser and on the server, and no TF.js is needed to serve a linear model.
 *
 * Input handling (shared with the MLP, exported below): categorical features (integer codes) are
 * one-hot encoded here; a code outside 0..categories-1 or NaN goes to the last ("unseen") code;
 * NaN in a numeric feature is replaced by its training mean.
 */
import type * as TfNs from '@tensorflow/tfjs';
import type {
  Dataset,
  Explanation,
  FitContext,
  Matrix,
  ModelFamily,
  SearchSpace,
  Task,
  TrainedModel,
} from '../types.ts';

export interface LinearParams {
  /** L2 penalty λ on the weights of the *standardised* features: loss + λ/2·‖w‖². Default 1e-4. */
  l2: number;
  /** Adam step size. Default 0.05. */
  learningRate: number;
  /** Maximum full-batch iterations. Default 500. */
  maxIterations: number;
  /** Evaluate train/valid loss (progress, early stopping) every this many iterations. Default 10. */
  evalEvery: number;
  /** Stop after this many evaluations without a better validation loss (0 = never). Default 10. */
  earlyStoppingPatience: number;
  /** Stop when the train loss improves by less than this (relative) between evaluations. Default 1e-7. */
  tolerance: number;
}

export const linearDefaults: LinearParams = {
  l2: 1e-4,
  learningRate: 0.05,
  maxIterations: 500,
  evalEvery: 10,
  earlyStoppingPatience: 10,
  tolerance: 1e-7,
};

/** Default random-search space (TrainSpec.search): the L2 penalty. */
export const linearSearchSpace: SearchSpace = {
  l2: { type: 'logfloat', min: 1e-6, max: 1 },
};

// ---------------------------------------------------------------------------------------------
// Design matrix: how the linear model and the MLP see a `Matrix` (shared; exported).
// ---------------------------------------------------------------------------------------------

/** One input feature's place in the design (expanded) matrix. */
export type DesignColumn =
  | { kind: 'numeric'; offset: number; fill: number }
  | { kind: 'categorical'; offset: number; categories: number };

export interface DesignSpec {
  /** Number of input features (Matrix.cols) this spec was built for. */
  inputs: number;
  /** Number of design columns (numeric: 1 each; categorical: one per code). */
  width: number;
  columns: DesignColumn[];
}

/** Build the design spec from training data: numeric fill values are the training means. */
export function designSpec(X: Matrix): DesignSpec {
  const columns: DesignColumn[] = [];
  let offset = 0;
  for (let j = 0; j < X.cols; j++) {
    const f = X.features[j];
    if (f.kind === 'categorical' && (f.categories ?? 0) > 0) {
      columns.push({ kind: 'categorical', offset, categories: f.categories! });
      offset += f.categories!;
    } else {
      let s = 0;
      let n = 0;
      for (let i = 0; i < X.rows; i++) {
        const v = X.data[i * X.cols + j];
        if (!Number.isNaN(v)) {
          s += v;
          n++;
        }
      }
      columns.push({ kind: 'numeric', offset, fill: n ? s / n : 0 });
      offset += 1;
    }
  }
  return { inputs: X.cols, width: offset, columns };
}

/** The one-hot code a categorical value maps to (out of range / NaN → the last, "unseen" code). */
export function categoryCode(v: number, categories: number): number {
  const c = Math.round(v);
  return Number.isFinite(c) && c >= 0 && c < categories ? c : categories - 1;
}

function checkInputs(spec: DesignSpec, X: Matrix): void {
  if (X.cols !== spec.inputs) {
    throw new Error(`The model expects ${spec.inputs} encoded features but got ${X.cols}.`);
  }
}

/** Design row i as doubles (imputed, one-hot) into `out` (length spec.width). */
export function designRow(spec: DesignSpec, X: Matrix, i: number, out: Float64Array): Float64Array {
  out.fill(0);
  const base = i * X.cols;
  for (let j = 0; j < spec.inputs; j++) {
    const c = spec.columns[j];
    const v = X.data[base + j];
    if (c.kind === 'numeric') out[c.offset] = Number.isNaN(v) ? c.fill : v;
    else out[c.offset + categoryCode(v, c.categories)] = 1;
  }
  return out;
}

/** Per design column mean and standard deviation over the rows of X (std 0 → 1). */
export function designMoments(spec: DesignSpec, X: Matrix): { mean: number[]; std: number[] } {
  const d = spec.width;
  const s = new Float64Array(d);
  const s2 = new Float64Array(d);
  const row = new Float64Array(d);
  for (let i = 0; i < X.rows; i++) {
    designRow(spec, X, i, row);
    for (let k = 0; k < d; k++) {
      s[k] += row[k];
      s2[k] += row[k] * row[k];
    }
  }
  const n = Math.max(1, X.rows);
  const mean = Array.from(s, (v) => v / n);
  const std = mean.map((m, k) => {
    const v = s2[k] / n - m * m;
    return v > 1e-12 ? Math.sqrt(v) : 1;
  });
  return { mean, std };
}

/** The whole design matrix, standardised with (mean, std), as float32 row-major rows × width. */
export function standardisedDesign(spec: DesignSpec, X: Matrix, mean: number[], std: number[]): Float32Array {
  checkInputs(spec, X);
  const d = spec.width;
  const out = new Float32Array(X.rows * d);
  const row = new Float64Array(d);
  for (let i = 0; i < X.rows; i++) {
    designRow(spec, X, i, row);
    for (let k = 0; k < d; k++) out[i * d + k] = (row[k] - mean[k]) / std[k];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cancellation and outputs (shared with the MLP).
// ---------------------------------------------------------------------------------------------

/** The error every family throws when its AbortSignal fires (name `AbortError`). */
export function abortError(): Error {
  const e = new Error('Training cancelled');
  e.name = 'AbortError';
  return e;
}

/** Number of model outputs for a task: 1, or k for multiclass. */
export function outputCount(task: Task, classes?: number): number {
  if (task !== 'multiclass') return 1;
  if (!classes || classes < 2) throw new Error('A multiclass fit needs ctx.classes ≥ 2.');
  return classes;
}

// ---------------------------------------------------------------------------------------------
// The linear model.
// ---------------------------------------------------------------------------------------------

export interface LinearState {
  design: DesignSpec;
  /** Training mean of each design column: the explanation's reference point. */
  mean: number[];
  /** weights[o][k]: output o (1, or k classes), design column k, in unstandardised space. */
  weights: number[][];
  /** Intercept per output. */
  bias: number[];
}

/** Raw outputs (logit / class margins / value) of one row into `out` (length = outputs). */
function rawRow(state: LinearState, X: Matrix, i: number, out: Float64Array): void {
  const { design, weights, bias } = state;
  const base = i * X.cols;
  for (let o = 0; o < weights.length; o++) {
    const w = weights[o];
    let z = bias[o];
    for (let j = 0; j < design.inputs; j++) {
      const c = design.columns[j];
      const v = X.data[base + j];
      if (c.kind === 'numeric') z += w[c.offset] * (Number.isNaN(v) ? c.fill : v);
      else z += w[c.offset + categoryCode(v, c.categories)];
    }
    out[o] = z;
  }
}

/** Turn raw outputs into a `Prediction` (sigmoid, softmax or identity). */
export function linkOutputs(task: Task, raw: Float64Array, n: number, k: number): Float64Array {
  if (task === 'regression') return raw;
  if (task === 'binary') return raw.map((z) => 1 / (1 + Math.exp(-z)));
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, raw[i * k + c]);
    let s = 0;
    for (let c = 0; c < k; c++) {
      out[i * k + c] = Math.exp(raw[i * k + c] - m);
      s += out[i * k + c];
    }
    for (let c = 0; c < k; c++) out[i * k + c] /= s;
  }
  return out;
}

function buildLinear(
  state: LinearState,
  task: Task,
  lossCurve: TrainedModel['lossCurve'],
): TrainedModel<LinearState> {
  const k = state.weights.length;
  return {
    family: 'linear',
    task,
    state,
    lossCurve,
    async predict(X: Matrix) {
      checkInputs(state.design, X);
      const raw = new Float64Array(X.rows * k);
      const row = new Float64Array(k);
      for (let i = 0; i < X.rows; i++) {
        rawRow(state, X, i, row);
        raw.set(row, i * k);
      }
      return linkOutputs(task, raw, X.rows, k);
    },
    /**
     * Exact contributions in raw space (log-odds / class margin / value):
     * value_j = Σ_{design cols k of feature j} w_k·(x_k − mean_k), base = w·mean + b, so
     * base + Σ values = the raw output for the row.
     */
    async explain(X: Matrix, rowIndex: number, opts?: { classIndex?: number }): Promise<Explanation> {
      checkInputs(state.design, X);
      const o = task === 'multiclass' ? (opts?.classIndex ?? 0) : 0;
      if (o < 0 || o >= k) throw new Error(`classIndex ${o} is out of range 0..${k - 1}.`);
      const w = state.weights[o];
      const { design, mean } = state;
      const row = designRow(design, X, rowIndex, new Float64Array(design.width));
      let base = state.bias[o];
      for (let c = 0; c < design.width; c++) base += w[c] * mean[c];
      const values = new Float64Array(design.inputs);
      for (let j = 0; j < design.inputs; j++) {
        const col = design.columns[j];
        const width = col.kind === 'numeric' ? 1 : col.categories;
        let s = 0;
        for (let c = col.offset; c < col.offset + width; c++) s += w[c] * (row[c] - mean[c]);
        values[j] = s;
      }
      return { base, values };
    },
  };
}

type Tf = typeof TfNs;

/**
 * Adam's ε, given explicitly (with TF.js's default β1 = 0.9, β2 = 0.999). Left out, TF.js takes
 * `backend.epsilon()`: 1e-7 on cpu, wasm and webgpu, but 1e-4 on webgl even with float32 textures,
 * because the webgl backend's `floatPrecision()` answers 16 whenever WEBGL_RENDER_FLOAT32_ENABLED is
 * true (tensorflow/tfjs#6980, unfixed in 4.22). That alone put webgl ~1e-2 away from the other
 * backends after a few epochs; with one ε for all, they agree within 1e-4.
 */
export const ADAM_EPSILON = 1e-7;

export const linearFamily: ModelFamily<LinearParams, LinearState> = {
  id: 'linear',
  title: 'Linear / logistic regression (L2)',
  defaults: linearDefaults,
  tasks: ['binary', 'multiclass', 'regression'],
  searchSpace: linearSearchSpace,
  async fit(train: Dataset, params: LinearParams, ctx: FitContext) {
    const p = { ...linearDefaults, ...params };
    const tf: Tf = await import('@tensorflow/tfjs');
    const { task } = ctx;
    const k = outputCount(task, ctx.classes);
    const spec = designSpec(train.X);
    const { mean, std } = designMoments(spec, train.X);
    const d = spec.width;
    const n = train.X.rows;
    if (n === 0) throw new Error('The training set is empty.');

    // Target: regression is standardised; binary 0/1 column; multiclass one-hot.
    let yMean = 0;
    let yStd = 1;
    if (task === 'regression') {
      for (const v of train.y) yMean += v;
      yMean /= n;
      let s2 = 0;
      for (const v of train.y) s2 += (v - yMean) ** 2;
      yStd = Math.sqrt(s2 / n) || 1;
    }
    const targetTensor = (y: Float32Array) =>
      task === 'multiclass'
        ? tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(y), 'int32'), k).toFloat())
        : tf.tensor2d(task === 'regression' ? y.map((v) => (v - yMean) / yStd) : y, [y.length, 1]);
    const weightTensor = (ds: Dataset) => {
      const w = ds.weight ?? new Float32Array(ds.y.length).fill(1);
      let s = 0;
      for (const v of w) s += v;
      return tf.tensor2d(
        w.map((v) => v / (s || 1)),
        [w.length, 1],
      );
    };
    const dataTensors = (ds: Dataset) => ({
      x: tf.tensor2d(standardisedDesign(spec, ds.X, mean, std), [ds.X.rows, d]),
      y: targetTensor(ds.y),
      w: weightTensor(ds),
    });

    // Start from the priors so early iterations are already sensible.
    // Priors are weighted when the rows are (class weights), so the start matches the weighted loss.
    const initBias = new Float32Array(k);
    const rw = (i: number) => (train.weight ? train.weight[i] : 1);
    if (task === 'binary') {
      let m = 0;
      let sw = 0;
      for (let i = 0; i < n; i++) {
        m += rw(i) * train.y[i];
        sw += rw(i);
      }
      const prior = Math.min(1 - 1e-4, Math.max(1e-4, sw > 0 ? m / sw : 0.5));
      initBias[0] = Math.log(prior / (1 - prior));
    } else if (task === 'multiclass') {
      const counts = new Float64Array(k);
      let sw = 0;
      for (let i = 0; i < n; i++) {
        counts[train.y[i]] += rw(i);
        sw += rw(i);
      }
      // Unweighted: (count + 1) / (n + k); weighted: the same smoothing in units of the mean weight.
      const unit = n > 0 ? sw / n : 1;
      for (let c = 0; c < k; c++) initBias[c] = Math.log((counts[c] + unit) / (sw + k * unit));
    }

    const tr = dataTensors(train);
    const va = ctx.valid && ctx.valid.X.rows > 0 ? dataTensors(ctx.valid) : undefined;
    const W = tf.tidy(() => tf.variable(tf.zeros([d, k]), true));
    const b = tf.tidy(() => tf.variable(tf.tensor1d(initBias), true));
    const optimizer = tf.train.adam(p.learningRate, 0.9, 0.999, ADAM_EPSILON);
    // Mean per-row loss (weighted), unpenalised.
    const dataLoss = (t: { x: TfNs.Tensor2D; y: TfNs.Tensor; w: TfNs.Tensor }) => {
      const z = tf.add(tf.matMul(t.x, W), b);
      let per: TfNs.Tensor;
      if (task === 'regression') per = tf.square(tf.sub(z, t.y));
      else if (task === 'binary') per = bce(tf, t.y, z);
      else per = tf.sum(tf.mul(t.y, tf.neg(tf.logSoftmax(z))), 1, true);
      return tf.sum(tf.mul(per, t.w));
    };
    const scale = task === 'regression' ? yStd * yStd : 1;
    const lossCurve: TrainedModel['lossCurve'] = [];
    const total = Math.ceil(p.maxIterations / p.evalEvery);
    let best: { valid: number; W: ArrayLike<number>; b: ArrayLike<number> } = {
      valid: Infinity,
      W: [],
      b: [],
    };
    let sinceBest = 0;
    let lastTrain = Infinity;
    try {
      for (let it = 1; it <= p.maxIterations; it++) {
        if (ctx.signal?.aborted) throw abortError();
        optimizer.minimize(
          () => tf.add(dataLoss(tr), tf.mul(p.l2 / 2, tf.sum(tf.square(W)))) as TfNs.Scalar,
          false,
          [W, b],
        );
        if (it % p.evalEvery !== 0 && it !== p.maxIterations) continue;
        const trainT = tf.tidy(() => dataLoss(tr));
        const validT = va ? tf.tidy(() => dataLoss(va)) : undefined;
        const trainLoss = (await trainT.data())[0] * scale;
        const validLoss = validT ? (await validT.data())[0] * scale : undefined;
        trainT.dispose();
        validT?.dispose();
        const step = Math.ceil(it / p.evalEvery);
        lossCurve.push({ step, train: trainLoss, valid: validLoss });
        ctx.onProgress?.({ step, total, trainLoss, validLoss });
        const monitored = validLoss ?? trainLoss;
        if (monitored < best.valid) {
          best = { valid: monitored, W: await W.data(), b: await b.data() };
          sinceBest = 0;
        } else if (va && p.earlyStoppingPatience > 0 && ++sinceBest >= p.earlyStoppingPatience) break;
        if (Math.abs(lastTrain - trainLoss) <= p.tolerance * Math.max(1, Math.abs(trainLoss))) break;
        lastTrain = trainLoss;
        // Let a cancel message reach the worker between evaluations.
        await new Promise((r) => setTimeout(r, 0));
      }
    } finally {
      for (const t of [tr, va]) if (t) tf.dispose([t.x, t.y, t.w]);
      W.dispose();
      b.dispose();
      optimizer.dispose();
    }

    // Back to unstandardised space: z = b' + Σ w'_k (v_k − m_k)/s_k  (× yStd + yMean for regression).
    const weights: number[][] = [];
    const bias: number[] = [];
    for (let o = 0; o < k; o++) {
      const w = new Array<number>(d);
      let b0 = best.b[o];
      for (let c = 0; c < d; c++) {
        const wz = best.W[c * k + o];
        w[c] = wz / std[c];
        b0 -= (wz * mean[c]) / std[c];
      }
      if (task === 'regression') {
        for (let c = 0; c < d; c++) w[c] *= yStd;
        b0 = b0 * yStd + yMean;
      }
      weights.push(w);
      bias.push(b0);
    }
    return buildLinear({ design: spec, mean, weights, bias }, task, lossCurve);
  },
  async load(state, task) {
    return buildLinear(state, task, []);
  },
};

/** Numerically stable binary cross-entropy from logits: max(z,0) − z·y + log(1 + e^−|z|). */
function bce(tf: Tf, y: TfNs.Tensor, z: TfNs.Tensor) {
  return tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
}
