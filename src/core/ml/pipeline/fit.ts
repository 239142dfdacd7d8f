/**
 * Fitting the feature pipeline. EVERY statistic (medians, means/stds, levels, target encodings,
 * vocabularies, idf, datetime minimum, drift summaries) is computed from `trainRows` only: the values of
 * validation/test rows are never read (tests/poisoning proves it byte for byte).
 */
import type { ColumnarTable, ColumnValues, Task } from '../types.ts';
import {
  binIndex,
  encoderFor,
  oofFold,
  rowsFingerprint,
  toBool,
  toKey,
  toNumber,
  toText,
  toTime,
} from './encode.ts';
import { termsOf, tokenize } from './text.ts';
import type {
  DatetimePart,
  FittedBoolean,
  FittedCategorical,
  FittedColumn,
  FittedDatetime,
  FittedNumeric,
  FittedPipeline,
  FittedText,
  NumericDistribution,
  PipelineColumn,
  PipelineSpec,
  ResolvedOptions,
  Scaler,
  TargetEncodingState,
  TextOptions,
} from './types.ts';

export const DEFAULT_TEXT: TextOptions = {
  maxFeatures: 2000,
  wordNgrams: [1, 2],
  charNgrams: null,
  minDf: 2,
  sublinearTf: true,
};

/** Applies the defaults of `PipelineSpec` (see there). */
export function resolveOptions(spec: PipelineSpec, hasTarget: boolean): ResolvedOptions {
  const t = spec.text ?? {};
  return {
    oneHotMaxCategories: spec.oneHotMaxCategories ?? 20,
    highCardinality: spec.highCardinality ?? (hasTarget ? 'target' : 'frequency'),
    scale: spec.scale ?? 'standard',
    text: {
      maxFeatures: t.maxFeatures ?? DEFAULT_TEXT.maxFeatures,
      wordNgrams: [...(t.wordNgrams ?? DEFAULT_TEXT.wordNgrams)],
      charNgrams: t.charNgrams === undefined ? DEFAULT_TEXT.charNgrams : t.charNgrams && [...t.charNgrams],
      minDf: t.minDf ?? DEFAULT_TEXT.minDf,
      sublinearTf: t.sublinearTf ?? DEFAULT_TEXT.sublinearTf,
    },
    datetimeCyclic: spec.datetimeCyclic ?? false,
    targetEncoding: {
      folds: Math.max(2, Math.floor(spec.targetEncoding?.folds ?? 5)),
      smoothing: spec.targetEncoding?.smoothing ?? 20,
    },
    seed: spec.seed ?? 0,
  };
}

/** Type-7 quantile of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function distribution(sorted: Float64Array, rows: number): NumericDistribution {
  const missing = rows > 0 ? (rows - sorted.length) / rows : 0;
  if (sorted.length === 0) return { edges: [], proportions: [], missing };
  const edges = Array.from({ length: 11 }, (_, i) => quantile(sorted, i / 10));
  const counts = new Array<number>(10).fill(0);
  for (const x of sorted) counts[binIndex(edges, x)]++;
  return { edges, proportions: counts.map((c) => c / sorted.length), missing };
}

function median(sorted: Float64Array): number {
  return sorted.length === 0 ? 0 : quantile(sorted, 0.5);
}

function values(col: ColumnValues, rows: Uint32Array, read: (v: unknown) => number): Float64Array {
  const out: number[] = [];
  for (const r of rows) {
    const x = read(col[r]);
    if (!Number.isNaN(x)) out.push(x);
  }
  return Float64Array.from(out).sort();
}

function fitNumeric(name: string, type: string, col: ColumnValues, rows: Uint32Array): FittedNumeric {
  const v = values(col, rows, toNumber);
  return {
    kind: 'numeric',
    name,
    type,
    rows: rows.length,
    missingCount: rows.length - v.length,
    median: median(v),
    min: v.length ? v[0] : null,
    max: v.length ? v[v.length - 1] : null,
    scale: [],
    dist: distribution(v, rows.length),
  };
}

function fitDatetime(
  name: string,
  type: string,
  col: ColumnValues,
  rows: Uint32Array,
  cyclic: boolean,
): FittedDatetime {
  const v = values(col, rows, toTime);
  const isDate = type.trim().toUpperCase() === 'DATE';
  const parts: DatetimePart[] = ['year', 'month', 'day', 'dow'];
  if (!isDate) parts.push('hour');
  parts.push('days');
  if (cyclic) parts.push('month_sin', 'month_cos', 'dow_sin', 'dow_cos');
  if (cyclic && !isDate) parts.push('hour_sin', 'hour_cos');
  return {
    kind: 'datetime',
    name,
    type,
    rows: rows.length,
    missingCount: rows.length - v.length,
    parts,
    // The median of epoch ms is a whole millisecond or a half: round so the imputed instant is exact.
    median: Math.round(median(v)),
    min: v.length ? v[0] : null,
    max: v.length ? v[v.length - 1] : null,
    scale: [],
    dist: distribution(v, rows.length),
  };
}

function fitBoolean(name: string, type: string, col: ColumnValues, rows: Uint32Array): FittedBoolean {
  let t = 0;
  let f = 0;
  for (const r of rows) {
    const x = toBool(col[r]);
    if (x === 1) t++;
    else if (x === 0) f++;
  }
  return {
    kind: 'boolean',
    name,
    type,
    rows: rows.length,
    missingCount: rows.length - t - f,
    impute: t > f ? 1 : 0,
    trueRate: t + f > 0 ? t / (t + f) : 0,
  };
}

/** Target accessor by position in trainRows (NaN = missing). */
type TargetAt = (pos: number, row: number) => number;

function fitCategorical(
  name: string,
  type: string,
  col: ColumnValues,
  rows: Uint32Array,
  opts: ResolvedOptions,
  target: { at: TargetAt; task: Task; classes: number } | undefined,
  notes: string[],
): FittedCategorical {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const r of rows) {
    const k = toKey(col[r]);
    if (k === null) missing++;
    else counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const levels = [...counts.keys()].sort(
    (a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : a > b ? 1 : 0),
  );
  let encoding: FittedCategorical['encoding'] = 'onehot';
  if (levels.length > opts.oneHotMaxCategories) {
    encoding = opts.highCardinality;
    if (encoding === 'target' && !target) {
      encoding = 'frequency';
      notes.push(`${name}: target encoding needs a target; frequency encoding used instead.`);
    }
  }
  const fitted: FittedCategorical = {
    kind: 'categorical',
    name,
    type,
    rows: rows.length,
    missingCount: missing,
    levels,
    counts: levels.map((l) => counts.get(l)!),
    encoding,
    scale: [],
    gbdtLevels: Math.min(254, levels.length),
  };
  if (encoding === 'target' && target) fitted.te = fitTargetEncoding(col, rows, levels, opts, target);
  return fitted;
}

function fitTargetEncoding(
  col: ColumnValues,
  rows: Uint32Array,
  levels: string[],
  opts: ResolvedOptions,
  target: { at: TargetAt; task: Task; classes: number },
): TargetEncodingState {
  const index = new Map(levels.map((l, i) => [l, i]));
  const o = target.task === 'multiclass' ? target.classes : 1;
  const K = opts.targetEncoding.folds;
  const seed = opts.seed;
  const slots = levels.length + 1;
  const counts = new Array<number>(slots).fill(0);
  const sums = new Array<number>(slots * o).fill(0);
  const foldCounts = new Array<number>(slots * K).fill(0);
  const foldSums = new Array<number>(slots * K * o).fill(0);
  const foldN = new Array<number>(K).fill(0);
  const foldTotal = new Array<number>(K * o).fill(0);
  const total = new Array<number>(o).fill(0);
  let n = 0;
  rows.forEach((r, pos) => {
    const y = target.at(pos, r);
    if (!Number.isFinite(y)) return;
    const k = toKey(col[r]);
    const slot = k === null ? levels.length : index.get(k)!;
    const f = oofFold(r, seed, K);
    counts[slot]++;
    foldCounts[slot * K + f]++;
    foldN[f]++;
    n++;
    for (let j = 0; j < o; j++) {
      const yj = o === 1 ? y : y === j ? 1 : 0;
      sums[slot * o + j] += yj;
      foldSums[(slot * K + f) * o + j] += yj;
      foldTotal[f * o + j] += yj;
      total[j] += yj;
    }
  });
  const prior = total.map((s) => (n > 0 ? s / n : 0));
  const foldPrior: number[] = [];
  for (let f = 0; f < K; f++) {
    for (let j = 0; j < o; j++) {
      const rest = n - foldN[f];
      foldPrior.push(rest > 0 ? (total[j] - foldTotal[f * o + j]) / rest : prior[j]);
    }
  }
  return {
    outputs: o,
    m: opts.targetEncoding.smoothing,
    folds: K,
    seed,
    prior,
    counts,
    sums,
    foldCounts,
    foldSums,
    foldPrior,
  };
}

function fitText(
  name: string,
  type: string,
  col: ColumnValues,
  rows: Uint32Array,
  opts: TextOptions,
): FittedText {
  const df = new Map<string, number>();
  let missing = 0;
  let tokens = 0;
  for (const r of rows) {
    const text = toText(col[r]);
    if (text === null) {
      missing++;
      continue;
    }
    const toks = tokenize(text);
    tokens += toks.length;
    for (const key of new Set(termsOf(toks, opts))) df.set(key, (df.get(key) ?? 0) + 1);
  }
  const terms = [...df.keys()]
    .filter((k) => df.get(k)! >= opts.minDf)
    .sort((a, b) => df.get(b)! - df.get(a)! || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, Math.max(0, opts.maxFeatures));
  const n = rows.length;
  return {
    kind: 'text',
    name,
    type,
    rows: n,
    missingCount: missing,
    terms,
    idf: terms.map((t) => Math.log((1 + n) / (1 + df.get(t)!)) + 1),
    meanTokens: n - missing > 0 ? tokens / (n - missing) : 0,
  };
}

/** Dense standard scalers from the training rows (out-of-fold values for target encodings). */
function fitScalers(fitted: FittedPipeline, table: ColumnarTable, rows: Uint32Array): void {
  for (const c of fitted.columns) {
    if (c.kind === 'boolean' || c.kind === 'text') continue;
    const enc = encoderFor(c, 'dense', fitted);
    const w = enc.features.length;
    const scale: Scaler[] = new Array<Scaler>(w).fill(null);
    if (fitted.options.scale === 'standard' && enc.scalable.some(Boolean) && rows.length > 0) {
      const col = table.columns[c.name];
      const buf = new Float64Array(w);
      const sum = new Float64Array(w);
      const te = c.kind === 'categorical' && c.te;
      const fold = (r: number) => (te ? oofFold(r, te.seed, te.folds) : -1);
      for (const r of rows) {
        enc.write(col[r], buf, 0, fold(r));
        for (let j = 0; j < w; j++) sum[j] += buf[j];
      }
      const mean = sum.map((s) => s / rows.length);
      const ss = new Float64Array(w);
      for (const r of rows) {
        enc.write(col[r], buf, 0, fold(r));
        for (let j = 0; j < w; j++) ss[j] += (buf[j] - mean[j]) ** 2;
      }
      for (let j = 0; j < w; j++) {
        if (!enc.scalable[j]) continue;
        const std = Math.sqrt(ss[j] / rows.length);
        scale[j] = [mean[j], std > 1e-12 && Number.isFinite(std) ? std : 1];
      }
    }
    (c as { scale: Scaler[] }).scale = scale;
  }
}

function checkTrainRows(table: ColumnarTable, rows: Uint32Array) {
  for (const r of rows) {
    if (r >= table.rowCount)
      throw new Error(`Training row ${r} is outside the table (${table.rowCount} rows)`);
  }
}

/**
 * Fits the pipeline on `trainRows` of `table`.
 * - `target` (for target encoding): aligned with the table (length `table.rowCount`) or with `trainRows`
 *   (length `trainRows.length`); 0/1 for binary, class index for multiclass, value for regression; NaN =
 *   missing (ignored by target encoding).
 * - `task`: how to read the target; default binary when every value is 0/1, else regression.
 */
export function fitPipeline(
  table: ColumnarTable,
  trainRows: Uint32Array,
  spec: PipelineSpec,
  target?: Float32Array,
  task?: Task,
): FittedPipeline {
  checkTrainRows(table, trainRows);
  let at: TargetAt | undefined;
  if (target) {
    if (target.length === table.rowCount) at = (_pos, row) => target[row];
    else if (target.length === trainRows.length) at = (pos) => target[pos];
    else throw new Error('target must be aligned with the table rows or with trainRows');
  }
  let resolvedTask: Task | null = null;
  let classes = 0;
  if (at) {
    let binary = true;
    trainRows.forEach((r, pos) => {
      const y = at(pos, r);
      if (Number.isFinite(y)) {
        if (y !== 0 && y !== 1) binary = false;
        if (y + 1 > classes) classes = Math.floor(y) + 1;
      }
    });
    resolvedTask = task ?? (binary ? 'binary' : 'regression');
  }
  const opts = resolveOptions(spec, at !== undefined);
  const notes: string[] = [];
  const targetInfo =
    at && resolvedTask ? { at, task: resolvedTask, classes: Math.max(classes, 1) } : undefined;
  const seen = new Set<string>();
  const columns: FittedColumn[] = spec.columns.map((pc: PipelineColumn) => {
    if (seen.has(pc.name)) throw new Error(`Column "${pc.name}" listed twice`);
    seen.add(pc.name);
    const col = table.columns[pc.name];
    if (!col) throw new Error(`Column "${pc.name}" not found`);
    const type = table.types[pc.name] ?? '';
    switch (pc.kind) {
      case 'numeric':
        return fitNumeric(pc.name, type, col, trainRows);
      case 'boolean':
        return fitBoolean(pc.name, type, col, trainRows);
      case 'datetime':
        return fitDatetime(pc.name, type, col, trainRows, opts.datetimeCyclic);
      case 'categorical':
        return fitCategorical(pc.name, type, col, trainRows, opts, targetInfo, notes);
      case 'text':
        return fitText(pc.name, type, col, trainRows, opts.text);
      default:
        throw new Error(`Unknown kind ${(pc as { kind: string }).kind} for column "${pc.name}"`);
    }
  });
  const fitted: FittedPipeline = {
    version: 1,
    task: resolvedTask,
    options: opts,
    columns,
    trainRows: trainRows.length,
    trainFingerprint: rowsFingerprint(trainRows),
    notes,
  };
  fitScalers(fitted, table, trainRows);
  return fitted;
}

/**
 * A copy without the out-of-fold target-encoding state (only needed to transform the training rows):
 * what a model artifact should store. Transforms of new rows are unchanged.
 */
export function stripTrainingState(fitted: FittedPipeline): FittedPipeline {
  const copy = JSON.parse(JSON.stringify(fitted)) as FittedPipeline;
  for (const c of copy.columns) {
    if (c.kind === 'categorical' && c.te) {
      c.te.foldCounts = [];
      c.te.foldSums = [];
    }
  }
  return copy;
}
