/**
 * Applying a fitted pipeline: `transform` (rows of a table → `Matrix`) and `transformRecord` (one record
 * → one row + warnings, for the predict panel and the server). Both run the same encoders (./encode.ts),
 * so a record gives exactly the numbers of the same row in a table.
 *
 * Memory: the output is dense, rows × features × 4 bytes (e.g. 100k rows × 2,000 TF-IDF terms = 800 MB):
 * keep `text.maxFeatures` modest for big tables.
 */
import type { ColumnarTable, FeatureInfo, Matrix } from '../types.ts';
import { type Compiled, compile, oofFold, rowsFingerprint } from './encode.ts';
import type { FittedPipeline, ModelKind, RecordWarning, TransformOptions } from './types.ts';

/** Writes one row: raw encoder outputs into `buf`, then scaling and Float32 rounding into `out`. */
function writeRow(
  c: Compiled,
  value: (columnIndex: number) => unknown,
  fold: number,
  buf: Float64Array,
  out: Float32Array,
  off: number,
): void {
  for (let i = 0; i < c.encoders.length; i++) c.encoders[i].write(value(i), buf, c.offsets[i], fold);
  for (let j = 0; j < c.width; j++) out[off + j] = (buf[j] - c.mean[j]) / c.std[j];
}

/** The encoded features for a model kind (same order as the matrix columns). */
export function featuresOf(fitted: FittedPipeline, forModel: ModelKind = 'dense'): FeatureInfo[] {
  return compile(fitted, forModel).features.map((f) => ({ ...f }));
}

/**
 * Encodes `rows` of `table` (default: all rows, in order) into a dense row-major matrix.
 * - `forModel: 'dense'` (default): imputed + `__missing` indicators, standard-scaled, one-hot / target /
 *   frequency encoded categoricals, TF-IDF.
 * - `forModel: 'gbdt'`: raw numerics with NaN for missing, one integer-coded categorical feature per
 *   categorical column (NaN = missing, last code = other/unseen), TF-IDF.
 * Target encodings are out-of-fold when `rows` are exactly the training rows (see `TransformOptions`).
 */
export function transform(
  fitted: FittedPipeline,
  table: ColumnarTable,
  rows?: Uint32Array,
  opts?: TransformOptions,
): Matrix {
  const mode = opts?.forModel ?? 'dense';
  const c = compile(fitted, mode);
  const idx = rows ?? Uint32Array.from({ length: table.rowCount }, (_, i) => i);
  const cols = fitted.columns.map((fc) => {
    const col = table.columns[fc.name];
    if (!col) throw new Error(`Column "${fc.name}" not found`);
    return col;
  });
  const oof = c.hasOof && (opts?.outOfFold ?? rowsFingerprint(idx) === fitted.trainFingerprint);
  const te = fitted.options.targetEncoding;
  const data = new Float32Array(idx.length * c.width);
  const buf = new Float64Array(c.width);
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k];
    if (r >= table.rowCount) throw new Error(`Row ${r} is outside the table (${table.rowCount} rows)`);
    writeRow(
      c,
      (i) => cols[i][r],
      oof ? oofFold(r, fitted.options.seed, te.folds) : -1,
      buf,
      data,
      k * c.width,
    );
  }
  return { rows: idx.length, cols: c.width, data, features: c.features.map((f) => ({ ...f })) };
}

/** Normalises a record value to what a table cell would hold (undefined → null). */
function cellOf(v: unknown): unknown {
  return v === undefined ? null : v;
}

/**
 * Encodes one record (column name → value; numbers, strings, booleans, ISO dates or epoch ms, null) for
 * single-row prediction. Never out-of-fold. Warnings: unseen categories, values outside the training
 * range, missing values that were imputed (a field absent from the record counts as missing).
 */
export function transformRecord(
  fitted: FittedPipeline,
  record: Record<string, unknown>,
  forModel: ModelKind = 'dense',
): { row: Float32Array; warnings: RecordWarning[] } {
  const c = compile(fitted, forModel);
  const values = fitted.columns.map((fc) =>
    cellOf(Object.hasOwn(record, fc.name) ? record[fc.name] : undefined),
  );
  const row = new Float32Array(c.width);
  writeRow(c, (i) => values[i], -1, new Float64Array(c.width), row, 0);
  const warnings: RecordWarning[] = [];
  c.encoders.forEach((e, i) => {
    warnings.push(...e.check(values[i]));
  });
  return { row, warnings };
}
