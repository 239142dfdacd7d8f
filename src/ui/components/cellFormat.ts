/**
 * Pure helpers for showing DuckDB values: type badges, column kinds (alignment, default width) and
 * cell text. No DOM; unit-tested in __tests__/cellFormat.test.ts.
 */

/** How a column is laid out and formatted. */
export type ColumnKind =
  | 'int'
  | 'float'
  | 'decimal'
  | 'text'
  | 'date'
  | 'time'
  | 'clock'
  | 'bool'
  | 'bytes'
  | 'nested'
  | 'other';

export interface TypeBadge {
  /** Short, lower-case label for the header badge, e.g. `int`, `text`. */
  label: string;
  kind: ColumnKind;
  /** Numbers are right-aligned with tabular figures. */
  numeric: boolean;
}

const INT =
  /^(TINYINT|SMALLINT|INTEGER|INT|INT1|INT2|INT4|INT8|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|LONG|SHORT|SIGNED)$/;
const FLOAT = /^(FLOAT|FLOAT4|FLOAT8|REAL|DOUBLE)$/;

/** Map a DuckDB logical type name to a badge. Unknown types keep a shortened lower-case name. */
export function typeBadge(duckType: string): TypeBadge {
  const t = duckType.trim().toUpperCase();
  if (t.endsWith('[]') || /^(LIST|ARRAY)\b/.test(t) || /\[\d+\]$/.test(t))
    return { label: 'list', kind: 'nested', numeric: false };
  if (t.startsWith('STRUCT')) return { label: 'struct', kind: 'nested', numeric: false };
  if (t.startsWith('MAP')) return { label: 'map', kind: 'nested', numeric: false };
  if (t.startsWith('UNION')) return { label: 'union', kind: 'nested', numeric: false };
  if (INT.test(t)) return { label: 'int', kind: 'int', numeric: true };
  if (FLOAT.test(t)) return { label: 'float', kind: 'float', numeric: true };
  if (t.startsWith('DECIMAL') || t.startsWith('NUMERIC'))
    return { label: 'dec', kind: 'decimal', numeric: true };
  if (
    t === 'VARCHAR' ||
    t === 'TEXT' ||
    t === 'STRING' ||
    t.startsWith('VARCHAR(') ||
    t === 'CHAR' ||
    t === 'BPCHAR'
  )
    return { label: 'text', kind: 'text', numeric: false };
  if (t === 'DATE') return { label: 'date', kind: 'date', numeric: false };
  if (t.startsWith('TIMESTAMP') || t === 'DATETIME') return { label: 'time', kind: 'time', numeric: false };
  if (t === 'TIME' || t === 'TIMETZ' || t.startsWith('TIME '))
    return { label: 'clock', kind: 'clock', numeric: false };
  if (t === 'BOOLEAN' || t === 'BOOL' || t === 'LOGICAL')
    return { label: 'bool', kind: 'bool', numeric: false };
  if (t === 'BLOB' || t === 'BYTEA' || t === 'BINARY' || t === 'VARBINARY')
    return { label: 'blob', kind: 'bytes', numeric: false };
  if (t === 'UUID') return { label: 'uuid', kind: 'other', numeric: false };
  if (t === 'JSON') return { label: 'json', kind: 'nested', numeric: false };
  if (t === 'INTERVAL') return { label: 'interval', kind: 'other', numeric: false };
  if (t.startsWith('ENUM')) return { label: 'enum', kind: 'text', numeric: false };
  return { label: t.toLowerCase().slice(0, 8) || '?', kind: 'other', numeric: false };
}

/**
 * Sensible default column width in px for a kind (before the user resizes), wide enough for the
 * header too: name (~7.4px/char at 12px semibold) + badge (~6.3px/char + padding) + gaps and arrow.
 */
export function defaultWidth(kind: ColumnKind, name: string, badgeLabel = ''): number {
  const base: Record<ColumnKind, number> = {
    int: 110,
    float: 120,
    decimal: 120,
    text: 220,
    date: 112,
    time: 200,
    clock: 112,
    bool: 78,
    bytes: 130,
    nested: 200,
    other: 150,
  };
  const header = name.length * 7.4 + (badgeLabel ? badgeLabel.length * 6.3 + 16 : 0) + 44;
  return Math.max(base[kind], Math.min(320, Math.round(header)));
}

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const sig6 = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 });

/** Floats: up to ~6 significant digits, thousands separators, exponent for very large/small. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e15 || a < 1e-5) {
    const [m, e] = v.toExponential(5).split('e');
    return `${m.replace(/\.?0+$/, '')}e${e}`;
  }
  if (a >= 1e5) {
    // Keep every integer digit (never round 1,234,567 to 1,234,570), fractional digits up to 6 sig.
    const intDigits = Math.floor(Math.log10(a)) + 1;
    return new Intl.NumberFormat('en-US', { maximumFractionDigits: Math.max(0, 6 - intDigits) }).format(v);
  }
  return sig6.format(v);
}

/** Integers (number or bigint) with thousands separators. */
export function formatInt(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toLocaleString('en-US');
  if (!Number.isFinite(v)) return formatFloat(v);
  if (!Number.isInteger(v)) return formatFloat(v);
  return intFmt.format(v);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DD` (UTC). */
export function formatDate(d: Date): string {
  if (Number.isNaN(d.getTime())) return 'Invalid date';
  const y = d.getUTCFullYear();
  const ys = y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
  return `${ys}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** `YYYY-MM-DD HH:MM:SS[.mmm]` (UTC; DuckDB TIMESTAMP has no zone, Arrow gives UTC epoch ms). */
export function formatTimestamp(d: Date): string {
  if (Number.isNaN(d.getTime())) return 'Invalid date';
  const ms = d.getUTCMilliseconds();
  const base = `${formatDate(d)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return ms ? `${base}.${pad(ms, 3)}` : base;
}

function jsonish(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Text for one cell. `null` and `undefined` return `null`: the caller renders the muted null marker.
 * Values are what `arrowToRows` produces (number, bigint, string, boolean, Date, Uint8Array, arrays,
 * plain objects); epoch-ms numbers in date/time columns are accepted too.
 */
export function formatCell(v: unknown, kind: ColumnKind): string | null {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return formatInt(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (kind === 'date') return formatDate(new Date(v));
      if (kind === 'time') return formatTimestamp(new Date(v));
      if (kind === 'int') return formatInt(v);
      if (kind === 'decimal') return Number.isInteger(v) ? formatInt(v) : formatFloat(v);
      return Number.isInteger(v) && Math.abs(v) < 1e15 && kind !== 'float' ? formatInt(v) : formatFloat(v);
  }
  if (v instanceof Date) return kind === 'date' ? formatDate(v) : formatTimestamp(v);
  if (v instanceof Uint8Array) {
    const hex = Array.from(v.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return `${v.length} B · ${hex}${v.length > 16 ? ' …' : ''}`;
  }
  return jsonish(v);
}
