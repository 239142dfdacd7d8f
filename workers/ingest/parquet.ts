/**
 * Parquet → Arrow IPC stream bytes with parquet-wasm (the Rust `parquet`/`arrow-rs` crates compiled to
 * wasm; ZSTD, Snappy, GZIP, Brotli and LZ4 built in). DuckDB-WASM 1.32 has no Parquet extension built in,
 * and fetching it from the internet is switched off, so we decode and DuckDB inserts the Arrow with
 * `insertArrowFromIPCStream` (no JS-side Arrow objects at all). No DOM: unit-tested in Node.
 *
 * One row group at a time, in batches of at most BATCH_ROWS rows, so memory stays at about one batch
 * beyond the DuckDB table and the worker can decode batch n + 1 while DuckDB inserts batch n.
 *
 * parquet-wasm must be instantiated before use, and how depends on the environment: the data worker
 * fetches the .wasm from our own build (a Vite `?url` import, see workers/db/ingestFile.ts), Node tests
 * hand it the bytes. Both register an initialiser with `setParquetWasm`.
 */
import { type DataType, type Field, tableFromIPC, Type } from 'apache-arrow';
import { ParquetFile } from 'parquet-wasm/esm';
import { DataError, rawMessage } from './errors.ts';
import { isParquet } from './sniff.ts';

/** Rows per Arrow batch handed to DuckDB: large enough that per-insert overhead is noise. */
export const BATCH_ROWS = 1 << 17;

let initialiser: (() => Promise<unknown>) | undefined;
let ready: Promise<unknown> | undefined;

/** Register how to instantiate parquet-wasm (called once per environment, before the first Parquet file). */
export function setParquetWasm(init: () => Promise<unknown>): void {
  initialiser = init;
  ready = undefined;
}

function parquetWasmReady(): Promise<unknown> {
  if (!initialiser) return Promise.reject(new Error('the Parquet decoder (parquet-wasm) was not set up.'));
  ready ??= initialiser().catch((e: unknown) => {
    ready = undefined; // let a later file try again
    throw e;
  });
  return ready;
}

/** What we ask DuckDB to turn a column into after insert, when Arrow carries it differently. */
export interface ParquetCast {
  column: string;
  type: string;
}

/**
 * Casts that make the table match what native DuckDB's read_parquet gives (and what this path gave
 * before): Parquet TIMESTAMP(MILLIS) arrives as Arrow timestamp[ms], which DuckDB would keep as
 * TIMESTAMP_MS, and INT96 / TIMESTAMP(NANOS) as timestamp[ns] (TIMESTAMP_NS); both become microsecond
 * TIMESTAMP (TIMESTAMPTZ when the column has a time zone).
 */
export function castsFor(fields: Field[]): ParquetCast[] {
  const out: ParquetCast[] = [];
  for (const f of fields) {
    const t = f.type as DataType & { unit?: number; timezone?: string | null };
    if (t.typeId !== Type.Timestamp || t.unit === 2 /* TimeUnit.MICROSECOND */) continue;
    out.push({ column: f.name, type: t.timezone ? 'TIMESTAMPTZ' : 'TIMESTAMP' });
  }
  return out;
}

/**
 * Cheap checks on the raw bytes, so a file that is not Parquet or was cut off fails with a message that
 * says so, before any decoding.
 */
export function checkParquetBytes(fileName: string, bytes: Uint8Array): void {
  if (!isParquet(bytes)) {
    throw new DataError({
      file: fileName,
      message: 'is not a Parquet file: it does not start with the Parquet magic bytes "PAR1".',
    });
  }
  const tail = bytes.subarray(bytes.length - 4);
  if (bytes.length < 12 || String.fromCharCode(...tail) !== 'PAR1') {
    throw new DataError({
      file: fileName,
      message: `is not a complete Parquet file (it is ${bytes.length} bytes and the footer that should end with "PAR1" is missing; the file was probably cut off while copying or downloading).`,
    });
  }
}

/**
 * Check the bytes now (so a truncated file fails at once) and decode lazily. `tables` yields Arrow IPC
 * stream bytes (each a schema plus one record batch; for a file without rows, a schema-only stream);
 * `casts` is filled in once the schema is known, i.e. by the time the first chunk is yielded. Errors name
 * the file and, for data errors, the row group.
 */
export function openParquet(
  fileName: string,
  bytes: Uint8Array,
): { tables: AsyncGenerator<Uint8Array>; casts: ParquetCast[] } {
  checkParquetBytes(fileName, bytes);
  const casts: ParquetCast[] = [];
  return { tables: decode(fileName, bytes, casts), casts };
}

async function* decode(fileName: string, bytes: Uint8Array, casts: ParquetCast[]): AsyncGenerator<Uint8Array> {
  await parquetWasmReady();
  let file: ParquetFile;
  try {
    // A Blob is read range by range, so the wasm heap never holds the whole file.
    file = await ParquetFile.fromFile(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  } catch (e) {
    throw new DataError({ file: fileName, message: `is not a complete Parquet file (${rawMessage(e)}).` });
  }
  try {
    const schemaIpc = file.schema().intoIPCStream();
    casts.push(...castsFor(tableFromIPC(schemaIpc).schema.fields));
    const meta = file.metadata();
    const groups = meta.numRowGroups();
    const rows = meta.rowGroups().map((g) => {
      const n = g.numRows();
      g.free();
      return n;
    });
    meta.free();
    if (rows.every((n) => n === 0)) {
      yield schemaIpc; // creates the (empty) table with the file's columns
      return;
    }
    for (let g = 0; g < groups; g++) {
      if (rows[g] === 0) continue;
      let reader: ReadableStreamDefaultReader<{ intoIPCStream(): Uint8Array }>;
      try {
        const stream = await file.stream({ rowGroups: [g], batchSize: BATCH_ROWS });
        reader = stream.getReader();
      } catch (e) {
        throw rowGroupError(fileName, g, groups, e);
      }
      for (;;) {
        let chunk: Uint8Array;
        try {
          const { done, value } = await reader.read();
          if (done) break;
          chunk = value.intoIPCStream();
        } catch (e) {
          await reader.cancel().catch(() => undefined);
          throw rowGroupError(fileName, g, groups, e);
        }
        yield chunk;
      }
    }
  } finally {
    file.free();
  }
}

function rowGroupError(fileName: string, g: number, groups: number, e: unknown): DataError {
  return new DataError({
    file: fileName,
    message: `is not a complete Parquet file or is corrupt: row group ${g + 1} of ${groups} could not be decoded (${rawMessage(e)}).`,
  });
}
