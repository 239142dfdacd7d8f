/**
 * Cheap byte-level checks that run BEFORE DuckDB sees a text file. Pure (no DOM), unit-tested in Node.
 *
 * DuckDB's CSV reader is fast but its errors are written for SQL users ("CSV Error on Line: 17 ...
 * Possible fixes: ..."), and some bad inputs (binary data, Latin-1, a PNG renamed .csv) produce messages
 * about sniffing that do not tell the user what is wrong. One linear pass over the bytes here finds
 * those cases and names the file, line and column. A 100 MB CSV takes a few hundred ms.
 */
import { DataError, lineColumnAt } from './errors.ts';
import { detectForeign } from './sniff.ts';

/** Largest file the browser may read into memory (the main thread checks before reading bytes). */
export const MAX_FILE_BYTES = 2 * 1024 ** 3;
/** More columns than this is almost certainly a wrong delimiter or a corrupt line. */
export const MAX_COLUMNS = 10_000;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(1)} ${units[u]}`;
}

/** Rejects files over 2 GiB before anything reads them, naming the file and its size. */
export function checkFileSize(name: string, size: number): void {
  if (size > MAX_FILE_BYTES) {
    throw new DataError({
      file: name,
      message: `the file is ${formatBytes(size)} (${size} bytes); Benchtop opens files up to 2 GB in the browser. Filter or split it first.`,
    });
  }
}

const BOM = [0xef, 0xbb, 0xbf];

/** Strip a UTF-8 byte-order mark (Excel writes one; the file is valid and must load). */
export function stripBom(bytes: Uint8Array): { bytes: Uint8Array; hadBom: boolean } {
  const has = bytes.length >= 3 && BOM.every((b, i) => bytes[i] === b);
  return { bytes: has ? bytes.subarray(3) : bytes, hadBom: has };
}

/** Offset of the first byte that is not valid UTF-8, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b < 0x80) continue;
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : (c & 0xc0) !== 0x80) return i;
    }
    i += n;
  }
  return -1;
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  return true;
}

function latin1Char(b: number): string {
  try {
    return new TextDecoder('windows-1252').decode(Uint8Array.of(b));
  } catch {
    return '?';
  }
}

/**
 * The O(1)-ish part of `checkText`: empty, only a BOM, only blank lines (stops at the first other byte),
 * a foreign binary format. Returns the bytes without a BOM and whether there was one.
 */
export function checkTextQuick(
  fileName: string,
  raw: Uint8Array,
  kind: string,
): { bytes: Uint8Array; hadBom: boolean } {
  if (raw.length === 0) throw new DataError({ file: fileName, message: 'the file is empty (0 bytes).' });
  const { bytes, hadBom } = stripBom(raw);
  if (bytes.length === 0 && hadBom) {
    throw new DataError({
      file: fileName,
      message: 'the file contains only a UTF-8 byte-order mark and no data (it is empty).',
    });
  }
  if (isBlank(bytes))
    throw new DataError({ file: fileName, message: 'the file contains only blank lines (it is empty).' });
  const foreign = detectForeign(bytes);
  if (foreign) throw new DataError({ file: fileName, message: `looks like ${foreign}, not a ${kind} file.` });
  return { bytes, hadBom };
}

/** The linear part of `checkText` (BOM already stripped): NUL bytes, then invalid UTF-8. */
export function checkTextBytes(fileName: string, bytes: Uint8Array, kind: string, hadBom: boolean): void {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const { line, column } = lineColumnAt(bytes, nul);
    throw new DataError({
      file: fileName,
      line,
      column,
      message: `contains a NUL byte (byte offset ${nul + (hadBom ? 3 : 0)}): this is binary data, not a text ${kind} file.`,
    });
  }
  // A byte loop rather than a fatal TextDecoder: it does not build a string as large as the file.
  const at = firstInvalidUtf8(bytes);
  if (at >= 0) {
    const { line, column } = lineColumnAt(bytes, at);
    const b = bytes[at];
    const hex = `0x${b.toString(16).toUpperCase().padStart(2, '0')}`;
    throw new DataError({
      file: fileName,
      line,
      column,
      message:
        `byte ${hex} is not valid UTF-8; the file looks like Latin-1/Windows-1252 text ` +
        `(${hex} would be "${latin1Char(b)}" there). Re-save it as UTF-8 (e.g. "CSV UTF-8" in Excel).`,
    });
  }
}

/**
 * Checks shared by every text format (CSV, TSV, JSON, NDJSON): empty, foreign binary, NUL bytes, UTF-8.
 * `kind` is the word used in messages ("CSV", "JSON"). Returns the bytes without a BOM.
 */
export function checkText(fileName: string, raw: Uint8Array, kind: string): Uint8Array {
  const { bytes, hadBom } = checkTextQuick(fileName, raw, kind);
  checkTextBytes(fileName, bytes, kind, hadBom);
  return bytes;
}

export interface CsvShape {
  /** The delimiter found (or fixed by the format). */
  delimiter: string;
  /** Header names, unquoted. */
  header: string[];
  /** Data records (blank lines not counted). */
  dataRows: number;
}

const CANDIDATES = [',', '\t', ';', '|'];
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** The candidate that splits the first record (outside quotes) into the most fields; `,` if none. */
export function detectDelimiter(bytes: Uint8Array): string {
  const counts = new Map<number, number>(CANDIDATES.map((c) => [c.charCodeAt(0), 0]));
  let inQuotes = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === QUOTE) inQuotes = !inQuotes;
    else if (!inQuotes && (b === LF || b === CR)) break;
    else if (!inQuotes && counts.has(b)) counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const c of CANDIDATES) {
    const n = counts.get(c.charCodeAt(0)) ?? 0;
    if (n > bestCount) [best, bestCount] = [c, n];
  }
  return best;
}

/**
 * The first `lines` physical lines of `bytes` (through the line break that ends the last of them), or
 * all of `bytes` when it has no more lines than that.
 */
export function firstLines(bytes: Uint8Array, lines: number): Uint8Array {
  let at = -1;
  for (let n = 0; n < lines; n++) {
    at = bytes.indexOf(LF, at + 1);
    if (at < 0) return bytes;
  }
  return bytes.subarray(0, at + 1);
}

const showDelimiter = (d: string): string => (d === '\t' ? 'tab' : `"${d}"`);

/**
 * Full structural check of a CSV/TSV (BOM already stripped, text checks passed): quotes close, every
 * record has as many fields as the header, no absurd widths, header names are unique and non-empty,
 * and there is at least one data row. Follows RFC 4180 quoting (`""` inside quotes is a quote).
 *
 * `partial`: `bytes` is only the start of the file (cut after a line break), so the end of the bytes
 * is not the end of the file: a quote still open there, a record cut off, or no data rows yet are not
 * errors. Every error it does report, the check of the whole file reports too (perhaps preceded by
 * one from further on in the text checks).
 */
export function precheckCsv(
  fileName: string,
  bytes: Uint8Array,
  format: 'csv' | 'tsv',
  partial = false,
): CsvShape {
  const delimiter = format === 'tsv' ? '\t' : detectDelimiter(bytes);
  const d = delimiter.charCodeAt(0);
  const decoder = new TextDecoder();
  const header: string[] = [];
  let headerCount = -1;
  let dataRows = 0;
  let line = 1; // physical line of the current byte
  let recordLine = 1; // line where the current record started
  let recordStart = 0;
  let fields = 1;
  let fieldStart = 0;
  let atFieldStart = true;
  let recordEmpty = true;
  let inQuotes = false;
  let quoteAt = 0;
  let quoteLine = 1;

  const headerField = (end: number): void => {
    let s = decoder.decode(bytes.subarray(fieldStart, end)).trim();
    if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1).replaceAll('""', '"');
    header.push(s);
  };

  const endRecord = (end: number): void => {
    if (recordEmpty) return; // blank lines are skipped, as DuckDB does
    if (fields > MAX_COLUMNS) {
      throw new DataError({
        file: fileName,
        line: recordLine,
        message: `this line has ${fields} fields; Benchtop reads at most ${MAX_COLUMNS} columns. Is the delimiter right (${showDelimiter(delimiter)} was used)?`,
      });
    }
    if (headerCount < 0) {
      headerField(end);
      headerCount = fields;
      return;
    }
    if (fields !== headerCount) {
      const text = decoder.decode(bytes.subarray(recordStart, Math.min(end, recordStart + 4096)));
      const other = CANDIDATES.find((c) => c !== delimiter && text.includes(c));
      const hint = other
        ? ` The delimiter seems to change: this line contains ${showDelimiter(other)} while the header uses ${showDelimiter(delimiter)}.`
        : '';
      const kind = fields > headerCount ? 'too many fields' : 'too few fields';
      throw new DataError({
        file: fileName,
        line: recordLine,
        message: `expected ${headerCount} fields (as in the header) but found ${fields} (ragged row: ${kind}).${hint}`,
      });
    }
    dataRows++;
  };

  /**
   * After a closing quote only a delimiter or a line end may follow. Anything else means the quote
   * closed somewhere it should not have: when the quoted value spans lines, the real problem is almost
   * always a quote that was never closed where it opened.
   */
  const checkAfterQuote = (at: number): void => {
    let j = at;
    while (bytes[j] === 0x20) j++;
    const next = bytes[j];
    if (next === undefined || next === d || next === LF || next === CR) return;
    const { column } = lineColumnAt(bytes, quoteAt);
    const ch = decoder.decode(bytes.subarray(j, j + 1));
    throw new DataError({
      file: fileName,
      line: quoteLine,
      column,
      message:
        line > quoteLine
          ? `a quoted value starts here and runs on to line ${line}, where a quote is followed by "${ch}": the quote opened here is probably never closed (unterminated quote).`
          : `a quoted value is followed by "${ch}" after its closing quote; quotes inside a quoted value must be doubled ("").`,
    });
  };

  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inQuotes) {
      if (b === QUOTE) {
        if (bytes[i + 1] === QUOTE) i++;
        else {
          inQuotes = false;
          checkAfterQuote(i + 1);
        }
      } else if (b === LF || (b === CR && bytes[i + 1] !== LF)) line++;
      continue;
    }
    if (b === QUOTE && atFieldStart) {
      inQuotes = true;
      quoteAt = i;
      quoteLine = line;
      atFieldStart = false;
      recordEmpty = false;
    } else if (b === d) {
      if (headerCount < 0) headerField(i);
      fields++;
      fieldStart = i + 1;
      atFieldStart = true;
      recordEmpty = false;
    } else if (b === LF || b === CR) {
      endRecord(i);
      if (b === CR && bytes[i + 1] === LF) i++;
      line++;
      recordLine = line;
      recordStart = fieldStart = i + 1;
      fields = 1;
      atFieldStart = true;
      recordEmpty = true;
    } else {
      // Leading spaces before a quote are allowed by DuckDB; keep "field start" through them.
      if (b !== 0x20) atFieldStart = false;
      recordEmpty = false;
    }
  }
  if (inQuotes && !partial) {
    const { column } = lineColumnAt(bytes, quoteAt);
    throw new DataError({
      file: fileName,
      line: quoteLine,
      column,
      message: 'a quoted value starts here but its closing quote is never found (unterminated quote).',
    });
  }
  if (!partial) endRecord(bytes.length);

  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') {
      throw new DataError({
        file: fileName,
        line: 1,
        column: i + 1,
        message: `header column ${i + 1} has no name; give every column a name in the first line.`,
      });
    }
    // DuckDB identifiers are case-insensitive: "Price" and "price" would collide.
    const key = name.toLowerCase();
    const prev = seen.get(key);
    if (prev !== undefined) {
      throw new DataError({
        file: fileName,
        line: 1,
        column: i + 1,
        message: `the header names column "${name}" twice (columns ${prev + 1} and ${i + 1}); column names must be unique (ignoring case).`,
      });
    }
    seen.set(key, i);
  });
  if (dataRows === 0 && !partial) {
    throw new DataError({ file: fileName, message: 'the file has a header but no data rows.' });
  }
  return { delimiter, header, dataRows };
}
