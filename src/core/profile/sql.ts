/**
 * SQL for profiling a table (pure: strings in, strings out). Every statistic in a `Profile` comes from
 * one of these queries; ./profile.ts only sends them and combines the small results.
 *
 * Queries refer to columns by position (`c0`, `c1`…) in their result aliases, so any column name
 * (quotes, spaces, unicode) is safe. Every number is returned as DOUBLE and every value as VARCHAR, so
 * callers never meet BIGINT/HUGEINT/DECIMAL/Date conversions (both DuckDB-WASM's Arrow and the native
 * client then agree).
 */
import { quoteIdent } from '../data/tableName.ts';

/** How a DuckDB type is handled. */
export type Family =
  | 'float'
  | 'integer'
  | 'decimal'
  | 'boolean'
  | 'datetime'
  | 'datetimetz'
  | 'string'
  | 'other';

export interface Col {
  /** Position in the table (the alias suffix). */
  i: number;
  name: string;
  type: string;
  family: Family;
}

export function familyOf(type: string): Family {
  const t = type.toUpperCase().trim();
  if (/^(FLOAT|DOUBLE|REAL|FLOAT4|FLOAT8)$/.test(t)) return 'float';
  if (/^U?(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|INT1|INT2|INT4|INT8|LONG|SHORT)$/.test(t))
    return 'integer';
  if (/^(DECIMAL|NUMERIC)/.test(t)) return 'decimal';
  if (t === 'BOOLEAN' || t === 'BOOL') return 'boolean';
  if (t === 'TIMESTAMPTZ' || t === 'TIMESTAMP WITH TIME ZONE') return 'datetimetz';
  if (/^(DATE|TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|DATETIME)$/.test(t)) return 'datetime';
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(') || t === 'TEXT' || t === 'STRING') return 'string';
  return 'other';
}

export const isNumberFamily = (f: Family) => f === 'float' || f === 'integer' || f === 'decimal';
export const isTimeFamily = (f: Family) => f === 'datetime' || f === 'datetimetz';
/** Families with min/max/mean/quantiles/histogram (numbers; datetimes as epoch ms). */
export const hasNumericStats = (f: Family) => isNumberFamily(f) || isTimeFamily(f);

export function makeCols(columns: readonly { name: string; type: string }[]): Col[] {
  return columns.map((c, i) => ({ i, name: c.name, type: c.type, family: familyOf(c.type) }));
}

/**
 * The column's value with every kind of "missing" turned into NULL: NaN for floats, empty or
 * whitespace-only strings for VARCHAR. Types other than numbers, booleans, datetimes and VARCHAR
 * (lists, structs, blobs, TIME, INTERVAL…) are compared as text.
 */
export function keyExpr(c: Col): string {
  const q = quoteIdent(c.name);
  switch (c.family) {
    case 'float':
      return `(CASE WHEN isnan(${q}) THEN NULL ELSE ${q} END)`;
    case 'string':
      return `(CASE WHEN ${blankExpr(q)} THEN NULL ELSE ${q} END)`;
    case 'other':
      return `CAST(${q} AS VARCHAR)`;
    default:
      return q;
  }
}

/**
 * `trim(x) = ''` (empty or only Unicode space separators, which is what DuckDB's `trim` strips), with a
 * cheap first-character test in front so `trim` runs only on strings that start with a space character
 * (U+0020, or a code point ≥ U+00A0 where the other space separators live). Same result, far less work.
 */
export const blankExpr = (q: string) =>
  `(${q} = '' OR ((ascii(${q}) = 32 OR ascii(${q}) >= 160) AND trim(${q}) = ''))`;

/** The column as DOUBLE (datetimes as epoch ms), missing as NULL; null for non-numeric families. */
export function numExpr(c: Col): string | null {
  const q = quoteIdent(c.name);
  switch (c.family) {
    case 'float':
      return `(CASE WHEN isnan(${q}) THEN NULL ELSE CAST(${q} AS DOUBLE) END)`;
    case 'integer':
    case 'decimal':
      return `CAST(${q} AS DOUBLE)`;
    case 'datetime':
      return `CAST(epoch_ms(CAST(${q} AS TIMESTAMP)) AS DOUBLE)`;
    case 'datetimetz':
      return `CAST(epoch_ms(${q}) AS DOUBLE)`;
    default:
      return null;
  }
}

/** The column's non-missing value as text (for distinct values, top values, examples, bins). */
export const textExpr = (c: Col) => `CAST(${keyExpr(c)} AS VARCHAR)`;

/** A JS number as an SQL DOUBLE literal that round-trips exactly. */
export function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`not a finite number: ${x}`);
  return `CAST(${String(x)} AS DOUBLE)`;
}

/** A JS string as an SQL string literal. */
export function str(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

const d = (expr: string) => `CAST(${expr} AS DOUBLE)`;

/** Hex identifiers: a UUID, or 16+ hex digits (MD5/SHA hashes, Mongo-style ids). */
export const HEX_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}';

/** Hash slice used to estimate distinct counts: values whose `hash` is 0 modulo this are counted. */
export const DISTINCT_SLICE = 32;

/** `sum(CASE WHEN cond THEN 1 ELSE 0 END)`: unlike `count(*) FILTER (…)`, CASE short-circuits AND/OR. */
const countIf = (cond: string) => d(`sum(CASE WHEN ${cond} THEN 1 ELSE 0 END)`);

/** Text-shape aggregates of a VARCHAR expression `v` over non-missing values, weighted by `n`. */
const meanLength = (v: string, n = '1') => d(`sum(${n} * length(${v})) / sum(${n})`);
const hexCount = (v: string, n = '1') =>
  d(
    `sum(CASE WHEN strlen(${v}) >= 16 AND regexp_full_match(lower(${v}), ${str(HEX_PATTERN)}) THEN ${n} ELSE 0 END)`,
  );

/**
 * One row: `n` (rows) and per column `nn_i` (non-NULL), `nan_i` (floats: NaN values) and for
 * numeric/datetime columns `mn_i`, `mx_i`, `av_i`, `sd_i` (over non-missing, as DOUBLE, epoch ms for
 * datetimes). Distinct counts and the text-column numbers (empty strings, length, hex share) come from
 * groupedStatsSql, or estimatedStatsSql for columns with too many values.
 */
export function basicStatsSql(table: string, cols: readonly Col[]): string {
  const parts = [`${d('count(*)')} AS n`];
  for (const c of cols) {
    const q = quoteIdent(c.name);
    parts.push(`${d(`count(${q})`)} AS nn_${c.i}`);
    if (c.family === 'float') parts.push(`${countIf(`isnan(${q})`)} AS nan_${c.i}`);
    const x = numExpr(c);
    if (x) {
      parts.push(
        `${d(`min(${x})`)} AS mn_${c.i}`,
        `${d(`max(${x})`)} AS mx_${c.i}`,
        `${d(`avg(${x})`)} AS av_${c.i}`,
        `${d(`stddev_samp(${x})`)} AS sd_${c.i}`,
      );
    }
  }
  return `SELECT ${parts.join(',\n  ')}\nFROM ${quoteIdent(table)}`;
}

/**
 * One row over the whole table for columns with too many distinct values to group (large tables):
 * `ds_i` = distinct non-missing values whose hash is 0 modulo DISTINCT_SLICE (× DISTINCT_SLICE estimates
 * the distinct count, relative error about √(DISTINCT_SLICE / distinct)); text columns also `emp_i`
 * (empty or blank strings), `len_i` (mean length) and `hex_i` (values matching HEX_PATTERN), exact.
 */
export function estimatedStatsSql(table: string, cols: readonly Col[]): string | null {
  if (cols.length === 0) return null;
  const parts: string[] = [];
  for (const c of cols) {
    const q = quoteIdent(c.name);
    const k = keyExpr(c);
    parts.push(
      `${d(`count(DISTINCT CASE WHEN hash(${k}) % ${DISTINCT_SLICE} = 0 THEN ${k} END)`)} AS ds_${c.i}`,
    );
    if (c.family === 'string') parts.push(`${countIf(blankExpr(q))} AS emp_${c.i}`);
    if (c.family === 'string' || c.family === 'other') {
      // Blank strings never match the hex pattern: the raw value will do there.
      parts.push(
        `${d(`avg(length(${k}))`)} AS len_${c.i}`,
        `${hexCount(c.family === 'string' ? q : k)} AS hex_${c.i}`,
      );
    }
  }
  return `SELECT ${parts.join(',\n  ')}\nFROM ${quoteIdent(table)}`;
}

/** What groupedStatsSql computes for one column from its (value, count) groups. */
export interface GroupedSpec {
  col: Col;
  /** Most frequent values to return. */
  top: number;
  /** Histogram bins (numeric/datetime columns with a finite range). */
  bins?: BinSpec;
  /** 0-based ranks (in ascending order of non-missing values) whose values are wanted, for quantiles. */
  ranks?: number[];
}

/**
 * Per column, one GROUP BY of the non-NULL values (`r_i`: value, count; materialised once), read for
 * everything that only needs value counts, all exact. The raw values are grouped, so the per-value work
 * (is it blank? NaN? its length, the hex test, the text cast) runs once per distinct value, not per row.
 * Rows `(c, kind, a, b, v)`, kind:
 * - `d`: a = distinct non-missing values, b = missing values among the non-NULL ones (blank strings, NaN);
 * - `l` (text columns): a = mean length in characters, b = values matching HEX_PATTERN;
 * - `t`: top values, a = count, v = value as text (most frequent first, ties by text);
 * - `h`: histogram, a = bin, b = count;
 * - `q`: a = rank, b = the value (DOUBLE) at that 0-based rank in ascending order; quantiles are
 *   interpolated between two ranks by the caller exactly as `quantile_cont` does (see quantileRanks).
 */
export function groupedStatsSql(table: string, specs: readonly GroupedSpec[]): string | null {
  if (specs.length === 0) return null;
  const t = quoteIdent(table);
  const ctes: string[] = [];
  const parts: string[] = [];
  const none = 'CAST(NULL AS DOUBLE)';
  for (const s of specs) {
    const c = s.col;
    const raw = c.family === 'string' || c.family === 'float' ? quoteIdent(c.name) : keyExpr(c);
    const missing = c.family === 'string' ? blankExpr('k') : c.family === 'float' ? 'isnan(k)' : 'false';
    const r = `r_${c.i}`;
    const g = `g_${c.i}`;
    ctes.push(
      `${r} AS MATERIALIZED (SELECT ${raw} AS k, count(*) AS n FROM ${t} WHERE ${raw} IS NOT NULL GROUP BY 1)`,
      `${g} AS (SELECT k, n FROM ${r} WHERE NOT ${missing})`,
    );
    parts.push(
      `SELECT ${c.i} AS c, 'd' AS kind, ${countIf(`NOT ${missing}`)} AS a, ${d(`sum(CASE WHEN ${missing} THEN n ELSE 0 END)`)} AS b, CAST(NULL AS VARCHAR) AS v FROM ${r}`,
      `SELECT ${c.i}, 't', ${d('n')}, ${none}, v FROM (SELECT n, CAST(k AS VARCHAR) AS v FROM ${g} ORDER BY n DESC, v LIMIT ${s.top})`,
    );
    if (c.family === 'string' || c.family === 'other')
      parts.push(`SELECT ${c.i}, 'l', ${meanLength('k', 'n')}, ${hexCount('k', 'n')}, NULL FROM ${g}`);
    // The value as DOUBLE: numExpr of a column named k (NaN is already gone).
    const x = numExpr({ ...c, name: 'k' });
    if (x && s.bins) {
      const b = s.bins;
      const bin = `least(greatest(floor((${x} - ${num(b.lo)}) / ${num(b.width)}), 0), ${b.bins - 1})`;
      parts.push(
        `SELECT ${c.i}, 'h', ${d('bin')}, ${d('sum(n)')}, NULL FROM (SELECT ${bin} AS bin, n FROM ${g}) GROUP BY bin`,
      );
    }
    if (x && s.ranks?.length) {
      const ranks = [...new Set(s.ranks)].join(', ');
      parts.push(
        `SELECT ${c.i}, 'q', ${d('r.r')}, ${d('q.x')}, NULL FROM (SELECT ${x} AS x, n, sum(n) OVER (ORDER BY ${x} ROWS UNBOUNDED PRECEDING) AS hi FROM ${g}) q JOIN (SELECT unnest([${ranks}]) AS r) r ON q.hi - q.n <= r.r AND r.r < q.hi`,
      );
    }
  }
  return `WITH ${ctes.join(',\n  ')}\n${parts.join('\nUNION ALL\n')}`;
}

/**
 * The 0-based ranks `quantile_cont` reads for probability `p` among `n` values: h = (n − 1)·p, the
 * value is v[⌊h⌋] + (h − ⌊h⌋)·(v[⌈h⌉] − v[⌊h⌋]).
 */
export function quantileRanks(n: number, p: number): { lo: number; hi: number; h: number } {
  const h = (n - 1) * p;
  return { lo: Math.floor(h), hi: Math.ceil(h), h };
}

/** Rows minus distinct rows, as `dup`. */
export function duplicatesSql(table: string): string {
  const t = quoteIdent(table);
  return `SELECT ${d(`(SELECT count(*) FROM ${t}) - (SELECT count(*) FROM (SELECT DISTINCT * FROM ${t}))`)} AS dup`;
}

/**
 * A sample of about `1/every` of the rows, chosen by a hash of the whole row (rows with `hash % every
 * = 0`): deterministic, independent of row order, and exact duplicates always land in the same
 * sample, so the duplicates found in it × `every` estimate the table's duplicates without bias.
 * A regular table, not TEMP: the app's data worker runs each query of a cell on its own connection,
 * and TEMP tables live only as long as their connection. Name it `__benchtop_…` (hidden from the
 * table list) and drop it when done.
 */
export function createSampleSql(table: string, sample: string, cols: readonly Col[], every: number): string {
  const all = cols.map((c) => quoteIdent(c.name)).join(', ');
  return `CREATE TABLE ${quoteIdent(sample)} AS SELECT * FROM ${quoteIdent(table)} WHERE hash(${all}) % ${every} = 0`;
}

/**
 * One row over the sample: `n` (rows), `dup` (rows minus distinct rows), and per column `ps_i`
 * (non-missing values) and `ds_i` (distinct non-missing values).
 */
export function sampleCountsSql(sample: string, cols: readonly Col[]): string {
  const s = quoteIdent(sample);
  const parts = [
    `${d('count(*)')} AS n`,
    `${d(`count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM ${s}))`)} AS dup`,
  ];
  for (const c of cols) {
    const k = keyExpr(c);
    parts.push(`${d(`count(${k})`)} AS ps_${c.i}`, `${d(`count(DISTINCT ${k})`)} AS ds_${c.i}`);
  }
  return `SELECT ${parts.join(', ')} FROM ${s}`;
}

/** The probabilities asked of `quantile_cont`: the reported ones and the deciles used for target bins. */
export const QUANTILE_PROBS = [
  0.01, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 0.95, 0.99,
];

/**
 * One row: `q_<col>_<k>` = `quantile_cont(value, QUANTILE_PROBS[k])` for each numeric/datetime column
 * (exact, linear interpolation), or `approx_quantile` (t-digest) when `approx` (large tables).
 */
export function quantilesSql(table: string, cols: readonly Col[], approx = false): string | null {
  const numeric = cols.filter((c) => numExpr(c) !== null);
  if (numeric.length === 0) return null;
  const probs = `[${QUANTILE_PROBS.join(', ')}]`;
  const fn = approx ? 'approx_quantile' : 'quantile_cont';
  const inner = numeric.map((c) => `${fn}(${numExpr(c)}, ${probs}) AS q_${c.i}`).join(',\n  ');
  const outer = numeric.flatMap((c) =>
    QUANTILE_PROBS.map((_, k) => `${d(`q_${c.i}[${k + 1}]`)} AS q_${c.i}_${k}`),
  );
  return `SELECT ${outer.join(', ')}\nFROM (SELECT ${inner} FROM ${quoteIdent(table)})`;
}

/** Equal-width bins: bin = clamp(floor((x − lo) / width), 0, bins − 1). */
export interface BinSpec {
  col: Col;
  lo: number;
  width: number;
  bins: number;
}

/** Rows `(c, b, n)`: column position, bin index, count of non-missing values in that bin. */
export function histogramSql(table: string, specs: readonly BinSpec[]): string | null {
  if (specs.length === 0) return null;
  const t = quoteIdent(table);
  return specs
    .map((s) => {
      const x = numExpr(s.col);
      const bin = `least(greatest(floor((${x} - ${num(s.lo)}) / ${num(s.width)}), 0), ${s.bins - 1})`;
      return `SELECT ${s.col.i} AS c, ${d('bin')} AS b, ${d('count(*)')} AS n FROM (SELECT ${bin} AS bin FROM ${t} WHERE ${x} IS NOT NULL) GROUP BY bin`;
    })
    .join('\nUNION ALL\n');
}

/** Rows `(c, v, n)`: the `k` most frequent non-missing values of each column (ties by value). */
export function topValuesSql(table: string, cols: readonly Col[], k = 10): string | null {
  if (cols.length === 0) return null;
  const t = quoteIdent(table);
  return cols
    .map(
      (c) =>
        `SELECT ${c.i} AS c, v, n FROM (SELECT CAST(k AS VARCHAR) AS v, ${d('n')} AS n FROM (SELECT ${keyExpr(c)} AS k, count(*) AS n FROM ${t} WHERE ${keyExpr(c)} IS NOT NULL GROUP BY 1) ORDER BY n DESC, v LIMIT ${k})`,
    )
    .join('\nUNION ALL\n');
}

/** The first `limit` rows, every column as text (`e_i`), for example values. */
export function examplesSql(table: string, cols: readonly Col[], limit = 100): string {
  const parts = cols.map((c) => `${textExpr(c)} AS e_${c.i}`);
  return `SELECT ${parts.join(', ')} FROM ${quoteIdent(table)} LIMIT ${limit}`;
}

/** Rows `(v, n)`: every class of a classification target (at most `limit`), most frequent first. */
export function classesSql(table: string, target: Col, limit = 51): string {
  const k = keyExpr(target);
  return `SELECT CAST(k AS VARCHAR) AS v, ${d('n')} AS n FROM (SELECT ${k} AS k, count(*) AS n FROM ${quoteIdent(table)} WHERE ${k} IS NOT NULL GROUP BY 1) ORDER BY n DESC, v LIMIT ${limit}`;
}

/** How a feature is cut into bins for target analysis. */
export type FeatureBinning =
  | { col: Col; kind: 'edges'; edges: number[] }
  | { col: Col; kind: 'values' }
  | { col: Col; kind: 'categories'; categories: string[] };

/**
 * The SQL expression giving a feature's bin key (VARCHAR): `m` missing; `e<k>` the k-th interval
 * between sorted `edges` (k = number of edges ≤ x); `v:<text>` one value; `c:<text>` a category;
 * `o` any other category.
 */
export function binKeyExpr(b: FeatureBinning): string {
  const k = keyExpr(b.col);
  if (b.kind === 'edges') {
    const x = numExpr(b.col) ?? k;
    const whens = b.edges.map((e, idx) => `WHEN ${x} < ${num(e)} THEN 'e${idx}'`).join(' ');
    return `(CASE WHEN ${x} IS NULL THEN 'm' ${whens} ELSE 'e${b.edges.length}' END)`;
  }
  if (b.kind === 'values') return `(CASE WHEN ${k} IS NULL THEN 'm' ELSE 'v:' || ${textExpr(b.col)} END)`;
  const list = b.categories.map(str).join(', ');
  const inList = b.categories.length
    ? `WHEN ${textExpr(b.col)} IN (${list}) THEN 'c:' || ${textExpr(b.col)} `
    : '';
  return `(CASE WHEN ${k} IS NULL THEN 'm' ${inList}ELSE 'o' END)`;
}

/** How the target enters the target-analysis queries. */
export type TargetSpec =
  | { col: Col; task: 'binary'; focus: string }
  | { col: Col; task: 'multiclass' }
  | { col: Col; task: 'regression' };

/** Binary: 1.0 for the focus class, 0.0 otherwise; regression: the value; NULL when the target is missing. */
export function targetYExpr(t: TargetSpec): string | null {
  if (t.task === 'binary') {
    return `(CASE WHEN ${keyExpr(t.col)} IS NULL THEN NULL WHEN ${textExpr(t.col)} = ${str(t.focus)} THEN 1.0 ELSE 0.0 END)`;
  }
  if (t.task === 'regression') return numExpr(t.col);
  return null;
}

/**
 * Per feature and bin, over rows whose target is present. Binary/regression: rows `(f, b, x, n, s, ss)`
 * with `s` = Σy, `ss` = Σy² and `x` = min(feature value) as DOUBLE (null for categories).
 * Multiclass: rows `(f, b, x, k, n)` with `k` the class (text).
 */
export function targetBinsSql(
  table: string,
  target: TargetSpec,
  features: readonly FeatureBinning[],
): string | null {
  if (features.length === 0) return null;
  const t = quoteIdent(table);
  const y = targetYExpr(target);
  const present = `${keyExpr(target.col)} IS NOT NULL`;
  return features
    .map((f) => {
      const x = numExpr(f.col);
      const xs = x ? d(`min(${x})`) : 'CAST(NULL AS DOUBLE)';
      const key = binKeyExpr(f);
      if (target.task === 'multiclass') {
        return `SELECT ${f.col.i} AS f, ${key} AS b, ${xs} AS x, ${textExpr(target.col)} AS k, ${d('count(*)')} AS n FROM ${t} WHERE ${present} GROUP BY 2, 4`;
      }
      return `SELECT ${f.col.i} AS f, ${key} AS b, ${xs} AS x, CAST(NULL AS VARCHAR) AS k, ${d('count(*)')} AS n, ${d(`sum(${y})`)} AS s, ${d(`sum(${y} * ${y})`)} AS ss FROM ${t} WHERE ${present} GROUP BY 2`;
    })
    .join('\nUNION ALL\n');
}

/**
 * One row. Per feature `i` of `pairFeatures`: `p_i` distinct (feature, target) pairs, `pf_i` distinct
 * feature values, `pt_i` distinct target values, all over rows where both are present; per feature of
 * `corrFeatures`: `r_i` = corr(feature, y) for numeric features when y is numeric (binary as 0/1,
 * regression). Per datetime column `j` checked against the prediction time: `fa_j` rows where column >
 * prediction time, `fc_j` rows where both present. Null when there is nothing to compute.
 */
export function targetRelationsSql(
  table: string,
  target: TargetSpec,
  pairFeatures: readonly Col[],
  corrFeatures: readonly Col[],
  future: readonly Col[],
  predictionTime: Col | undefined,
): string | null {
  const tk = keyExpr(target.col);
  const y = targetYExpr(target);
  const parts: string[] = [];
  for (const f of pairFeatures) {
    const k = keyExpr(f);
    const both = `WHERE ${k} IS NOT NULL AND ${tk} IS NOT NULL`;
    parts.push(
      `${d(`count(DISTINCT (${k}, ${tk})) FILTER (${both})`)} AS p_${f.i}`,
      `${d(`count(DISTINCT ${k}) FILTER (${both})`)} AS pf_${f.i}`,
      `${d(`count(DISTINCT ${tk}) FILTER (${both})`)} AS pt_${f.i}`,
    );
  }
  for (const f of corrFeatures) {
    const x = numExpr(f);
    if (x && y && !isTimeFamily(f.family)) parts.push(`${d(`corr(${x}, ${y})`)} AS r_${f.i}`);
  }
  if (predictionTime) {
    const p = quoteIdent(predictionTime.name);
    for (const c of future) {
      const q = quoteIdent(c.name);
      parts.push(
        `${countIf(`${q} > ${p}`)} AS fa_${c.i}`,
        `${countIf(`${q} IS NOT NULL AND ${p} IS NOT NULL`)} AS fc_${c.i}`,
      );
    }
  }
  if (parts.length === 0) return null;
  return `SELECT ${parts.join(',\n  ')}\nFROM ${quoteIdent(table)}`;
}

/** One row: `r_a_b` = corr(a, b) for every pair a < b of the given numeric columns. */
export function correlationSql(table: string, cols: readonly Col[]): string | null {
  if (cols.length < 2) return null;
  const parts: string[] = [];
  for (let a = 0; a < cols.length; a++) {
    for (let b = a + 1; b < cols.length; b++) {
      parts.push(`${d(`corr(${numExpr(cols[a])}, ${numExpr(cols[b])})`)} AS r_${cols[a].i}_${cols[b].i}`);
    }
  }
  return `SELECT ${parts.join(',\n  ')}\nFROM ${quoteIdent(table)}`;
}
