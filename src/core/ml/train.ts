/**
 * Training orchestration, pure (no DOM, no worker APIs): the training worker calls `trainModel` with
 * the decoded table; tests call it in Node.
 *
 * table → split (train / valid / test) → feature pipeline fitted on the TRAIN rows only → matrices →
 * family.fit(train, valid for early stopping) → metrics on valid and test → `ModelArtifact`.
 * The test part is never used for fitting, early stopping or any choice: only for the reported metrics.
 * Options: balanced class weights (`classWeight`, counted on train rows) and a seeded random
 * hyperparameter search (`search`: trials scored on validation, the best trial's model kept).
 * The baseline (majority class / mean) is always fitted as well, for comparison.
 */
import { version as benchtopVersion } from '../../../package.json';
import type { ModelArtifact, TargetDistribution } from './artifact.ts';
import { computeMetrics, higherIsBetter, primaryMetric } from './metrics.ts';
import {
  fitPipeline,
  inferKinds,
  type ModelKind,
  type PipelineSpec,
  stripTrainingState,
  summaryStats,
  transform,
  inputSchema,
} from './pipeline/index.ts';
import { modelFamily } from './registry.ts';
import { DEFAULT_TRIALS, type SearchRecord, type SearchSpec, sampleSpace } from './search.ts';
import { splitRows } from './split/index.ts';
import type { SplitSpec, SplitSummary } from './split/index.ts';
import { analyseTarget } from './split/target.ts';
import type {
  ColumnarTable,
  ColumnValues,
  Dataset,
  LossPoint,
  Progress,
  Task,
  TrainedModel,
} from './types.ts';

export type { SearchRecord, SearchSpec } from './search.ts';

/** What to train. Plain data: crosses the worker boundary as is. */
export interface TrainSpec {
  /** Target column. */
  target: string;
  /** Task; default `detectTask(target values)`. */
  task?: Task;
  /**
   * Feature columns with their kinds (what the pipeline encodes) plus pipeline options. Columns may be
   * given by name only in `featureColumns`; their kinds are then inferred (`inferKinds`).
   */
  pipeline?: PipelineSpec;
  /** Feature column names, used when `pipeline.columns` is absent or empty. Default: every column but the target. */
  featureColumns?: string[];
  /** Train / valid / test split (k-fold is not a training split here). */
  split: SplitSpec;
  /** Registered family id: `baseline`, `linear`, `mlp`, `gbdt`, … */
  family: string;
  /** Hyperparameters (merged over the family's defaults). */
  params?: Record<string, unknown>;
  /**
   * Class weights for imbalanced classification (ignored for regression). `balanced`: a row of class c
   * weighs n / (k · n_c), counted on the TRAIN rows only (n rows, k classes). The weights go to the
   * family as `Dataset.weight` (GBDT scales gradients and hessians, linear / MLP weight the per-row
   * loss); the validation rows get the same per-class weights, so early stopping watches the loss that
   * is minimised. The baseline ignores them, and the reported metrics are unweighted. Default `none`.
   */
  classWeight?: 'none' | 'balanced';
  /**
   * Random hyperparameter search: `trials` models with parameters sampled (seeded) from `space`
   * (default: the family's `searchSpace`) over `params`, each fitted on train and scored on the
   * VALIDATION rows by the task's primary metric; the best trial's model is kept, and only it is
   * evaluated on test. Needs validation rows. Recorded in `provenance.search`.
   */
  search?: SearchSpec;
  /** Seed of the model (initialisation, shuffles, bagging). The split has its own seed in `split.seed`. */
  seed: number;
  /** Artifact name; default `<target> — <family>`. */
  name?: string;
  notebookId?: string;
  cellId?: string;
  /** Fingerprint of the table (the worker hashes the Arrow bytes); default: a hash of the decoded table. */
  tableFingerprint?: string;
}

export interface TrainOptions {
  /** TF.js backend in use, recorded in the artifact (`js` when none matters). */
  backend?: string;
  signal?: AbortSignal;
  onProgress?(p: Progress): void;
  /** Clock (tests). */
  now?: () => number;
}

export interface TrainOutput {
  artifact: ModelArtifact;
  lossCurve: LossPoint[];
  /** The baseline's metrics on the same valid / test rows. */
  baseline: { valid: Record<string, number>; test: Record<string, number> };
  split: SplitSummary;
  durationsMs: Record<string, number>;
  /** The hyperparameter search, when one ran (also in `artifact.provenance.search`). */
  search?: SearchRecord;
}

/**
 * Balanced class weights n / (k · n_c) from the training targets (class indices 0..k-1); a class
 * absent from train gets weight 0 (it has no rows to weigh anyway). Returns the weight per class.
 */
export function balancedClassWeights(y: Float32Array, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (const v of y) if (v >= 0 && v < k) counts[v]++;
  const n = y.length;
  return counts.map((c) => (c > 0 ? n / (k * c) : 0));
}

/** Per-row weights from per-class weights. */
export function rowWeights(y: Float32Array, perClass: Float64Array): Float32Array {
  const w = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) w[i] = perClass[y[i]] ?? 0;
  return w;
}

/** Largest number of distinct values a numeric target may have and still be read as multiclass. */
const MAX_CLASSES = 50;

/**
 * Guess the task from the target's values: `binary` with exactly 2 distinct non-missing values;
 * `multiclass` with 3..50 distinct values that are non-numeric (strings/booleans) or small integers
 * (0..1000); `regression` for other numbers. Non-numeric targets with more than 50 distinct values
 * are still `multiclass` (there is nothing to regress on); the UI should warn.
 */
export function detectTask(values: ColumnValues | ArrayLike<unknown>): Task {
  const distinct = new Set<unknown>();
  let numeric = true;
  let smallInt = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > 1000) smallInt = false;
    } else numeric = false;
    if (distinct.size <= MAX_CLASSES) distinct.add(typeof v === 'string' ? v : String(v));
    else if (numeric) break;
  }
  if (distinct.size === 2) return 'binary';
  if (!numeric) return 'multiclass';
  return smallInt && distinct.size <= MAX_CLASSES && distinct.size > 2 ? 'multiclass' : 'regression';
}

/** FNV-1a (32-bit) of the table's names, types and values: a cheap fingerprint for provenance. */
export function fingerprintTable(table: ColumnarTable): string {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  };
  mix(String(table.rowCount));
  for (const name of Object.keys(table.columns).sort()) {
    mix(`\u0000${name}\u0000${table.types[name] ?? ''}`);
    const col = table.columns[name];
    for (let i = 0; i < col.length; i++) mix(`${col[i]}\u0001`);
  }
  return `fnv1a:${h.toString(16).padStart(8, '0')}`;
}

/** Which matrix a family consumes: GBDT wants raw values and integer categories, the rest dense. */
export function matrixKindFor(familyId: string): ModelKind {
  return familyId === 'gbdt' ? 'gbdt' : 'dense';
}

function targetDistribution(task: Task, y: Float32Array, classes: string[] | undefined): TargetDistribution {
  if (task !== 'regression') {
    const counts: Record<string, number> = {};
    for (const l of classes ?? []) counts[l] = 0;
    for (const v of y) {
      const l = (classes ?? [])[v] ?? String(v);
      counts[l] = (counts[l] ?? 0) + 1;
    }
    return { kind: task, counts };
  }
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of y) {
    mean += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  mean /= Math.max(1, y.length);
  let s2 = 0;
  for (const v of y) s2 += (v - mean) ** 2;
  return { kind: 'regression', mean, std: Math.sqrt(s2 / Math.max(1, y.length)), min, max };
}

/** Drop NaN metrics (undefined, e.g. AUC with one class) so the artifact stays valid JSON numbers. */
const finiteOnly = (m: Record<string, number>) =>
  Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));

function gather(y: Float64Array, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]];
  return out;
}

/** Train one model end to end; see the module comment. */
export async function trainModel(
  table: ColumnarTable,
  spec: TrainSpec,
  opts: TrainOptions = {},
): Promise<TrainOutput> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const durationsMs: Record<string, number> = {};
  const lap = (key: string, since: number) => {
    durationsMs[key] = Math.round((now() - since) * 10) / 10;
    return now();
  };
  const targetCol = table.columns[spec.target];
  if (!targetCol) throw new Error(`Target column "${spec.target}" not found.`);
  const family = modelFamily(spec.family);
  const task = spec.task ?? detectTask(targetCol);
  if (!family.tasks.includes(task)) throw new Error(`Model family "${family.id}" cannot do ${task}.`);

  // Target → numbers (binary 0/1 with classes[1] positive; multiclass label index; regression value).
  const info = analyseTarget(targetCol, table.rowCount, task);
  let classes: string[] | undefined;
  if (task === 'binary') {
    const labels = info.labels ?? [];
    if (labels.length !== 2) {
      throw new Error(
        `A binary target needs exactly 2 distinct values; "${spec.target}" has ${labels.length}.`,
      );
    }
    const pos = info.positiveLabel!;
    classes = [labels.find((l) => l !== pos)!, pos];
  } else if (task === 'multiclass') {
    classes = info.labels ?? [];
    if (classes.length < 2)
      throw new Error(
        `A multiclass target needs at least 2 classes; "${spec.target}" has ${classes.length}.`,
      );
  }
  const yAll = info.values; // NaN = missing target
  const hasTarget = (r: number) => Number.isFinite(yAll[r]);

  // Split; rows with a missing target are dropped from every part.
  let t = now();
  const split = splitRows(table, targetCol, spec.split, task);
  const keep = (rows: Uint32Array) => rows.filter(hasTarget);
  const trainRows = keep(split.train);
  const validRows = keep(split.valid);
  const testRows = keep(split.test);
  if (trainRows.length === 0) throw new Error('The training part has no rows with a target.');
  t = lap('split', t);

  // Pipeline on TRAIN rows only.
  const columns =
    spec.pipeline?.columns && spec.pipeline.columns.length > 0
      ? spec.pipeline.columns
      : inferKinds(table, { exclude: [spec.target] })
          .filter((c) => !spec.featureColumns || spec.featureColumns.includes(c.name))
          .map(({ name, kind }) => ({ name, kind }));
  if (columns.some((c) => c.name === spec.target)) throw new Error('The target cannot also be a feature.');
  if (columns.length === 0) throw new Error('No feature columns to train on.');
  const pipelineSpec: PipelineSpec = { ...spec.pipeline, columns };
  const yTable = Float32Array.from(yAll);
  const fitted = fitPipeline(table, trainRows, pipelineSpec, yTable, task);
  const mode = matrixKindFor(family.id);
  const dataset = (rows: Uint32Array): Dataset => ({
    X: transform(fitted, table, rows, { forModel: mode }),
    y: gather(yAll, rows),
  });
  const train = dataset(trainRows);
  const valid = validRows.length > 0 ? dataset(validRows) : undefined;
  const test = testRows.length > 0 ? dataset(testRows) : undefined;
  t = lap('pipeline', t);

  // Class weights (train counts only) for the fitted family; the baseline never sees them.
  const k = classes?.length;
  let classWeights: Float64Array | undefined;
  if (spec.classWeight === 'balanced' && task !== 'regression' && family.id !== 'baseline') {
    classWeights = balancedClassWeights(train.y, k ?? 2);
  }
  const weighted = (d: Dataset | undefined): Dataset | undefined =>
    d && classWeights ? { ...d, weight: rowWeights(d.y, classWeights) } : d;
  const fitTrain = weighted(train)!;
  const fitValid = weighted(valid);

  // Fit (valid for early stopping and the search's choice; test never).
  const baseParams = { ...(family.defaults as Record<string, unknown>), ...(spec.params ?? {}) };
  const metricsOn = async (d: Dataset | undefined, m: Pick<TrainedModel, 'predict'>) =>
    d ? finiteOnly(computeMetrics(task, d.y, await m.predict(d.X), k)) : {};
  const fitOnce = (params: Record<string, unknown>, onProgress = opts.onProgress) =>
    family.fit(fitTrain, params, {
      task,
      classes: task === 'multiclass' ? k : undefined,
      valid: fitValid,
      seed: spec.seed,
      signal: opts.signal,
      onProgress,
    });
  let model: TrainedModel;
  let params = baseParams;
  let search: SearchRecord | undefined;
  if (spec.search) {
    const s = spec.search;
    if (!valid)
      throw new Error('A hyperparameter search needs validation rows: give the split a validation share.');
    const space = s.space ?? family.searchSpace;
    if (!space)
      throw new Error(`Model family "${family.id}" declares no search space; give one in search.space.`);
    const trials = Math.max(1, Math.floor(s.trials ?? DEFAULT_TRIALS));
    const seed = s.seed ?? spec.seed;
    const metric = primaryMetric(task);
    const higher = higherIsBetter(metric);
    const samples = sampleSpace(space, trials, seed);
    search = { kind: 'random', metric, higherIsBetter: higher, seed, space, trials: [], best: 0 };
    let bestScore = Number.NaN;
    let bestModel: TrainedModel | undefined;
    const free = (m: TrainedModel | undefined) => (m as { dispose?: () => void } | undefined)?.dispose?.();
    for (let i = 0; i < trials; i++) {
      const trialParams = { ...baseParams, ...samples[i] };
      let m: TrainedModel;
      try {
        m = await fitOnce(trialParams, (p) =>
          opts.onProgress?.({ ...p, trial: i + 1, trials, message: p.message ?? `trial ${i + 1}/${trials}` }),
        );
      } catch (e) {
        free(bestModel); // cancelled or failed: release the kept model's TF.js memory
        throw e;
      }
      const score = computeMetrics(task, valid.y, await m.predict(valid.X), k)[metric];
      search.trials.push({ trial: i + 1, params: samples[i], valid: Number.isFinite(score) ? score : null });
      const better =
        Number.isFinite(score) &&
        (!Number.isFinite(bestScore) || (higher ? score > bestScore : score < bestScore));
      if (better || !bestModel) {
        if (bestModel !== m) free(bestModel);
        bestModel = m;
        if (better) bestScore = score;
        params = trialParams;
        search.best = i + 1;
      } else free(m);
    }
    model = bestModel!;
  } else {
    model = await fitOnce(baseParams);
  }
  t = lap('fit', t);

  // Metrics on valid and test (the chosen model only), plus the baseline's.
  const metrics = { valid: await metricsOn(valid, model), test: await metricsOn(test, model) };
  const baselineFamily = modelFamily('baseline');
  const baselineModel = await baselineFamily.fit(
    train,
    {},
    { task, classes: task === 'multiclass' ? k : undefined, seed: spec.seed },
  );
  const baseline = {
    valid: await metricsOn(valid, baselineModel),
    test: await metricsOn(test, baselineModel),
  };
  lap('evaluate', t);
  // The artifact holds the state; free TF.js memory held by the live model (the MLP's weights).
  (model as { dispose?: () => void }).dispose?.();
  durationsMs.total = Math.round((now() - t0) * 10) / 10;

  const stored = stripTrainingState(fitted);
  const artifact: ModelArtifact = {
    format: 'benchtop-model',
    version: 1,
    name: spec.name ?? `${spec.target} — ${family.id}`,
    createdAt: new Date().toISOString(),
    task,
    target: spec.target,
    ...(classes ? { classes } : {}),
    inputSchema: inputSchema(stored),
    pipeline: stored,
    model: { family: family.id, matrix: mode, params, state: model.state },
    trainingSummary: { ...summaryStats(stored), target: targetDistribution(task, train.y, classes) },
    metrics,
    provenance: {
      ...(spec.notebookId ? { notebookId: spec.notebookId } : {}),
      ...(spec.cellId ? { cellId: spec.cellId } : {}),
      tableFingerprint: spec.tableFingerprint ?? fingerprintTable(table),
      seed: spec.seed,
      backend: opts.backend ?? 'js',
      split: {
        kind: spec.split.kind,
        seed: spec.split.seed,
        fractions: split.summary.fractions,
        ...(spec.split.column ? { column: spec.split.column } : {}),
        rows: { train: trainRows.length, valid: validRows.length, test: testRows.length },
      },
      featureColumns: columns.map((c) => c.name),
      ...(classWeights
        ? { classWeight: { kind: 'balanced' as const, weights: Array.from(classWeights) } }
        : {}),
      ...(search ? { search } : {}),
      durationsMs,
      benchtopVersion,
    },
  };
  return {
    artifact,
    lossCurve: model.lossCurve,
    baseline,
    split: split.summary,
    durationsMs,
    ...(search ? { search } : {}),
  };
}
