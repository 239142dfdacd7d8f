/**
 * Load one user file into a staging table. prepareIngest (pure, unit-tested) checks and decodes;
 * CSV/TSV are then read by DuckDB's own reader, everything else arrives as Arrow and is inserted.
 */
import type { AsyncDuckDB, AsyncDuckDBConnection } from '@duckdb/duckdb-wasm';
import initParquetWasm from 'parquet-wasm/esm';
import parquetWasmUrl from 'parquet-wasm/esm/parquet_wasm_bg.wasm?url';
import type { RegisterFileRequest } from '../data.api.ts';
import { fromDuckDbCsvError, rawMessage } from '../ingest/errors.ts';
import { setParquetWasm } from '../ingest/parquet.ts';
import type { CsvShape } from '../ingest/precheck.ts';
import { prepareIngest } from '../ingest/prepare.ts';
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
  const prepared = prepareIngest(req.fileName, req.bytes, req.format);
  if (prepared.kind === 'csv') {
    await ingestCsv(db, conn, req.fileName, prepared.bytes, prepared.format, prepared.shape, staging, seq);
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

async function ingestCsv(
  db: AsyncDuckDB,
  conn: AsyncDuckDBConnection,
  fileName: string,
  text: Uint8Array,
  format: 'csv' | 'tsv',
  shape: CsvShape,
  staging: string,
  seq: number,
): Promise<void> {
  // A private name in DuckDB's virtual file system: the user's name may contain anything.
  const vfsName = `upload_${seq}.${format}`;
  // `text` has no BOM; copy only when it is a view into a larger buffer (the buffer moves to DuckDB).
  const whole = text.byteOffset === 0 && text.byteLength === text.buffer.byteLength;
  await db.registerFileBuffer(vfsName, whole ? text : text.slice());
  try {
    // sample_size=-1: type detection sees every row, so a late "N/A" cannot fail the load halfway.
    await conn.query(
      `CREATE TABLE ${quoteIdent(staging)} AS SELECT * FROM read_csv(${quoteLiteral(vfsName)}, ` +
        `header = true, delim = ${quoteLiteral(shape.delimiter)}, quote = '"', escape = '"', ` +
        `sample_size = -1, auto_detect = true)`,
    );
  } catch (e) {
    throw fromDuckDbCsvError(fileName, rawMessage(e));
  } finally {
    await db.dropFile(vfsName).catch(() => undefined);
  }
}
