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
      return `(CASE WHEN trim(${q}) = '' THEN NULL ELSE ${q} END)`;
    case 'other':
      return `CAST(${q} AS VARCHAR)`;
    default:
      return q;
  }
}

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

/**
 * One row: `n` (rows) and per column `nn_i` (non-NULL), `d_i` (distinct non-missing), plus by family
 * `nan_i`; `emp_i`, `len_i` (mean length), `hex_i` (values matching HEX_PATTERN); `mn_i`, `mx_i`,
 * `av_i`, `sd_i` (over non-missing, as DOUBLE, epoch ms for datetimes).
 */
export function basicStatsSql(table: string, cols: readonly Col[]): string {
  const parts = [`${d('count(*)')} AS n`];
  for (const c of cols) {
    const q = quoteIdent(c.name);
    const k = keyExpr(c);
    parts.push(`${d(`count(${q})`)} AS nn_${c.i}`, `${d(`count(DISTINCT ${k})`)} AS d_${c.i}`);
    if (c.family === 'float') parts.push(`${d(`count(*) FILTER (WHERE isnan(${q}))`)} AS nan_${c.i}`);
    if (c.family === 'string' || c.family === 'other') {
      if (c.family === 'string') parts.push(`${d(`count(*) FILTER (WHERE trim(${q}) = '')`)} AS emp_${c.i}`);
      parts.push(
        `${d(`avg(length(${k}))`)} AS len_${c.i}`,
        `${d(`count(*) FILTER (WHERE regexp_full_match(lower(${k}), ${str(HEX_PATTERN)}))`)} AS hex_${c.i}`,
      );
    }
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

/** Rows minus distinct rows, as `dup`. */
export function duplicatesSql(table: string): string {
  const t = quoteIdent(table);
  return `SELECT ${d(`(SELECT count(*) FROM ${t}) - (SELECT count(*) FROM (SELECT DISTINCT * FROM ${t}))`)} AS dup`;
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
        `SELECT ${c.i} AS c, v, n FROM (SELECT ${textExpr(c)} AS v, ${d('count(*)')} AS n FROM ${t} WHERE ${keyExpr(c)} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT ${k})`,
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
  return `SELECT ${textExpr(target)} AS v, ${d('count(*)')} AS n FROM ${quoteIdent(table)} WHERE ${keyExpr(target)} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT ${limit}`;
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
 * One row. Per feature `i`: `p_i` distinct (feature, target) pairs, `pf_i` distinct feature values,
 * `pt_i` distinct target values, all over rows where both are present; `r_i` = corr(feature, y) for
 * numeric features when y is numeric (binary as 0/1, regression). Per datetime column `j` checked
 * against the prediction time: `fa_j` rows where column > prediction time, `fc_j` rows where both present.
 */
export function targetRelationsSql(
  table: string,
  target: TargetSpec,
  features: readonly Col[],
  future: readonly Col[],
  predictionTime: Col | undefined,
): string {
  const tk = keyExpr(target.col);
  const y = targetYExpr(target);
  const parts = [`${d('count(*)')} AS n`];
  for (const f of features) {
    const k = keyExpr(f);
    const both = `WHERE ${k} IS NOT NULL AND ${tk} IS NOT NULL`;
    parts.push(
      `${d(`count(DISTINCT (${k}, ${tk})) FILTER (${both})`)} AS p_${f.i}`,
      `${d(`count(DISTINCT ${k}) FILTER (${both})`)} AS pf_${f.i}`,
      `${d(`count(DISTINCT ${tk}) FILTER (${both})`)} AS pt_${f.i}`,
    );
    const x = numExpr(f);
    if (x && y && !isTimeFamily(f.family)) parts.push(`${d(`corr(${x}, ${y})`)} AS r_${f.i}`);
  }
  if (predictionTime) {
    const p = quoteIdent(predictionTime.name);
    for (const c of future) {
      const q = quoteIdent(c.name);
      parts.push(
        `${d(`count(*) FILTER (WHERE ${q} > ${p})`)} AS fa_${c.i}`,
        `${d(`count(*) FILTER (WHERE ${q} IS NOT NULL AND ${p} IS NOT NULL)`)} AS fc_${c.i}`,
      );
    }
  }
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
