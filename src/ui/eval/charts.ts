/**
 * Observable Plot charts of an evaluation: ROC and precision–recall curves (with the current
 * threshold's point), the reliability diagram, cumulative gains, expected value by threshold, global
 * SHAP bars, one row's contributions, permutation importance, predicted vs actual (regression).
 * Each returns a DOM element (needs `document`).
 */
import * as Plot from '@observablehq/plot';
import type { CalibrationBin, GainsPoint } from '../../core/eval/metrics.ts';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const base = {
  style: { fontFamily: FONT, fontSize: '11px', background: 'transparent', overflow: 'visible' },
};
const ACCENT = '#3b5bdb';
const GREY = '#adb5bd';
const W = 300;
const H = 240;

type El = SVGSVGElement | HTMLElement;

export function rocChart(
  roc: { fpr: number; tpr: number }[],
  at: { fpr: number; tpr: number } | undefined,
  auc: number | null,
): El {
  return Plot.plot({
    ...base,
    width: W,
    height: H,
    marginLeft: 40,
    x: { label: 'false positive rate', domain: [0, 1] },
    y: { label: 'true positive rate', domain: [0, 1], grid: true },
    marks: [
      Plot.line(
        [
          [0, 0],
          [1, 1],
        ],
        { stroke: GREY, strokeDasharray: '3,3' },
      ),
      Plot.line(roc, { x: 'fpr', y: 'tpr', stroke: ACCENT, strokeWidth: 2 }),
      ...(at ? [Plot.dot([at], { x: 'fpr', y: 'tpr', r: 4.5, fill: '#e8590c', stroke: 'white' })] : []),
      Plot.text([`AUC ${auc === null ? '—' : auc.toFixed(3)}`], {
        frameAnchor: 'bottom-right',
        dx: -6,
        dy: -6,
        fontSize: 12,
        fontWeight: 600,
      }),
    ],
  }) as El;
}

export function prChart(
  pr: { recall: number; precision: number }[],
  at: { recall: number; precision: number } | undefined,
  prevalence: number,
  ap: number | null,
): El {
  return Plot.plot({
    ...base,
    width: W,
    height: H,
    marginLeft: 40,
    x: { label: 'recall', domain: [0, 1] },
    y: { label: 'precision', domain: [0, 1], grid: true },
    marks: [
      Plot.ruleY([prevalence], { stroke: GREY, strokeDasharray: '3,3' }),
      Plot.line(pr, { x: 'recall', y: 'precision', stroke: ACCENT, strokeWidth: 2, curve: 'step-before' }),
      ...(at
        ? [Plot.dot([at], { x: 'recall', y: 'precision', r: 4.5, fill: '#e8590c', stroke: 'white' })]
        : []),
      Plot.text([`AP ${ap === null ? '—' : ap.toFixed(3)}`], {
        frameAnchor: 'top-right',
        dx: -6,
        dy: 6,
        fontSize: 12,
        fontWeight: 600,
      }),
    ],
  }) as El;
}

export function calibrationChart(bins: CalibrationBin[], ece: number | null): El {
  return Plot.plot({
    ...base,
    width: W,
    height: H,
    marginLeft: 40,
    x: { label: 'mean predicted probability', domain: [0, 1] },
    y: { label: 'observed share positive', domain: [0, 1], grid: true },
    r: { range: [2.5, 9] },
    marks: [
      Plot.line(
        [
          [0, 0],
          [1, 1],
        ],
        { stroke: GREY, strokeDasharray: '3,3' },
      ),
      Plot.line(bins, { x: 'predicted', y: 'observed', stroke: ACCENT, strokeWidth: 1.5 }),
      Plot.dot(bins, {
        x: 'predicted',
        y: 'observed',
        r: 'count',
        fill: ACCENT,
        fillOpacity: 0.8,
        stroke: 'white',
        title: (b: CalibrationBin) =>
          `(${b.lo.toFixed(1)}, ${b.hi.toFixed(1)}]: ${b.count} rows, predicted ${b.predicted.toFixed(3)}, observed ${b.observed.toFixed(3)}`,
      }),
      Plot.text([`ECE ${ece === null ? '—' : ece.toFixed(3)}`], {
        frameAnchor: 'top-left',
        dx: 6,
        dy: 6,
        fontSize: 12,
        fontWeight: 600,
      }),
    ],
  }) as El;
}

export function gainsChart(points: GainsPoint[], atFraction: number | undefined): El {
  const lift = points.filter((p) => p.fraction > 0);
  return Plot.plot({
    ...base,
    width: W,
    height: H,
    marginLeft: 40,
    marginRight: 36,
    x: { label: 'share of rows targeted (highest P first)', domain: [0, 1], tickFormat: '%' },
    y: { label: 'share of positives captured', domain: [0, 1], grid: true, tickFormat: '%' },
    marks: [
      Plot.line(
        [
          [0, 0],
          [1, 1],
        ],
        { stroke: GREY, strokeDasharray: '3,3' },
      ),
      Plot.line(points, { x: 'fraction', y: 'gain', stroke: ACCENT, strokeWidth: 2 }),
      ...(atFraction !== undefined
        ? [Plot.ruleX([atFraction], { stroke: '#e8590c', strokeDasharray: '2,2' })]
        : []),
      Plot.text(
        lift.filter((_, i) => i === Math.floor(lift.length / 10)),
        {
          x: 'fraction',
          y: 'gain',
          text: (p: GainsPoint) => `lift ${p.lift.toFixed(1)}×`,
          dx: 6,
          dy: 10,
          textAnchor: 'start',
          fill: '#495057',
        },
      ),
    ],
  }) as El;
}

export function valueChart(
  curve: { threshold: number; value: number }[],
  threshold: number,
  best: number | null,
): El {
  return Plot.plot({
    ...base,
    width: 420,
    height: 170,
    marginLeft: 56,
    x: { label: 'threshold', domain: [0, 1] },
    y: { label: 'value / 1,000 cases', grid: true },
    marks: [
      Plot.ruleY([0], { stroke: GREY }),
      Plot.line(curve, { x: 'threshold', y: 'value', stroke: '#2f9e44', strokeWidth: 2 }),
      ...(best !== null ? [Plot.ruleX([best], { stroke: '#2f9e44', strokeDasharray: '3,3' })] : []),
      Plot.ruleX([threshold], { stroke: '#e8590c', strokeWidth: 1.5 }),
    ],
  }) as El;
}

export function barsChart(
  rows: { label: string; value: number; lo?: number; hi?: number }[],
  opts: { xLabel: string; signed?: boolean; width?: number } = { xLabel: '' },
): El {
  const height = 28 + rows.length * 22;
  return Plot.plot({
    ...base,
    width: opts.width ?? 420,
    height: Math.max(90, height),
    marginLeft: 130,
    marginRight: 20,
    x: { label: opts.xLabel, grid: true },
    y: { label: null, domain: rows.map((r) => r.label) },
    marks: [
      Plot.barX(rows, {
        x: 'value',
        y: 'label',
        fill: opts.signed ? (r: { value: number }) => (r.value >= 0 ? '#e8590c' : ACCENT) : ACCENT,
        fillOpacity: 0.85,
      }),
      ...(rows.some((r) => r.lo !== undefined)
        ? [
            Plot.ruleY(
              rows.filter((r) => r.lo !== undefined),
              { x1: 'lo', x2: 'hi', y: 'label', stroke: '#212529' },
            ),
          ]
        : []),
      Plot.ruleX([0], { stroke: '#495057' }),
    ],
  }) as El;
}

export function scatterChart(points: { actual: number; predicted: number }[]): El {
  const all = points.flatMap((p) => [p.actual, p.predicted]);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  return Plot.plot({
    ...base,
    width: 340,
    height: 280,
    marginLeft: 48,
    x: { label: 'actual', domain: [lo, hi] },
    y: { label: 'predicted', domain: [lo, hi], grid: true },
    marks: [
      Plot.line(
        [
          [lo, lo],
          [hi, hi],
        ],
        { stroke: GREY, strokeDasharray: '3,3' },
      ),
      Plot.dot(points, { x: 'actual', y: 'predicted', r: 2, fill: ACCENT, fillOpacity: 0.35 }),
    ],
  }) as El;
}

/** Residuals (actual − predicted) against the prediction: a funnel or a curve means the errors are not noise. */
export function residualChart(points: { actual: number; predicted: number }[]): El {
  const rows = points.map((p) => ({ predicted: p.predicted, residual: p.actual - p.predicted }));
  return Plot.plot({
    ...base,
    width: 340,
    height: 280,
    marginLeft: 48,
    x: { label: 'predicted' },
    y: { label: 'actual − predicted', grid: true },
    marks: [
      Plot.ruleY([0], { stroke: GREY, strokeDasharray: '3,3' }),
      Plot.dot(rows, { x: 'predicted', y: 'residual', r: 2, fill: ACCENT, fillOpacity: 0.35 }),
    ],
  }) as El;
}
