/**
 * Profile a table through an injected `run(sql)` (DuckDB-WASM in the browser, native DuckDB in tests).
 * A handful of batched queries whatever the column count: basic stats (one wide aggregate), per-column
 * value counts (one GROUP BY per column, materialised once and read for distinct counts, top values,
 * histograms and quantiles), duplicates, examples, and with a target: classes, per-bin target stats
 * (UNION ALL), feature–target relations, plus the correlation matrix.
 *
 * Large tables (more than `approxRows` rows): a hash sample of about `sampleRows` rows is materialised
 * once in an internal table (dropped at the end) for the duplicate estimate, the target bins, and the
 * top values and quantiles of columns with more than `exactDistinctMax` distinct values; see types.ts
 * for what is estimated and how it is marked.
 */
import { quoteIdent } from '../data/tableName.ts';
import {
  basicStatsSql,
  type BinSpec,
  type Col,
  classesSql,
  correlationSql,
  createSampleSql,
  DISTINCT_SLICE,
  duplicatesSql,
  estimatedStatsSql,
  examplesSql,
  type FeatureBinning,
  type GroupedSpec,
  groupedStatsSql,
  hasNumericStats,
  histogramSql,
  isNumberFamily,
  isTimeFamily,
  makeCols,
  QUANTILE_PROBS,
  quantileRanks,
  quantilesSql,
  sampleCountsSql,
  type TargetSpec,
  targetBinsSql,
  targetRelationsSql,
  topValuesSql,
} from './sql.ts';
import { binnedAuc, etaSquared, meanInterval, mutualInformation, wilson } from './stats.ts';
import type {
  ColumnProfile,
  Correlations,
  FeatureTarget,
  HistogramBin,
  Profile,
  Quantiles,
  SemanticType,
  TargetBin,
  TargetProfile,
  TopValue,
} from './types.ts';

export type RunSql = (sql: string) => Promise<Record<string, unknown>[]>;

export interface ProfileOptions {
  target?: string;
  predictionTime?: string;
  /** Histogram bins per numeric column (default 20). */
  maxBins?: number;
  /** Above this many rows some numbers are estimates from a row sample (types.ts); default 1,000,000. */
  approxRows?: number;
  /** Rows of that sample (about; default 250,000). */
  sampleRows?: number;
  /**
   * Large tables: columns with more distinct values than this (estimated first) get an estimated distinct
   * count and sampled top values and quantiles instead of a GROUP BY over every value; default 500,000.
   */
  exactDistinctMax?: number;
  /** Most numeric columns in the correlation matrix (default 20). */
  maxCorrelationColumns?: number;
}

export const DEFAULT_APPROX_ROWS = 1_000_000;
export const DEFAULT_SAMPLE_ROWS = 250_000;
export const DEFAULT_EXACT_DISTINCT_MAX = 500_000;

/** Names that say "identifier": `id`, `*_id`, `id_*`, `*Id`, `uuid`, `guid`, `*_key`. */
export const ID_NAME = /(^|[_\s.-])(id|uuid|guid|key)$|^(id|uuid|guid)([_\s.-]|$)|[a-z]Id$/i;

const toNum = (v: unknown): number => {
  if (v === null || v === undefined) return Number.NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return Number(v);
};
const opt = (v: unknown): number | undefined => {
  const x = toNum(v);
  return Number.isNaN(x) ? undefined : x;
};

/** Bytes per value of fixed-width DuckDB types (strings are estimated from their mean length). */
function width(type: string): number {
  const t = type.toUpperCase();
  if (/^(BOOLEAN|TINYINT|UTINYINT)$/.test(t)) return 1;
  if (/^(SMALLINT|USMALLINT)$/.test(t)) return 2;
  if (/^(INTEGER|UINTEGER|FLOAT|REAL|DATE)$/.test(t)) return 4;
  if (/^(HUGEINT|UHUGEINT|UUID|INTERVAL)$/.test(t) || t.startsWith('DECIMAL')) return 16;
  return 8;
}

/** Estimated distinct counts are within ~1 %: "all distinct" allows 3 %. */
const APPROX_ALL_DISTINCT = 0.97;

function semanticOf(c: Col, s: Omit<ColumnProfile, 'semantic' | 'semanticReason'>): [SemanticType, string] {
  const uniq = s.present > 0 ? s.distinct / s.present : 0;
  const uniqPct = `${s.approximate?.distinct ? '≈ ' : ''}${(uniq * 100).toFixed(uniq > 0.999 && uniq < 1 ? 2 : 1)} % distinct`;
  const allDistinct = s.approximate?.distinct
    ? s.distinct >= APPROX_ALL_DISTINCT * s.present
    : s.distinct === s.present;
  const idName = ID_NAME.test(c.name);
  if (c.family === 'boolean') return ['boolean', 'BOOLEAN type'];
  if (isTimeFamily(c.family)) return ['datetime', `${c.type} type`];
  if (isNumberFamily(c.family)) {
    if (c.family === 'integer' && s.distinct === 2 && s.min === 0 && s.max === 1)
      return ['boolean', 'only 0 and 1'];
    if (c.family === 'integer' && idName && s.present >= 20 && uniq >= 0.95)
      return ['identifier', `name looks like an id; ${uniqPct}`];
    if (
      c.family === 'integer' &&
      s.present >= 50 &&
      allDistinct &&
      s.max !== undefined &&
      s.min !== undefined &&
      s.max - s.min + 1 === s.present
    )
      return ['identifier', 'consecutive integers, all distinct'];
    return ['numeric', `${c.type} type`];
  }
  const hex = s.hexShare ?? 0;
  if (s.present >= 20 && hex >= 0.9 && uniq >= 0.5)
    return ['identifier', `${(hex * 100).toFixed(0)} % look like UUID/hex; ${uniqPct}`];
  if (idName && s.present >= 20 && uniq >= 0.95) return ['identifier', `name looks like an id; ${uniqPct}`];
  const len = s.meanLength ?? 0;
  if (len > 40 || (len > 20 && uniq > 0.5))
    return ['text', `mean length ${len.toFixed(0)} characters; ${uniqPct}`];
  if (s.present >= 50 && allDistinct) return ['identifier', 'every value distinct'];
  return [
    'categorical',
    `${s.approximate?.distinct ? '≈ ' : ''}${s.distinct.toLocaleString('en-US')} distinct values`,
  ];
}

/** Histogram bins: one per integer when the range is small, else `maxBins` equal-width bins. */
function binSpec(c: Col, min: number, max: number, maxBins: number): BinSpec {
  if (min === max) return { col: c, lo: min, width: 1, bins: 1 };
  if (c.family === 'integer' && max - min + 1 <= maxBins)
    return { col: c, lo: min - 0.5, width: 1, bins: max - min + 1 };
  return { col: c, lo: min, width: (max - min) / maxBins, bins: maxBins };
}

const byCountThenValue = (a: TopValue, b: TopValue) =>
  b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

function toQuantiles(at: (p: number) => number): Quantiles {
  return {
    p01: at(0.01),
    p05: at(0.05),
    p25: at(0.25),
    p50: at(0.5),
    p75: at(0.75),
    p95: at(0.95),
    p99: at(0.99),
  };
}
/**
 * A rough distinct count of a column from its sample (`d` distinct of `n` present values; `present` in
 * the table), only to decide whether counting exactly is affordable: the D for which `n` draws from D
 * equally frequent values show `d` distinct on average, d = D·(1 − e^(−n/D)); capped at `present`.
 */
export function distinctFromSample(d: number, n: number, present: number): number {
  if (!(n > 0) || !(d > 0)) return 0;
  if (d >= n) return present;
  let lo = d;
  let hi = present;
  if (hi * -Math.expm1(-n / hi) <= d) return present;
  for (let i = 0; i < 60 && hi - lo > 1; i++) {
    const mid = (lo + hi) / 2;
    if (mid * -Math.expm1(-n / mid) < d) lo = mid;
    else hi = mid;
  }
  return hi;
}

const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export async function profileTable(
  run: RunSql,
  table: string,
  columns: readonly { name: string; type: string }[],
  opts: ProfileOptions = {},
): Promise<Profile> {
  const t0 = performance.now();
  let queries = 0;
  const q = async (sql: string | null): Promise<Record<string, unknown>[]> => {
    if (sql === null) return [];
    queries++;
    return run(sql);
  };
  const maxBins = Math.max(2, Math.floor(opts.maxBins ?? 20));
  const cols = makeCols(columns);
  if (opts.target && !cols.some((c) => c.name === opts.target))
    throw new Error(`Target column "${opts.target}" is not in ${table}`);
  if (opts.predictionTime) {
    const p = cols.find((c) => c.name === opts.predictionTime);
    if (!p) throw new Error(`Prediction-time column "${opts.predictionTime}" is not in ${table}`);
    if (!isTimeFamily(p.family))
      throw new Error(`Prediction-time column "${p.name}" is ${p.type}, not a date or timestamp`);
  }

  // 1. Basic stats (one pass): counts, missing, min/max/mean/std, text shape, distinct estimates.
  const [basic] = await q(basicStatsSql(table, cols));
  const rows = toNum(basic.n);
  const large = rows > (opts.approxRows ?? DEFAULT_APPROX_ROWS);
  const exactDistinctMax = opts.exactDistinctMax ?? DEFAULT_EXACT_DISTINCT_MAX;

  // Text columns' empty strings (hence missing/present), mean length and hex share arrive with the
  // per-column value counts (step 3 or 4): setText fills them in.
  const bases: Omit<ColumnProfile, 'semantic' | 'semanticReason'>[] = cols.map((c) => {
    const nonNull = toNum(basic[`nn_${c.i}`]);
    const nulls = rows - nonNull;
    const nans = c.family === 'float' ? toNum(basic[`nan_${c.i}`]) : 0;
    const missing = nulls + nans;
    const base: Omit<ColumnProfile, 'semantic' | 'semanticReason'> = {
      name: c.name,
      sqlType: c.type,
      nulls,
      nans,
      empty: 0,
      missing,
      missingPct: rows > 0 ? (missing / rows) * 100 : 0,
      present: rows - missing,
      distinct: 0,
      topValues: [],
      topShare: 0,
      examples: [],
    };
    if (hasNumericStats(c.family)) {
      base.min = opt(basic[`mn_${c.i}`]);
      base.max = opt(basic[`mx_${c.i}`]);
      base.mean = opt(basic[`av_${c.i}`]);
      base.std = opt(basic[`sd_${c.i}`]);
    }
    return base;
  });
  const setText = (c: Col, empty: number, meanLength: number | undefined, hex: number) => {
    const b = bases[c.i];
    if (c.family === 'string') {
      b.empty = empty;
      b.missing = b.nulls + b.nans + empty;
      b.missingPct = rows > 0 ? (b.missing / rows) * 100 : 0;
      b.present = rows - b.missing;
    }
    if (c.family === 'string' || c.family === 'other') {
      b.meanLength = meanLength ?? 0;
      b.hexShare = b.present > 0 ? hex / b.present : 0;
    }
  };
  const specOf = (c: Col): BinSpec | undefined => {
    const b = bases[c.i];
    if (!hasNumericStats(c.family) || b.min === undefined || b.max === undefined) return undefined;
    if (!Number.isFinite(b.min) || !Number.isFinite(b.max)) return undefined;
    return binSpec(c, b.min, b.max, maxBins);
  };
  const setHistogram = (s: BinSpec, counts: number[]) => {
    bases[s.col.i].histogram = counts.map((count, k) => ({
      x0: s.lo + k * s.width,
      x1: s.lo + (k + 1) * s.width,
      count,
    })) satisfies HistogramBin[];
  };
  const deciles = new Map<number, number[]>();
  const setQuantiles = (c: Col, at: (p: number) => number | undefined) => {
    const qs = QUANTILE_PROBS.map(at);
    if (!qs.every((x) => x !== undefined && Number.isFinite(x))) return;
    const get = (p: number) => qs[QUANTILE_PROBS.indexOf(p)] as number;
    bases[c.i].quantiles = toQuantiles(get);
    deciles.set(c.i, DECILES.map(get));
  };

  let sample: string | undefined;
  try {
    // 2. Large tables: the row sample, once; the duplicate estimate from it.
    let sampleRows = 0;
    let every = 1;
    let duplicateRows: number;
    /** Large tables: per column, present and distinct values in the sample. */
    let sc: Record<string, unknown> = {};
    if (large) {
      every = Math.max(2, Math.ceil(rows / Math.max(1, opts.sampleRows ?? DEFAULT_SAMPLE_ROWS)));
      sample = `__benchtop_profile_sample_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
      await q(createSampleSql(table, sample, cols, every));
      [sc] = await q(sampleCountsSql(sample, cols));
      sampleRows = toNum(sc.n);
      duplicateRows = toNum(sc.dup) * every;
    } else {
      const [dupRow] = await q(duplicatesSql(table));
      duplicateRows = toNum(dupRow.dup);
    }

    /** Large tables: columns whose values (estimated from the sample) are too many to count cheaply. */
    const estimated = (c: Col) =>
      large &&
      distinctFromSample(toNum(sc[`ds_${c.i}`]), toNum(sc[`ps_${c.i}`]), bases[c.i].present) >
        exactDistinctMax;

    // 3. Per-column value counts: exact distinct counts, top values, histograms and quantiles.
    const exactCols = cols.filter((c) => !estimated(c));
    const grouped: GroupedSpec[] = exactCols.map((c) => {
      const spec: GroupedSpec = { col: c, top: 10 };
      const bins = specOf(c);
      if (bins) spec.bins = bins;
      const n = bases[c.i].present;
      if (hasNumericStats(c.family) && n > 0)
        spec.ranks = QUANTILE_PROBS.flatMap((p) => {
          const r = quantileRanks(n, p);
          return [r.lo, r.hi];
        });
      return spec;
    });
    const groupRows = await q(groupedStatsSql(table, grouped));
    for (const g of grouped) {
      const c = g.col;
      const b = bases[c.i];
      const mine = groupRows.filter((r) => toNum(r.c) === c.i);
      const atRank = new Map<number, number>();
      const counts = g.bins ? new Array<number>(g.bins.bins).fill(0) : [];
      let empty = 0;
      let meanLength: number | undefined;
      let hex = 0;
      for (const r of mine) {
        const kind = String(r.kind);
        if (kind === 'd') {
          b.distinct = toNum(r.a);
          empty = opt(r.b) ?? 0;
        } else if (kind === 'l') {
          meanLength = opt(r.a);
          hex = opt(r.b) ?? 0;
        } else if (kind === 't') b.topValues.push({ value: String(r.v), count: toNum(r.a) });
        else if (kind === 'h') counts[toNum(r.a)] = toNum(r.b);
        else if (kind === 'q') atRank.set(toNum(r.a), toNum(r.b));
      }
      setText(c, c.family === 'string' ? empty : 0, meanLength, hex);
      b.topValues.sort(byCountThenValue);
      if (g.bins) setHistogram(g.bins, counts);
      if (g.ranks)
        setQuantiles(c, (p) => {
          const r = quantileRanks(b.present, p);
          const lo = atRank.get(r.lo);
          const hi = atRank.get(r.hi);
          if (lo === undefined || hi === undefined) return undefined;
          return r.lo === r.hi ? lo : lo + (hi - lo) * (r.h - r.lo);
        });
    }

    // 4. Large tables, columns with very many values: estimated distinct count; top values and
    //    quantiles from the sample; exact histograms.
    const estCols = cols.filter(estimated);
    if (sample && estCols.length) {
      const topRows = await q(topValuesSql(sample, estCols));
      const [quant] = await q(quantilesSql(sample, estCols));
      const specs = estCols.map(specOf).filter((s): s is BinSpec => s !== undefined);
      const histRows = await q(histogramSql(table, specs));
      const [est] = await q(estimatedStatsSql(table, estCols));
      for (const c of estCols) {
        const b = bases[c.i];
        setText(c, opt(est[`emp_${c.i}`]) ?? 0, opt(est[`len_${c.i}`]), opt(est[`hex_${c.i}`]) ?? 0);
        b.distinct = Math.min(b.present, Math.round(toNum(est[`ds_${c.i}`]) * DISTINCT_SLICE));
        const inSample = toNum(sc[`ps_${c.i}`]);
        const scale = inSample > 0 ? b.present / inSample : 0;
        b.topValues = topRows
          .filter((r) => toNum(r.c) === c.i)
          .map((r) => ({ value: String(r.v), count: Math.round(toNum(r.n) * scale) }))
          .sort(byCountThenValue);
        b.approximate = { distinct: 'hash-slice', topValues: 'sampled' };
        if (hasNumericStats(c.family)) {
          setQuantiles(c, (p) => opt(quant?.[`q_${c.i}_${QUANTILE_PROBS.indexOf(p)}`]));
          if (b.quantiles) b.approximate.quantiles = 'sampled';
        }
      }
      for (const s of specs) {
        const counts = new Array<number>(s.bins).fill(0);
        for (const r of histRows) if (toNum(r.c) === s.col.i) counts[toNum(r.b)] = toNum(r.n);
        setHistogram(s, counts);
      }
    }

    // 5. Examples, top share, semantic types.
    const exRows = await q(examplesSql(table, cols));
    const profiles: ColumnProfile[] = cols.map((c) => {
      const b = bases[c.i];
      for (const r of exRows) {
        const v = r[`e_${c.i}`];
        if (v !== null && v !== undefined && !b.examples.includes(String(v))) b.examples.push(String(v));
        if (b.examples.length === 3) break;
      }
      b.topShare = b.present > 0 && b.topValues.length ? Math.min(1, b.topValues[0].count / b.present) : 0;
      const [semantic, semanticReason] = semanticOf(c, b);
      return { ...b, semantic, semanticReason };
    });

    // 6. Memory estimate.
    let memoryBytes = 0;
    for (const c of cols) {
      const p = profiles[c.i];
      if (c.family === 'string' || c.family === 'other')
        memoryBytes += rows * 16 + (p.meanLength ?? 0) * p.present;
      else memoryBytes += rows * width(c.type);
    }

    // 7. Correlation matrix of numeric columns (not identifiers, not constant).
    const corrCols = cols
      .filter(
        (c) =>
          isNumberFamily(c.family) && profiles[c.i].semantic !== 'identifier' && profiles[c.i].distinct > 1,
      )
      .slice(0, opts.maxCorrelationColumns ?? 20);
    let correlations: Correlations | undefined;
    const [corrRow] = await q(correlationSql(table, corrCols));
    if (corrRow) {
      const matrix = corrCols.map((a) =>
        corrCols.map((b) => {
          if (a.i === b.i) return 1;
          const [x, y] = a.i < b.i ? [a, b] : [b, a];
          return opt(corrRow[`r_${x.i}_${y.i}`]) ?? null;
        }),
      );
      correlations = { columns: corrCols.map((c) => c.name), matrix };
    }

    // 8. Target analysis.
    let target: TargetProfile | undefined;
    if (opts.target)
      target = await analyseTarget(
        q,
        table,
        cols,
        profiles,
        opts,
        deciles,
        maxBins,
        sample ? { table: sample, rows: sampleRows, fraction: rows > 0 ? sampleRows / rows : 0 } : undefined,
      );

    return {
      table,
      rows,
      columnCount: cols.length,
      duplicateRows,
      memoryBytes: Math.round(memoryBytes),
      columns: profiles,
      ...(large ? { approximate: { sampleRows, every, duplicates: 'sampled' as const } } : {}),
      ...(target ? { target } : {}),
      ...(correlations ? { correlations } : {}),
      queries,
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    if (sample) {
      queries++;
      await run(`DROP TABLE IF EXISTS ${quoteIdent(sample)}`).catch(() => undefined);
    }
  }
}

function fmtEdge(x: number, time: boolean): string {
  if (time)
    return new Date(x)
      .toISOString()
      .slice(0, x % 86_400_000 === 0 ? 10 : 16)
      .replace('T', ' ');
  return Number.isInteger(x) ? String(x) : Number(x.toPrecision(4)).toString();
}

async function analyseTarget(
  q: (sql: string | null) => Promise<Record<string, unknown>[]>,
  table: string,
  cols: Col[],
  profiles: ColumnProfile[],
  opts: ProfileOptions,
  deciles: Map<number, number[]>,
  maxBins: number,
  /** Large tables: the row sample the per-bin statistics come from. */
  sample?: { table: string; rows: number; fraction: number },
): Promise<TargetProfile> {
  const tc = cols.find((c) => c.name === opts.target) as Col;
  const tp = profiles[tc.i];
  if (tp.distinct < 2)
    throw new Error(
      `Target "${tc.name}" has ${tp.distinct} distinct value${tp.distinct === 1 ? '' : 's'}; pick a column that varies`,
    );
  if (isTimeFamily(tc.family))
    throw new Error(`Target "${tc.name}" is a date/time; pick a numeric or categorical column`);
  let spec: TargetSpec;
  let classes: { value: string; count: number }[] | undefined;
  if (tp.distinct === 2 || !isNumberFamily(tc.family)) {
    const rows = await q(classesSql(table, tc));
    classes = rows.map((r) => ({ value: String(r.v), count: toNum(r.n) }));
    if (classes.length > 50)
      throw new Error(
        `Target "${tc.name}" has ${tp.distinct.toLocaleString('en-US')} classes; pick a numeric column or one with at most 50 classes`,
      );
    if (classes.length === 2) {
      const vals = classes.map((c) => c.value.toLowerCase());
      const positive = ['1', 'true', 'yes', '1.0'].find((v) => vals.includes(v));
      const focus = positive
        ? (classes.find((c) => c.value.toLowerCase() === positive) as { value: string }).value
        : classes[1].value;
      spec = { col: tc, task: 'binary', focus };
    } else spec = { col: tc, task: 'multiclass' };
  } else spec = { col: tc, task: 'regression' };

  // Features: not the target, not the prediction time, not identifiers, free text or constants.
  const features = cols.filter((c) => {
    const p = profiles[c.i];
    return (
      c.name !== tc.name &&
      c.name !== opts.predictionTime &&
      p.semantic !== 'identifier' &&
      p.semantic !== 'text' &&
      p.distinct > 1
    );
  });
  const binnings: FeatureBinning[] = features.map((c) => {
    const p = profiles[c.i];
    if (hasNumericStats(c.family)) {
      if (p.distinct <= maxBins) return { col: c, kind: 'values' };
      const edges = [...new Set(deciles.get(c.i) ?? [])].sort((a, b) => a - b);
      return { col: c, kind: 'edges', edges };
    }
    if (p.distinct <= 10 || c.family === 'boolean') return { col: c, kind: 'values' };
    return { col: c, kind: 'categories', categories: p.topValues.slice(0, 10).map((v) => v.value) };
  });
  const binRows = await q(targetBinsSql(sample?.table ?? table, spec, binnings));
  const future = opts.predictionTime
    ? cols.filter((c) => isTimeFamily(c.family) && c.name !== opts.predictionTime && c.name !== tc.name)
    : [];
  const pt = opts.predictionTime ? cols.find((c) => c.name === opts.predictionTime) : undefined;
  // Distinct (feature, target) pairs need a hash table of every pair: on large tables, count them only
  // where a one-to-one mapping is possible. Over rows where both are present the feature has between
  // distinct − (rows where only the target is missing) and distinct values, likewise the target; a
  // mapping needs those ranges to meet (5 % slack for estimated distinct counts).
  const mayMap = (c: Col) => {
    const f = profiles[c.i];
    return (
      f.distinct - tp.missing <= tp.distinct * 1.05 + 1 && tp.distinct - f.missing <= f.distinct * 1.05 + 1
    );
  };
  const pairFeatures = sample ? features.filter(mayMap) : features;
  const [rel = {}] = await q(targetRelationsSql(table, spec, pairFeatures, features, future, pt));

  for (const c of future) {
    const rowsAfter = toNum(rel[`fa_${c.i}`]);
    const comparable = toNum(rel[`fc_${c.i}`]);
    profiles[c.i].afterPredictionTime = {
      rows: rowsAfter,
      comparable,
      share: comparable > 0 ? rowsAfter / comparable : 0,
    };
  }

  const classList = classes?.map((c) => c.value) ?? [];
  const focus =
    spec.task === 'binary'
      ? spec.focus
      : spec.task === 'multiclass'
        ? (classes?.at(-1)?.value ?? '')
        : undefined;
  const out: FeatureTarget[] = [];
  for (const b of binnings) {
    const c = b.col;
    const mine = binRows.filter((r) => toNum(r.f) === c.i);
    const time = isTimeFamily(c.family);
    type Acc = {
      key: string;
      x: number | undefined;
      n: number;
      s: number;
      ss: number;
      byClass: Map<string, number>;
    };
    const acc = new Map<string, Acc>();
    for (const r of mine) {
      const key = String(r.b);
      let a = acc.get(key);
      if (!a) {
        a = { key, x: opt(r.x), n: 0, s: 0, ss: 0, byClass: new Map() };
        acc.set(key, a);
      }
      const n = toNum(r.n);
      a.n += n;
      if (spec.task === 'multiclass') a.byClass.set(String(r.k), n);
      else {
        a.s += toNum(r.s);
        a.ss += toNum(r.ss);
      }
    }
    const order = (a: Acc): [number, number | string] => {
      if (a.key === 'm') return [3, 0];
      if (a.key === 'o') return [2, 0];
      if (a.key.startsWith('e')) return [0, Number(a.key.slice(1))];
      if (a.key.startsWith('v:') && a.x !== undefined) return [0, a.x];
      return [1, -a.n];
    };
    const list = [...acc.values()].sort((a, b) => {
      const [ga, va] = order(a);
      const [gb, vb] = order(b);
      if (ga !== gb) return ga - gb;
      return typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va) < String(vb) ? -1 : 1;
    });
    const bins: TargetBin[] = list.map((a) => {
      let label: string;
      let x0: number | undefined;
      let x1: number | undefined;
      if (a.key === 'm') label = 'missing';
      else if (a.key === 'o')
        label = `other (${Math.max(0, profiles[c.i].distinct - (b.kind === 'categories' ? b.categories.length : 0)).toLocaleString('en-US')} values)`;
      else if (a.key.startsWith('e') && b.kind === 'edges') {
        const k = Number(a.key.slice(1));
        x0 = k === 0 ? profiles[c.i].min : b.edges[k - 1];
        x1 = k === b.edges.length ? profiles[c.i].max : b.edges[k];
        const close = k === b.edges.length ? ']' : ')';
        label = `[${fmtEdge(x0 ?? 0, time)}, ${fmtEdge(x1 ?? 0, time)}${close}`;
      } else {
        label = a.key.slice(2);
        if (a.key.startsWith('v:') && a.x !== undefined) {
          x0 = a.x;
          x1 = a.x;
        }
      }
      let value: number;
      let lo: number;
      let hi: number;
      if (spec.task === 'regression') {
        // A mean cannot leave the target's range: clamp the t band to [min, max].
        const m = meanInterval(a.n, a.s, a.ss);
        value = m.mean;
        lo = Math.max(m.lo, tp.min ?? m.lo);
        hi = Math.min(m.hi, tp.max ?? m.hi);
      } else {
        const k = spec.task === 'binary' ? a.s : (a.byClass.get(focus ?? '') ?? 0);
        value = a.n > 0 ? k / a.n : 0;
        ({ lo, hi } = wilson(k, a.n));
      }
      return {
        label,
        ...(x0 !== undefined ? { x0 } : {}),
        ...(x1 !== undefined ? { x1 } : {}),
        count: a.n,
        value,
        lo,
        hi,
      };
    });
    const p = profiles[c.i];
    const ft: FeatureTarget = {
      column: c.name,
      semantic: p.semantic,
      bins,
      strength: 0,
      metric: 'auc',
    };
    if (pairFeatures.includes(c))
      ft.pairs = {
        pairs: toNum(rel[`p_${c.i}`]),
        feature: toNum(rel[`pf_${c.i}`]),
        target: toNum(rel[`pt_${c.i}`]),
      };
    const r = opt(rel[`r_${c.i}`]);
    if (r !== undefined) ft.corr = r;
    if (spec.task === 'binary') {
      ft.auc = binnedAuc(list.map((a) => ({ n: a.n, pos: a.s })));
      ft.strength = ft.auc;
      ft.metric = 'auc';
    } else if (spec.task === 'regression') {
      ft.eta2 = etaSquared(list);
      ft.strength = ft.eta2;
      ft.metric = 'eta2';
    } else {
      const { mi, u } = mutualInformation(list.map((a) => classList.map((k) => a.byClass.get(k) ?? 0)));
      ft.mutualInfo = mi;
      ft.uncertainty = u;
      ft.strength = u;
      ft.metric = 'uncertainty';
    }
    out.push(ft);
  }
  out.sort((a, b) => b.strength - a.strength || (a.column < b.column ? -1 : 1));

  const tRows = tp.present;
  const result: TargetProfile = { column: tc.name, task: spec.task, rows: tRows, features: out };
  if (opts.predictionTime) result.predictionTime = opts.predictionTime;
  if (sample) result.sample = { rows: sample.rows, fraction: sample.fraction };
  if (classes) {
    result.classes = classes;
    result.minorityShare = tRows > 0 ? Math.min(...classes.map((c) => c.count)) / tRows : 0;
    if (focus !== undefined) result.focus = focus;
  } else result.mean = tp.mean;
  return result;
}
