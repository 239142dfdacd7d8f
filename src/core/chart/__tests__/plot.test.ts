/** buildPlotOptions: the right Plot marks and channels for each mark type (pure, no DOM). */
import { describe, expect, it } from 'vitest';
import { buildPlotOptions, type ChartRow, chartInfo, chartNote, densify } from '../plot.ts';
import { type ChartSpec, parseChartSpec } from '../spec.ts';
import { type ChartColumn, chartQuery } from '../sql.ts';

const cols: ChartColumn[] = [
  { name: 'date', type: 'DATE' },
  { name: 'weather', type: 'VARCHAR' },
  { name: 'temp', type: 'DOUBLE' },
  { name: 'wind', type: 'DOUBLE' },
];

type MarkLike = {
  ariaLabel?: string;
  channels: Record<string, { value: unknown }>;
  fx?: unknown;
  fy?: unknown;
};

/** A channel's source: the field name, or the label a transform kept. */
const source = (v: unknown) =>
  v && typeof v === 'object' && 'label' in v ? (v as { label: unknown }).label : v;

function marksOf(
  s: Partial<ChartSpec>,
  rows: ChartRow[],
): { label: string; channels: Record<string, unknown> }[] {
  const spec = parseChartSpec(s);
  const { sql, ...shape } = chartQuery(spec, 'w', cols);
  expect(sql).toContain('"w"');
  const { info, rows: kept } = chartInfo(shape, rows);
  const opts = buildPlotOptions(spec, kept, info);
  return (opts.marks as unknown as MarkLike[]).map((m) => ({
    label: String(m.ariaLabel),
    channels: {
      ...Object.fromEntries(Object.entries(m.channels).map(([k, c]) => [k, source(c.value)])),
      ...(m.fx ? { fx: m.fx } : {}),
      ...(m.fy ? { fy: m.fy } : {}),
    },
  }));
}

const base = { __total: 100 };

describe('buildPlotOptions', () => {
  it('dot → dot with x, y and fill by colour', () => {
    const m = marksOf({ mark: 'dot', x: 'temp', y: 'wind', color: 'weather' }, [
      { x: 1, y: 2, color: 'sun', ...base },
    ]);
    expect(m.map((x) => x.label)).toEqual(['dot']);
    expect(m[0].channels).toMatchObject({ x: 'x', y: 'y', fill: 'color' });
  });
  it('line → line (stroke and z by colour) + rule at 0', () => {
    const m = marksOf({ mark: 'line', x: 'date', y: 'temp', aggregate: 'mean', color: 'weather' }, [
      { x: new Date(0), y: 1, color: 'sun', __unit: 'day', ...base },
    ]);
    expect(m.map((x) => x.label)).toEqual(['line', 'rule']);
    expect(m[0].channels).toMatchObject({ x: 'x', y: 'y', stroke: 'color', z: 'color' });
  });
  it('area → stacked area', () => {
    const m = marksOf({ mark: 'area', x: 'date', color: 'weather' }, [
      { x: new Date(0), y: 3, color: 'a', ...base },
    ]);
    expect(m[0].label).toBe('area');
    expect(m[0].channels).toMatchObject({ x1: 'x', fill: 'color', z: 'color' });
    expect(m[0].channels.y1).toBeDefined(); // stacked
  });
  it('bar over categories → barY; over dates → rectY on bucket intervals', () => {
    const cat = marksOf({ mark: 'bar', x: 'weather' }, [{ x: 'sun', y: 3, __xcats: 1, ...base }]);
    expect(cat.map((x) => x.label)).toEqual(['bar', 'rule']);
    expect(cat[0].channels).toMatchObject({ x: 'x' });
    const time = marksOf({ mark: 'bar', x: 'date' }, [{ x1: new Date(0), x2: new Date(1), y: 3, ...base }]);
    expect(time[0].label).toBe('rect');
    expect(time[0].channels).toMatchObject({ x1: 'x1', x2: 'x2' });
  });
  it('histogram → rectY over bins', () => {
    const m = marksOf({ mark: 'histogram', x: 'temp', facet: 'weather', facetDirection: 'fy' }, [
      { x1: 0, x2: 5, y: 4, facet: 'sun', ...base },
    ]);
    expect(m[0].label).toBe('rect');
    expect(m[0].channels).toMatchObject({ x1: 'x1', x2: 'x2', fy: 'facet' });
  });
  it('box → whisker rule, quartile bar, median tick', () => {
    const m = marksOf({ mark: 'box', x: 'weather', y: 'temp' }, [
      { x: 'sun', q1: 1, median: 2, q3: 3, lo: 0, hi: 5, n: 10, outliers: 0, ...base },
    ]);
    expect(m.map((x) => x.label)).toEqual(['rule', 'bar', 'tick']);
    expect(m[0].channels).toMatchObject({ x: 'x', y1: 'lo', y2: 'hi' });
    expect(m[1].channels).toMatchObject({ x: 'x', y1: 'q1', y2: 'q3' });
    expect(m[2].channels).toMatchObject({ x: 'x', y: 'median' });
  });
  it('heatmap → cell (both categorical) or rect (both binned) filled by the aggregate', () => {
    const cell = marksOf({ mark: 'heatmap', x: 'weather', y: 'weather' }, [
      { x: 'a', y: 'b', fill: 2, ...base },
    ]);
    expect(cell[0].label).toBe('cell');
    expect(cell[0].channels).toMatchObject({ x: 'x', y: 'y', fill: 'fill' });
    const rect = marksOf({ mark: 'heatmap', x: 'temp', y: 'wind', color: 'wind', aggregate: 'mean' }, [
      { x1: 0, x2: 1, y1: 0, y2: 1, fill: 2, ...base },
    ]);
    expect(rect[0].label).toBe('rect');
    expect(rect[0].channels).toMatchObject({ x1: 'x1', x2: 'x2', y1: 'y1', y2: 'y2', fill: 'fill' });
    const mixed = marksOf({ mark: 'heatmap', x: 'date', y: 'weather' }, [
      { x1: new Date(0), x2: new Date(1), y: 'sun', fill: 2, ...base },
    ]);
    expect(mixed[0].label).toBe('bar'); // barX over time buckets, y categories
    expect(mixed[0].channels).toMatchObject({ x1: 'x1', x2: 'x2', y: 'y' });
  });
  it('says when a dot chart is a sample, and trims the sentinel row of a cut query', () => {
    const { sql, ...shape } = chartQuery(parseChartSpec({ mark: 'dot', x: 'temp', y: 'wind' }), 'w', cols);
    expect(sql).toContain('USING SAMPLE reservoir(5000 ROWS) REPEATABLE (42)');
    const rows = Array.from({ length: 5000 }, (_, i) => ({ x: i, y: i, __total: 3_000_000 }));
    const { info } = chartInfo(shape, rows);
    expect(info.sampled).toBe(true);
    expect(chartNote(info)).toBe('Showing a 5,000-row sample of 3,000,000 rows (reservoir, seed 42).');
    const agg = chartQuery(parseChartSpec({ mark: 'line', x: 'temp' }), 'w', cols);
    const many = Array.from({ length: agg.limit + 1 }, (_, i) => ({ x: i, y: 1, __total: 9 }));
    const cut = chartInfo(agg, many);
    expect(cut.rows.length).toBe(agg.limit);
    expect(cut.info.truncated).toBe(true);
  });
  it('densify fills missing series points (0 for counts, NaN for means)', () => {
    const rows = [
      { x: 1, color: 'a', y: 1 },
      { x: 2, color: 'b', y: 2 },
    ];
    const d = densify(rows, 0);
    expect(d.length).toBe(4);
    expect(d.filter((r) => r.y === 0).map((r) => [r.x, r.color])).toEqual([
      [1, 'b'],
      [2, 'a'],
    ]);
    expect(densify(rows, Number.NaN).filter((r) => Number.isNaN(r.y)).length).toBe(2);
  });
});
