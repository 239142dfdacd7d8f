/**
 * Arrow IPC → plain JS rows, and the adapter from the data worker's `page()` to a `TablePager`.
 *
 * Value conversions (per Arrow type), chosen so that rows are cheap to format and compare:
 * - Int64/UInt64 (DuckDB BIGINT, UBIGINT, HUGEINT arrives as Decimal or Int64): `number` when the
 *   value is a safe integer (|v| ≤ 2^53−1), otherwise `bigint`, so no value is silently rounded.
 *   Consumers must therefore accept `number | bigint` in integer columns (cellFormat does).
 * - Other ints and floats: `number`.
 * - Decimal: `number` (scaled; may lose digits beyond ~15 significant ones).
 * - Date (DATE) and Timestamp (TIMESTAMP, TIMESTAMP_S/MS/NS, TIMESTAMPTZ): `Date` (UTC instant;
 *   sub-millisecond precision is dropped).
 * - Time (TIME): string `HH:MM:SS[.ffffff]`.
 * - Utf8 / dictionary-encoded strings: `string`. Bool: `boolean`. Binary: `Uint8Array`.
 * - List / FixedSizeList: arrays; Struct: plain objects; Map: plain objects keyed by String(key),
 *   each recursively converted. Intervals and anything else: `toJSON()` where available, else String.
 * - Nulls: `null`.
 */
import { type DataType, tableFromIPC, Type, util, type Vector } from 'apache-arrow';
import type { DataApi, TableInfo } from '../../../workers/data.api.ts';
import type { Row, TablePager } from './tablePager.ts';

type Convert = (v: unknown) => unknown;

const identity: Convert = (v) => v;

function int64(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  return v;
}

function timeString(v: unknown, unit: number): string {
  // unit: 0 s, 1 ms, 2 µs, 3 ns (arrow TimeUnit)
  const perSecond = [1n, 1_000n, 1_000_000n, 1_000_000_000n][unit] ?? 1n;
  const raw = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
  const secs = raw / perSecond;
  const frac = raw % perSecond;
  const h = secs / 3600n;
  const m = (secs / 60n) % 60n;
  const s = secs % 60n;
  const p = (n: bigint) => n.toString().padStart(2, '0');
  const base = `${p(h)}:${p(m)}:${p(s)}`;
  if (frac === 0n) return base;
  const digits = perSecond.toString().length - 1;
  return `${base}.${frac.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

function converterFor(type: DataType): Convert {
  switch (type.typeId) {
    case Type.Int: {
      const t = type as DataType & { bitWidth: number };
      return t.bitWidth === 64 ? int64 : identity;
    }
    case Type.Decimal: {
      const scale = (type as DataType & { scale: number }).scale;
      return (v) =>
        v == null ? v : util.bigNumToNumber(v as Parameters<typeof util.bigNumToNumber>[0], scale);
    }
    case Type.Date:
    case Type.Timestamp:
      return (v) => (v == null ? v : v instanceof Date ? v : new Date(Number(v)));
    case Type.Time: {
      const unit = (type as DataType & { unit: number }).unit;
      return (v) => (v == null ? v : timeString(v, unit));
    }
    case Type.Duration:
      return int64;
    case Type.List:
    case Type.FixedSizeList: {
      const child = type.children?.[0]?.type;
      const c = child ? converterFor(child) : identity;
      return (v) => (v == null ? v : Array.from(v as Iterable<unknown>, (x) => (x == null ? null : c(x))));
    }
    case Type.Struct: {
      const fields = (type.children ?? []).map((f) => ({ name: f.name, c: converterFor(f.type) }));
      return (v) => {
        if (v == null) return v;
        const row = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const f of fields) {
          const x = row[f.name];
          out[f.name] = x == null ? null : f.c(x);
        }
        return out;
      };
    }
    case Type.Map: {
      const entry = type.children?.[0]?.type;
      const kc = entry?.children?.[0] ? converterFor(entry.children[0].type) : identity;
      const vc = entry?.children?.[1] ? converterFor(entry.children[1].type) : identity;
      return (v) => {
        if (v == null) return v;
        const out: Record<string, unknown> = {};
        for (const [k, x] of v as Iterable<[unknown, unknown]>) out[String(kc(k))] = x == null ? null : vc(x);
        return out;
      };
    }
    case Type.Dictionary: {
      const dict = (type as DataType & { dictionary: DataType }).dictionary;
      return dict ? converterFor(dict) : identity;
    }
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Bool:
    case Type.Float:
    case Type.Null:
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return identity;
    default:
      return (v) => {
        if (v == null || typeof v !== 'object') return v;
        const j = (v as { toJSON?: () => unknown }).toJSON;
        if (typeof j === 'function') return j.call(v);
        if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
        return String(v);
      };
  }
}

/** Decode one column vector into `rows[·][col]`. */
function fillColumn(vec: Vector | null, col: number, rows: Row[]): void {
  const n = rows.length;
  if (!vec) {
    for (let r = 0; r < n; r++) rows[r][col] = null;
    return;
  }
  const conv = converterFor(vec.type);
  let r = 0;
  // The iterator is much faster than get(i) on chunked vectors.
  for (const v of vec as Iterable<unknown>) {
    rows[r][col] = v == null ? null : conv === identity ? v : conv(v);
    r++;
  }
}

/** Decode Arrow IPC (stream or file format) into column names and plain-JS rows. */
export function arrowToRows(ipc: Uint8Array): { columns: string[]; rows: Row[] } {
  const table = tableFromIPC(ipc);
  const columns = table.schema.fields.map((f) => f.name);
  const rows: Row[] = Array.from({ length: table.numRows }, () => new Array<unknown>(columns.length));
  for (let c = 0; c < columns.length; c++) fillColumn(table.getChildAt(c), c, rows);
  return { columns, rows };
}

/** A `TablePager` over a table in the data worker: each page is one `page()` call, decoded. */
export function makeDataPager(data: Pick<DataApi, 'page'>, info: TableInfo): TablePager {
  return {
    columns: info.columns.map((c) => ({ name: c.name, type: c.type })),
    rowCount: info.rowCount,
    async page(offset, limit, orderBy) {
      // Copy the sort spec into a plain object: it may be a Svelte $state proxy, which
      // postMessage cannot clone (the page request would fail with a DataCloneError).
      const sort = orderBy ? { orderBy: { column: orderBy.column, desc: orderBy.desc } } : {};
      const res = await data.page({ table: info.name, offset, limit, ...sort });
      return arrowToRows(res.arrow).rows;
    },
  };
}
