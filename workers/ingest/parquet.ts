/**
 * Parquet → Arrow IPC stream bytes with parquet-wasm (the Rust `parquet`/`arrow-rs` crates compiled to
 * wasm; ZSTD, Snappy, GZIP, Brotli and LZ4 built in). DuckDB-WASM 1.32 has no Parquet extension built in,
 * and fetching it from the internet is switched off, so we decode and DuckDB inserts the Arrow with
 * `insertArrowFromIPCStream` (no JS-side Arrow objects at all). No DOM: unit-tested in Node.
 *
 * One row group at a time, in record batches of at most BATCH_ROWS rows, gathered into IPC streams of
 * about INSERT_BYTES: memory stays at about two such chunks beyond the DuckDB table, and the worker can
 * decode chunk n + 1 while DuckDB inserts chunk n.
 *
 * parquet-wasm must be instantiated before use, and how depends on the environment: the data worker
 * fetches the .wasm from our own build (a Vite `?url` import, see workers/db/ingestFile.ts), Node tests
 * hand it the bytes. Both register an initialiser with `setParquetWasm`.
 */
import { type DataType, type Field, TimeUnit, tableFromIPC, Type } from 'apache-arrow';
import { ParquetFile } from 'parquet-wasm/esm';
import { DataError, rawMessage } from './errors.ts';
import { isParquet } from './sniff.ts';

/** Rows per Arrow record batch decoded by parquet-wasm. */
export const BATCH_ROWS = 1 << 17;
/**
 * Record batches are gathered into one IPC stream of about this many bytes per DuckDB insert: each
 * `insertArrowFromIPCStream` call has a large fixed cost in DuckDB-WASM (3M flights rows: ~2.4 s CPU in
 * 23 calls of one batch, ~1.0 s in 3 calls of several batches).
 */
export const INSERT_BYTES = 64 * 1024 * 1024;

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
 * Casts that make the table match what native DuckDB's read_parquet gives: Parquet TIMESTAMP(MILLIS)
 * arrives as Arrow timestamp[ms] (and an Arrow-written file may restore timestamp[s]), which DuckDB would
 * keep as TIMESTAMP_MS / TIMESTAMP_S; native DuckDB reads them as microsecond TIMESTAMP (TIMESTAMPTZ
 * when the column has a time zone). Nanosecond timestamps stay TIMESTAMP_NS, as in native DuckDB.
 */
export function castsFor(fields: Field[]): ParquetCast[] {
  const out: ParquetCast[] = [];
  for (const f of fields) {
    const t = f.type as DataType & { unit?: TimeUnit; timezone?: string | null };
    if (t.typeId !== Type.Timestamp || (t.unit !== TimeUnit.SECOND && t.unit !== TimeUnit.MILLISECOND))
      continue;
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

/** Bytes of the schema message at the start of an IPC stream (continuation marker, length, metadata). */
function schemaMessageLength(ipc: Uint8Array): number {
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
  if (view.getUint32(0, true) !== 0xffffffff) throw new Error('unexpected Arrow IPC stream layout');
  return 8 + view.getInt32(4, true);
}

const EOS_BYTES = 8; // 0xFFFFFFFF 0x00000000

/**
 * Several IPC streams with the same schema (each: schema message, record batches, end-of-stream marker)
 * as one stream: the first schema message, every stream's record batches, one end-of-stream marker.
 */
export function concatIpcStreams(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const head = schemaMessageLength(parts[0]);
  let total = head + EOS_BYTES;
  for (const p of parts) total += p.byteLength - schemaMessageLength(p) - EOS_BYTES;
  const out = new Uint8Array(total);
  out.set(parts[0].subarray(0, head), 0);
  let pos = head;
  for (const p of parts) {
    const body = p.subarray(schemaMessageLength(p), p.byteLength - EOS_BYTES);
    out.set(body, pos);
    pos += body.byteLength;
  }
  out.set(parts[0].subarray(parts[0].byteLength - EOS_BYTES), pos);
  return out;
}

/**
 * Check the bytes now (so a truncated file fails at once) and decode lazily. `tables` yields Arrow IPC
 * stream bytes (a schema and up to about INSERT_BYTES of record batches; for a file without rows, a
 * schema-only stream);
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

async function* decode(
  fileName: string,
  bytes: Uint8Array,
  casts: ParquetCast[],
): AsyncGenerator<Uint8Array> {
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
    let parts: Uint8Array[] = [];
    let pending = 0;
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
        parts.push(chunk);
        pending += chunk.byteLength;
        if (pending >= INSERT_BYTES) {
          const merged = concatIpcStreams(parts);
          parts = [];
          pending = 0;
          yield merged;
        }
      }
    }
    if (parts.length) yield concatIpcStreams(parts);
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
