/** Small helpers for the chart form: column-type glyphs and defaults when switching marks. */
import type { ChartMark, ChartSpec } from '../../core/chart/spec.ts';
import { type ChartColumn, columnKind } from '../../core/chart/sql.ts';

/** A one-character hint of a column's type, shown before its name in the pickers. */
export function typeGlyph(type: string): string {
  const k = columnKind(type);
  return k === 'integer' || k === 'numeric' ? '#' : k === 'temporal' ? '◷' : k === 'boolean' ? '◑' : 'Aa';
}

const numeric = (c: ChartColumn) => ['integer', 'numeric'].includes(columnKind(c.type));
const temporal = (c: ChartColumn) => columnKind(c.type) === 'temporal';
const text = (c: ChartColumn) => ['text', 'boolean'].includes(columnKind(c.type));

/**
 * The spec after picking `mark`: keeps the columns that still fit and fills the required ones that
 * are missing with a plausible column, so a switch draws something right away.
 */
export function switchMark(spec: ChartSpec, mark: ChartMark, columns: ChartColumn[]): ChartSpec {
  const next: ChartSpec = { ...spec, mark };
  const byName = (n: string | undefined) => columns.find((c) => c.name === n);
  const first = (ok: (c: ChartColumn) => boolean, not?: string) =>
    columns.find((c) => ok(c) && c.name !== not)?.name;
  const x = byName(next.x);
  switch (mark) {
    case 'histogram':
      if (!x || !numeric(x)) next.x = first(numeric);
      break;
    case 'dot':
      if (!x) next.x = first(numeric);
      if (!byName(next.y)) next.y = first(numeric, next.x);
      break;
    case 'line':
    case 'area':
      if (!x) next.x = first(temporal) ?? first(numeric);
      break;
    case 'bar':
      if (!x) next.x = first(text) ?? first(temporal);
      break;
    case 'box': {
      const y = byName(next.y);
      if (!y || !numeric(y)) next.y = first(numeric, next.x);
      if (x && !text(x)) next.x = first(text);
      delete next.color;
      break;
    }
    case 'heatmap':
      if (!x) next.x = first(temporal) ?? first(numeric);
      if (!byName(next.y)) next.y = first(text, next.x) ?? first(numeric, next.x);
      break;
  }
  if (next.x === undefined) delete next.x;
  if (next.y === undefined) delete next.y;
  return next;
}
