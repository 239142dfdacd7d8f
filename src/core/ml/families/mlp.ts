/**
 * MLP family: a fully connected network (TF.js layers) for binary, multiclass and regression.
 *
 * Inputs go through the same design matrix as the linear family (categorical codes one-hot, NaN →
 * training mean), standardised with the training moments; the regression target is standardised too.
 * Training is a hand-written mini-batch loop (Adam) so that everything random is seeded and the run is
 * reproducible on one backend: Glorot-uniform initialisers seeded from `ctx.seed`, mini-batch order
 * shuffled by the seeded PRNG of ../random.ts, dropout masks drawn with per-step seeds. After every
 * epoch it reports the train loss (mean over batches) and the validation loss; early stopping keeps the
 * weights of the best validation epoch. Cancel: `ctx.signal` is checked between batches.
 *
 * State (JSON): the architecture and every weight tensor as base64 little-endian Float32, so `load`
 * rebuilds the same network anywhere TF.js runs (browser or Node), plus a small seeded sample of
 * training rows as the background of `explain` (permutation-sampled interventional SHAP, exactly
 * additive, with an error bound).
 */
import type * as TfNs from '@tensorflow/tfjs';
import { createRng } from '../random.ts';
import type {
  Dataset,
  Explanation,
  FitContext,
  LossPoint,
  Matrix,
  ModelFamily,
  SearchSpace,
  Task,
  TrainedModel,
} from '../types.ts';
import {
  ADAM_EPSILON,
  abortError,
  type DesignSpec,
  designMoments,
  designSpec,
  linkOutputs,
  outputCount,
  standardisedDesign,
} from './linear.ts';

type Tf = typeof TfNs;

export type Activation = 'relu' | 'tanh' | 'elu' | 'selu' | 'sigmoid' | 'linear';

export interface MlpParams {
  /** Units per hidden layer, input to output. Default [64, 64]. */
  hiddenLayers: number[];
  /** Activation of the hidden layers. Default 'relu'. */
  activation: Activation;
  /** Dropout rate after each hidden layer, during training only (0 = none). Default 0.1. */
  dropout: number;
  /** Adam step size. Default 1e-3. */
  learningRate: number;
  /** Rows per mini-batch. Default 256. */
  batchSize: number;
  /** Maximum passes over the training rows. Default 50. */
  epochs: number;
  /** Stop after this many epochs without a better validation loss (0 = never). Default 5. */
  earlyStoppingPatience: number;
  /** L2 penalty λ on the kernels: loss + λ·Σ‖W‖². Default 0. */
  l2: number;
  /** Training rows kept (seeded sample) as the background of `explain`. Default 32; 0 = no explain. */
  explainBackground: number;
}

export const mlpDefaults: MlpParams = {
  hiddenLayers: [64, 64],
  activation: 'relu',
  dropout: 0.1,
  learningRate: 1e-3,
  batchSize: 256,
  epochs: 50,
  earlyStoppingPatience: 5,
  l2: 0,
  explainBackground: 32,
};

/** Default random-search space (TrainSpec.search): step size, width/depth, dropout. */
export const mlpSearchSpace: SearchSpace = {
  learningRate: { type: 'logfloat', min: 1e-4, max: 1e-2 },
  hiddenLayers: { type: 'choice', values: [[32], [64], [128], [64, 64], [128, 64]] },
  dropout: { type: 'float', min: 0, max: 0.4 },
};

export interface MlpArchitecture {
  /** Design-matrix width (network input size). */
  inputs: number;
  hiddenLayers: number[];
  activation: Activation;
  /** 1 (binary logit / regression value) or k (class logits). */
  outputs: number;
}

export interface MlpWeight {
  /** Layer and weight, e.g. `dense_0/kernel`. */
  name: string;
  shape: number[];
  /** base64 of the little-endian Float32 values, row-major. */
  data: string;
}

export interface MlpState {
  architecture: MlpArchitecture;
  design: DesignSpec;
  /** Standardisation of the design columns (training moments). */
  mean: number[];
  std: number[];
  /** Regression target standardisation (0 / 1 otherwise): value = output·yStd + yMean. */
  yMean: number;
  yStd: number;
  /** Kernel and bias of each dense layer in order (hidden layers, then the output layer). */
  weights: MlpWeight[];
  /** Background rows for `explain`: encoded (Matrix) rows sampled from train, base64 Float32, rows × inputs. */
  background?: { rows: number; data: string };
}

/** Permutations per background row in `explain` (half of them the reverses of the others). */
const EXPLAIN_PERMUTATIONS = 16;

// ---------------------------------------------------------------------------------------------
// base64 Float32 (works in browsers, workers and Node ≥ 16: btoa/atob are global).
// ---------------------------------------------------------------------------------------------

export function float32ToBase64(a: Float32Array): string {
  const le = new Float32Array(a); // copy: own buffer, platform (little-endian everywhere we run)
  const bytes = new Uint8Array(le.buffer);
  let s = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(s);
}

export function base64ToFloat32(b64: string): Float32Array {
  const s = atob(b64);
  if (s.length % 4 !== 0) throw new Error('A weight array is not a whole number of Float32 values.');
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

// ---------------------------------------------------------------------------------------------

function buildNetwork(tf: Tf, arch: MlpArchitecture, seed: number): TfNs.Sequential {
  const model = tf.sequential();
  const sizes = [...arch.hiddenLayers, arch.outputs];
  sizes.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        inputShape: i === 0 ? [arch.inputs] : undefined,
        activation: i < arch.hiddenLayers.length ? arch.activation : 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }),
        biasInitializer: 'zeros',
        name: `dense_${i}`,
      }),
    );
  });
  return model;
}

/** Forward pass giving raw outputs (logits / standardised value); dropout only when `dropSeed` is set. */
function forward(
  tf: Tf,
  model: TfNs.Sequential,
  x: TfNs.Tensor,
  dropout: number,
  dropSeed?: number,
): TfNs.Tensor2D {
  let h = x;
  const n = model.layers.length;
  model.layers.forEach((layer, i) => {
    h = layer.apply(h) as TfNs.Tensor;
    if (dropSeed !== undefined && dropout > 0 && i < n - 1)
      h = tf.dropout(h, dropout, undefined, dropSeed + i);
  });
  return h as TfNs.Tensor2D;
}

/** Mean (weighted) loss per row from raw outputs z, targets t, normalised weights w. */
function lossOf(tf: Tf, task: Task, z: TfNs.Tensor, t: TfNs.Tensor, w: TfNs.Tensor): TfNs.Scalar {
  let per: TfNs.Tensor;
  if (task === 'regression') per = tf.square(tf.sub(z, t));
  else if (task === 'binary')
    per = tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  else per = tf.sum(tf.mul(t, tf.neg(tf.logSoftmax(z))), 1, true);
  return tf.sum(tf.mul(per, w)) as TfNs.Scalar;
}

/** Yield to the event loop (so a cancel message can arrive) at most every ~25 ms. */
function yielder(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 25) return;
    await new Promise((r) => setTimeout(r, 0));
    last = performance.now();
  };
}

async function readWeights(
  model: TfNs.Sequential,
): Promise<{ name: string; shape: number[]; values: Float32Array }[]> {
  const out = [];
  for (const layer of model.layers) {
    for (const w of layer.getWeights()) {
      out.push({
        name: `${layer.name}/${w.shape.length === 2 ? 'kernel' : 'bias'}`,
        shape: w.shape.slice(),
        values: new Float32Array((await w.data()) as Float32Array),
      });
    }
  }
  return out;
}

function setWeights(
  tf: Tf,
  model: TfNs.Sequential,
  weights: { shape: number[]; values: Float32Array }[],
): void {
  const expected = model.layers.reduce((s, l) => s + l.getWeights().length, 0);
  if (weights.length !== expected) {
    throw new Error(`The MLP state has ${weights.length} weight arrays; its architecture needs ${expected}.`);
  }
  const tensors = weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

function buildMlp(
  tf: Tf,
  model: TfNs.Sequential,
  state: MlpState,
  task: Task,
  lossCurve: LossPoint[],
): TrainedModel<MlpState> & { dispose(): void } {
  const k = state.architecture.outputs;
  /** Raw outputs (logits / class margins / value), rows × k, for encoded rows. */
  const rawOf = async (X: Matrix): Promise<Float64Array> => {
    const x = tf.tensor2d(standardisedDesign(state.design, X, state.mean, state.std), [
      X.rows,
      state.design.width,
    ]);
    const z = tf.tidy(() => forward(tf, model, x, 0));
    const raw = Float64Array.from((await z.data()) as Float32Array);
    tf.dispose([x, z]);
    if (task === 'regression')
      for (let i = 0; i < raw.length; i++) raw[i] = raw[i] * state.yStd + state.yMean;
    return raw;
  };
  const background = state.background
    ? { rows: state.background.rows, data: base64ToFloat32(state.background.data) }
    : undefined;
  return {
    /** Free the network's weights (TF.js memory); the model cannot predict afterwards. */
    dispose: () => model.dispose(),
    family: 'mlp',
    task,
    state,
    lossCurve,
    async predict(X: Matrix) {
      return linkOutputs(task, await rawOf(X), X.rows, k);
    },
    explain: background
      ? (X, rowIndex, opts) => permutationShap(X, rowIndex, opts?.classIndex ?? 0, background, k, rawOf)
      : undefined,
  };
}

/**
 * Interventional Shapley values by permutation sampling (Štrumbelj & Kononenko), in raw-output space.
 * For every background row b and sampled permutation π of the features where the row differs from b,
 * features are switched from b's value to the row's one in π order; each switch's change of the raw
 * output is that feature's marginal contribution. Per (b, π) the contributions telescope to
 * f(x) − f(b), so with base = mean_b f(b) the values are exactly additive: base + Σ values = f(x).
 * Half the permutations are the reverses of the others (antithetic sampling). `errorBound` is the
 * largest standard error over the features. Deterministic (fixed seed).
 */
async function permutationShap(
  X: Matrix,
  rowIndex: number,
  classIndex: number,
  background: { rows: number; data: Float32Array },
  k: number,
  rawOf: (X: Matrix) => Promise<Float64Array>,
): Promise<Explanation> {
  const m = X.cols;
  if (!(rowIndex >= 0 && rowIndex < X.rows)) throw new Error(`Row ${rowIndex} is out of range.`);
  if (!(classIndex >= 0 && classIndex < k))
    throw new Error(`classIndex ${classIndex} is out of range 0..${k - 1}.`);
  if (background.data.length !== background.rows * m) {
    throw new Error(
      `The explain background has ${background.data.length / background.rows} features, not ${m}.`,
    );
  }
  const x = X.data.subarray(rowIndex * m, rowIndex * m + m);
  const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
  const rng = createRng(0x5eed);
  // Build every path: rows = b, then b with π[0] switched, … (|D| + 1 rows per path).
  const paths: { order: number[] }[] = [];
  let total = 0;
  for (let bi = 0; bi < background.rows; bi++) {
    const b = background.data.subarray(bi * m, bi * m + m);
    const diff: number[] = [];
    for (let j = 0; j < m; j++) if (!same(x[j], b[j])) diff.push(j);
    for (let p = 0; p < EXPLAIN_PERMUTATIONS; p += 2) {
      const order = rng.shuffle(diff.slice());
      paths.push({ order }, { order: order.slice().reverse() });
      total += 2 * (diff.length + 1);
    }
  }
  const data = new Float32Array(total * m);
  let off = 0;
  paths.forEach((path, pi) => {
    const bi = Math.floor(pi / EXPLAIN_PERMUTATIONS);
    const row = Float32Array.from(background.data.subarray(bi * m, bi * m + m));
    data.set(row, off);
    off += m;
    for (const j of path.order) {
      row[j] = x[j];
      data.set(row, off);
      off += m;
    }
  });
  const raw = await rawOf({ rows: total, cols: m, data, features: X.features });
  const sum = new Float64Array(m);
  const sumSq = new Float64Array(m);
  let base = 0;
  let r = 0;
  for (const path of paths) {
    let prev = raw[r * k + classIndex];
    base += prev;
    r++;
    for (const j of path.order) {
      const cur = raw[r * k + classIndex];
      sum[j] += cur - prev;
      sumSq[j] += (cur - prev) ** 2;
      prev = cur;
      r++;
    }
  }
  const n = paths.length;
  const values = sum.map((v) => v / n);
  let errorBound = 0;
  for (let j = 0; j < m; j++) {
    const variance = Math.max(0, sumSq[j] / n - values[j] ** 2);
    errorBound = Math.max(errorBound, Math.sqrt(variance / n));
  }
  return { base: base / n, values, errorBound };
}

export const mlpFamily: ModelFamily<MlpParams, MlpState> = {
  id: 'mlp',
  title: 'Neural network (MLP)',
  defaults: mlpDefaults,
  tasks: ['binary', 'multiclass', 'regression'],
  searchSpace: mlpSearchSpace,
  budgetParam: 'epochs',
  async fit(train: Dataset, params: MlpParams, ctx: FitContext) {
    const p = { ...mlpDefaults, ...params };
    const tf: Tf = await import('@tensorflow/tfjs');
    const { task } = ctx;
    const n = train.X.rows;
    if (n === 0) throw new Error('The training set is empty.');
    const k = outputCount(task, ctx.classes);
    const design = designSpec(train.X);
    const { mean, std } = designMoments(design, train.X);
    const d = design.width;
    let yMean = 0;
    let yStd = 1;
    if (task === 'regression') {
      for (const v of train.y) yMean += v;
      yMean /= n;
      let s2 = 0;
      for (const v of train.y) s2 += (v - yMean) ** 2;
      yStd = Math.sqrt(s2 / n) || 1;
    }
    const arch: MlpArchitecture = {
      inputs: d,
      hiddenLayers: p.hiddenLayers.slice(),
      activation: p.activation,
      outputs: k,
    };
    const model = buildNetwork(tf, arch, ctx.seed);
    const tensors = (ds: Dataset) => {
      const rows = ds.X.rows;
      const w = ds.weight ?? new Float32Array(rows).fill(1);
      return {
        rows,
        x: tf.tensor2d(standardisedDesign(design, ds.X, mean, std), [rows, d]),
        y:
          task === 'multiclass'
            ? tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(ds.y), 'int32'), k).toFloat())
            : tf.tensor2d(task === 'regression' ? ds.y.map((v) => (v - yMean) / yStd) : ds.y, [rows, 1]),
        w: tf.tensor2d(w, [rows, 1]),
      };
    };
    const tr = tensors(train);
    const va = ctx.valid && ctx.valid.X.rows > 0 ? tensors(ctx.valid) : undefined;
    // ε explicit: TF.js's default differs on webgl (see ADAM_EPSILON).
    const optimizer = tf.train.adam(p.learningRate, 0.9, 0.999, ADAM_EPSILON);
    const vars = model.trainableWeights.map((w) => w.read() as TfNs.Variable);
    const kernels = vars.filter((v) => v.shape.length === 2);
    const rng = createRng(ctx.seed);
    const order = new Int32Array(n).map((_, i) => i);
    const batch = Math.max(1, Math.min(p.batchSize, n));
    const scale = task === 'regression' ? yStd * yStd : 1;
    const maybeYield = yielder();
    const lossCurve: LossPoint[] = [];
    let best: { loss: number; weights?: Awaited<ReturnType<typeof readWeights>> } = { loss: Infinity };
    let sinceBest = 0;
    let dropStep = (ctx.seed >>> 0) % 1_000_000;
    try {
      for (let epoch = 1; epoch <= p.epochs; epoch++) {
        rng.shuffle(order);
        let sum = tf.scalar(0);
        for (let start = 0; start < n; start += batch) {
          // Our own loop (not model.fit), so cancelling is just leaving it between two batches.
          if (ctx.signal?.aborted) throw abortError();
          const end = Math.min(n, start + batch);
          const idx = tf.tensor1d(order.subarray(start, end), 'int32');
          const xb = tf.gather(tr.x, idx);
          const yb = tf.gather(tr.y, idx);
          const wb = tf.tidy(() => {
            const wRaw = tf.gather(tr.w, idx);
            return tf.div(wRaw, tf.sum(wRaw));
          });
          const seed = dropStep;
          dropStep += 101;
          const cost = optimizer.minimize(
            () => {
              const z = forward(tf, model, xb, p.dropout, seed);
              let loss = lossOf(tf, task, z, yb, wb);
              if (p.l2 > 0)
                for (const kv of kernels) loss = tf.add(loss, tf.mul(p.l2, tf.sum(tf.square(kv))));
              return loss;
            },
            true,
            vars,
          )!;
          const prev = sum;
          sum = tf.tidy(() => tf.add(prev, tf.mul(cost, end - start)));
          tf.dispose([prev, cost, idx, xb, yb, wb]);
          await maybeYield();
        }
        const trainLoss = ((await sum.data())[0] / n) * scale;
        sum.dispose();
        let validLoss: number | undefined;
        if (va) {
          const vt = tf.tidy(() => {
            const z = forward(tf, model, va.x, 0);
            const wn = tf.div(va.w, tf.sum(va.w));
            return lossOf(tf, task, z, va.y, wn);
          });
          validLoss = (await vt.data())[0] * scale;
          vt.dispose();
        }
        lossCurve.push({ step: epoch, train: trainLoss, valid: validLoss });
        ctx.onProgress?.({ step: epoch, total: p.epochs, trainLoss, validLoss });
        const monitored = validLoss ?? trainLoss;
        if (!Number.isFinite(monitored))
          throw new Error(
            `Training diverged at epoch ${epoch} (loss ${monitored}); lower the learning rate.`,
          );
        if (monitored < best.loss) {
          best = { loss: monitored, weights: await readWeights(model) };
          sinceBest = 0;
        } else if (va && p.earlyStoppingPatience > 0 && ++sinceBest >= p.earlyStoppingPatience) break;
      }
      if (best.weights) setWeights(tf, model, best.weights);
      const weights = (best.weights ?? (await readWeights(model))).map((w) => ({
        name: w.name,
        shape: w.shape,
        data: float32ToBase64(w.values),
      }));
      const state: MlpState = { architecture: arch, design, mean, std, yMean, yStd, weights };
      const bg = Math.min(n, Math.max(0, Math.floor(p.explainBackground)));
      if (bg > 0) {
        const pick = createRng(ctx.seed ^ 0x2545f491)
          .shuffle(Array.from({ length: n }, (_, i) => i))
          .slice(0, bg);
        const cols = train.X.cols;
        const rows = new Float32Array(bg * cols);
        pick.forEach((r, i) => {
          rows.set(train.X.data.subarray(r * cols, r * cols + cols), i * cols);
        });
        state.background = { rows: bg, data: float32ToBase64(rows) };
      }
      return buildMlp(tf, model, state, task, lossCurve);
    } catch (e) {
      model.dispose();
      throw e;
    } finally {
      for (const t of [tr, va]) if (t) tf.dispose([t.x, t.y, t.w]);
      optimizer.dispose();
    }
  },
  async load(state, task) {
    const tf: Tf = await import('@tensorflow/tfjs');
    const model = buildNetwork(tf, state.architecture, 0);
    setWeights(
      tf,
      model,
      state.weights.map((w) => ({ shape: w.shape, values: base64ToFloat32(w.data) })),
    );
    return buildMlp(tf, model, state, task, []);
  },
};
