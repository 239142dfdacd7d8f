/**
 * Query rows → Observable Plot. `buildPlotOptions` is pure (no DOM): it picks marks and channels for
 * the rows `chartQuery` (./sql.ts) returned. `renderChart` draws them with the `document` it is given
 * and always returns one standalone `<svg>` (title, legend and plot composed inside it), so the same
 * string can be shown in the page, downloaded, and written by the headless runner.
 */
import * as Plot from '@observablehq/plot';
import type { ChartMode, ChartQuery } from './sql.ts';
import type { ChartSpec } from './spec.ts';

/** One result row, by the fixed column names of ./sql.ts. */
export type ChartRow = Record<string, unknown>;

/** What the chart shows, derived from the query and its rows (for the plot, the note and `meta`). */
export interface ChartInfo extends Omit<ChartQuery, 'sql'> {
  /** Rows after the filters (before sampling or aggregation). */
  totalRows: number;
  /** Rows drawn (points, groups, bins or boxes). */
  rows: number;
  /** Dot charts: the rows are a sample of `totalRows`. */
  sampled: boolean;
  /** More groups than `limit`: the chart shows the first `limit`. */
  truncated: boolean;
  /** When x was cut to its most frequent categories: how many distinct x values there were. */
  xCategories?: number;
  /** Distinct x values drawn (categorical x). */
  shownCategories: number;
  /** The time unit temporal x buckets ended up with. */
  timeUnit?: string;
}

/** Plot width in px; the page scales the SVG down with CSS. */
export const CHART_WIDTH = 900;
const ACCENT = '#4269d0';

/** Trim the sentinel row past `limit` and read the facts the query attached to every row. */
export function chartInfo(
  q: Omit<ChartQuery, 'sql'>,
  rows: ChartRow[],
): { info: ChartInfo; rows: ChartRow[] } {
  const truncated = q.mode !== 'raw-sample' && rows.length > q.limit;
  const kept = truncated ? rows.slice(0, q.limit) : rows;
  const first = kept[0];
  const totalRows = first ? Number(first.__total) : 0;
  const info: ChartInfo = {
    ...q,
    totalRows,
    rows: kept.length,
    sampled: q.mode === 'raw-sample' && totalRows > kept.length,
    truncated,
    shownCategories: new Set(kept.map((r) => r.x)).size,
  };
  if (first && first.__xcats != null) info.xCategories = Number(first.__xcats);
  if (first && typeof first.__unit === 'string') info.timeUnit = first.__unit;
  return { info, rows: kept };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** One sentence on how the rows were reduced, e.g. "Showing a 5,000-row sample of 3,000,000 rows." */
export function chartNote(info: ChartInfo, mode: ChartMode = info.mode): string {
  const parts: string[] = [];
  if (mode === 'raw-sample')
    parts.push(
      info.sampled
        ? `Showing a ${fmt(info.rows)}-row sample of ${fmt(info.totalRows)} rows (reservoir, seed 42).`
        : `All ${fmt(info.rows)} rows.`,
    );
  else if (mode === 'box')
    parts.push(
      `${fmt(info.totalRows)} rows summarised in ${fmt(info.rows)} box${info.rows === 1 ? '' : 'es'}.`,
    );
  else if (mode === 'binned') parts.push(`${fmt(info.totalRows)} rows binned into ${fmt(info.rows)} marks.`);
  else parts.push(`${fmt(info.totalRows)} rows aggregated into ${fmt(info.rows)} groups.`);
  if (info.timeUnit) parts.push(`By ${info.timeUnit}.`);
  if (info.xCategories != null && info.xCategories > info.shownCategories)
    parts.push(`The ${fmt(info.shownCategories)} most frequent of ${fmt(info.xCategories)} x values.`);
  if (info.truncated) parts.push(`Cut at ${fmt(info.limit)} groups: add a filter or a coarser unit.`);
  return parts.join(' ');
}

/**
 * Series by colour need a value at every x for stacking (area) and for honest lines: missing
 * (x, colour, facet) groups get 0 for counts and sums (no rows = 0), NaN for means and medians (no
 * value: Plot breaks the line there).
 */
export function densify(rows: ChartRow[], fillValue: number): ChartRow[] {
  const xs = new Map<number | string, unknown>();
  const colors = new Set<unknown>();
  const facets = new Set<unknown>();
  const have = new Set<string>();
  const key = (x: unknown) => (x instanceof Date ? x.getTime() : (x as number | string));
  for (const r of rows) {
    xs.set(key(r.x), r.x);
    colors.add(r.color);
    facets.add(r.facet);
    have.add(JSON.stringify([key(r.x), r.color, r.facet]));
  }
  if (colors.size <= 1 && facets.size <= 1) return rows;
  const out = [...rows];
  for (const f of facets)
    for (const c of colors)
      for (const [k, x] of xs)
        if (!have.has(JSON.stringify([k, c, f])))
          out.push({ ...rows[0], x, color: c, facet: f, y: fillValue });
  const order = [...xs.keys()];
  const rank = new Map(order.map((k, i) => [k, i]));
  return out.sort((a, b) => rank.get(key(a.x))! - rank.get(key(b.x))!);
}

function facetChannel(spec: ChartSpec): { fx?: string; fy?: string } {
  if (!spec.facet) return {};
  return spec.facetDirection === 'fy' ? { fy: 'facet' } : { fx: 'facet' };
}

/** x domain of categorical bars: by descending total (text), or natural order (numbers). */
function barDomain(rows: ChartRow[]): unknown[] {
  const totals = new Map<unknown, number>();
  for (const r of rows) totals.set(r.x, (totals.get(r.x) ?? 0) + (Number(r.y) || 0));
  const keys = [...totals.keys()];
  if (keys.every((k) => typeof k === 'number')) return keys.sort((a, b) => (a as number) - (b as number));
  return keys.sort((a, b) => totals.get(b)! - totals.get(a)! || String(a).localeCompare(String(b)));
}

/**
 * Plot options for `rows` (already trimmed by `chartInfo`). Pure: no DOM; `renderChart` adds the
 * document. Marks by mark type:
 * dot → dot; line → lineY (+ ruleY at 0); area → areaY (stacked by colour) + lineY; bar → barY over
 * categories, or rectY over time buckets; histogram → rectY over bins; box → ruleX (whiskers) + barY
 * (quartile box) + tickY (median); heatmap → cell, rect, barX or barY depending on which axes are bins.
 */
export function buildPlotOptions(spec: ChartSpec, data: ChartRow[], info: ChartInfo): Plot.PlotOptions {
  let rows = data;
  const facet = facetChannel(spec);
  const nFacets = spec.facet ? new Set(rows.map((r) => r.facet)).size : 1;
  const categorical = info.color === 'categorical';
  const colorCh = info.color !== 'none' ? 'color' : undefined;
  const xLabel = spec.x ?? (spec.mark === 'box' ? null : undefined);
  const marks: Plot.Markish[] = [];
  const opts: Plot.PlotOptions = {
    width: CHART_WIDTH,
    height: spec.facet && spec.facetDirection === 'fy' ? Math.max(360, 140 * nFacets + 60) : 400,
    marginLeft: 64,
    marginBottom: 44,
    marginRight: spec.facet && spec.facetDirection === 'fy' ? 90 : 24,
    grid: true,
    style: { fontSize: '11px', fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
    x: { label: xLabel ?? undefined },
    y: { label: info.valueLabel },
    marks,
  };
  if (spec.facet) {
    if (facet.fx) opts.fx = { label: spec.facet };
    else opts.fy = { label: spec.facet };
  }
  const zero = () => marks.push(Plot.ruleY([0], { stroke: '#9ca3af' }));

  switch (spec.mark) {
    case 'dot': {
      opts.y = { label: spec.y };
      opts.x = { label: spec.x };
      marks.push(
        Plot.dot(rows, {
          x: 'x',
          y: 'y',
          ...(colorCh ? { fill: colorCh } : { fill: ACCENT }),
          r: 2.2,
          fillOpacity: 0.55,
          stroke: 'none',
          ...facet,
        }),
      );
      if (info.color === 'continuous') opts.color = { label: spec.color, scheme: 'viridis' };
      break;
    }
    case 'line': {
      if (colorCh)
        rows = densify(rows, spec.aggregate === 'count' || spec.aggregate === 'sum' ? 0 : Number.NaN);
      if (info.x === 'ordinal') opts.x = { ...(opts.x as object), type: 'point' };
      marks.push(
        Plot.lineY(rows, {
          x: 'x',
          y: 'y',
          ...(colorCh ? { stroke: colorCh, z: colorCh } : { stroke: ACCENT }),
          strokeWidth: 1.6,
          curve: 'linear',
          ...facet,
        }),
      );
      zero();
      break;
    }
    case 'area': {
      if (colorCh) rows = densify(rows, 0);
      if (info.x === 'ordinal') opts.x = { ...(opts.x as object), type: 'point' };
      marks.push(
        Plot.areaY(rows, {
          x: 'x',
          y: 'y',
          ...(colorCh ? { fill: colorCh, z: colorCh } : { fill: ACCENT }),
          fillOpacity: colorCh ? 0.85 : 0.25,
          ...facet,
        }),
      );
      if (!colorCh)
        marks.push(Plot.lineY(rows, { x: 'x', y: 'y', stroke: ACCENT, strokeWidth: 1.5, ...facet }));
      zero();
      break;
    }
    case 'bar': {
      if (info.xInterval) {
        marks.push(
          Plot.rectY(rows, {
            x1: 'x1',
            x2: 'x2',
            y: 'y',
            fill: colorCh ?? ACCENT,
            insetLeft: 0.5,
            insetRight: 0.5,
            ...facet,
          }),
        );
      } else {
        opts.x = {
          ...(opts.x as object),
          type: 'band',
          domain: barDomain(rows),
          tickRotate: rows.length > 12 ? -35 : 0,
        };
        if (rows.length > 12) opts.marginBottom = 64;
        opts.grid = undefined;
        opts.y = { ...(opts.y as object), grid: true };
        marks.push(Plot.barY(rows, { x: 'x', y: 'y', fill: colorCh ?? ACCENT, ...facet }));
      }
      zero();
      break;
    }
    case 'histogram': {
      marks.push(
        Plot.rectY(rows, {
          x1: 'x1',
          x2: 'x2',
          y: 'y',
          fill: colorCh ?? ACCENT,
          insetLeft: 0.5,
          insetRight: 0.5,
          ...facet,
        }),
      );
      zero();
      break;
    }
    case 'box': {
      opts.grid = undefined;
      opts.x = { label: spec.x ?? null, type: 'band', padding: 0.35 };
      opts.y = { label: spec.y, grid: true };
      marks.push(
        Plot.ruleX(rows, { x: 'x', y1: 'lo', y2: 'hi', stroke: '#6b7280', ...facet }),
        Plot.barY(rows, { x: 'x', y1: 'q1', y2: 'q3', fill: '#dbe4ff', stroke: ACCENT, ...facet }),
        Plot.tickY(rows, { x: 'x', y: 'median', stroke: ACCENT, strokeWidth: 2.5, ...facet }),
      );
      break;
    }
    case 'heatmap': {
      opts.grid = undefined;
      opts.x = { label: spec.x };
      opts.y = { label: spec.y };
      opts.color = { label: info.valueLabel, scheme: 'ylgnbu' };
      if (info.x === 'ordinal') opts.marginBottom = 64;
      if (info.y === 'ordinal') opts.marginLeft = 90;
      const base = { fill: 'fill', ...facet };
      if (info.xInterval && info.yInterval)
        marks.push(Plot.rect(rows, { x1: 'x1', x2: 'x2', y1: 'y1', y2: 'y2', ...base }));
      else if (info.xInterval) marks.push(Plot.barX(rows, { x1: 'x1', x2: 'x2', y: 'y', ...base }));
      else if (info.yInterval) marks.push(Plot.barY(rows, { x: 'x', y1: 'y1', y2: 'y2', ...base }));
      else marks.push(Plot.cell(rows, { x: 'x', y: 'y', inset: 0.5, ...base }));
      if (info.x === 'ordinal') opts.x = { ...(opts.x as object), tickRotate: -35 };
      break;
    }
    default: {
      const never: never = spec.mark;
      throw new Error(`Unknown chart mark ${String(never)}`);
    }
  }
  if (categorical)
    opts.color = { ...(opts.color as object), label: spec.color, type: 'ordinal', scheme: 'observable10' };
  return opts;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Draw the chart with `doc` (the page's document, or any DOM implementation) as one `<svg>` with
 * `xmlns`: the title and the colour legend are drawn inside it, above the plot.
 */
export function renderChart(
  spec: ChartSpec,
  rows: ChartRow[],
  info: ChartInfo,
  doc: Document,
): SVGSVGElement {
  const options = buildPlotOptions(spec, rows, info);
  const plot = Plot.plot({ ...options, document: doc }) as unknown as SVGSVGElement & Plot.Plot;
  const plotW = Number(plot.getAttribute('width')) || CHART_WIDTH;
  const plotH = Number(plot.getAttribute('height')) || 400;
  const root = doc.createElementNS(SVG_NS, 'svg') as SVGSVGElement;
  root.setAttribute('xmlns', SVG_NS);
  root.setAttribute('class', 'bt-chart');
  root.setAttribute('font-family', 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif');
  let top = 0;
  const text = (x: number, y: number, s: string, attrs: Record<string, string> = {}) => {
    const t = doc.createElementNS(SVG_NS, 'text');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(y));
    for (const [k, v] of Object.entries(attrs)) t.setAttribute(k, v);
    t.textContent = s;
    root.appendChild(t);
    return t;
  };
  if (spec.title) {
    text(8, 22, spec.title, { 'font-size': '16px', 'font-weight': '600', fill: '#1f2328' });
    top = 34;
  }
  const scale = info.color !== 'none' ? plot.scale('color') : undefined;
  if (scale && info.color === 'categorical' && Array.isArray(scale.domain) && Array.isArray(scale.range)) {
    // Swatches, laid out left to right, wrapping.
    const range = scale.range as string[];
    let x = 8;
    let y = top + 14;
    if (spec.color) {
      text(x, y + 4, spec.color, { 'font-size': '11px', 'font-weight': '600', fill: '#1f2328' });
      x += Math.max(40, spec.color.length * 6.5 + 12);
    }
    scale.domain.forEach((d, i) => {
      const name = String(d);
      const w = 18 + Math.min(name.length, 24) * 6.3 + 14;
      if (x + w > plotW) {
        x = 8;
        y += 18;
      }
      const r = doc.createElementNS(SVG_NS, 'rect');
      for (const [k, v] of Object.entries({
        x: x,
        y: y - 5,
        width: 11,
        height: 11,
        rx: 2,
        fill: range[i % range.length],
      }))
        r.setAttribute(k, String(v));
      root.appendChild(r);
      text(x + 16, y + 4, name.length > 24 ? `${name.slice(0, 23)}…` : name, {
        'font-size': '11px',
        fill: '#374151',
      });
      x += w;
    });
    top = y + 14;
  } else if (scale && info.color === 'continuous' && typeof scale.apply === 'function') {
    // A gradient ramp, drawn here (Plot's own uses a canvas image, which does not survive export).
    const [lo, hi] = Array.from(scale.domain as Iterable<number>);
    const id = `bt-ramp-${Math.random().toString(36).slice(2, 8)}`;
    const defs = doc.createElementNS(SVG_NS, 'defs');
    const grad = doc.createElementNS(SVG_NS, 'linearGradient');
    grad.setAttribute('id', id);
    for (let i = 0; i <= 10; i++) {
      const stop = doc.createElementNS(SVG_NS, 'stop');
      stop.setAttribute('offset', `${i * 10}%`);
      stop.setAttribute('stop-color', String(scale.apply(lo + ((hi - lo) * i) / 10)));
      grad.appendChild(stop);
    }
    defs.appendChild(grad);
    root.appendChild(defs);
    const label = scale.label ?? info.valueLabel;
    text(8, top + 14, label, { 'font-size': '11px', 'font-weight': '600', fill: '#1f2328' });
    const rx = 8 + Math.max(40, label.length * 6.5 + 12);
    const r = doc.createElementNS(SVG_NS, 'rect');
    for (const [k, v] of Object.entries({
      x: rx,
      y: top + 5,
      width: 220,
      height: 11,
      rx: 2,
      fill: `url(#${id})`,
    }))
      r.setAttribute(k, String(v));
    root.appendChild(r);
    const f = (n: number) =>
      Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(+n.toPrecision(3));
    text(rx, top + 28, f(lo), { 'font-size': '10px', fill: '#4b5563' });
    text(rx + 220, top + 28, f(hi), { 'font-size': '10px', fill: '#4b5563', 'text-anchor': 'end' });
    top += 36;
  }
  plot.setAttribute('x', '0');
  plot.setAttribute('y', String(top));
  root.appendChild(plot);
  root.setAttribute('width', String(plotW));
  root.setAttribute('height', String(top + plotH));
  root.setAttribute('viewBox', `0 0 ${plotW} ${top + plotH}`);
  return root;
}

/**
 * The chart as a standalone SVG document string (what the cell stores and the runner writes): XML
 * serialisation where the DOM has it (so `<` in a label is escaped and the file parses as XML), else
 * `outerHTML`; the root always carries `xmlns`.
 */
export function svgString(el: SVGSVGElement): string {
  if (!el.getAttribute('xmlns')) el.setAttribute('xmlns', SVG_NS);
  const Serializer = el.ownerDocument?.defaultView?.XMLSerializer;
  return Serializer ? new Serializer().serializeToString(el) : el.outerHTML;
}
