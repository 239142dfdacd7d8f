/**
 * Baseline: ignores the features. Binary/multiclass predict the training class priors (weighted when
 * the dataset has weights); regression predicts the training mean. Always trained next to the chosen
 * family so every run has a floor to compare with. Pure TypeScript (no TF.js).
 * Class weights (`TrainSpec.classWeight`) are never passed to it by ./train.ts: the baseline stays
 * the unweighted floor (with balanced weights its priors would all be 1/k).
 */
import type { Dataset, Explanation, FitContext, Matrix, ModelFamily, Task, TrainedModel } from '../types.ts';

/** The baseline has no hyperparameters. */
export type BaselineParams = Record<string, never>;

export interface BaselineState {
  /** binary: [P(0), P(1)]; multiclass: P(class c) for c = 0..k-1; regression: [mean]. */
  values: number[];
}

const logit = (p: number) => Math.log(p / (1 - p));

function build(
  state: BaselineState,
  task: Task,
  lossCurve: TrainedModel['lossCurve'],
): TrainedModel<BaselineState> {
  const v = state.values;
  return {
    family: 'baseline',
    task,
    state,
    lossCurve,
    async predict(X: Matrix) {
      const n = X.rows;
      if (task === 'binary') return new Float64Array(n).fill(v[1]);
      if (task === 'regression') return new Float64Array(n).fill(v[0]);
      const k = v.length;
      const out = new Float64Array(n * k);
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = v[c];
      return out;
    },
    async explain(X: Matrix, _row: number, opts?: { classIndex?: number }): Promise<Explanation> {
      const clipped = (p: number) => Math.min(1 - 1e-15, Math.max(1e-15, p));
      const base =
        task === 'regression'
          ? v[0]
          : task === 'binary'
            ? logit(clipped(v[1]))
            : Math.log(clipped(v[opts?.classIndex ?? 0]));
      return { base, values: new Float64Array(X.cols) };
    },
  };
}

export const baselineFamily: ModelFamily<BaselineParams, BaselineState> = {
  id: 'baseline',
  title: 'Baseline (majority class / mean)',
  defaults: {},
  tasks: ['binary', 'multiclass', 'regression'],
  async fit(train: Dataset, _params: BaselineParams, ctx: FitContext) {
    const { y, weight } = train;
    const w = (i: number) => (weight ? weight[i] : 1);
    let total = 0;
    let values: number[];
    if (ctx.task === 'regression') {
      let s = 0;
      for (let i = 0; i < y.length; i++) {
        s += w(i) * y[i];
        total += w(i);
      }
      values = [total ? s / total : 0];
    } else {
      const k = ctx.task === 'binary' ? 2 : (ctx.classes ?? Math.max(0, ...Array.from(y)) + 1);
      const counts = new Array<number>(k).fill(0);
      for (let i = 0; i < y.length; i++) {
        counts[y[i]] += w(i);
        total += w(i);
      }
      values = counts.map((c) => (total ? c / total : 1 / k));
    }
    const state: BaselineState = { values };
    const model = build(state, ctx.task, []);
    const lossOf = async (d: Dataset) => {
      const p = await model.predict(d.X);
      return datasetLoss(ctx.task, d.y, p, values.length);
    };
    const train1 = await lossOf(train);
    const valid = ctx.valid ? await lossOf(ctx.valid) : undefined;
    model.lossCurve.push({ step: 1, train: train1, valid });
    ctx.onProgress?.({ step: 1, total: 1, trainLoss: train1, validLoss: valid });
    return model;
  },
  async load(state, task) {
    return build(state, task, []);
  },
};

/** Mean loss (log loss / cross-entropy / MSE) of a prediction, as the loss curves report it. */
export function datasetLoss(task: Task, y: ArrayLike<number>, p: ArrayLike<number>, k: number): number {
  const eps = 1e-7;
  let s = 0;
  const n = y.length;
  for (let i = 0; i < n; i++) {
    if (task === 'regression') s += (y[i] - p[i]) ** 2;
    else if (task === 'binary') {
      const q = Math.min(1 - eps, Math.max(eps, p[i]));
      s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
    } else s -= Math.log(Math.min(1 - eps, Math.max(eps, p[i * k + y[i]])));
  }
  return n ? s / n : Number.NaN;
}
