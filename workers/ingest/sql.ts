/**
 * SQL text helpers. Table and column names come from users (file names, CSV headers), so they are
 * always quoted; type names cannot be quoted, so they are checked against an allow-list pattern.
 */

/** `"name"` with embedded quotes doubled: safe for any string as a DuckDB identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `'text'` with embedded quotes doubled. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const SIMPLE_TYPES = [
  'BOOLEAN',
  'BOOL',
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'INT',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
  'FLOAT',
  'REAL',
  'DOUBLE',
  'VARCHAR',
  'TEXT',
  'STRING',
  'BLOB',
  'DATE',
  'TIME',
  'TIMESTAMP',
  'TIMESTAMP_S',
  'TIMESTAMP_MS',
  'TIMESTAMP_NS',
  'TIMESTAMPTZ',
  'TIMESTAMP WITH TIME ZONE',
  'INTERVAL',
  'UUID',
  'INT1',
  'INT2',
  'INT4',
  'INT8',
  'FLOAT4',
  'FLOAT8',
  'DATETIME',
];

/**
 * The normalised (upper-case) type name if `type` is an allowed DuckDB scalar type, else undefined.
 * Accepts `DECIMAL(p,s)` / `NUMERIC(p,s)` with numeric arguments and `VARCHAR(n)`; nothing else, so a
 * type can never smuggle SQL into `ALTER TABLE ... TYPE <type>`.
 */
export function normaliseTypeName(type: string): string | undefined {
  const t = type.trim().replace(/\s+/g, ' ').toUpperCase();
  if (SIMPLE_TYPES.includes(t)) return t;
  const m = /^(DECIMAL|NUMERIC)\s*\(\s*(\d{1,2})\s*(?:,\s*(\d{1,2})\s*)?\)$/.exec(t);
  if (m) {
    const [p, s] = [Number(m[2]), Number(m[3] ?? 0)];
    return p >= 1 && p <= 38 && s <= p ? `DECIMAL(${p},${s})` : undefined;
  }
  if (/^(DECIMAL|NUMERIC)$/.test(t)) return 'DECIMAL(18,3)';
  if (/^VARCHAR\s*\(\s*\d{1,9}\s*\)$/.test(t)) return 'VARCHAR';
  return undefined;
}
