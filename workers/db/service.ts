/**
 * The DataApi implementation over one AsyncDuckDB. Everything waits for `init()`; ingest and
 * user SQL go through here so identifiers are always quoted and errors always name the file.
 */
import type { AsyncDuckDB, AsyncDuckDBConnection } from '@duckdb/duckdb-wasm';
import { Table, tableToIPC } from 'apache-arrow';
import type {
  ColumnInfo,
  DataApi,
  InitInfo,
  PageRequest,
  QueryResult,
  RegisterFileRequest,
  TableInfo,
} from '../data.api.ts';
import { duckTypeOfArrow } from '../ingest/duckTypes.ts';
import { DataError, rawMessage } from '../ingest/errors.ts';
import { normaliseTypeName, quoteIdent, quoteLiteral } from '../ingest/sql.ts';
import type { Booted } from './boot.ts';
import { ingestFile } from './ingestFile.ts';

/** Internal tables (ingest staging) carry this prefix and are hidden from listTables. */
export const INTERNAL_PREFIX = '__benchtop_';

interface Running {
  conn: AsyncDuckDBConnection;
  cancelled: boolean;
}

export const CANCELLED_MESSAGE = 'Query cancelled';

export class DataService implements DataApi {
  private booting: Promise<Booted> | undefined;
  private conn: Promise<AsyncDuckDBConnection> | undefined;
  private readonly running = new Map<string, Running>();
  private seq = 0;

  constructor(private readonly boot: () => Promise<Booted>) {}

  init(): Promise<InitInfo> {
    this.booting ??= this.boot();
    return this.booting.then((b) => b.info);
  }

  private async db(): Promise<AsyncDuckDB> {
    await this.init();
    return (await this.booting!).db;
  }

  /** The shared connection for short statements (ingest, describe, page). */
  private async main(): Promise<AsyncDuckDBConnection> {
    this.conn ??= this.db().then((db) => db.connect());
    return this.conn;
  }

  async registerFile(req: RegisterFileRequest): Promise<TableInfo> {
    const db = await this.db();
    const conn = await this.main();
    const staging = `${INTERNAL_PREFIX}ingest_${++this.seq}`;
    try {
      await ingestFile(db, conn, req, staging, this.seq);
      for (const [column, type] of Object.entries(req.columnTypes ?? {})) {
        await this.changeType(conn, staging, column, type, req.fileName);
      }
      // Swap in one transaction so a failed ingest never leaves the old table dropped.
      await conn.query('BEGIN TRANSACTION');
      try {
        await conn.query(`DROP TABLE IF EXISTS ${quoteIdent(req.table)}`);
        await conn.query(`ALTER TABLE ${quoteIdent(staging)} RENAME TO ${quoteIdent(req.table)}`);
        await conn.query('COMMIT');
      } catch (e) {
        await conn.query('ROLLBACK');
        throw e;
      }
    } catch (e) {
      await conn.query(`DROP TABLE IF EXISTS ${quoteIdent(staging)}`).catch(() => undefined);
      if (e instanceof DataError) throw e;
      throw new DataError({ file: req.fileName, message: `could not be loaded: ${rawMessage(e)}` });
    }
    return this.describe(req.table);
  }

  /** Runs `sql`; with a queryId it gets its own connection so `cancel` can interrupt it alone. */
  private async run(sql: string, queryId?: string): Promise<Table> {
    if (queryId === undefined) {
      const conn = await this.main();
      return conn.query(sql);
    }
    if (this.running.has(queryId)) throw new Error(`A query with id "${queryId}" is already running.`);
    const db = await this.db();
    const conn = await db.connect();
    const entry: Running = { conn, cancelled: false };
    this.running.set(queryId, entry);
    try {
      const reader = await conn.send(sql, true);
      if (entry.cancelled) throw new Error(CANCELLED_MESSAGE);
      const batches = [];
      for await (const batch of reader) {
        if (entry.cancelled) throw new Error(CANCELLED_MESSAGE);
        batches.push(batch);
      }
      return batches.length ? new Table(batches) : new Table(reader.schema);
    } catch (e) {
      if (entry.cancelled) throw new Error(CANCELLED_MESSAGE);
      throw e;
    } finally {
      this.running.delete(queryId);
      await conn.close().catch(() => undefined);
    }
  }

  async query(sql: string, queryId?: string): Promise<QueryResult> {
    const t0 = performance.now();
    const table = await this.run(sql, queryId);
    return toResult(table, t0);
  }

  async createTableAs(name: string, sql: string, queryId?: string): Promise<TableInfo> {
    await this.run(`CREATE OR REPLACE TABLE ${quoteIdent(name)} AS ${sql}`, queryId);
    return this.describe(name);
  }

  async describe(table: string): Promise<TableInfo> {
    const conn = await this.main();
    const cols = await conn.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ${quoteLiteral(table)} ORDER BY ordinal_position`,
    );
    if (cols.numRows === 0) throw new Error(`There is no table named "${table}".`);
    const columns: ColumnInfo[] = cols
      .toArray()
      .map((r) => ({ name: String(r.column_name), type: String(r.data_type) }));
    const count = await conn.query(`SELECT count(*)::DOUBLE AS n FROM ${quoteIdent(table)}`);
    return { name: table, columns, rowCount: Number(count.get(0)?.n ?? 0) };
  }

  async listTables(): Promise<TableInfo[]> {
    const conn = await this.main();
    const names = await conn.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const out: TableInfo[] = [];
    for (const r of names.toArray()) {
      const name = String(r.table_name);
      if (!name.startsWith(INTERNAL_PREFIX)) out.push(await this.describe(name));
    }
    return out;
  }

  async dropTable(table: string): Promise<void> {
    const conn = await this.main();
    await conn.query(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
  }

  async setColumnType(table: string, column: string, type: string): Promise<TableInfo> {
    const conn = await this.main();
    await this.changeType(conn, table, column, type);
    return this.describe(table);
  }

  /** Checked cast: count and show the first value that does not convert before altering anything. */
  private async changeType(
    conn: AsyncDuckDBConnection,
    table: string,
    column: string,
    type: string,
    fileName?: string,
  ): Promise<void> {
    const fail = (message: string, extra: { line?: number } = {}): never => {
      throw fileName
        ? new DataError({ file: fileName, column, message, ...extra })
        : new Error(`Column "${column}" of table "${table}": ${message}`);
    };
    const duckType = normaliseTypeName(type);
    if (!duckType) {
      fail(
        `"${type}" is not a type Benchtop can convert to (use e.g. BIGINT, DOUBLE, VARCHAR, DATE, TIMESTAMP, BOOLEAN, DECIMAL(10,2)).`,
      );
    }
    const exists = await conn.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ${quoteLiteral(table)} AND column_name = ${quoteLiteral(column)}`,
    );
    if (exists.numRows === 0) fail('there is no such column.');
    const t = quoteIdent(table);
    const c = quoteIdent(column);
    const bad = `${c} IS NOT NULL AND TRY_CAST(${c} AS ${duckType}) IS NULL`;
    const counted = await conn.query(`SELECT count(*)::DOUBLE AS n FROM ${t} WHERE ${bad}`);
    const n = Number(counted.get(0)?.n ?? 0);
    if (n > 0) {
      // rowid follows insertion order, i.e. the row order of the file (1-based data row, header excluded).
      const first = await conn.query(
        `SELECT (rowid + 1)::DOUBLE AS r, CAST(${c} AS VARCHAR) AS v FROM ${t} WHERE ${bad} ORDER BY rowid LIMIT 1`,
      );
      const row = first.get(0);
      const value = String(row?.v);
      const rowNo = Number(row?.r);
      fail(
        `cannot convert to ${duckType}: ${n} value${n === 1 ? ' does' : 's do'} not convert; the first is "${value}" in row ${rowNo}.`,
      );
    }
    await conn.query(`ALTER TABLE ${t} ALTER COLUMN ${c} TYPE ${duckType} USING CAST(${c} AS ${duckType})`);
  }

  async page(req: PageRequest): Promise<QueryResult> {
    const t0 = performance.now();
    const conn = await this.main();
    const limit = Math.max(0, Math.floor(req.limit));
    const offset = Math.max(0, Math.floor(req.offset));
    // rowid as a tiebreaker keeps ties in file order (DuckDB's top-N is not stable by itself).
    const order = req.orderBy
      ? ` ORDER BY ${quoteIdent(req.orderBy.column)} ${req.orderBy.desc ? 'DESC' : 'ASC'} NULLS LAST, rowid`
      : '';
    const table = await conn.query(
      `SELECT * FROM ${quoteIdent(req.table)}${order} LIMIT ${limit} OFFSET ${offset}`,
    );
    return toResult(table, t0);
  }

  async exportCsv(table: string): Promise<Uint8Array> {
    const db = await this.db();
    const conn = await this.main();
    const file = `${INTERNAL_PREFIX}export_${++this.seq}.csv`;
    try {
      await db.registerEmptyFileBuffer(file);
      await conn.query(
        `COPY (SELECT * FROM ${quoteIdent(table)}) TO ${quoteLiteral(file)} (HEADER, DELIMITER ',')`,
      );
      return await db.copyFileToBuffer(file);
    } finally {
      await db.dropFile(file).catch(() => undefined);
    }
  }

  async cancel(queryId: string): Promise<boolean> {
    const entry = this.running.get(queryId);
    if (!entry) return false;
    entry.cancelled = true;
    await entry.conn.cancelSent().catch(() => false);
    return true;
  }
}

function toResult(table: Table, t0: number): QueryResult {
  const columns = table.schema.fields.map((f) => ({ name: f.name, type: duckTypeOfArrow(f.type) }));
  const arrow = tableToIPC(table, 'stream');
  return { arrow, columns, rowCount: table.numRows, ms: Math.round(performance.now() - t0) };
}
