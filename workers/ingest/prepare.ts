/**
 * Everything about ingesting a file that does not need DuckDB: sniff the format, run the byte-level
 * checks, and decode non-CSV formats to Arrow. The worker hands the result to DuckDB; the unit tests
 * run the whole bad-file corpus through this in Node.
 */
import { type Table, tableFromIPC } from 'apache-arrow';
import type { FileFormat } from '../data.api.ts';
import { buildArrowTable } from './arrow.ts';
import { DataError, rawMessage } from './errors.ts';
import { parseJsonColumns } from './json.ts';
import { openParquet } from './parquet.ts';
import {
  type CsvShape,
  checkText,
  checkTextBytes,
  checkTextQuick,
  detectDelimiter,
  firstLines,
  precheckCsv,
} from './precheck.ts';
import { ARROW_FILE_MAGIC, isArrow, sniffFormat } from './sniff.ts';

export type Prepared =
  /**
   * DuckDB reads it: `bytes` without BOM, split by `delimiter`. `check` runs the full byte-level checks
   * (NUL bytes, UTF-8, quoting, field counts, header names) and throws the specific DataError; it has
   * already run unless `deferCsvChecks` was asked for (then the caller runs it, e.g. while DuckDB reads).
   */
  | {
      kind: 'csv';
      format: 'csv' | 'tsv';
      bytes: Uint8Array;
      delimiter: string;
      check: () => CsvShape;
      /**
       * The same checks on only the first HEAD_LINES lines (what DuckDB's type sniffer reads: a
       * 100,000-field line there makes DuckDB-WASM run out of memory). When they find a problem this
       * runs `check` so the error is exactly the one the whole file gives.
       */
      checkStart: () => void;
    }
  /**
   * Decoded to Arrow: insert each chunk in order, an apache-arrow Table (JSON, Arrow files) or Arrow IPC
   * stream bytes (Parquet, one record batch each). Then apply `casts`, which may only be complete once
   * `tables` has been iterated (Parquet learns them from the file's schema).
   */
  | {
      kind: 'arrow';
      format: FileFormat;
      tables: AsyncGenerator<Table | Uint8Array>;
      casts: { column: string; type: string }[];
    };

/** Lines `checkStart` looks at: DuckDB's CSV sniffer reads the first 20,480, and a margin. */
export const HEAD_LINES = 24_576;

export interface PrepareOptions {
  /**
   * CSV/TSV: run only the quick checks (empty, blank, foreign binary) now and leave the linear ones to
   * `check()`, so the worker can scan the bytes while DuckDB is already reading them.
   */
  deferCsvChecks?: boolean;
}

export function prepareIngest(
  fileName: string,
  bytes: Uint8Array,
  format?: FileFormat,
  options: PrepareOptions = {},
): Prepared {
  const f = format ?? sniffFormat(fileName, bytes);
  switch (f) {
    case 'csv':
    case 'tsv': {
      const kind = f === 'tsv' ? 'TSV' : 'CSV';
      const { bytes: text, hadBom } = checkTextQuick(fileName, bytes, kind);
      let shape: CsvShape | undefined;
      const check = (): CsvShape => {
        if (!shape) {
          checkTextBytes(fileName, text, kind, hadBom);
          shape = precheckCsv(fileName, text, f);
        }
        return shape;
      };
      const checkStart = (): void => {
        const head = firstLines(text, HEAD_LINES);
        if (head === text) {
          check();
          return;
        }
        try {
          checkTextBytes(fileName, head, kind, hadBom);
          precheckCsv(fileName, head, f, true);
        } catch (e) {
          check();
          throw e;
        }
      };
      if (!options.deferCsvChecks) check();
      const delimiter = f === 'tsv' ? '\t' : detectDelimiter(text);
      return { kind: 'csv', format: f, bytes: text, delimiter, check, checkStart };
    }
    case 'json':
    case 'ndjson': {
      const text = new TextDecoder().decode(checkText(fileName, bytes, 'JSON'));
      return {
        kind: 'arrow',
        format: f,
        tables: single(buildArrowTable(parseJsonColumns(fileName, text, f))),
        casts: [],
      };
    }
    case 'parquet': {
      const { tables, casts } = openParquet(fileName, bytes);
      return { kind: 'arrow', format: f, tables, casts };
    }
    case 'arrow':
      return { kind: 'arrow', format: f, tables: single(readArrow(fileName, bytes)), casts: [] };
  }
}

async function* single(t: Table): AsyncGenerator<Table> {
  yield t;
}

/** Arrow IPC file or stream → Table, with truncation named instead of silently losing batches. */
export function readArrow(fileName: string, bytes: Uint8Array): Table {
  if (!isArrow(bytes)) {
    throw new DataError({
      file: fileName,
      message: 'is not an Arrow IPC file: it starts with neither "ARROW1" nor an Arrow stream message.',
    });
  }
  const isFileFormat = ARROW_FILE_MAGIC.every((b, i) => bytes[i] === b);
  const tail = String.fromCharCode(...bytes.subarray(Math.max(0, bytes.length - 6)));
  if (isFileFormat && tail !== 'ARROW1') {
    throw new DataError({
      file: fileName,
      message: `is not a complete Arrow IPC file (it is ${bytes.length} bytes and the closing "ARROW1" footer is missing; the file was probably cut off).`,
    });
  }
  try {
    return tableFromIPC(bytes);
  } catch (e) {
    throw new DataError({
      file: fileName,
      message: `is not a complete or valid Arrow IPC file (${rawMessage(e)}).`,
    });
  }
}
