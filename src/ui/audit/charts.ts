/**
 * Observable Plot chart of an audit's measures: top-1 and top-5 accuracy per group (category depth or
 * site), side by side (the counts are in the table next to it). Returns a DOM element (needs `document`).
 */
import * as Plot from '@observablehq/plot';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const ACCENT = '#3b5bdb';
const LIGHT = '#91a7ff';

export interface AccuracyBar {
  group: string;
  n: number;
  top1: number;
  top5: number;
}

export function accuracyChart(bars: readonly AccuracyBar[], title: string): SVGSVGElement | HTMLElement {
  const data = bars.flatMap((b) => [
    { group: b.group, measure: 'top-1', value: b.top1, n: b.n },
    { group: b.group, measure: 'top-5', value: b.top5, n: b.n },
  ]);
  return Plot.plot({
    style: { fontFamily: FONT, fontSize: '11px', background: 'transparent', overflow: 'visible' },
    width: Math.max(220, 70 + bars.length * 64),
    height: 200,
    marginLeft: 40,
    marginBottom: 30,
    fx: { label: title, padding: 0.25 },
    x: { axis: null, domain: ['top-1', 'top-5'] },
    y: { label: 'accuracy', domain: [0, 1], grid: true, tickFormat: '.0%' },
    color: { domain: ['top-1', 'top-5'], range: [ACCENT, LIGHT], legend: true },
    marks: [
      Plot.barY(data, { fx: 'group', x: 'measure', y: 'value', fill: 'measure', tip: true }),
      Plot.ruleY([0]),
    ],
  }) as SVGSVGElement | HTMLElement;
}
