/**
 * Observable Plot charts of training: the loss curve of one run (train and validation loss per epoch
 * or tree, live while training) and several runs' curves overlaid for comparison. Each builder returns
 * a DOM element (needs `document`); the train cell serialises the loss curve to SVG for the runner.
 */
import * as Plot from '@observablehq/plot';
import type { LossPoint } from '../../core/ml/types.ts';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const base = {
  style: { fontFamily: FONT, fontSize: '11px', background: 'transparent', overflow: 'visible' },
};

interface Row {
  step: number;
  loss: number;
  series: string;
  run?: string;
}

function rowsOf(points: readonly LossPoint[], run?: string): Row[] {
  const rows: Row[] = [];
  for (const p of points) {
    if (Number.isFinite(p.train)) rows.push({ step: p.step, loss: p.train, series: 'train', run });
    if (p.valid !== undefined && Number.isFinite(p.valid))
      rows.push({ step: p.step, loss: p.valid, series: 'validation', run });
  }
  return rows;
}

/** Train (dashed) and validation (solid) loss per step; `total` fixes the x domain while training. */
export function lossChart(
  points: readonly LossPoint[],
  opts: { width?: number; height?: number; total?: number; xLabel?: string } = {},
): SVGSVGElement | HTMLElement {
  const rows = rowsOf(points);
  const maxStep = Math.max(opts.total ?? 0, points.at(-1)?.step ?? 1, 2);
  return Plot.plot({
    ...base,
    width: opts.width ?? 560,
    height: opts.height ?? 220,
    marginLeft: 52,
    marginRight: 84,
    x: { label: opts.xLabel ?? 'step', domain: [points[0]?.step ?? 1, maxStep], grid: false },
    y: { label: 'loss', grid: true, nice: true, zero: false },
    color: { domain: ['train', 'validation'], range: ['#868e96', '#3b5bdb'], legend: false },
    marks: [
      Plot.line(
        rows.filter((r) => r.series === 'train'),
        {
          x: 'step',
          y: 'loss',
          stroke: 'series',
          strokeWidth: 1.5,
          strokeDasharray: '4,3',
          curve: 'monotone-x',
        },
      ),
      Plot.line(
        rows.filter((r) => r.series === 'validation'),
        { x: 'step', y: 'loss', stroke: 'series', strokeWidth: 2, curve: 'monotone-x' },
      ),
      Plot.text(
        rows,
        Plot.selectLast({
          x: 'step',
          y: 'loss',
          z: 'series',
          text: 'series',
          fill: 'series',
          dx: 6,
          textAnchor: 'start',
        }),
      ),
      Plot.dot(
        rows.filter((r) => r.series === 'validation'),
        Plot.selectLast({ x: 'step', y: 'loss', fill: '#3b5bdb', r: 3 }),
      ),
    ],
  }) as SVGSVGElement | HTMLElement;
}

/** Validation loss (train where there is none) of several runs, one colour per run. */
export function overlayLossChart(
  runs: readonly { name: string; points: readonly LossPoint[] }[],
  opts: { width?: number; height?: number; xLabel?: string } = {},
): SVGSVGElement | HTMLElement {
  const rows: Row[] = [];
  for (const r of runs) {
    for (const row of rowsOf(r.points, r.name)) rows.push(row);
  }
  return Plot.plot({
    ...base,
    width: opts.width ?? 620,
    height: opts.height ?? 240,
    marginLeft: 52,
    marginRight: 20,
    x: { label: opts.xLabel ?? 'step (epoch / tree / iteration)', grid: false },
    y: { label: 'loss', grid: true, nice: true, zero: false },
    color: { legend: true, domain: runs.map((r) => r.name), scheme: 'tableau10' },
    marks: [
      Plot.line(
        rows.filter((r) => r.series === 'train'),
        {
          x: 'step',
          y: 'loss',
          z: 'run',
          stroke: 'run',
          strokeWidth: 1.2,
          strokeDasharray: '4,3',
          strokeOpacity: 0.6,
        },
      ),
      Plot.line(
        rows.filter((r) => r.series === 'validation'),
        { x: 'step', y: 'loss', z: 'run', stroke: 'run', strokeWidth: 2 },
      ),
    ],
  }) as SVGSVGElement | HTMLElement;
}

/** SVG markup of a chart element. */
export function chartSvg(el: Element): string {
  const svg = el.tagName.toLowerCase() === 'svg' ? el : el.querySelector('svg');
  if (!svg) return el.outerHTML;
  if (!svg.getAttribute('xmlns')) svg.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  return new XMLSerializer().serializeToString(svg);
}
