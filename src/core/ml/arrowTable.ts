/**
 * Arrow IPC bytes (from the data worker) → `ColumnarTable`, the columnar form the split, the feature
 * pipeline and the families read. Pure TypeScript (apache-arrow only): runs in the training worker,
 * in Node and in tests.
 *
 * Conversions:
 * - ints (incl. 64-bit), floats, decimals → `Float64Array`, null → NaN;
 * - DATE / TIMESTAMP (any unit, with or without zone) → `Float64Array` of epoch milliseconds, null → NaN;
 * - BOOLEAN → `(boolean | null)[]`;
 * - VARCHAR and dictionary-encoded strings → `(string | null)[]`;
 * - anything else (TIME, lists, structs, …) → its string form `(string | null)[]`.
 *
 * `types` gives the DuckDB logical type per column (the data worker's `QueryResult.columns`); columns
 * it does not name get a DuckDB-like name derived from the Arrow type.
 */
import { type DataType, tableFromIPC, Type, util, type Vector } from 'apache-arrow';
import type { ColumnarTable, ColumnValues } from './types.ts';

function duckTypeOf(type: DataType): string {
  switch (type.typeId) {
    case Type.Int: {
      const t = type as DataType & { bitWidth: number; isSigned: boolean };
      const base = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' }[t.bitWidth] ?? 'BIGINT';
      return t.isSigned ? base : `U${base}`;
    }
    case Type.Float:
      return (type as DataType & { precision: number }).precision === 2 ? 'DOUBLE' : 'FLOAT';
    case Type.Decimal: {
      const t = type as DataType & { precision: number; scale: number };
      return `DECIMAL(${t.precision},${t.scale})`;
    }
    case Type.Date:
      return 'DATE';
    case Type.Timestamp:
      return (type as DataType & { timezone?: string | null }).timezone
        ? 'TIMESTAMP WITH TIME ZONE'
        : 'TIMESTAMP';
    case Type.Bool:
      return 'BOOLEAN';
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Dictionary:
      return 'VARCHAR';
    case Type.Time:
      return 'TIME';
    default:
      return String(type);
  }
}

const toNumber = (v: unknown): number => {
  if (v === null || v === undefined) return Number.NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  return Number(v);
};

function numericColumn(vec: Vector, convert: (v: unknown) => number = toNumber): Float64Array {
  const n = vec.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = vec.isValid(i) ? convert(vec.get(i)) : Number.NaN;
  return out;
}

function convertColumn(vec: Vector): ColumnValues {
  const type = vec.type as DataType;
  switch (type.typeId) {
    case Type.Float:
    case Type.Int:
      if (
        vec.nullCount === 0 &&
        !(type.typeId === Type.Int && (type as DataType & { bitWidth: number }).bitWidth === 64)
      ) {
        return Float64Array.from(vec.toArray() as ArrayLike<number>);
      }
      return numericColumn(vec);
    case Type.Decimal: {
      const scale = (type as DataType & { scale: number }).scale;
      return numericColumn(vec, (v) =>
        util.bigNumToNumber(v as Parameters<typeof util.bigNumToNumber>[0], scale),
      );
    }
    case Type.Date:
    case Type.Timestamp:
      return numericColumn(vec);
    case Type.Bool: {
      const out: (boolean | null)[] = new Array(vec.length);
      for (let i = 0; i < vec.length; i++) out[i] = vec.isValid(i) ? Boolean(vec.get(i)) : null;
      return out;
    }
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Dictionary: {
      const out: (string | null)[] = new Array(vec.length);
      for (let i = 0; i < vec.length; i++) {
        const v = vec.get(i);
        out[i] = v === null || v === undefined ? null : String(v);
      }
      return out;
    }
    default: {
      const out: (string | null)[] = new Array(vec.length);
      for (let i = 0; i < vec.length; i++) {
        const v = vec.get(i);
        out[i] =
          v === null || v === undefined
            ? null
            : typeof v === 'object' && 'toJSON' in (v as object)
              ? JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x))
              : String(v);
      }
      return out;
    }
  }
}

/** Decode Arrow IPC (stream or file format) into a `ColumnarTable`. */
export function columnarFromArrow(ipc: Uint8Array, types: Record<string, string> = {}): ColumnarTable {
  const table = tableFromIPC(ipc);
  const columns: Record<string, ColumnValues> = {};
  const outTypes: Record<string, string> = {};
  for (const field of table.schema.fields) {
    const vec = table.getChild(field.name);
    if (!vec) continue;
    columns[field.name] = convertColumn(vec);
    outTypes[field.name] = types[field.name] ?? duckTypeOf(field.type);
  }
  return { rowCount: table.numRows, columns, types: outTypes };
}
