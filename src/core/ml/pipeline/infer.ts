/** Guessing the semantic kind of each column from its DuckDB type and, for strings, its values. */
import { familyOf } from '../../profile/sql.ts';
import type { ColumnarTable } from '../types.ts';
import type { PipelineColumn, SemanticKind } from './types.ts';

/** Rows looked at per string column. */
const SAMPLE = 5000;

/** Why a kind was chosen (for the UI), keyed by column. */
export interface InferredColumn extends PipelineColumn {
  reason: string;
}

function stringKind(values: ArrayLike<unknown>, n: number): { kind: SemanticKind; reason: string } {
  const step = Math.max(1, Math.floor(n / SAMPLE));
  const distinct = new Set<string>();
  let count = 0;
  let chars = 0;
  let tokens = 0;
  for (let i = 0; i < n; i += step) {
    const v = values[i];
    if (typeof v !== 'string') continue;
    count++;
    chars += v.length;
    tokens += v.split(/\s+/).filter(Boolean).length;
    distinct.add(v);
  }
  if (count === 0) return { kind: 'categorical', reason: 'no values' };
  const avgLen = chars / count;
  const avgTokens = tokens / count;
  const lowCardinality = distinct.size <= 20 || distinct.size <= 0.05 * count;
  if (!lowCardinality && (avgLen > 30 || avgTokens >= 5)) {
    return {
      kind: 'text',
      reason: `long values (${avgLen.toFixed(0)} chars, ${avgTokens.toFixed(1)} words on average)`,
    };
  }
  return { kind: 'categorical', reason: `${distinct.size}${step > 1 ? '+' : ''} distinct values` };
}

/**
 * Guesses a kind per column: numbers → numeric, BOOLEAN → boolean, DATE/TIMESTAMP → datetime; VARCHAR →
 * text when its values are long (avg > 30 chars) or wordy (≥ 5 words) and not low-cardinality, else
 * categorical. Columns of other types (lists, structs, blobs, time of day) and `exclude` (the target!)
 * are left out.
 */
export function inferKinds(
  table: ColumnarTable,
  opts: { exclude?: readonly string[] } = {},
): InferredColumn[] {
  const exclude = new Set(opts.exclude ?? []);
  const out: InferredColumn[] = [];
  for (const [name, values] of Object.entries(table.columns)) {
    if (exclude.has(name)) continue;
    const type = table.types[name] ?? '';
    const family = familyOf(type);
    switch (family) {
      case 'float':
      case 'integer':
      case 'decimal':
        out.push({ name, kind: 'numeric', reason: type });
        break;
      case 'boolean':
        out.push({ name, kind: 'boolean', reason: type });
        break;
      case 'datetime':
      case 'datetimetz':
        out.push({ name, kind: 'datetime', reason: type });
        break;
      case 'string':
        out.push({ name, ...stringKind(values, table.rowCount) });
        break;
      default:
        // Unknown type: judge by the values (strings as above, numbers numeric).
        if (type === '') {
          const first = Array.prototype.find.call(values, (v: unknown) => v !== null && v !== undefined);
          if (typeof first === 'string') out.push({ name, ...stringKind(values, table.rowCount) });
          else if (typeof first === 'number') out.push({ name, kind: 'numeric', reason: 'numbers' });
          else if (typeof first === 'boolean') out.push({ name, kind: 'boolean', reason: 'booleans' });
        }
    }
  }
  return out;
}
