/**
 * DuckDB logical type names for the Arrow types DuckDB-WASM returns, so query results report
 * `BIGINT`/`TIMESTAMP` rather than `Int64`/`Timestamp<MICROSECOND>` without a second round trip.
 * Tables are described from information_schema instead (exact); this is for ad-hoc query results.
 */
import { type DataType, type Field, Type } from 'apache-arrow';

interface WithUnit {
  unit?: number;
  timezone?: string | null;
  bitWidth?: number;
  isSigned?: boolean;
  precision?: number;
  scale?: number;
  children?: Field[];
  dictionary?: DataType;
}

export function duckTypeOfArrow(t: DataType): string {
  const x = t as unknown as WithUnit;
  switch (t.typeId) {
    case Type.Bool:
      return 'BOOLEAN';
    case Type.Int:
    case Type.Int8:
    case Type.Int16:
    case Type.Int32:
    case Type.Int64:
    case Type.Uint8:
    case Type.Uint16:
    case Type.Uint32:
    case Type.Uint64: {
      const base =
        { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' }[x.bitWidth ?? 64] ?? 'BIGINT';
      return x.isSigned === false ? `U${base}` : base;
    }
    case Type.Float:
      // Generic Float: precision 0 = half, 1 = single, 2 = double.
      return x.precision === 2 ? 'DOUBLE' : 'FLOAT';
    case Type.Float16:
    case Type.Float32:
      return 'FLOAT';
    case Type.Float64:
      return 'DOUBLE';
    case Type.Decimal:
      return `DECIMAL(${x.precision},${x.scale})`;
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'VARCHAR';
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
      return 'BLOB';
    case Type.Date:
    case Type.DateDay:
    case Type.DateMillisecond:
      return 'DATE';
    case Type.Time:
    case Type.TimeSecond:
    case Type.TimeMillisecond:
    case Type.TimeMicrosecond:
    case Type.TimeNanosecond:
      return 'TIME';
    case Type.Timestamp:
    case Type.TimestampSecond:
    case Type.TimestampMillisecond:
    case Type.TimestampMicrosecond:
    case Type.TimestampNanosecond:
      return x.timezone ? 'TIMESTAMP WITH TIME ZONE' : 'TIMESTAMP';
    case Type.Interval:
    case Type.IntervalDayTime:
    case Type.IntervalYearMonth:
    case Type.Duration:
      return 'INTERVAL';
    case Type.Dictionary:
      return x.dictionary ? duckTypeOfArrow(x.dictionary) : 'VARCHAR';
    case Type.List:
    case Type.FixedSizeList:
      return `${x.children?.[0] ? duckTypeOfArrow(x.children[0].type) : 'VARCHAR'}[]`;
    case Type.Struct:
      return `STRUCT(${(x.children ?? []).map((f) => `"${f.name}" ${duckTypeOfArrow(f.type)}`).join(', ')})`;
    case Type.Map:
      return 'MAP';
    case Type.Null:
      return 'NULL';
    default:
      return String(t);
  }
}
