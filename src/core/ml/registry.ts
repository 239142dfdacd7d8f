/**
 * The model-family registry: the train cell lists families from here, the training worker fits them,
 * and the artifact loader (browser and server) finds `model.family` here to rebuild a saved model.
 * Adding a family = implement `ModelFamily` and call `registerModelFamily` (see docs/extending.md).
 */
import { baselineFamily } from './families/baseline.ts';
import { linearFamily } from './families/linear.ts';
import { mlpFamily } from './families/mlp.ts';
import { gbdtFamily } from './gbdt/index.ts';
import type { Explanation, FeatureInfo, Matrix, ModelFamily, Task, TrainedModel } from './types.ts';

/** A family with its parameter and state types erased (what the registry stores). */
export type AnyModelFamily = ModelFamily<object, unknown>;

const families = new Map<string, AnyModelFamily>();

/** Register a family under its `id` (replacing one with the same id, so tests can stub one). */
export function registerModelFamily<P extends object, S>(family: ModelFamily<P, S>): void {
  if (!/^[a-z][a-z0-9_+-]*$/.test(family.id)) {
    throw new Error(`Model family id "${family.id}" must be lower-case letters, digits, -, _ or +.`);
  }
  families.set(family.id, family as unknown as AnyModelFamily);
}

/** The family with this id; throws a message listing the known ids when there is none. */
export function modelFamily(id: string): AnyModelFamily {
  const f = families.get(id);
  if (!f) {
    throw new Error(`Unknown model family "${id}"; known: ${[...families.keys()].join(', ')}.`);
  }
  return f;
}

/** Every registered family, in registration order; optionally only those that can do `task`. */
export function modelFamilies(task?: Task): AnyModelFamily[] {
  const all = [...families.values()];
  return task ? all.filter((f) => f.tasks.includes(task)) : all;
}

/**
 * A learned feature transform applied after the pipeline, inside a family (so the artifact, the server
 * and explanations need nothing new). `apply` must be deterministic given the state.
 */
export interface FeatureTransform<T = unknown> {
  /** Short id, used in the wrapped family's id: `<family>+<transform>`. */
  id: string;
  /** Learn the transform's state from the training matrix (JSON-serialisable). */
  fit(X: Matrix): T;
  /**
   * The transformed matrix and, per output column, the index of the input column it comes from
   * (explanations of the output columns are summed back onto those inputs, so they stay additive).
   */
  apply(X: Matrix, state: T): { X: Matrix; sources: number[] };
}

interface TransformedState {
  transform: unknown;
  base: unknown;
}

/**
 * `base` with `transform` in front: fits the transform on the training matrix, then the base family on
 * the transformed matrices (valid too); predict/explain transform first. Register the result like any
 * family (see docs/extending.md).
 */
export function withFeatureTransform<P extends object, S, T>(
  base: ModelFamily<P, S>,
  transform: FeatureTransform<T>,
  opts: { id?: string; title?: string } = {},
): ModelFamily<P, TransformedState> {
  const wrap = (model: TrainedModel<S>, tState: T, task: Task): TrainedModel<TransformedState> => {
    const explain = model.explain?.bind(model);
    return {
      family: opts.id ?? `${base.id}+${transform.id}`,
      task,
      state: { transform: tState, base: model.state },
      lossCurve: model.lossCurve,
      predict: (X) => model.predict(transform.apply(X, tState).X),
      explain: explain
        ? async (X, row, o): Promise<Explanation> => {
            const { X: Xt, sources } = transform.apply(X, tState);
            const e = await explain(Xt, row, o);
            const values = new Float64Array(X.cols);
            sources.forEach((src, k) => {
              values[src] += e.values[k];
            });
            return { ...e, values };
          }
        : undefined,
    };
  };
  return {
    id: opts.id ?? `${base.id}+${transform.id}`,
    title: opts.title ?? `${base.title} + ${transform.id}`,
    defaults: base.defaults,
    tasks: base.tasks,
    async fit(train, params, ctx) {
      const tState = transform.fit(train.X);
      const tx = (d: typeof train) => ({ ...d, X: transform.apply(d.X, tState).X });
      const model = await base.fit(tx(train), params, { ...ctx, valid: ctx.valid && tx(ctx.valid) });
      return wrap(model, tState, ctx.task);
    },
    async load(state, task) {
      return wrap(await base.load(state.base as S, task), state.transform as T, task);
    },
  };
}

/** Helper for transforms: a matrix with extra columns appended (features and data). */
export function appendColumns(
  X: Matrix,
  extra: FeatureInfo[],
  value: (row: number, k: number) => number,
): Matrix {
  const cols = X.cols + extra.length;
  const data = new Float32Array(X.rows * cols);
  for (let i = 0; i < X.rows; i++) {
    data.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), i * cols);
    for (let k = 0; k < extra.length; k++) data[i * cols + X.cols + k] = value(i, k);
  }
  return { rows: X.rows, cols, data, features: [...X.features, ...extra] };
}

registerModelFamily(baselineFamily);
registerModelFamily(linearFamily);
registerModelFamily(mlpFamily);
registerModelFamily(gbdtFamily);
