/**
 * ChartSpec → one DuckDB query that does the heavy lifting, so that a chart of millions of rows
 * sends at most a few thousand marks to the page. Pure: no DuckDB, no DOM; unit-tested against
 * native DuckDB in ./__tests__.
 *
 * Every identifier is quoted with `quoteIdent`; every filter value becomes a typed SQL literal
 * (numbers are parsed, strings have their quotes doubled), so a value is never SQL.
 *
 * The result rows use fixed column names, by mode:
 * - `raw-sample` (dot): `x, y[, color][, facet]`. At most `cap` rows: a reservoir sample with a fixed
 *   seed (`USING SAMPLE reservoir(5000 ROWS) REPEATABLE (42)`) of the filtered rows.
 * - `aggregated` (line, area, bar): `x[, x2][, color][, facet], y` — `y` is the aggregate per group;
 *   `x2` (temporal bars) is the end of the time bucket.
 * - `binned` (histogram): `x1, x2[, color][, facet], y`; (heat map): `x|x1,x2, y|y1,y2[, facet], fill`.
 * - `box`: `x[, facet], q1, median, q3, lo, hi, n, outliers` — quartiles (quantile_cont) and the
 *   furthest values within 1.5×IQR of the box (Tukey whiskers); outliers are counted, not drawn.
 * Every row also carries `__total` (rows after the filters), and when x was cut to its most frequent
 * categories `__xcats` (how many there were); temporal buckets carry `__unit`.
 */
import { quoteIdent } from '../data/tableName.ts';
import {
  type ChartFilter,
  type ChartSpec,
  DOT_SAMPLE_CAP,
  LINE_BINS,
  MAX_CHART_ROWS,
  MAX_COLOR_CATEGORIES,
  MAX_FACETS,
  MAX_HEAT_CATEGORIES,
  MAX_TIME_BUCKETS,
  MAX_X_CATEGORIES,
  type TimeUnit,
} from './spec.ts';

export type ChartMode = 'raw-sample' | 'aggregated' | 'binned' | 'box';

/** How a position channel comes out of the query. */
export type AxisKind = 'quantitative' | 'temporal' | 'ordinal';

export interface ChartColumn {
  name: string;
  /** DuckDB logical type (`BIGINT`, `VARCHAR`, `TIMESTAMP`, …). */
  type: string;
}

export interface ChartQuery {
  sql: string;
  mode: ChartMode;
  /** Dot charts: the sample size; more filtered rows than this are sampled. */
  cap?: number;
  /** The query returns at most `limit + 1` rows; a `limit + 1`th row means groups were cut. */
  limit: number;
  /** Kind of the x values (`x`, or `x1`/`x2` when `xInterval`). */
  x: AxisKind;
  /** Kind of the y values (`y`, or `y1`/`y2` when `yInterval`). */
  y: AxisKind;
  /** Rows carry `x1`/`x2` (bins, time buckets) instead of a single `x`. */
  xInterval: boolean;
  /** Rows carry `y1`/`y2` (heat-map bins). */
  yInterval: boolean;
  /** Colour: none, categories (top N + "Other"), or a continuous number (dot charts, heat-map fill). */
  color: 'none' | 'categorical' | 'continuous';
  /** Human label of the value axis, e.g. `mean(delay)` or `count`. */
  valueLabel: string;
}

type Kind = 'numeric' | 'integer' | 'temporal' | 'boolean' | 'text';

/** Classify a DuckDB type name. */
export function columnKind(type: string): Kind {
  const t = type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)\b/.test(t))
    return 'integer';
  if (/^(FLOAT|REAL|DOUBLE|DECIMAL|NUMERIC)\b/.test(t)) return 'numeric';
  if (/^(DATE|TIMESTAMP)/.test(t)) return 'temporal';
  if (t === 'BOOLEAN') return 'boolean';
  return 'text';
}

const isNumber = (k: Kind) => k === 'numeric' || k === 'integer';

/** `s` as an SQL string literal: quotes doubled, NUL refused. */
export function sqlString(s: string): string {
  if (s.includes('\0')) throw new Error('A filter value cannot contain a NUL character');
  return `'${s.replaceAll("'", "''")}'`;
}

/** A typed literal for comparing with a column of kind `kind`. */
function literal(raw: string, kind: Kind, column: string): string {
  const v = raw.trim();
  if (isNumber(kind)) {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n)) throw new Error(`Filter on "${column}": "${raw}" is not a number`);
    return `(${String(n)})`;
  }
  if (kind === 'boolean') {
    if (/^(true|1|yes)$/i.test(v)) return 'TRUE';
    if (/^(false|0|no)$/i.test(v)) return 'FALSE';
    throw new Error(`Filter on "${column}": "${raw}" is not true or false`);
  }
  return sqlString(kind === 'temporal' ? v : raw);
}

function filterSql(f: ChartFilter, col: (name: string) => ChartColumn): string {
  const c = col(f.column);
  const id = quoteIdent(c.name);
  const kind = columnKind(c.type);
  switch (f.op) {
    case 'is null':
      return `${id} IS NULL`;
    case 'is not null':
      return `${id} IS NOT NULL`;
    case 'in': {
      const parts = f.value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (parts.length === 0)
        throw new Error(`Filter on "${c.name}": "in" needs a comma-separated list of values`);
      return `${id} IN (${parts.map((p) => literal(p, kind, c.name)).join(', ')})`;
    }
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return `${id} ${f.op} ${literal(f.value, kind, c.name)}`;
    default: {
      const never: never = f.op;
      throw new Error(`Unknown filter operator ${String(never)}`);
    }
  }
}

const UNIT_SECONDS: [Exclude<TimeUnit, 'auto'>, number][] = [
  ['second', 1],
  ['minute', 60],
  ['hour', 3600],
  ['day', 86400],
  ['week', 604800],
  ['month', 2629746],
  ['quarter', 7889238],
  ['year', 31556952],
];

/** SQL for the time unit: a literal, or (auto) the finest unit with ≤ `max` buckets over the span. */
function unitSql(unit: TimeUnit, col: string, max: number): string {
  if (unit !== 'auto') return sqlString(unit);
  const span = `(epoch(max(${col})) - epoch(min(${col})))`;
  const cases = UNIT_SECONDS.slice(0, -1)
    .map(([u, s]) => `WHEN ${span} / ${s} <= ${max} THEN '${u}'`)
    .join(' ');
  return `(SELECT CASE ${cases} ELSE 'year' END FROM f)`;
}

/** Nice bin width: 1, 2 or 5 × 10^k, at least `(hi - lo) / bins`; at least 1 for integers. */
function niceStepSql(lo: string, hi: string, bins: number, integer: boolean): string {
  const raw = `((${hi} - ${lo}) / ${bins})`;
  const p = `pow(10, floor(log10(${raw})))`;
  const nice = `CASE WHEN ${raw} IS NULL OR ${raw} <= 0 THEN 1 ELSE ${p} * CASE WHEN ${raw} / ${p} <= 1 THEN 1 WHEN ${raw} / ${p} <= 2 THEN 2 WHEN ${raw} / ${p} <= 5 THEN 5 ELSE 10 END END`;
  return integer ? `greatest(${nice}, 1)` : nice;
}

/**
 * The SQL for `spec` over `table`, whose columns are `columns`. Throws an Error with a specific
 * message when a column is missing or does not fit the mark.
 */
export function chartQuery(spec: ChartSpec, table: string, columns: readonly ChartColumn[]): ChartQuery {
  const col = (name: string): ChartColumn => {
    const c =
      columns.find((k) => k.name === name) ??
      columns.find((k) => k.name.toLowerCase() === name.toLowerCase());
    if (!c) throw new Error(`Column "${name}" is not in table ${table}`);
    return c;
  };
  const need = (field: 'x' | 'y' | 'color', what: string): ChartColumn => {
    const name = spec[field];
    if (!name) throw new Error(`Choose ${what}`);
    return col(name);
  };
  const where = spec.filters.map((f) => filterSql(f, col));
  const from = `f AS (SELECT * FROM ${quoteIdent(table)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`;
  const total = '(SELECT count(*) FROM f) AS __total';
  const limit = MAX_CHART_ROWS;
  const ctes: string[] = [from];

  /** A categorical key: the column as text, its top `n` values kept, the rest "Other", null "(null)". */
  const topKey = (name: string, n: number, cte: string): string => {
    const id = quoteIdent(col(name).name);
    ctes.push(
      `${cte} AS (SELECT CAST(${id} AS VARCHAR) AS k FROM f WHERE ${id} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ${n})`,
    );
    return `CASE WHEN ${id} IS NULL THEN '(null)' WHEN CAST(${id} AS VARCHAR) IN (SELECT k FROM ${cte}) THEN CAST(${id} AS VARCHAR) ELSE 'Other' END`;
  };
  const facetKey = spec.facet ? topKey(spec.facet, MAX_FACETS, 'ftop') : undefined;

  const reduced = (column: ChartColumn | undefined): { sql: string; label: string } => {
    if (spec.aggregate === 'count') return { sql: 'CAST(count(*) AS DOUBLE)', label: 'count' };
    if (!column) throw new Error(`Choose the column to ${spec.aggregate}`);
    if (!isNumber(columnKind(column.type)))
      throw new Error(`${spec.aggregate} needs a numeric column; "${column.name}" is ${column.type}`);
    const fn = { sum: 'sum', mean: 'avg', median: 'median' }[spec.aggregate];
    return {
      sql: `CAST(${fn}(${quoteIdent(column.name)}) AS DOUBLE)`,
      label: `${spec.aggregate}(${column.name})`,
    };
  };

  const finish = (select: string[], rest: string, q: Omit<ChartQuery, 'sql' | 'limit'>): ChartQuery => ({
    ...q,
    limit,
    sql: `WITH ${ctes.join(',\n  ')}\nSELECT ${[...select, total].join(', ')}\n${rest}`,
  });

  switch (spec.mark) {
    case 'dot': {
      const x = need('x', 'an x column');
      const y = need('y', 'a y column');
      const xi = quoteIdent(x.name);
      const yi = quoteIdent(y.name);
      const sel = [`${xi} AS x`, `${yi} AS y`];
      let color: ChartQuery['color'] = 'none';
      if (spec.color) {
        const c = col(spec.color);
        const k = columnKind(c.type);
        color = isNumber(k) ? 'continuous' : 'categorical';
        sel.push(`${isNumber(k) ? quoteIdent(c.name) : `CAST(${quoteIdent(c.name)} AS VARCHAR)`} AS color`);
      }
      if (facetKey) sel.push(`${facetKey} AS facet`);
      ctes.push(`s AS (SELECT * FROM f WHERE ${xi} IS NOT NULL AND ${yi} IS NOT NULL)`);
      return {
        mode: 'raw-sample',
        cap: DOT_SAMPLE_CAP,
        limit: DOT_SAMPLE_CAP,
        x: axisOf(x),
        y: axisOf(y),
        xInterval: false,
        yInterval: false,
        color,
        valueLabel: y.name,
        sql:
          `WITH ${ctes.join(',\n  ')}\nSELECT ${sel.join(', ')}, (SELECT count(*) FROM s) AS __total\n` +
          `FROM s USING SAMPLE reservoir(${DOT_SAMPLE_CAP} ROWS) REPEATABLE (42)`,
      };
    }

    case 'line':
    case 'area':
    case 'bar': {
      const x = need('x', 'an x column');
      const xi = quoteIdent(x.name);
      const xk = columnKind(x.type);
      const value = reduced(spec.y && spec.aggregate !== 'count' ? col(spec.y) : undefined);
      const sel: string[] = [];
      const conds = [`${xi} IS NOT NULL`];
      let xAxis: AxisKind;
      let xInterval = false;
      let from = 'FROM f';
      if (xk === 'temporal') {
        ctes.push(`tu AS (SELECT ${unitSql(spec.timeUnit, xi, MAX_TIME_BUCKETS)} AS u)`);
        from = 'FROM f, tu';
        const start = `date_trunc(tu.u, ${xi})`;
        if (spec.mark === 'bar') {
          sel.push(`${start} AS x1`, `${start} + CAST('1 ' || tu.u AS INTERVAL) AS x2`);
          xInterval = true;
        } else sel.push(`${start} AS x`);
        sel.push('tu.u AS __unit');
        xAxis = 'temporal';
      } else if (isNumber(xk) && spec.mark !== 'bar') {
        ctes.push(
          `xs AS (SELECT min(${xi}) AS lo, max(${xi}) AS hi, approx_count_distinct(${xi}) AS nd FROM f)`,
        );
        from = 'FROM f, xs';
        const w = `((xs.hi - xs.lo) / ${LINE_BINS})`;
        sel.push(
          `CASE WHEN xs.nd <= ${LINE_BINS} OR xs.hi = xs.lo THEN CAST(${xi} AS DOUBLE) ELSE xs.lo + (least(floor((${xi} - xs.lo) / ${w}), ${LINE_BINS - 1}) + 0.5) * ${w} END AS x`,
        );
        xAxis = 'quantitative';
      } else {
        // Categories (bars of any type; text x in lines): the most frequent ones, by count.
        ctes.push(
          `xtop AS (SELECT ${xi} AS k FROM f WHERE ${xi} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ${MAX_X_CATEGORIES})`,
        );
        conds.push(`${xi} IN (SELECT k FROM xtop)`);
        sel.push(`${isNumber(xk) ? xi : `CAST(${xi} AS VARCHAR)`} AS x`);
        sel.push(`(SELECT count(DISTINCT ${xi}) FROM f) AS __xcats`);
        xAxis = 'ordinal';
      }
      if (spec.color) sel.push(`${topKey(spec.color, MAX_COLOR_CATEGORIES, 'ctop')} AS color`);
      if (facetKey) sel.push(`${facetKey} AS facet`);
      sel.push(`${value.sql} AS y`);
      return finish(
        sel,
        `${from} WHERE ${conds.join(' AND ')} GROUP BY ALL ORDER BY ${xInterval ? 'x1' : 'x'} LIMIT ${limit + 1}`,
        {
          mode: 'aggregated',
          x: xAxis,
          y: 'quantitative',
          xInterval,
          yInterval: false,
          color: spec.color ? 'categorical' : 'none',
          valueLabel: value.label,
        },
      );
    }

    case 'histogram': {
      const x = need('x', 'a numeric x column');
      const xk = columnKind(x.type);
      if (!isNumber(xk))
        throw new Error(`A histogram needs a numeric x; "${x.name}" is ${x.type} (try a bar or line chart)`);
      const xi = quoteIdent(x.name);
      const value = reduced(spec.y && spec.aggregate !== 'count' ? col(spec.y) : undefined);
      ctes.push(
        `hs AS (SELECT min(${xi}) AS lo, max(${xi}) AS hi FROM f)`,
        `hw AS (SELECT ${niceStepSql('lo', 'hi', spec.bins, xk === 'integer')} AS w, lo FROM hs)`,
        'hb AS (SELECT floor(lo / w) * w AS start, w FROM hw)',
      );
      const bin = `floor((${xi} - hb.start) / hb.w)`;
      const sel = [`hb.start + ${bin} * hb.w AS x1`, `hb.start + (${bin} + 1) * hb.w AS x2`];
      if (spec.color) sel.push(`${topKey(spec.color, MAX_COLOR_CATEGORIES, 'ctop')} AS color`);
      if (facetKey) sel.push(`${facetKey} AS facet`);
      sel.push(`${value.sql} AS y`);
      return finish(sel, `FROM f, hb WHERE ${xi} IS NOT NULL GROUP BY ALL ORDER BY x1 LIMIT ${limit + 1}`, {
        mode: 'binned',
        x: 'quantitative',
        y: 'quantitative',
        xInterval: true,
        yInterval: false,
        color: spec.color ? 'categorical' : 'none',
        valueLabel: value.label,
      });
    }

    case 'box': {
      const y = need('y', 'a numeric y column');
      if (!isNumber(columnKind(y.type)))
        throw new Error(`A box plot needs a numeric y; "${y.name}" is ${y.type}`);
      const yi = quoteIdent(y.name);
      const conds = [`${yi} IS NOT NULL`];
      let xKey = sqlString(y.name);
      if (spec.x) {
        const x = col(spec.x);
        const xi = quoteIdent(x.name);
        ctes.push(
          `xtop AS (SELECT ${xi} AS k FROM f WHERE ${xi} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ${MAX_X_CATEGORIES})`,
        );
        conds.push(`${xi} IN (SELECT k FROM xtop)`);
        xKey = `CAST(${xi} AS VARCHAR)`;
      }
      ctes.push(
        `g AS (SELECT ${xKey} AS x, ${facetKey ?? 'NULL::VARCHAR'} AS facet, CAST(${yi} AS DOUBLE) AS v FROM f WHERE ${conds.join(' AND ')})`,
        'q AS (SELECT x, facet, quantile_cont(v, 0.25) AS q1, quantile_cont(v, 0.5) AS median, quantile_cont(v, 0.75) AS q3, count(*) AS n FROM g GROUP BY x, facet)',
      );
      const lof = '(q.q1 - 1.5 * (q.q3 - q.q1))';
      const hif = '(q.q3 + 1.5 * (q.q3 - q.q1))';
      const sel = [
        'q.x AS x',
        ...(facetKey ? ['q.facet AS facet'] : []),
        'q.q1 AS q1',
        'q.median AS median',
        'q.q3 AS q3',
        `min(g.v) FILTER (WHERE g.v >= ${lof}) AS lo`,
        `max(g.v) FILTER (WHERE g.v <= ${hif}) AS hi`,
        'q.n AS n',
        `count(*) FILTER (WHERE g.v < ${lof} OR g.v > ${hif}) AS outliers`,
        ...(spec.x ? [`(SELECT count(DISTINCT ${quoteIdent(col(spec.x).name)}) FROM f) AS __xcats`] : []),
      ];
      return finish(
        sel,
        `FROM q JOIN g ON g.x IS NOT DISTINCT FROM q.x AND g.facet IS NOT DISTINCT FROM q.facet\n` +
          `GROUP BY q.x, q.facet, q.q1, q.median, q.q3, q.n ORDER BY q.x LIMIT ${limit + 1}`,
        {
          mode: 'box',
          x: 'ordinal',
          y: 'quantitative',
          xInterval: false,
          yInterval: false,
          color: 'none',
          valueLabel: y.name,
        },
      );
    }

    case 'heatmap': {
      const x = need('x', 'an x column');
      const y = need('y', 'a y column');
      const value = reduced(spec.color && spec.aggregate !== 'count' ? col(spec.color) : undefined);
      const sel: string[] = [];
      const conds: string[] = [];
      const from = ['f'];
      const axis = (c: ChartColumn, a: 'x' | 'y'): { kind: AxisKind; interval: boolean } => {
        const id = quoteIdent(c.name);
        const k = columnKind(c.type);
        conds.push(`${id} IS NOT NULL`);
        if (isNumber(k)) {
          const bins = Math.min(spec.bins, 50);
          ctes.push(
            `${a}s AS (SELECT min(${id}) AS lo, max(${id}) AS hi FROM f)`,
            `${a}w AS (SELECT ${niceStepSql('lo', 'hi', bins, k === 'integer')} AS w, lo FROM ${a}s)`,
            `${a}b AS (SELECT floor(lo / w) * w AS start, w FROM ${a}w)`,
          );
          from.push(`${a}b`);
          const bin = `floor((${id} - ${a}b.start) / ${a}b.w)`;
          sel.push(
            `${a}b.start + ${bin} * ${a}b.w AS ${a}1`,
            `${a}b.start + (${bin} + 1) * ${a}b.w AS ${a}2`,
          );
          return { kind: 'quantitative', interval: true };
        }
        if (k === 'temporal') {
          ctes.push(`${a}u AS (SELECT ${unitSql(spec.timeUnit, id, 60)} AS u)`);
          from.push(`${a}u`);
          const start = `date_trunc(${a}u.u, ${id})`;
          sel.push(`${start} AS ${a}1`, `${start} + CAST('1 ' || ${a}u.u AS INTERVAL) AS ${a}2`);
          return { kind: 'temporal', interval: true };
        }
        ctes.push(
          `${a}top AS (SELECT ${id} AS k FROM f WHERE ${id} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ${MAX_HEAT_CATEGORIES})`,
        );
        conds.push(`${id} IN (SELECT k FROM ${a}top)`);
        sel.push(`CAST(${id} AS VARCHAR) AS ${a}`);
        return { kind: 'ordinal', interval: false };
      };
      const ax = axis(x, 'x');
      const ay = axis(y, 'y');
      if (facetKey) sel.push(`${facetKey} AS facet`);
      sel.push(`${value.sql} AS fill`);
      return finish(
        sel,
        `FROM ${from.join(', ')} WHERE ${conds.join(' AND ')} GROUP BY ALL ORDER BY ALL LIMIT ${limit + 1}`,
        {
          mode: 'binned',
          x: ax.kind,
          y: ay.kind,
          xInterval: ax.interval,
          yInterval: ay.interval,
          color: 'continuous',
          valueLabel: value.label,
        },
      );
    }
    default: {
      const never: never = spec.mark;
      throw new Error(`Unknown chart mark ${String(never)}`);
    }
  }
}

function axisOf(c: ChartColumn): AxisKind {
  const k = columnKind(c.type);
  return isNumber(k) ? 'quantitative' : k === 'temporal' ? 'temporal' : 'ordinal';
}
