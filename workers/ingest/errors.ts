/**
 * User-facing error messages for the data worker. Pure TypeScript (no DOM) so it is unit-tested in Node.
 *
 * Every message starts with the user's file name and, when known, `line N` / `column N`, because that is
 * what a person needs to open the file and fix it. DuckDB's own text is kept at the end (after
 * "DuckDB said:") for bug reports, never instead of our sentence.
 */
import type { DataErrorInfo } from '../data.api.ts';

/** An Error that also carries the structured location; comlink forwards `message` and `name`. */
export class DataError extends Error {
  readonly info: DataErrorInfo;
  constructor(info: DataErrorInfo) {
    super(formatErrorInfo(info));
    this.name = 'DataError';
    this.info = info;
  }
}

/** `orders.csv, line 17, column 3: <message>` — only the parts that are known. */
export function formatErrorInfo(info: DataErrorInfo): string {
  const where: string[] = [];
  if (info.file) where.push(info.file);
  if (info.line !== undefined) where.push(`line ${info.line}`);
  if (info.column !== undefined) {
    where.push(typeof info.column === 'number' ? `column ${info.column}` : `column "${info.column}"`);
  }
  return where.length ? `${where.join(', ')}: ${info.message}` : info.message;
}

/** 1-based line and column (in characters, not bytes) of a byte offset in UTF-8-ish text. */
export function lineColumnAt(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, bytes.length);
  for (let i = 0; i < end; i++) {
    const b = bytes[i];
    if (b === 0x0a) {
      line++;
      lineStart = i + 1;
    } else if (b === 0x0d && bytes[i + 1] !== 0x0a) {
      // A lone CR is an old-Mac line break; CRLF counts once (at the LF).
      line++;
      lineStart = i + 1;
    }
  }
  // Count characters, not bytes: UTF-8 continuation bytes (10xxxxxx) do not start a character.
  let column = 1;
  for (let i = lineStart; i < end; i++) if ((bytes[i] & 0xc0) !== 0x80) column++;
  return { line, column };
}

/** The message of anything thrown (DuckDB-WASM rejects with Error objects, parquet-wasm sometimes with strings). */
export function rawMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** First line of DuckDB's text, trimmed, for the "DuckDB said:" suffix. */
function firstLine(raw: string): string {
  return raw.split('\n')[0].trim();
}

/**
 * Turn a DuckDB error raised while reading a CSV into our form. DuckDB's CSV errors look like
 * `Invalid Input Error: CSV Error on Line: 17\nOriginal Line: ...\nExpected Number of Columns: 8 Found: 9`
 * or `Conversion Error: ... Could not convert string "x" to 'BIGINT' ... Line: 5 ... Column: price`.
 */
export function fromDuckDbCsvError(fileName: string, raw: string): DataError {
  const lineMatch = /(?:CSV Error on Line|Line):\s*(\d+)/.exec(raw);
  const line = lineMatch ? Number(lineMatch[1]) : undefined;
  const cols = /Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)/.exec(raw);
  if (cols) {
    const [expected, found] = [Number(cols[1]), Number(cols[2])];
    const kind = found > expected ? 'ragged row: too many fields' : 'ragged row: too few fields';
    return new DataError({
      file: fileName,
      line,
      message: `expected ${expected} fields but found ${found} (${kind}). DuckDB said: ${firstLine(raw)}`,
    });
  }
  if (/unterminated quote/i.test(raw)) {
    return new DataError({
      file: fileName,
      line,
      message: `a quoted value is never closed (unterminated quote). DuckDB said: ${firstLine(raw)}`,
    });
  }
  const conv = /Could not convert string "([^"]*)" to '([A-Z0-9_ ]+)'/.exec(raw);
  const colName = /Column:?\s*"?([^"\n]+?)"?\s*(?:\n|$)/.exec(raw)?.[1];
  if (conv) {
    return new DataError({
      file: fileName,
      line,
      column: colName,
      message: `the value "${conv[1]}" is not a valid ${conv[2]}. DuckDB said: ${firstLine(raw)}`,
    });
  }
  if (/invalid unicode|utf-8/i.test(raw)) {
    return new DataError({
      file: fileName,
      line,
      message: `the file is not valid UTF-8; re-save it as UTF-8. DuckDB said: ${firstLine(raw)}`,
    });
  }
  return new DataError({
    file: fileName,
    line,
    message: `could not be read as CSV. DuckDB said: ${firstLine(raw)}`,
  });
}

/** Errors from SQL the user typed: keep DuckDB's text (it is already specific), drop the type prefix noise. */
export function fromDuckDbQueryError(raw: string): Error {
  return new Error(raw.trim());
}
