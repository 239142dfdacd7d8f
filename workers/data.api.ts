/**
 * The data worker's contract: everything the UI (or the headless runner) may ask of DuckDB-WASM.
 *
 * The worker owns the only DuckDB instance; the main thread never parses a data file. Results cross
 * the boundary as Arrow IPC bytes (transferred with comlink's `transfer`, not copied) plus a small
 * JSON summary, so callers can show counts and types without decoding the Arrow.
 *
 * Every method rejects with a `DataError`-shaped message (see `DataErrorInfo`) that names the file,
 * line and column where the input went wrong, when that is known.
 */

/** File formats the worker can ingest. `auto` sniffs extension and magic bytes. */
export type FileFormat = 'csv' | 'tsv' | 'parquet' | 'json' | 'ndjson' | 'arrow';

/** One column as DuckDB sees it. */
export interface ColumnInfo {
  /** Column name exactly as in the table. */
  name: string;
  /** DuckDB logical type, e.g. `BIGINT`, `VARCHAR`, `TIMESTAMP`, `DOUBLE`. */
  type: string;
}

/** A table in the data worker's database. */
export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  rowCount: number;
}

/** Where a failure happened; every field is optional because not every error knows it. */
export interface DataErrorInfo {
  /** The user-facing file name (not a path in the worker). */
  file?: string;
  /** 1-based line in the file. */
  line?: number;
  /** 1-based column (field) number, or the column name when that is what is known. */
  column?: number | string;
  /** One sentence, specific: what is wrong and, where possible, what to do. */
  message: string;
}

/** Result of a query: Arrow IPC stream bytes (transferable) and a summary. */
export interface QueryResult {
  /** Arrow IPC *stream* format; decode with `tableFromIPC` from apache-arrow. */
  arrow: Uint8Array;
  columns: ColumnInfo[];
  /** Rows in `arrow`. */
  rowCount: number;
  /** Wall time inside the worker, ms. */
  ms: number;
}

export interface RegisterFileRequest {
  /** Desired table name; the caller has sanitised and de-duplicated it (see src/core/data/tableName.ts). */
  table: string;
  /** The original file name, for messages and format sniffing. */
  fileName: string;
  /** The file's bytes. Transfer them. */
  bytes: Uint8Array;
  /** Format, or undefined to sniff from the name and the first bytes. */
  format?: FileFormat;
  /** Column type overrides (column → DuckDB type), applied after ingest with a checked cast. */
  columnTypes?: Record<string, string>;
}

export interface PageRequest {
  table: string;
  offset: number;
  limit: number;
  /** Optional sort; ties keep DuckDB's row order. */
  orderBy?: { column: string; desc: boolean };
}

export interface InitInfo {
  /** DuckDB version string. */
  version: string;
  /** Which DuckDB-WASM bundle was selected (`eh` or `mvp`). */
  bundle: string;
  /** Time to instantiate and open, ms. */
  ms: number;
}

export interface DataApi {
  /** Instantiate DuckDB (idempotent: later calls return the first result). */
  init(): Promise<InitInfo>;
  /** Ingest a file as a table (replacing a table of the same name). */
  registerFile(req: RegisterFileRequest): Promise<TableInfo>;
  /** Run SQL and return all rows as Arrow. `queryId` lets `cancel` stop it. */
  query(sql: string, queryId?: string): Promise<QueryResult>;
  /** `CREATE OR REPLACE TABLE name AS <sql>`; returns the new table's info. */
  createTableAs(name: string, sql: string, queryId?: string): Promise<TableInfo>;
  /** Columns and row count of a table. */
  describe(table: string): Promise<TableInfo>;
  /** Every table in the database. */
  listTables(): Promise<TableInfo[]>;
  /** Drop a table if it exists. */
  dropTable(table: string): Promise<void>;
  /** Change a column's type with a checked cast; rejects naming the first value that does not convert. */
  setColumnType(table: string, column: string, type: string): Promise<TableInfo>;
  /** A window of rows, for the virtualised table view. */
  page(req: PageRequest): Promise<QueryResult>;
  /** The whole table as CSV bytes (header row, RFC 4180 quoting). */
  exportCsv(table: string): Promise<Uint8Array>;
  /** Cancel a running query by id; resolves true if one was running. */
  cancel(queryId: string): Promise<boolean>;
}
