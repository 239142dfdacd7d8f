/**
 * Chart cell: a form-built Observable Plot chart of one table. The config is a declarative
 * `ChartSpec` (src/core/chart/spec.ts) plus `input`, the table it reads. Running it aggregates, bins
 * or samples in DuckDB (`chartQuery`), so only a few thousand rows reach the page, then draws them with
 * Plot; the result carries the chart as SVG (`charts: [{ name: 'chart', svg }]`), which the view shows
 * and the headless runner writes as a file.
 */
import type { CellKindDef } from '../core/cells/types.ts';
import type { ChartRow } from '../core/chart/plot.ts';
import { type ChartSpec, defaultChartSpec, parseChartSpec } from '../core/chart/spec.ts';
import { chartQuery } from '../core/chart/sql.ts';
import { arrowToRows } from '../ui/components/arrowRows.ts';

export interface ChartConfig extends ChartSpec, Record<string, unknown> {
  /** The table to chart (an output of another cell). */
  input: string;
}

export const chartCell: CellKindDef<ChartConfig> = {
  kind: 'chart',
  title: 'Chart',
  description: 'Plot a table: bars, lines, dots, histograms, box plots, heat maps — no code',
  create: (names) => ({ ...defaultChartSpec(), input: [...names].at(-1) ?? '' }),
  parse(config) {
    const c = config as Partial<ChartConfig> | null;
    if (!c || typeof c.input !== 'string') throw new Error('chart cell: "input" must be a table name');
    return { ...parseChartSpec(c), input: c.input };
  },
  outputs: () => [],
  inputs: (c) => (c.input ? [c.input] : []),
  async run(config, ctx) {
    if (!config.input) throw new Error('Choose a table to chart');
    const { input, ...spec } = config;
    const table = await ctx.data.describe(input);
    const q = chartQuery(spec, input, table.columns);
    const res = await ctx.data.query(q.sql, ctx.cellId);
    const { columns, rows: raw } = arrowToRows(res.arrow);
    const objects: ChartRow[] = raw.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    const { sql, ...shape } = q;
    // Observable Plot loads with the first chart, not with the app (keeps the first paint small).
    const { chartInfo, chartNote, renderChart, svgString } = await import('../core/chart/plot.ts');
    const { info, rows } = chartInfo(shape, objects);
    if (rows.length === 0)
      throw new Error('Nothing to draw: no rows have values for the chosen columns (check the filters)');
    const el = renderChart(spec, rows, info, document);
    return {
      charts: [{ name: 'chart', svg: svgString(el) }],
      meta: {
        mode: info.mode,
        rows: info.rows,
        totalRows: info.totalRows,
        sampled: info.sampled,
        ...(info.cap ? { cap: info.cap } : {}),
        truncated: info.truncated,
        ...(info.timeUnit ? { timeUnit: info.timeUnit } : {}),
        note: chartNote(info),
        sql,
        ms: Math.round(res.ms),
      },
    };
  },
};
