/**
 * Training orchestration, pure (no DOM, no worker APIs): the training worker calls `trainModel` with
 * the decoded table; tests call it in Node.
 *
 * table → split (train / valid / test) → feature pipeline fitted on the TRAIN rows only → matrices →
 * family.fit(train, valid for early stopping) → metrics on valid and test → `ModelArtifact`.
 * The test part is never used for fitting, early stopping or any choice: only for the reported metrics.
 * The baseline (majority class / mean) is always fitted as well, for comparison.
 */
import { version as benchtopVersion } from '../../../package.json';
import type { ModelArtifact, TargetDistribution } from './artifact.ts';
import { computeMetrics } from './metrics.ts';
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
import { splitRows } from './split/index.ts';
import type { SplitSpec, SplitSummary } from './split/index.ts';
import { analyseTarget } from './split/target.ts';
import type { ColumnarTable, ColumnValues, Dataset, LossPoint, Progress, Task } from './types.ts';

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

  // Fit (valid for early stopping; test never).
  const params = { ...(family.defaults as Record<string, unknown>), ...(spec.params ?? {}) };
  const k = classes?.length;
  const model = await family.fit(train, params, {
    task,
    classes: task === 'multiclass' ? k : undefined,
    valid,
    seed: spec.seed,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  t = lap('fit', t);

  // Metrics on valid and test, plus the baseline's.
  const metricsOn = async (d: Dataset | undefined, m: { predict: typeof model.predict }) =>
    d ? finiteOnly(computeMetrics(task, d.y, await m.predict(d.X), k)) : {};
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
      durationsMs,
      benchtopVersion,
    },
  };
  return { artifact, lossCurve: model.lossCurve, baseline, split: split.summary, durationsMs };
}
