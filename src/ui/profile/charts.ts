/**
 * Observable Plot charts of a profile: column sparklines, feature strength, target rate per bin with
 * its 95 % band, correlation heat map. Each builder returns a DOM element (needs `document`); the
 * profile cell serialises them to SVG strings for the headless runner, the view mounts them.
 */
import * as Plot from '@observablehq/plot';
import type {
  ColumnProfile,
  Correlations,
  FeatureTarget,
  Profile,
  TargetProfile,
} from '../../core/profile/types.ts';

const ACCENT = '#3b5bdb';
const ACCENT_SOFT = '#bac8ff';
const MUTED = '#6b7280';
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const base = {
  style: { fontFamily: FONT, fontSize: '11px', background: 'transparent', overflow: 'visible' },
};

const short = (s: string, n = 14) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const fmt = (x: number) =>
  Math.abs(x) >= 1e6 || (Math.abs(x) < 1e-3 && x !== 0)
    ? x.toExponential(2)
    : Number(x.toPrecision(4)).toLocaleString('en-US');

/** A 160×40 sparkline: histogram (numeric, datetime) or top-value bars (everything else). */
export function sparkline(c: ColumnProfile, w = 170, h = 40): Element | null {
  const time = c.semantic === 'datetime';
  if (c.histogram && c.histogram.length > 0) {
    const data = c.histogram.map((b) => ({
      ...b,
      x0: time ? new Date(b.x0) : b.x0,
      x1: time ? new Date(b.x1) : b.x1,
    }));
    return Plot.plot({
      ...base,
      width: w,
      height: h,
      margin: 1,
      marginBottom: 2,
      x: { axis: null, ...(time ? { type: 'utc' as const } : {}) },
      y: { axis: null },
      marks: [
        Plot.rectY(data, {
          x1: 'x0',
          x2: 'x1',
          y: 'count',
          fill: ACCENT,
          fillOpacity: 0.75,
          inset: 0.5,
          title: (d: { x0: number | Date; x1: number | Date; count: number }) =>
            `${time ? (d.x0 as Date).toISOString().slice(0, 10) : fmt(d.x0 as number)} – ${time ? (d.x1 as Date).toISOString().slice(0, 10) : fmt(d.x1 as number)}: ${d.count.toLocaleString('en-US')}`,
        }),
        Plot.ruleY([0], { stroke: '#cfd3d8' }),
      ],
    });
  }
  const top = c.topValues.slice(0, 4);
  if (top.length === 0) return null;
  const total = Math.max(1, c.present);
  const data = top.map((t) => ({ value: short(t.value, 16), share: t.count / total, count: t.count }));
  return Plot.plot({
    ...base,
    width: w,
    height: Math.max(h, top.length * 11 + 4),
    margin: 0,
    marginTop: 2,
    x: { axis: null, domain: [0, 1] },
    y: { axis: null, domain: data.map((d) => d.value), padding: 0.12 },
    marks: [
      Plot.barX(data, { x: 1, y: 'value', fill: '#eef0f3' }),
      Plot.barX(data, {
        x: 'share',
        y: 'value',
        fill: ACCENT_SOFT,
        title: (d: { value: string; count: number; share: number }) =>
          `${d.value}: ${d.count.toLocaleString('en-US')} (${(d.share * 100).toFixed(1)} %)`,
      }),
      Plot.text(data, {
        x: 0,
        y: 'value',
        text: 'value',
        textAnchor: 'start',
        dx: 3,
        fill: '#1f2328',
        fontSize: 9.5,
      }),
      Plot.text(data, {
        x: 1,
        y: 'value',
        text: (d: { share: number }) => `${(d.share * 100).toFixed(0)}%`,
        textAnchor: 'end',
        dx: -3,
        fill: MUTED,
        fontSize: 9.5,
      }),
    ],
  });
}

const metricName = (t: TargetProfile) =>
  t.task === 'binary'
    ? 'univariate ROC-AUC'
    : t.task === 'regression'
      ? 'correlation ratio η²'
      : "Theil's U (mutual information / H(target))";

/** Features ranked by univariate strength (horizontal bars). */
export function strengthChart(t: TargetProfile, w = 420): Element {
  const data = t.features
    .slice(0, 25)
    .map((f) => ({ column: short(f.column, 22), strength: f.strength, full: f.column }));
  const auc = t.task === 'binary';
  return Plot.plot({
    ...base,
    width: w,
    height: Math.max(60, data.length * 20 + 34),
    marginLeft: 150,
    marginRight: 40,
    x: { domain: auc ? [0.5, 1] : [0, 1], label: metricName(t), grid: true },
    y: { domain: data.map((d) => d.column), label: null },
    marks: [
      Plot.barX(data, {
        x1: auc ? 0.5 : 0,
        x2: 'strength',
        y: 'column',
        fill: (d: { strength: number }) => (d.strength >= 0.98 ? '#c92a2a' : ACCENT),
        fillOpacity: 0.8,
        title: (d: { full: string; strength: number }) => `${d.full}: ${d.strength.toFixed(3)}`,
      }),
      Plot.text(data, {
        x: 'strength',
        y: 'column',
        text: (d: { strength: number }) => d.strength.toFixed(3),
        textAnchor: 'start',
        dx: 4,
        fill: MUTED,
      }),
    ],
  });
}

/** Target rate (classification) or mean (regression) per bin of one feature, with its 95 % band and counts. */
export function rateChart(f: FeatureTarget, t: TargetProfile, w = 560): Element {
  const rate = t.task !== 'regression';
  const data = f.bins.map((b, i) => ({ ...b, key: `${i}\u200b${short(b.label, 18)}` }));
  const overall = rate
    ? (t.classes?.find((c) => c.value === t.focus)?.count ?? 0) / Math.max(1, t.rows)
    : (t.mean ?? 0);
  const many = data.length > 8;
  const yLabel = rate ? `share ${t.column} = ${t.focus}` : `mean ${t.column}`;
  return Plot.plot({
    ...base,
    width: w,
    height: 240,
    marginBottom: many ? 70 : 36,
    marginLeft: 50,
    x: {
      domain: data.map((d) => d.key),
      tickFormat: (k: string) => k.split('\u200b')[1],
      tickRotate: many ? -35 : 0,
      label: f.column,
    },
    y: {
      label: yLabel,
      grid: true,
      ...(rate ? { percent: true, zero: true } : {}),
    },
    marks: [
      Plot.ruleY([overall], { stroke: MUTED, strokeDasharray: '4 3' }),
      Plot.barY(data, { x: 'key', y1: 'lo', y2: 'hi', fill: ACCENT_SOFT, fillOpacity: 0.6, inset: 6 }),
      Plot.lineY(
        data.filter((d) => d.label !== 'missing' && !d.label.startsWith('other')),
        { x: 'key', y: 'value', stroke: ACCENT, strokeOpacity: 0.5 },
      ),
      Plot.dot(data, {
        x: 'key',
        y: 'value',
        fill: ACCENT,
        r: 3.5,
        title: (d: (typeof data)[number]) =>
          `${d.label}\n${rate ? `${(d.value * 100).toFixed(1)} %` : fmt(d.value)} (95 % ${rate ? `${(d.lo * 100).toFixed(1)}–${(d.hi * 100).toFixed(1)} %` : `${fmt(d.lo)}–${fmt(d.hi)}`})\n${d.count.toLocaleString('en-US')} rows`,
      }),
    ],
  });
}

/** Pearson correlation heat map of the numeric columns. */
export function correlationChart(c: Correlations, w = 460): Element {
  const names = c.columns.map((n) => short(n, 18));
  const data = c.matrix.flatMap((row, i) => row.map((r, j) => ({ a: names[i], b: names[j], r })));
  const size = Math.max(22, Math.min(44, Math.floor((w - 130) / Math.max(1, names.length))));
  return Plot.plot({
    ...base,
    width: 130 + size * names.length + 10,
    height: 30 + size * names.length + 90,
    marginLeft: 130,
    marginBottom: 90,
    marginTop: 10,
    x: { domain: names, tickRotate: -40, label: null },
    y: { domain: names, label: null },
    color: { type: 'linear', scheme: 'RdBu', domain: [-1, 1], reverse: false },
    marks: [
      Plot.cell(data, {
        x: 'a',
        y: 'b',
        fill: (d: { r: number | null }) => d.r ?? Number.NaN,
        inset: 0.5,
        title: (d: { a: string; b: string; r: number | null }) =>
          `${d.a} × ${d.b}: ${d.r === null ? 'undefined' : d.r.toFixed(3)}`,
      }),
      ...(names.length <= 12
        ? [
            Plot.text(data, {
              x: 'a',
              y: 'b',
              text: (d: { r: number | null }) => (d.r === null ? '' : d.r.toFixed(2)),
              fill: (d: { r: number | null }) => (Math.abs(d.r ?? 0) > 0.6 ? 'white' : '#1f2328'),
              fontSize: 9.5,
            }),
          ]
        : []),
    ],
  });
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An element as a standalone SVG string (the first `svg` inside a Plot figure). */
export function toSvg(el: Element): string {
  const svg = el.tagName.toLowerCase() === 'svg' ? el : el.querySelector('svg');
  if (!svg) return '';
  if (!svg.getAttribute('xmlns')) svg.setAttribute('xmlns', SVG_NS);
  return new XMLSerializer().serializeToString(svg);
}

const fileSafe = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .slice(0, 40) || 'col';

/** Every chart of a profile as named SVG strings (histograms, strength, top rate charts, correlations). */
export function profileCharts(p: Profile): { name: string; svg: string }[] {
  const out: { name: string; svg: string }[] = [];
  for (const c of p.columns) {
    const el = sparkline(c, 320, 80);
    if (el) out.push({ name: `dist-${fileSafe(c.name)}`, svg: toSvg(el) });
  }
  if (p.target?.features.length) {
    out.push({ name: 'strength', svg: toSvg(strengthChart(p.target, 560)) });
    for (const f of p.target.features.slice(0, 3))
      out.push({ name: `target-${fileSafe(f.column)}`, svg: toSvg(rateChart(f, p.target)) });
  }
  if (p.correlations && p.correlations.columns.length >= 2)
    out.push({ name: 'correlation', svg: toSvg(correlationChart(p.correlations)) });
  return out;
}
