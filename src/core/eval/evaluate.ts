/**
 * Evaluate a stored model artifact on the validation or test rows of the table it was trained on, or
 * on every row of another table (`part: 'all'`: new data, or any table for an uploaded model), pure
 * (no DOM, no worker APIs): the split is re-created from the run's split spec (deterministic:
 * same spec + same table → same rows), the rows are encoded with the artifact's fitted pipeline and
 * predicted; the baseline (training class priors / mean, from `trainingSummary.target`) is scored on
 * the same rows. Produces the metric table with intervals, curves, slices, worst rows with their
 * explanations, global SHAP, permutation importance and the "when to trust this model" summary.
 */
import { type LoadedModel, loadArtifact, type ModelArtifact } from '../ml/artifact.ts';
import { transform } from '../ml/pipeline/index.ts';
import type { InputField } from '../ml/pipeline/index.ts';
import type { AnySplitSpec } from '../ml/split/index.ts';
import { modelParts } from '../ml/split/index.ts';
import { cellAt, labelOf } from '../ml/split/target.ts';
import type { ColumnarTable, ColumnValues, Prediction, Task } from '../ml/types.ts';
import {
  explainRows,
  type GlobalImportance,
  globalShap,
  type PermutationImportance,
  permutationImportance,
  type RowExplanation,
  sampleRows,
} from './explain.ts';
import { accuracy, argmaxRows, type CostMatrix, multiLogLoss, rmse, rocAuc } from './metrics.ts';
import {
  type BinaryDetails,
  binaryDetails,
  DEFAULT_COSTS,
  type MetricRow,
  type MulticlassDetails,
  metricTable,
  multiclassDetails,
  thin,
} from './report.ts';
import {
  computeSlices,
  type RawValue,
  type SliceColumn,
  type SliceReport,
  type WorstRow,
  worstRows,
} from './slices.ts';
import { type TrustLine, trustSummary } from './trust.ts';

/** A part of the run's split, or `all`: every row of another table (no split). */
export type EvalPart = 'valid' | 'test' | 'all';

export interface EvaluateArgs {
  /**
   * The training table (at least the target, the artifact's input columns and the split column), or
   * with `part: 'all'` any table with the target and the input columns.
   */
  table: ColumnarTable;
  /** The table's name, for messages (and, with `part: 'all'`, shown as what was evaluated). */
  tableName?: string;
  artifact: ModelArtifact;
  /**
   * The run's split spec (as trained); not used with `part: 'all'`. K-fold runs have no validation
   * part (the final model saw every non-test row).
   */
  split?: AnySplitSpec;
  part: EvalPart;
  threshold?: number;
  costs?: CostMatrix;
  /** Bootstrap / shuffles seed. Default 42. */
  seed?: number;
  /** Bootstrap resamples. Default 1,000. */
  resamples?: number;
  /** Rows explained for the global SHAP chart (default 200; KernelSHAP: 24). */
  explainRows?: number;
  onStage?(stage: string): void;
  signal?: AbortSignal;
}

export interface OutOfRange {
  column: string;
  /** Rows below the training minimum / above the maximum, or with a category unseen in training. */
  below: number;
  above: number;
  unseen: number;
  min?: number;
  max?: number;
}

export interface Evaluation {
  task: Task;
  part: EvalPart;
  /** With `part: 'all'`: the table evaluated (all its rows with a target). */
  table?: string;
  target: string;
  classes?: string[];
  family: string;
  n: number;
  /** Rows of the part dropped because their target is missing or not a training class. */
  droppedRows: number;
  threshold: number;
  costs: CostMatrix;
  metrics: MetricRow[];
  binary?: BinaryDetails;
  multiclass?: MulticlassDetails;
  /** Stored predictions (for the live threshold / costs, and plots): y, model, baseline. */
  predictions: { y: number[]; p: number[]; baseline: number[] };
  /** Regression: up to 1,000 (actual, predicted) points. */
  scatter?: { actual: number; predicted: number }[];
  slices: SliceReport;
  worst: (WorstRow & { explanation?: RowExplanation })[];
  global: GlobalImportance[];
  globalRows: number;
  explainMethod: RowExplanation['method'];
  permutation: PermutationImportance[];
  permutationMetric: string;
  outOfRange: OutOfRange[];
  trust: TrustLine[];
  /** The run's stored metric vs the same metric recomputed here (a changed table shows up here). */
  consistency: { metric: string; stored: number; recomputed: number } | null;
  durationsMs: Record<string, number>;
}

/** Per-row target as the model sees it: class index by `classes`, or the value; NaN = unusable. */
export function targetValues(
  col: ColumnValues,
  n: number,
  task: Task,
  classes: readonly string[] | undefined,
): Float64Array {
  const out = new Float64Array(n).fill(Number.NaN);
  const index = new Map((classes ?? []).map((c, i) => [c, i]));
  for (let i = 0; i < n; i++) {
    const v = cellAt(col, i);
    if (v === null) continue;
    if (task === 'regression') {
      const x = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number(v);
      out[i] = Number.isFinite(x) ? x : Number.NaN;
    } else {
      const j = index.get(labelOf(v)!);
      if (j !== undefined) out[i] = j;
    }
  }
  return out;
}

/** The baseline's prediction for n rows (training priors / mean). */
export function baselinePredictions(artifact: ModelArtifact, n: number): Float64Array {
  const t = artifact.trainingSummary.target;
  if (t.kind === 'regression') return new Float64Array(n).fill(t.mean);
  const classes = artifact.classes ?? [];
  const total = classes.reduce((a, c) => a + (t.counts[c] ?? 0), 0) || 1;
  const pri = classes.map((c) => (t.counts[c] ?? 0) / total);
  if (artifact.task === 'binary') return new Float64Array(n).fill(pri[1] ?? 0);
  const k = classes.length;
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = pri[c];
  return out;
}

/** A table with only `rows` (in that order). */
export function gatherTable(
  table: ColumnarTable,
  rows: ArrayLike<number>,
  names: readonly string[],
): ColumnarTable {
  const columns: Record<string, ColumnValues> = {};
  for (const name of names) {
    const col = table.columns[name];
    if (!col) continue;
    if (col instanceof Float64Array)
      columns[name] = Float64Array.from({ length: rows.length }, (_, i) => col[rows[i]]);
    else columns[name] = Array.from({ length: rows.length }, (_, i) => col[rows[i]]) as ColumnValues;
  }
  return { rowCount: rows.length, columns, types: table.types };
}

const rawAt = (col: ColumnValues | undefined, i: number): RawValue => (col ? cellAt(col, i) : null);

function outOfRange(fields: readonly InputField[], t: ColumnarTable): OutOfRange[] {
  const out: OutOfRange[] = [];
  for (const f of fields) {
    const col = t.columns[f.name];
    if (!col) continue;
    const r: OutOfRange = { column: f.name, below: 0, above: 0, unseen: 0 };
    if ((f.kind === 'numeric' || f.kind === 'datetime') && f.min !== undefined && f.max !== undefined) {
      r.min = f.min;
      r.max = f.max;
      for (let i = 0; i < t.rowCount; i++) {
        const v = cellAt(col, i);
        const x = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
        if (!Number.isFinite(x)) continue;
        if (x < f.min) r.below++;
        else if (x > f.max) r.above++;
      }
    } else if (
      (f.kind === 'categorical' || f.kind === 'boolean') &&
      f.categories &&
      f.categories.length < 1000
    ) {
      const known = new Set(f.categories);
      for (let i = 0; i < t.rowCount; i++) {
        const l = labelOf(cellAt(col, i));
        if (l !== null && !known.has(l)) r.unseen++;
      }
    }
    if (r.below || r.above || r.unseen) out.push(r);
  }
  return out;
}

function primary(
  task: Task,
  y: ArrayLike<number>,
  p: Prediction,
  k: number,
): { name: string; value: number; higherIsBetter: boolean } {
  if (task === 'binary') return { name: 'ROC-AUC', value: rocAuc(y, p), higherIsBetter: true };
  if (task === 'multiclass')
    return { name: 'accuracy', value: accuracy(y, argmaxRows(p, k)), higherIsBetter: true };
  return { name: 'RMSE', value: rmse(y, p), higherIsBetter: false };
}

/** Evaluate a model artifact on one part of its split; see the module comment. */
export async function evaluateArtifact(args: EvaluateArgs, loaded?: LoadedModel): Promise<Evaluation> {
  const t0 = performance.now();
  const durationsMs: Record<string, number> = {};
  let lapT = t0;
  const lap = (k: string) => {
    const now = performance.now();
    durationsMs[k] = Math.round(now - lapT);
    lapT = now;
  };
  /**
   * Between stages: yield to the event loop (in the evaluation worker this lets a `cancel` message
   * in; on a main thread it lets the page paint) and stop when cancelled.
   */
  const check = async () => {
    await new Promise((r) => setTimeout(r, 0));
    if (args.signal?.aborted) throw new Error('Cancelled');
  };
  const { table, artifact } = args;
  const seed = args.seed ?? 42;
  const costs = args.costs ?? DEFAULT_COSTS;
  const threshold = args.threshold ?? 0.5;
  const task = artifact.task;
  const classes = artifact.classes;
  const k = task === 'multiclass' ? (classes?.length ?? 2) : 2;
  args.onStage?.('loading the model');
  const model = loaded ?? (await loadArtifact(artifact));
  const where = args.tableName ? ` table ${args.tableName}` : ' table';
  const targetCol = table.columns[artifact.target];
  if (!targetCol) throw new Error(`The target column "${artifact.target}" is not in the${where}.`);
  for (const f of artifact.inputSchema)
    if (!table.columns[f.name])
      throw new Error(`The model's input column "${f.name}" is not in the${where}.`);
  const yAll = targetValues(targetCol, table.rowCount, task, classes);
  const keep = (rows: Uint32Array) => rows.filter((r) => Number.isFinite(yAll[r]));
  let partRows: Uint32Array;
  let validRows: Uint32Array | undefined;
  if (args.part === 'all') {
    partRows = Uint32Array.from({ length: table.rowCount }, (_, i) => i);
  } else {
    const spec = args.split;
    if (!spec) throw new Error(`Evaluating the ${args.part} part needs the run's split.`);
    if (spec.kind === 'kfold' && args.part === 'valid')
      throw new Error(
        'A cross-validated run has no validation part: its final model was fitted on every non-test row (the fold metrics are in the train cell). Evaluate it on test.',
      );
    const split = modelParts(table, targetCol, spec, task);
    partRows = args.part === 'valid' ? split.valid : split.test;
    validRows = args.part === 'test' ? keep(split.valid) : undefined;
  }
  const rows = keep(partRows);
  if (rows.length === 0) {
    if (args.part === 'all')
      throw new Error(
        `None of the ${table.rowCount.toLocaleString('en-US')} rows of${where} has a usable target "${artifact.target}"${
          classes ? ` (one of the model's classes: ${classes.join(', ')})` : ' (a number)'
        }.`,
      );
    const spec = args.split!;
    throw new Error(
      `The ${args.part === 'valid' ? 'validation' : 'test'} part has no rows with a target (split ${spec.kind}, ${Math.round(
        (spec.kind === 'kfold' ? (spec.testFraction ?? 0.2) : spec.fractions[args.part]) * 100,
      )} %).`,
    );
  }
  lap('split');
  await check();

  args.onStage?.('predicting');
  const mode = artifact.model.matrix;
  const X = transform(artifact.pipeline, table, rows, { forModel: mode, outOfFold: false });
  const p = await model.predictMatrix(X);
  const y = Float64Array.from(rows, (r) => yAll[r]);
  const baseP = baselinePredictions(artifact, rows.length);
  let valid: { y: Float64Array; p: Prediction } | undefined;
  if (task === 'binary' && validRows && validRows.length > 0) {
    const Xv = transform(artifact.pipeline, table, validRows, { forModel: mode, outOfFold: false });
    valid = { y: Float64Array.from(validRows, (r) => yAll[r]), p: await model.predictMatrix(Xv) };
  }
  lap('predict');
  await check();

  args.onStage?.('bootstrapping the metrics');
  const metrics = metricTable(task, y, p, baseP, k, { seed, resamples: args.resamples ?? 1000, threshold });
  const binary = task === 'binary' ? binaryDetails(y, p, costs, valid) : undefined;
  const multiclass = task === 'multiclass' ? multiclassDetails(y, p, k) : undefined;
  lap('metrics');
  await check();

  args.onStage?.('slicing');
  const inputs = artifact.inputSchema.filter((f) => f.kind !== 'text');
  const sliceCols: SliceColumn[] = inputs.map((f) => {
    const col = table.columns[f.name];
    return {
      name: f.name,
      kind: f.kind === 'numeric' || f.kind === 'datetime' ? 'numeric' : 'categorical',
      ...(f.kind === 'datetime' ? { datetime: true } : {}),
      values: Array.from(rows, (r) => rawAt(col, r)),
    };
  });
  const slices = computeSlices(task, y, p, sliceCols, k, { seed });
  const worst: (WorstRow & { explanation?: RowExplanation })[] = worstRows(
    task,
    y,
    p,
    sliceCols,
    classes,
    k,
    20,
  );
  lap('slices');
  await check();

  args.onStage?.('explaining');
  const ctx = { task, k, model: model.model, X, p, seed };
  const kernel = !model.model.explain;
  // Worst rows keep their text columns' top terms (the global sample folds per column only).
  const explained = await explainRows(
    ctx,
    worst.map((w) => w.index),
    { terms: 8 },
  );
  worst.forEach((w, i) => {
    w.explanation = explained[i];
  });
  const globalRows = sampleRows(rows.length, args.explainRows ?? (kernel ? 24 : 200), seed);
  const globalEx = await explainRows(ctx, globalRows);
  const global = globalShap(globalEx);
  const explainMethod = explained[0]?.method ?? (kernel ? 'kernelshap' : 'none');
  lap('explain');
  await check();

  args.onStage?.('permutation importance');
  const evalTable = gatherTable(
    table,
    rows,
    artifact.pipeline.columns.map((c) => c.name),
  );
  const prim = primary(task, y, p, k);
  const scoreOf = (q: Prediction) =>
    task === 'multiclass' ? -multiLogLoss(y, q, k) : primary(task, y, q, k).value;
  const permMetric = task === 'multiclass' ? 'log loss' : prim.name;
  const permutation = await permutationImportance({
    columns: artifact.pipeline.columns.map((c) => c.name),
    n: rows.length,
    encode(column, perm) {
      const src = evalTable.columns[column];
      const permuted =
        src instanceof Float64Array
          ? Float64Array.from(perm, (j) => src[j])
          : (Array.from(perm, (j) => src[j]) as ColumnValues);
      return transform(
        artifact.pipeline,
        { ...evalTable, columns: { ...evalTable.columns, [column]: permuted } },
        undefined,
        { forModel: mode, outOfFold: false },
      );
    },
    predict: (M) => model.predictMatrix(M),
    score: scoreOf,
    baseline: scoreOf(p),
    higherIsBetter: task !== 'regression',
    repeats: 3,
    seed,
  });
  // regression: scoreOf = RMSE (lower is better) — permutationImportance flips the sign.
  lap('permutation');

  const ranges = outOfRange(artifact.inputSchema, evalTable);
  const storedKey = task === 'binary' ? 'auc' : task === 'multiclass' ? 'accuracy' : 'rmse';
  // Another table's rows are not the ones the run scored: nothing to compare with.
  const stored = args.part === 'all' ? undefined : artifact.metrics[args.part]?.[storedKey];
  const consistency =
    stored !== undefined && Number.isFinite(prim.value)
      ? { metric: prim.name, stored, recomputed: prim.value }
      : null;
  const trust = trustSummary({
    task,
    part: args.part,
    ...(args.tableName ? { table: args.tableName } : {}),
    n: rows.length,
    metrics,
    binary,
    slices,
    outOfRange: ranges,
    inputs: artifact.inputSchema,
    global,
  });
  durationsMs.total = Math.round(performance.now() - t0);
  return {
    task,
    part: args.part,
    ...(args.part === 'all' && args.tableName ? { table: args.tableName } : {}),
    target: artifact.target,
    ...(classes ? { classes } : {}),
    family: artifact.model.family,
    n: rows.length,
    droppedRows: partRows.length - rows.length,
    threshold,
    costs,
    metrics,
    ...(binary ? { binary } : {}),
    ...(multiclass ? { multiclass } : {}),
    predictions: { y: Array.from(y), p: Array.from(p), baseline: Array.from(baseP) },
    ...(task === 'regression'
      ? {
          scatter: thin(
            Array.from(y, (a, i) => ({ actual: a, predicted: p[i] })),
            1000,
          ),
        }
      : {}),
    slices,
    worst,
    global,
    globalRows: globalRows.length,
    explainMethod,
    permutation,
    permutationMetric: permMetric,
    outOfRange: ranges,
    trust,
    consistency,
    durationsMs,
  };
}
