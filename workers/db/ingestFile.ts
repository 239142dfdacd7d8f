/**
 * Load one user file into a staging table. prepareIngest (pure, unit-tested) checks and decodes;
 * CSV/TSV are then read by DuckDB's own reader (its worker reading while ours runs the byte-level
 * checks), Parquet arrives as Arrow IPC bytes from parquet-wasm, JSON and Arrow as Arrow tables.
 */
import type { AsyncDuckDB, AsyncDuckDBConnection } from '@duckdb/duckdb-wasm';
import initParquetWasm from 'parquet-wasm/esm';
import parquetWasmUrl from 'parquet-wasm/esm/parquet_wasm_bg.wasm?url';
import type { RegisterFileRequest } from '../data.api.ts';
import { fromDuckDbCsvError, rawMessage } from '../ingest/errors.ts';
import { setParquetWasm } from '../ingest/parquet.ts';
import { type Prepared, prepareIngest } from '../ingest/prepare.ts';
import { quoteIdent, quoteLiteral } from '../ingest/sql.ts';

// parquet-wasm's .wasm comes from our own build, fetched the first time a Parquet file is loaded.
setParquetWasm(() => initParquetWasm({ module_or_path: parquetWasmUrl }));

export async function ingestFile(
  db: AsyncDuckDB,
  conn: AsyncDuckDBConnection,
  req: RegisterFileRequest,
  staging: string,
  seq: number,
): Promise<void> {
  const prepared = prepareIngest(req.fileName, req.bytes, req.format, { deferCsvChecks: true });
  if (prepared.kind === 'csv') {
    await ingestCsv(db, conn, req.fileName, prepared, staging, seq);
    return;
  }
  // Pipeline: DuckDB (its own worker) inserts chunk n while we decode chunk n + 1 here.
  let inserting: Promise<void> | undefined;
  let first = true;
  try {
    for await (const chunk of prepared.tables) {
      if (inserting) await inserting;
      const options = { name: staging, create: first };
      // IPC bytes (Parquet) go straight to DuckDB, their buffer transferred to its worker.
      inserting =
        chunk instanceof Uint8Array
          ? conn.insertArrowFromIPCStream(chunk, options)
          : conn.insertArrowTable(chunk, options);
      first = false;
    }
  } catch (e) {
    await inserting?.catch(() => undefined); // do not leave an unobserved rejection behind
    throw e;
  }
  await inserting;
  for (const { column, type } of prepared.casts) {
    const c = quoteIdent(column);
    // Best effort: a value that does not fit keeps the column as it arrived rather than failing the load.
    await conn
      .query(`ALTER TABLE ${quoteIdent(staging)} ALTER COLUMN ${c} TYPE ${type} USING CAST(${c} AS ${type})`)
      .catch(() => undefined);
  }
}

/** DuckDB's sniffer looks at the first 20,480 lines (header included) when sample_size is left alone. */
const SAMPLE_ROWS = 20_480;
/**
 * A VARCHAR column with no value in its first GUARD_ROWS rows may only be VARCHAR because the sample saw
 * nothing but NULLs; GUARD_ROWS is below SAMPLE_ROWS so an off-by-a-few in the sniffer cannot matter.
 */
const GUARD_ROWS = 16_384;
/** Above this size the checks run before DuckDB reads instead of alongside (which needs a copy). */
const CONCURRENT_MAX_BYTES = 256 * 1024 * 1024;

async function ingestCsv(
  db: AsyncDuckDB,
  conn: AsyncDuckDBConnection,
  fileName: string,
  prepared: Extract<Prepared, { kind: 'csv' }>,
  staging: string,
  seq: number,
): Promise<void> {
  const { bytes, delimiter, format } = prepared;
  // What DuckDB's sniffer will read must pass first: some bad inputs (100,000 fields on a line) make it
  // exhaust the wasm heap, which never shrinks again. The rest is checked while DuckDB reads.
  prepared.checkStart();
  // A private name in DuckDB's virtual file system: the user's name may contain anything.
  const vfsName = `upload_${seq}.${format}`;
  // Small enough to keep a copy: DuckDB reads (in its own worker) while this worker runs the byte-level
  // checks. Larger files are checked first and their buffer handed over, to cap memory.
  const concurrent = bytes.byteLength <= CONCURRENT_MAX_BYTES;
  if (!concurrent) prepared.check();
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  // The buffer moves to DuckDB's worker (copy when we keep checking, or when it is a view).
  await db.registerFileBuffer(vfsName, concurrent || !whole ? bytes.slice() : bytes);
  const read = (sampleSize: number) =>
    conn.query(
      `CREATE OR REPLACE TABLE ${quoteIdent(staging)} AS SELECT * FROM read_csv(${quoteLiteral(vfsName)}, ` +
        `header = true, delim = ${quoteLiteral(delimiter)}, quote = '"', escape = '"', ` +
        `sample_size = ${sampleSize}, auto_detect = true)`,
    );
  try {
    const sampled = read(SAMPLE_ROWS).then(
      () => undefined,
      (e: unknown) => e ?? new Error('read_csv failed'),
    );
    // A check failure wins over whatever DuckDB made of the file, exactly as if the checks ran first.
    try {
      prepared.check();
    } catch (e) {
      await sampled;
      throw e;
    }
    // Type detection from a sample is exact unless a later value does not fit (DuckDB then fails and we
    // read again looking at every row), or a column was all NULL in the sample (defaulting to VARCHAR).
    const failed = await sampled;
    if (failed !== undefined || (await typedOnlyByNulls(conn, staging))) {
      try {
        await read(-1);
      } catch (e) {
        throw fromDuckDbCsvError(fileName, rawMessage(e));
      }
    }
  } finally {
    await db.dropFile(vfsName).catch(() => undefined);
  }
}

/** Whether some VARCHAR column has no value in the sampled rows but does have one later. */
async function typedOnlyByNulls(conn: AsyncDuckDBConnection, table: string): Promise<boolean> {
  const cols = await conn.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ${quoteLiteral(table)} AND data_type = 'VARCHAR'`,
  );
  const names = cols.toArray().map((r) => String(r.column_name));
  if (names.length === 0) return false;
  const t = quoteIdent(table);
  const head = await conn.query(
    `SELECT ${names.map((n, i) => `count(${quoteIdent(n)})::DOUBLE AS c${i}`).join(', ')} FROM ${t} WHERE rowid < ${GUARD_ROWS}`,
  );
  const row = head.get(0) as Record<string, unknown> | null;
  const empty = names.filter((_, i) => Number(row?.[`c${i}`] ?? 0) === 0);
  if (empty.length === 0) return false;
  const all = await conn.query(
    `SELECT ${empty.map((n, i) => `count(${quoteIdent(n)})::DOUBLE AS c${i}`).join(', ')} FROM ${t}`,
  );
  const r = all.get(0) as Record<string, unknown> | null;
  return empty.some((_, i) => Number(r?.[`c${i}`] ?? 0) > 0);
}
