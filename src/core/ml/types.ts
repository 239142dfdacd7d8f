/**
 * The machine-learning contracts shared by the training worker, the browser's predict/explain panel
 * and the companion server. Pure TypeScript, no DOM: everything here runs in workers, Node and tests.
 *
 * Data flow: rows (columnar, from DuckDB as Arrow) → split (./split/) → feature pipeline fitted on
 * the training part only (./pipeline/) → numeric `Matrix` → a `ModelFamily` fits a `TrainedModel`
 * → serialised into one `ModelArtifact` (./artifact.ts) that the server loads with the same code.
 */

export type Task = 'binary' | 'multiclass' | 'regression';

/** Values of one input column, as read from DuckDB (Arrow decoded). `null` = missing. */
export type ColumnValues = Float64Array | (number | null)[] | (string | null)[] | (boolean | null)[];

/** A columnar table: column name → values, all the same length. */
export interface ColumnarTable {
  rowCount: number;
  columns: Record<string, ColumnValues>;
  /** DuckDB logical type per column (e.g. `DOUBLE`, `VARCHAR`, `TIMESTAMP`). Datetimes arrive as epoch ms numbers. */
  types: Record<string, string>;
}

/** What the model sees of one encoded feature. */
export interface FeatureInfo {
  /** Encoded feature name, e.g. `origin=ATL`, `distance`, `distance__missing`, `title:tfidf:war`. */
  name: string;
  /** Original input column it came from (contributions are folded back onto it). */
  source: string;
  /** `categorical`: integer codes 0..categories-1 (GBDT splits them natively; others see one-hot). */
  kind: 'numeric' | 'categorical';
  /** For categorical features: number of codes (the last code is the "unseen" bucket). */
  categories?: number;
  /** For text features: the term, so explanations can be shown per term. */
  term?: string;
}

/** Dense row-major matrix. Missing values are NaN (GBDT routes them natively; others see imputed values). */
export interface Matrix {
  rows: number;
  cols: number;
  /** rows × cols, row-major. */
  data: Float32Array;
  features: FeatureInfo[];
}

export interface Dataset {
  X: Matrix;
  /** Target: 0/1 for binary, class index for multiclass, value for regression. */
  y: Float32Array;
  /** Optional per-row weights (class weights for imbalance). */
  weight?: Float32Array;
}

export interface Progress {
  /** Epoch or tree index, 1-based. */
  step: number;
  /** Planned steps (may end earlier with early stopping). */
  total: number;
  trainLoss?: number;
  validLoss?: number;
  message?: string;
  /** During a hyperparameter search: the trial being fitted (1-based) and the number of trials. */
  trial?: number;
  trials?: number;
  /** During k-fold cross-validation: the fold being fitted (1-based) and the number of folds. */
  fold?: number;
  folds?: number;
  /** During successive halving: the rung (1-based), the number of rungs and the rung's budget. */
  rung?: number;
  rungs?: number;
  budget?: number;
}

/**
 * One hyperparameter's range for random search:
 * - `float`: uniform in [min, max]; `logfloat`: log-uniform in [min, max] (min > 0);
 * - `int`: uniform integer in [min, max] (inclusive); `choice`: one of `values` (any JSON values).
 */
export interface ParamRange {
  type: 'float' | 'int' | 'logfloat' | 'choice';
  min?: number;
  max?: number;
  values?: readonly unknown[];
}

/** Hyperparameter name → range. */
export type SearchSpace = Record<string, ParamRange>;

export interface FitContext {
  task: Task;
  /** Number of classes for multiclass. */
  classes?: number;
  /** Validation part, for early stopping and loss curves. Never the test part. */
  valid?: Dataset;
  seed: number;
  signal?: AbortSignal;
  onProgress?(p: Progress): void;
}

/** One point of a loss curve. */
export interface LossPoint {
  step: number;
  train: number;
  valid?: number;
}

/**
 * Raw model output for `n` rows:
 * - binary: probability of the positive class, length n;
 * - multiclass: probabilities, row-major n × k;
 * - regression: predicted value, length n.
 */
export type Prediction = Float64Array;

/** Signed contribution of each encoded feature to one row's raw output (log-odds / margin / value). */
export interface Explanation {
  /** The model's expected output over the background/training data, in the same space. */
  base: number;
  /** One per encoded feature (same order as Matrix.features). For multiclass: for the explained class. */
  values: Float64Array;
  /** For approximations (sampling), an error bound on each value; absent when exact. */
  errorBound?: number;
}

/** A fitted model, ready to predict. `state` is JSON-serialisable and round-trips through `load`. */
export interface TrainedModel<S = unknown> {
  family: string;
  task: Task;
  state: S;
  lossCurve: LossPoint[];
  predict(X: Matrix): Promise<Prediction>;
  /** Contributions for one row (rowIndex into X), in raw-output space. Optional until the explain issue. */
  explain?(X: Matrix, rowIndex: number, opts?: { classIndex?: number }): Promise<Explanation>;
}

/**
 * A model family (baseline, linear, MLP, GBDT, …). Register it once in ./registry.ts; the train
 * cell, the artifact loader and the server find it there. See docs/extending.md.
 */
export interface ModelFamily<P = Record<string, unknown>, S = unknown> {
  id: string;
  title: string;
  /** Hyperparameters with their defaults; every field documented where declared. */
  defaults: P;
  /** Which tasks it can do. */
  tasks: readonly Task[];
  /**
   * Default hyperparameter search space (random search of the train cell, `TrainSpec.search`):
   * parameter name → range. Optional: a family without one cannot be searched unless the spec gives
   * a space. Keys must be fields of `defaults`.
   */
  searchSpace?: SearchSpace;
  /**
   * The hyperparameter that measures training effort (GBDT `nEstimators`, MLP `epochs`, linear
   * `maxIterations`): successive halving gives each configuration a small budget of it and raises the
   * budget rung by rung, and k-fold training sets it for the final refit from the folds' early
   * stopping. Its value must be a positive integer, and the family's loss curve must count it (one
   * `LossPoint.step` per unit). Optional: a family without one cannot be searched by halving.
   */
  budgetParam?: string;
  fit(train: Dataset, params: P, ctx: FitContext): Promise<TrainedModel<S>>;
  /** Rebuild a trained model from its serialised state (artifact → server / browser). */
  load(state: S, task: Task): Promise<TrainedModel<S>>;
}
