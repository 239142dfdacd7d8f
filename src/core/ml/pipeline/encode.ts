/**
 * Per-column encoders built from a fitted column, shared by fitting (scaler statistics), `transform`
 * (tables) and `transformRecord` (one record), so the three give bit-identical numbers: every value goes
 * through the same coercion (`toNumber`, `toKey`…) and the same `write`, then the same scaling and
 * `Float32` rounding.
 */
import { hash32 } from '../random.ts';
import type { FeatureInfo } from '../types.ts';
import { termsOf, termText, tokenize } from './text.ts';
import type {
  DatetimePart,
  FittedBoolean,
  FittedCategorical,
  FittedColumn,
  FittedDatetime,
  FittedNumeric,
  FittedPipeline,
  FittedText,
  ModelKind,
  RecordWarning,
  TextOptions,
} from './types.ts';

export const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------------
// Coercion: any cell (table) or record value → the representation an encoder works on.

/** Number, or NaN when missing / unreadable / non-finite. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const s = v.trim();
    if (s === '') return Number.NaN;
    const x = Number(s);
    return Number.isFinite(x) ? x : Number.NaN;
  }
  return Number.NaN;
}

/** Epoch ms, or NaN. Numbers are epoch ms; strings are parsed (ISO 8601); Dates read. */
export function toTime(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : Number.NaN;
  }
  return toNumber(v);
}

/** 1 / 0, or NaN. Strings true/false/1/0/yes/no/t/f (any case). */
export function toBool(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? (v !== 0 ? 1 : 0) : Number.NaN;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes' || s === 't') return 1;
    if (s === 'false' || s === '0' || s === 'no' || s === 'f') return 0;
  }
  return Number.NaN;
}

/** Category label: strings as is, numbers `String(n)`, booleans `true`/`false`; null when missing. */
export function toKey(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isNaN(v) ? null : String(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return String(v.getTime());
  return null;
}

/** Document text; null when missing. */
export function toText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' && Number.isNaN(v)) return null;
  return String(v);
}

// ---------------------------------------------------------------------------------------------------

/** Out-of-fold fold of a table row (target encoding): depends only on the row index and the seed. */
export function oofFold(row: number, seed: number, folds: number): number {
  return hash32(row, seed) % folds;
}

/** FNV-1a over the row indices, prefixed by the count: identifies the training rows. */
export function rowsFingerprint(rows: ArrayLike<number>): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < rows.length; i++) {
    let x = rows[i] >>> 0;
    for (let b = 0; b < 4; b++) {
      h ^= x & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      x >>>= 8;
    }
  }
  return `${rows.length}:${h.toString(16).padStart(8, '0')}`;
}

/** Bin of a value in `NumericDistribution.edges` (0…9): the last i with edges[i] ≤ v, clamped. */
export function binIndex(edges: readonly number[], v: number): number {
  const bins = edges.length - 1;
  let b = 0;
  while (b + 1 < bins && v >= edges[b + 1]) b++;
  return b;
}

/** A compiled encoder for one column and one model kind. */
export interface Encoder {
  column: FittedColumn;
  features: FeatureInfo[];
  /** Which outputs get standard scaling in dense mode. */
  scalable: boolean[];
  /** Writes this column's raw (unscaled) outputs for value `v` at `out[off…]`. `fold` ≥ 0: out-of-fold. */
  write(v: unknown, out: Float64Array, off: number, fold: number): void;
  /** Warnings for a single record's value. */
  check(v: unknown): RecordWarning[];
}

const num = (f: FeatureInfo['name'], source: string): FeatureInfo => ({ name: f, source, kind: 'numeric' });

function rangeWarning(
  c: { name: string; min: number | null; max: number | null },
  x: number,
  show: (x: number) => string,
) {
  if (c.min !== null && c.max !== null && (x < c.min || x > c.max)) {
    return [
      {
        field: c.name,
        code: 'out-of-range' as const,
        message: `${show(x)} is outside the training range ${show(c.min)} – ${show(c.max)}`,
      },
    ];
  }
  return [];
}

function missingWarning(name: string, mode: ModelKind, what: string): RecordWarning {
  return {
    field: name,
    code: 'missing-imputed',
    message:
      mode === 'dense' ? `missing; imputed with ${what}` : 'missing; the model handles it as a missing value',
  };
}

function numericEncoder(c: FittedNumeric, mode: ModelKind): Encoder {
  const indicator = mode === 'dense' && c.missingCount > 0;
  const features = [num(c.name, c.name)];
  if (indicator) features.push(num(`${c.name}__missing`, c.name));
  return {
    column: c,
    features,
    scalable: indicator ? [true, false] : [true],
    write(v, out, off) {
      const x = toNumber(v);
      const missing = Number.isNaN(x);
      if (mode === 'gbdt') {
        out[off] = x;
        return;
      }
      out[off] = missing ? c.median : x;
      if (indicator) out[off + 1] = missing ? 1 : 0;
    },
    check(v) {
      const x = toNumber(v);
      if (Number.isNaN(x)) {
        const unreadable = v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v));
        const w = missingWarning(c.name, mode, `the training median ${c.median}`);
        if (unreadable) w.message = `could not read ${JSON.stringify(v)} as a number; ${w.message}`;
        return [w];
      }
      return rangeWarning(c, x, String);
    },
  };
}

function booleanEncoder(c: FittedBoolean, mode: ModelKind): Encoder {
  const indicator = mode === 'dense' && c.missingCount > 0;
  const features = [num(c.name, c.name)];
  if (indicator) features.push(num(`${c.name}__missing`, c.name));
  return {
    column: c,
    features,
    scalable: indicator ? [false, false] : [false],
    write(v, out, off) {
      const x = toBool(v);
      const missing = Number.isNaN(x);
      if (mode === 'gbdt') {
        out[off] = x;
        return;
      }
      out[off] = missing ? c.impute : x;
      if (indicator) out[off + 1] = missing ? 1 : 0;
    },
    check(v) {
      return Number.isNaN(toBool(v)) ? [missingWarning(c.name, mode, c.impute ? 'true' : 'false')] : [];
    },
  };
}

const TAU = 2 * Math.PI;

function datetimePart(p: DatetimePart, t: number, min: number): number {
  const d = new Date(t);
  switch (p) {
    case 'year':
      return d.getUTCFullYear();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'day':
      return d.getUTCDate();
    case 'dow':
      return d.getUTCDay();
    case 'hour':
      return d.getUTCHours();
    case 'days':
      return (t - min) / DAY_MS;
    case 'month_sin':
      return Math.sin((TAU * d.getUTCMonth()) / 12);
    case 'month_cos':
      return Math.cos((TAU * d.getUTCMonth()) / 12);
    case 'dow_sin':
      return Math.sin((TAU * d.getUTCDay()) / 7);
    case 'dow_cos':
      return Math.cos((TAU * d.getUTCDay()) / 7);
    case 'hour_sin':
      return Math.sin((TAU * d.getUTCHours()) / 24);
    case 'hour_cos':
      return Math.cos((TAU * d.getUTCHours()) / 24);
  }
}

function datetimeEncoder(c: FittedDatetime, mode: ModelKind): Encoder {
  const indicator = mode === 'dense' && c.missingCount > 0;
  const features = c.parts.map((p) => num(`${c.name}:${p}`, c.name));
  const scalable = c.parts.map(() => true);
  if (indicator) {
    features.push(num(`${c.name}__missing`, c.name));
    scalable.push(false);
  }
  const min = c.min ?? 0;
  const iso = (t: number) => new Date(t).toISOString();
  return {
    column: c,
    features,
    scalable,
    write(v, out, off) {
      let t = toTime(v);
      const missing = Number.isNaN(t);
      if (missing && mode === 'gbdt') {
        for (let j = 0; j < c.parts.length; j++) out[off + j] = Number.NaN;
        return;
      }
      if (missing) t = c.median;
      for (let j = 0; j < c.parts.length; j++) out[off + j] = datetimePart(c.parts[j], t, min);
      if (indicator) out[off + c.parts.length] = missing ? 1 : 0;
    },
    check(v) {
      const t = toTime(v);
      if (Number.isNaN(t)) return [missingWarning(c.name, mode, `the training median ${iso(c.median)}`)];
      return rangeWarning(c, t, iso);
    },
  };
}

/** level → index, built once per fitted column (not serialised). */
const levelIndexCache = new WeakMap<FittedCategorical, Map<string, number>>();
function levelIndex(c: FittedCategorical): Map<string, number> {
  let m = levelIndexCache.get(c);
  if (!m) {
    m = new Map(c.levels.map((l, i) => [l, i]));
    levelIndexCache.set(c, m);
  }
  return m;
}

function categoricalEncoder(c: FittedCategorical, mode: ModelKind): Encoder {
  const index = levelIndex(c);
  const check = (v: unknown): RecordWarning[] => {
    const k = toKey(v);
    if (k === null) {
      return c.missingCount > 0
        ? []
        : [
            {
              field: c.name,
              code: 'missing-imputed',
              message: 'missing, and never missing in training; treated as unseen',
            },
          ];
    }
    if (index.has(k)) return [];
    return [
      {
        field: c.name,
        code: 'unseen-category',
        message: `${JSON.stringify(k)} was not seen in training; treated as unseen`,
      },
    ];
  };
  if (mode === 'gbdt') {
    const L = c.gbdtLevels;
    return {
      column: c,
      features: [{ name: c.name, source: c.name, kind: 'categorical', categories: L + 1 }],
      scalable: [false],
      write(v, out, off) {
        const k = toKey(v);
        if (k === null) {
          out[off] = Number.NaN;
          return;
        }
        const i = index.get(k);
        out[off] = i !== undefined && i < L ? i : L;
      },
      check,
    };
  }
  if (c.encoding === 'onehot') {
    const features = c.levels.map((l) => num(`${c.name}=${l}`, c.name));
    const missingAt = c.missingCount > 0 ? features.length : -1;
    if (missingAt >= 0) features.push(num(`${c.name}=__missing`, c.name));
    const unseenAt = features.length;
    features.push(num(`${c.name}=__unseen`, c.name));
    const width = features.length;
    return {
      column: c,
      features,
      scalable: features.map(() => false),
      write(v, out, off) {
        out.fill(0, off, off + width);
        const k = toKey(v);
        const i = k === null ? missingAt : (index.get(k) ?? unseenAt);
        out[off + (i < 0 ? unseenAt : i)] = 1;
      },
      check,
    };
  }
  if (c.encoding === 'frequency') {
    const rows = Math.max(1, c.rows);
    return {
      column: c,
      features: [num(`${c.name}:freq`, c.name)],
      scalable: [true],
      write(v, out, off) {
        const k = toKey(v);
        if (k === null) out[off] = c.missingCount / rows;
        else {
          const i = index.get(k);
          out[off] = i === undefined ? 0 : c.counts[i] / rows;
        }
      },
      check,
    };
  }
  const te = c.te!;
  const o = te.outputs;
  const K = te.folds;
  const missingSlot = c.levels.length;
  const features =
    o === 1
      ? [num(`${c.name}:te`, c.name)]
      : Array.from({ length: o }, (_, j) => num(`${c.name}:te=${j}`, c.name));
  const oof = te.foldCounts.length > 0;
  return {
    column: c,
    features,
    scalable: features.map(() => true),
    write(v, out, off, fold) {
      const k = toKey(v);
      const slot = k === null ? missingSlot : (index.get(k) ?? -1);
      for (let j = 0; j < o; j++) {
        if (slot < 0) out[off + j] = te.prior[j];
        else if (fold >= 0 && oof) {
          const fs = slot * K + fold;
          const n = te.counts[slot] - te.foldCounts[fs];
          const s = te.sums[slot * o + j] - te.foldSums[fs * o + j];
          out[off + j] = (s + te.m * te.foldPrior[fold * o + j]) / (n + te.m);
        } else out[off + j] = (te.sums[slot * o + j] + te.m * te.prior[j]) / (te.counts[slot] + te.m);
      }
    },
    check,
  };
}

/** term key → index, built once per fitted column. */
const vocabCache = new WeakMap<FittedText, Map<string, number>>();

function textEncoder(c: FittedText, opts: TextOptions): Encoder {
  let vocab = vocabCache.get(c);
  if (!vocab) {
    vocab = new Map(c.terms.map((t, i) => [t, i]));
    vocabCache.set(c, vocab);
  }
  const terms = vocab;
  const width = c.terms.length;
  const features: FeatureInfo[] = c.terms.map((key) => ({
    name: `${c.name}:${key.startsWith('c:') ? 'char' : 'tfidf'}:${termText(key)}`,
    source: c.name,
    kind: 'numeric',
    term: termText(key),
  }));
  return {
    column: c,
    features,
    scalable: features.map(() => false),
    write(v, out, off) {
      out.fill(0, off, off + width);
      const text = toText(v);
      if (text === null || width === 0) return;
      const counts = new Map<number, number>();
      for (const key of termsOf(tokenize(text), opts)) {
        const i = terms.get(key);
        if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
      }
      let norm = 0;
      for (const [i, tf] of counts) {
        const w = (opts.sublinearTf ? 1 + Math.log(tf) : tf) * c.idf[i];
        out[off + i] = w;
        norm += w * w;
      }
      if (norm > 0) {
        const inv = 1 / Math.sqrt(norm);
        for (const i of counts.keys()) out[off + i] *= inv;
      }
    },
    check: () => [],
  };
}

export function encoderFor(
  c: FittedColumn,
  mode: ModelKind,
  fitted: Pick<FittedPipeline, 'options'>,
): Encoder {
  switch (c.kind) {
    case 'numeric':
      return numericEncoder(c, mode);
    case 'boolean':
      return booleanEncoder(c, mode);
    case 'datetime':
      return datetimeEncoder(c, mode);
    case 'categorical':
      return categoricalEncoder(c, mode);
    case 'text':
      return textEncoder(c, fitted.options.text);
  }
}

/** All encoders of a pipeline for one model kind, with flattened scalers (mean 0 / std 1 when none). */
export interface Compiled {
  encoders: Encoder[];
  offsets: number[];
  width: number;
  features: FeatureInfo[];
  mean: Float64Array;
  std: Float64Array;
  /** Any target encoder using out-of-fold state. */
  hasOof: boolean;
}

const compiledCache = new WeakMap<FittedPipeline, Partial<Record<ModelKind, Compiled>>>();

export function compile(fitted: FittedPipeline, mode: ModelKind): Compiled {
  let byMode = compiledCache.get(fitted);
  if (!byMode) {
    byMode = {};
    compiledCache.set(fitted, byMode);
  }
  const hit = byMode[mode];
  if (hit) return hit;
  const encoders = fitted.columns.map((c) => encoderFor(c, mode, fitted));
  const offsets: number[] = [];
  const features: FeatureInfo[] = [];
  for (const e of encoders) {
    offsets.push(features.length);
    features.push(...e.features);
  }
  const width = features.length;
  const mean = new Float64Array(width);
  const std = new Float64Array(width).fill(1);
  if (mode === 'dense') {
    encoders.forEach((e, i) => {
      const scale = 'scale' in e.column ? e.column.scale : [];
      for (let j = 0; j < e.features.length; j++) {
        const s = scale[j];
        if (s) {
          mean[offsets[i] + j] = s[0];
          std[offsets[i] + j] = s[1];
        }
      }
    });
  }
  const hasOof = fitted.columns.some((c) => c.kind === 'categorical' && c.te && c.te.foldCounts.length > 0);
  const out: Compiled = { encoders, offsets, width, features, mean, std, hasOof };
  byMode[mode] = out;
  return out;
}
