/**
 * The chart cell's declarative description: what a user picks in the form, stored as-is in the
 * notebook JSON (the cell's `config` is a `ChartSpec` plus `input`). Pure data; `chartQuery` (./sql.ts)
 * turns it into SQL that aggregates, bins or samples in DuckDB, and `buildPlotOptions` (./plot.ts)
 * into Observable Plot options.
 */
import { z } from 'zod';

/**
 * How rows become marks.
 * - `dot`: a scatter plot of raw rows (x and y); tables larger than {@link DOT_SAMPLE_CAP} rows are
 *   sampled in SQL (reservoir, fixed seed).
 * - `line`, `area`: the aggregate of y (or the row count) by x, one series per colour; a temporal x is
 *   bucketed by `timeUnit`, a numeric x with many distinct values is binned.
 * - `bar`: the aggregate of y (or the row count) by x category, stacked by colour; a temporal x is
 *   bucketed by `timeUnit` and drawn as intervals.
 * - `histogram`: counts (or the aggregate of y) in equal-width bins of a numeric x, stacked by colour.
 * - `box`: quartiles and 1.5×IQR whiskers of y, per x category (or one box without x).
 * - `heatmap`: x × y cells (each axis binned if numeric, bucketed if temporal, categories otherwise),
 *   filled with the row count or the aggregate of the colour column.
 */
export type ChartMark = 'dot' | 'line' | 'bar' | 'area' | 'histogram' | 'box' | 'heatmap';
export const CHART_MARKS: readonly ChartMark[] = [
  'bar',
  'line',
  'area',
  'dot',
  'histogram',
  'box',
  'heatmap',
];

/** How the rows of one group are reduced to a value. `count` counts rows and needs no column. */
export type ChartAggregate = 'count' | 'sum' | 'mean' | 'median';
export const CHART_AGGREGATES: readonly ChartAggregate[] = ['count', 'sum', 'mean', 'median'];

/**
 * A filter comparison. `in` takes a comma-separated list of values; `is null` / `is not null` take
 * no value. Values are typed text: numbers for numeric columns, `true`/`false` for booleans, anything
 * else is an SQL string literal (which DuckDB casts to a date or timestamp column's type).
 */
export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'is null' | 'is not null';
export const FILTER_OPS: readonly FilterOp[] = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  'is null',
  'is not null',
];

/** One row filter; all of a chart's filters must hold (AND). */
export interface ChartFilter {
  /** Column of the input table. */
  column: string;
  op: FilterOp;
  /** The value as typed (unused by `is null` / `is not null`). Never pasted into SQL unescaped. */
  value: string;
}

/**
 * Time bucket for a temporal x (and temporal heat-map axes): `auto` picks the finest unit that
 * gives at most {@link MAX_TIME_BUCKETS} buckets over the data's span.
 */
export type TimeUnit = 'auto' | 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';
export const TIME_UNITS: readonly TimeUnit[] = [
  'auto',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'quarter',
  'year',
];

/** Which facet channel a facet column drives: columns side by side (`fx`) or rows (`fy`). */
export type FacetDirection = 'fx' | 'fy';

export interface ChartSpec {
  /** The mark type; decides which of the fields below are used (see {@link ChartMark}). */
  mark: ChartMark;
  /** Horizontal position column. Required by every mark except `box` (one box without it). */
  x?: string;
  /**
   * Vertical position column. `dot`, `box`, `heatmap`: required. `line`, `bar`, `area`, `histogram`:
   * the column the aggregate reduces (ignored when the aggregate is `count`).
   */
  y?: string;
  /**
   * Colour column. `dot`: colours points (continuous scale for numbers). `line`, `area`, `bar`,
   * `histogram`: one series (stack) per category, top {@link MAX_COLOR_CATEGORIES} and "Other".
   * `heatmap`: the column the aggregate reduces into the cell fill. Unused by `box`.
   */
  color?: string;
  /** Facet column: one small chart per category (top {@link MAX_FACETS}, the rest as "Other"). */
  facet?: string;
  /** Facet channel; `fx` (default) lays facets out horizontally, `fy` vertically. */
  facetDirection: FacetDirection;
  /** Reducer for `line`, `bar`, `area`, `histogram` (of y) and `heatmap` (of colour). Default `count`. */
  aggregate: ChartAggregate;
  /** Row filters, applied in SQL before anything else. */
  filters: ChartFilter[];
  /** Target number of bins for `histogram` and numeric `heatmap` axes (rounded to nice widths). */
  bins: number;
  /** Time bucket for a temporal x. */
  timeUnit: TimeUnit;
  /** Optional chart title shown above the plot. */
  title?: string;
}

/** Raw-row cap of dot charts: more rows than this are sampled in SQL (reservoir, seed 42). */
export const DOT_SAMPLE_CAP = 5000;
/** Most rows any chart query returns; more groups than this are cut and the chart says so. */
export const MAX_CHART_ROWS = 5000;
/** Most x categories a bar, line, area or box chart shows (the largest by value are kept). */
export const MAX_X_CATEGORIES = 50;
/** Most colour categories; the rest are merged into "Other". */
export const MAX_COLOR_CATEGORIES = 8;
/** Most facets; the rest are merged into "Other". */
export const MAX_FACETS = 6;
/** Most buckets an automatic time unit produces. */
export const MAX_TIME_BUCKETS = 500;
/** Bins of a numeric x in line and area charts when it has more distinct values than this. */
export const LINE_BINS = 200;
/** Heat-map categories per axis. */
export const MAX_HEAT_CATEGORIES = 40;

const ident = z.string().min(1).max(256);

export const chartFilterSchema = z.object({
  column: ident,
  op: z.enum(FILTER_OPS as [FilterOp, ...FilterOp[]]),
  value: z.string().max(10_000).default(''),
});

export const chartSpecSchema = z.object({
  mark: z.enum(CHART_MARKS as [ChartMark, ...ChartMark[]]).default('bar'),
  x: ident.optional(),
  y: ident.optional(),
  color: ident.optional(),
  facet: ident.optional(),
  facetDirection: z.enum(['fx', 'fy']).default('fx'),
  aggregate: z.enum(CHART_AGGREGATES as [ChartAggregate, ...ChartAggregate[]]).default('count'),
  filters: z.array(chartFilterSchema).max(50).default([]),
  bins: z.number().int().min(2).max(200).default(40),
  timeUnit: z.enum(TIME_UNITS as [TimeUnit, ...TimeUnit[]]).default('auto'),
  title: z.string().max(500).optional(),
});

/** A fresh spec: a bar chart of row counts, nothing chosen yet. */
export function defaultChartSpec(): ChartSpec {
  return { mark: 'bar', facetDirection: 'fx', aggregate: 'count', filters: [], bins: 40, timeUnit: 'auto' };
}

/**
 * Validate a stored spec. Empty strings for optional columns mean "not set" (what a form's empty
 * option gives). Throws an Error naming the first bad field.
 */
export function parseChartSpec(value: unknown): ChartSpec {
  const raw = { ...((value ?? {}) as Record<string, unknown>) };
  for (const k of ['x', 'y', 'color', 'facet', 'title'] as const)
    if (raw[k] === '' || raw[k] === null) delete raw[k];
  const r = chartSpecSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`chart cell: ${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  const out: ChartSpec = { ...r.data };
  for (const k of ['x', 'y', 'color', 'facet', 'title'] as const) if (out[k] === undefined) delete out[k];
  return out;
}

/** Which form fields matter for a mark (the view shows only these). */
export function fieldsFor(mark: ChartMark): {
  x: boolean;
  y: boolean;
  color: boolean;
  aggregate: boolean;
  bins: boolean;
  timeUnit: boolean;
} {
  return {
    x: true,
    y: true,
    color: mark !== 'box',
    aggregate:
      mark === 'line' || mark === 'bar' || mark === 'area' || mark === 'histogram' || mark === 'heatmap',
    bins: mark === 'histogram' || mark === 'heatmap',
    timeUnit: mark === 'line' || mark === 'bar' || mark === 'area' || mark === 'heatmap',
  };
}
