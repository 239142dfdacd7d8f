/**
 * Table names for dropped files, and safe quoting of identifiers.
 *
 * A file called `Olist Orders (2018).csv` becomes the table `olist_orders_2018`: a name a user can
 * type in SQL without quotes. Names are lower-case ASCII so that they read the same everywhere, and
 * are compared case-insensitively because DuckDB identifiers are.
 */

/** Longest name we produce. PostgreSQL's limit; DuckDB has none, but long names are unreadable. */
export const MAX_NAME_LENGTH = 63;

/**
 * Words that do not work as a bare table name in DuckDB (`SELECT * FROM order` fails): its `reserved`
 * and `type_function` keywords, measured against DuckDB 1.5 with `duckdb_keywords()` by trying
 * `CREATE TABLE <kw>`, `SELECT * FROM <kw>` and `SELECT <kw>.x FROM <kw>`. Plus the names of the default
 * catalog and schemas, which would make `main.x` ambiguous to read.
 */
// biome-ignore format: a word list reads better filled than one word per line
const RESERVED: ReadonlySet<string> = new Set([
  // reserved
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast',
  'check', 'collate', 'column', 'constraint', 'create', 'default', 'deferrable', 'desc', 'describe',
  'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'from', 'group', 'having',
  'in', 'initially', 'intersect', 'into', 'lambda', 'lateral', 'leading', 'limit', 'not', 'null', 'offset',
  'on', 'only', 'or', 'order', 'pivot', 'pivot_longer', 'pivot_wider', 'placing', 'primary', 'qualify',
  'references', 'returning', 'select', 'show', 'some', 'summarize', 'symmetric', 'table', 'then', 'to',
  'trailing', 'true', 'union', 'unique', 'unpivot', 'using', 'variadic', 'when', 'where', 'window', 'with',
  // type_function
  'anti', 'asof', 'at', 'authorization', 'binary', 'by', 'collation', 'concurrently', 'cross', 'freeze',
  'full', 'glob', 'ilike', 'inner', 'is', 'isnull', 'join', 'left', 'like', 'natural', 'notnull', 'outer',
  'overlaps', 'positional', 'right', 'semi', 'similar', 'tablesample', 'unpack', 'verbose',
  // catalog and schema names
  'main', 'memory', 'temp', 'system', 'information_schema', 'pg_catalog',
]);

/** Data extensions stripped from a file name, after any compression suffix. */
const DATA_EXTENSIONS = /\.(csv|tsv|tab|txt|parquet|pq|json|ndjson|jsonl|arrow|feather|ipc)$/i;
const COMPRESSION_EXTENSIONS = /\.(gz|gzip|zst|bz2|xz|zip)$/i;

/** Whether `name` is a reserved word that cannot be a bare table name (case-insensitive). */
export function isReservedWord(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}

/**
 * A table name for a dropped file: extensions stripped, accents removed, lower-case, anything else
 * than `a-z0-9` turned into `_`, never starting with a digit, never a reserved word, at most 63
 * characters, and distinct (case-insensitively) from every name in `taken` by a `_2`, `_3`… suffix.
 */
export function tableNameFromFile(fileName: string, taken: ReadonlySet<string>): string {
  // Browsers give a bare name, but `C:\fakepath\x.csv` or a path from the headless runner may come too.
  let base = fileName.split(/[\\/]/).at(-1) ?? '';
  base = base.replace(COMPRESSION_EXTENSIONS, '').replace(DATA_EXTENSIONS, '');
  base = base
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (base === '') base = 't_data';
  else if (/^[0-9]/.test(base)) base = `t_${base}`;
  if (RESERVED.has(base)) base = `${base}_data`;
  base = truncate(base, MAX_NAME_LENGTH);

  const takenLower = new Set([...taken].map((t) => t.toLowerCase()));
  if (!takenLower.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = truncate(base, MAX_NAME_LENGTH - suffix.length) + suffix;
    if (!takenLower.has(candidate)) return candidate;
  }
}

function truncate(name: string, max: number): string {
  // No trailing underscore after a cut: `long_name_` + `_2` would read `long_name__2`.
  return name.length <= max ? name : name.slice(0, max).replace(/_+$/, '');
}

/**
 * Why `name` cannot be a table name a user types without quotes, or null when it can: ASCII letters,
 * digits and `_`, not starting with a digit, not a reserved word, at most 63 characters.
 */
export function nameProblem(name: string): string | null {
  if (name === '') return 'A name is required.';
  if (name.length > MAX_NAME_LENGTH) return `"${name}" is too long (at most ${MAX_NAME_LENGTH} characters).`;
  if (/^[0-9]/.test(name)) return `"${name}" starts with a digit; start with a letter or "_".`;
  if (!/^[A-Za-z0-9_]+$/.test(name)) return `"${name}" may only contain letters a–z, digits and "_".`;
  if (RESERVED.has(name.toLowerCase())) return `"${name}" is an SQL keyword; choose another name.`;
  return null;
}

/** Whether `name` is a valid unquoted table name (see `nameProblem`). */
export function isValidName(name: string): boolean {
  return nameProblem(name) === null;
}

/** `name` as a double-quoted SQL identifier, with inner quotes doubled: safe for any name. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error('An SQL identifier cannot contain a NUL character');
  return `"${name.replaceAll('"', '""')}"`;
}
