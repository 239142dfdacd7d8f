/**
 * Profile a table through an injected `run(sql)` (DuckDB-WASM in the browser, native DuckDB in tests).
 * A handful of batched queries whatever the column count: basic stats (one wide aggregate),
 * duplicates, quantiles, histograms (UNION ALL), top values (UNION ALL), examples, and with a target:
 * classes, per-bin target stats (UNION ALL), feature–target relations, plus the correlation matrix.
 */
import {
  basicStatsSql,
  type BinSpec,
  type Col,
  classesSql,
  correlationSql,
  duplicatesSql,
  examplesSql,
  type FeatureBinning,
  hasNumericStats,
  histogramSql,
  isNumberFamily,
  isTimeFamily,
  makeCols,
  QUANTILE_PROBS,
  quantilesSql,
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
  SemanticType,
  TargetBin,
  TargetProfile,
} from './types.ts';

export type RunSql = (sql: string) => Promise<Record<string, unknown>[]>;

export interface ProfileOptions {
  target?: string;
  predictionTime?: string;
  /** Histogram bins per numeric column (default 20). */
  maxBins?: number;
  /** Above this many rows quantiles are approximate (`approx_quantile`, t-digest); default 1,000,000. */
  exactQuantileRows?: number;
  /** Most numeric columns in the correlation matrix (default 20). */
  maxCorrelationColumns?: number;
}

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

function semanticOf(c: Col, s: Omit<ColumnProfile, 'semantic' | 'semanticReason'>): [SemanticType, string] {
  const uniq = s.present > 0 ? s.distinct / s.present : 0;
  const uniqPct = `${(uniq * 100).toFixed(uniq > 0.999 && uniq < 1 ? 2 : 1)} % distinct`;
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
      s.distinct === s.present &&
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
  if (s.present >= 50 && s.distinct === s.present) return ['identifier', 'every value distinct'];
  return ['categorical', `${s.distinct.toLocaleString('en-US')} distinct values`];
}

/** Histogram bins: one per integer when the range is small, else `maxBins` equal-width bins. */
function binSpec(c: Col, min: number, max: number, maxBins: number): BinSpec {
  if (min === max) return { col: c, lo: min, width: 1, bins: 1 };
  if (c.family === 'integer' && max - min + 1 <= maxBins)
    return { col: c, lo: min - 0.5, width: 1, bins: max - min + 1 };
  return { col: c, lo: min, width: (max - min) / maxBins, bins: maxBins };
}

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

  // 1. Basic stats, duplicates, quantiles, top values, examples.
  const [basic] = await q(basicStatsSql(table, cols));
  const rows = toNum(basic.n);
  const [dupRow] = await q(duplicatesSql(table));
  const numericCols = cols.filter((c) => hasNumericStats(c.family));
  const [quant] = await q(quantilesSql(table, numericCols, rows > (opts.exactQuantileRows ?? 1_000_000)));
  const topRows = await q(topValuesSql(table, cols));
  const exRows = await q(examplesSql(table, cols));

  const profiles: ColumnProfile[] = [];
  const deciles = new Map<number, number[]>();
  for (const c of cols) {
    const nonNull = toNum(basic[`nn_${c.i}`]);
    const nulls = rows - nonNull;
    const nans = c.family === 'float' ? toNum(basic[`nan_${c.i}`]) : 0;
    const empty = c.family === 'string' ? toNum(basic[`emp_${c.i}`]) : 0;
    const missing = nulls + nans + empty;
    const present = rows - missing;
    const topValues = topRows
      .filter((r) => toNum(r.c) === c.i)
      .map((r) => ({ value: String(r.v), count: toNum(r.n) }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    const examples: string[] = [];
    for (const r of exRows) {
      const v = r[`e_${c.i}`];
      if (v !== null && v !== undefined && !examples.includes(String(v))) examples.push(String(v));
      if (examples.length === 3) break;
    }
    const base: Omit<ColumnProfile, 'semantic' | 'semanticReason'> = {
      name: c.name,
      sqlType: c.type,
      nulls,
      nans,
      empty,
      missing,
      missingPct: rows > 0 ? (missing / rows) * 100 : 0,
      present,
      distinct: toNum(basic[`d_${c.i}`]),
      topValues,
      topShare: present > 0 && topValues.length ? topValues[0].count / present : 0,
      examples,
    };
    if (c.family === 'string' || c.family === 'other') {
      base.meanLength = opt(basic[`len_${c.i}`]) ?? 0;
      base.hexShare = present > 0 ? toNum(basic[`hex_${c.i}`]) / present : 0;
    }
    if (hasNumericStats(c.family)) {
      base.min = opt(basic[`mn_${c.i}`]);
      base.max = opt(basic[`mx_${c.i}`]);
      base.mean = opt(basic[`av_${c.i}`]);
      base.std = opt(basic[`sd_${c.i}`]);
      const qs = QUANTILE_PROBS.map((_, k) => opt(quant?.[`q_${c.i}_${k}`]));
      if (qs.every((x) => x !== undefined)) {
        const at = (p: number) => qs[QUANTILE_PROBS.indexOf(p)] as number;
        base.quantiles = {
          p01: at(0.01),
          p05: at(0.05),
          p25: at(0.25),
          p50: at(0.5),
          p75: at(0.75),
          p95: at(0.95),
          p99: at(0.99),
        };
        deciles.set(
          c.i,
          [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((p) => at(p)),
        );
      }
    }
    const [semantic, semanticReason] = semanticOf(c, base);
    profiles.push({ ...base, semantic, semanticReason });
  }

  // 2. Histograms for numeric and datetime columns.
  const specs: BinSpec[] = [];
  for (const c of numericCols) {
    const p = profiles[c.i];
    if (p.min !== undefined && p.max !== undefined && Number.isFinite(p.min) && Number.isFinite(p.max))
      specs.push(binSpec(c, p.min, p.max, maxBins));
  }
  const histRows = await q(histogramSql(table, specs));
  for (const s of specs) {
    const counts = new Array<number>(s.bins).fill(0);
    for (const r of histRows) if (toNum(r.c) === s.col.i) counts[toNum(r.b)] = toNum(r.n);
    const hist: HistogramBin[] = counts.map((count, k) => ({
      x0: s.lo + k * s.width,
      x1: s.lo + (k + 1) * s.width,
      count,
    }));
    profiles[s.col.i].histogram = hist;
  }

  // 3. Memory estimate.
  let memoryBytes = 0;
  for (const c of cols) {
    const p = profiles[c.i];
    if (c.family === 'string' || c.family === 'other')
      memoryBytes += rows * 16 + (p.meanLength ?? 0) * p.present;
    else memoryBytes += rows * width(c.type);
  }

  // 4. Correlation matrix of numeric columns (not identifiers, not constant).
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

  // 5. Target analysis.
  let target: TargetProfile | undefined;
  if (opts.target) target = await analyseTarget(q, table, cols, profiles, opts, deciles, maxBins);

  return {
    table,
    rows,
    columnCount: cols.length,
    duplicateRows: toNum(dupRow.dup),
    memoryBytes: Math.round(memoryBytes),
    columns: profiles,
    ...(target ? { target } : {}),
    ...(correlations ? { correlations } : {}),
    queries,
    ms: Math.round(performance.now() - t0),
  };
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
  const binRows = await q(targetBinsSql(table, spec, binnings));
  const future = opts.predictionTime
    ? cols.filter((c) => isTimeFamily(c.family) && c.name !== opts.predictionTime && c.name !== tc.name)
    : [];
  const pt = opts.predictionTime ? cols.find((c) => c.name === opts.predictionTime) : undefined;
  const [rel] = await q(targetRelationsSql(table, spec, features, future, pt));

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
      pairs: {
        pairs: toNum(rel[`p_${c.i}`]),
        feature: toNum(rel[`pf_${c.i}`]),
        target: toNum(rel[`pt_${c.i}`]),
      },
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
  if (classes) {
    result.classes = classes;
    result.minorityShare = tRows > 0 ? Math.min(...classes.map((c) => c.count)) / tRows : 0;
    if (focus !== undefined) result.focus = focus;
  } else result.mean = tp.mean;
  return result;
}
