/**
 * JSON and NDJSON → typed columns. DuckDB-WASM 1.32 has no JSON extension, so the worker parses here.
 * Pure (no DOM), unit-tested in Node.
 *
 * Accepted shapes: an array of objects (one row each), a single object (one row), an array of scalars
 * (one column "value"), or NDJSON with one object per line. Types are inferred over ALL rows:
 * BOOLEAN, BIGINT (integers within ±2^53), DOUBLE, DATE (`YYYY-MM-DD`), TIMESTAMP (ISO 8601 date-time,
 * read as UTC; a zone offset is applied), else VARCHAR. Nested objects/arrays become JSON text.
 */
import type { ColumnValues, IngestType } from './arrow.ts';
import { jsonString } from './arrow.ts';
import { DataError } from './errors.ts';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds since the epoch for an ISO date-time; naive times are taken as UTC. NaN if invalid. */
export function parseIsoTimestamp(s: string): number {
  const m = TIMESTAMP_RE.exec(s);
  if (!m) return Number.NaN;
  let iso = s.replace(' ', 'T');
  // Date.parse keeps only milliseconds; trim longer fractions so it accepts them.
  iso = iso.replace(/(\.\d{3})\d+/, '$1');
  if (!m[1]) iso += 'Z';
  else if (/^[+-]\d{4}$/.test(m[1])) iso = iso.slice(0, -2) + ':' + iso.slice(-2);
  const ms = Date.parse(iso);
  // Reject roll-overs such as 2021-02-30 (Date.parse accepts them in some engines).
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== s.slice(0, 10)) {
    return m[1] ? ms : Number.NaN;
  }
  return ms;
}

function parseIsoDate(s: string): number {
  if (!DATE_RE.test(s)) return Number.NaN;
  const ms = Date.parse(`${s}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== s) return Number.NaN;
  return ms / 86_400_000;
}

/** What the values of one column have been so far (a lattice walk: each value can only widen it). */
interface Seen {
  bool: boolean;
  int: boolean;
  double: boolean;
  string: boolean;
  nested: boolean;
  allDates: boolean;
  allTimestamps: boolean;
}

function observe(seen: Seen, v: unknown): void {
  if (v === null || v === undefined) return;
  switch (typeof v) {
    case 'boolean':
      seen.bool = true;
      return;
    case 'number':
      if (Number.isSafeInteger(v)) seen.int = true;
      else seen.double = true;
      return;
    case 'string':
      seen.string = true;
      if (seen.allDates && !DATE_RE.test(v)) seen.allDates = false;
      if (seen.allTimestamps && !TIMESTAMP_RE.test(v)) seen.allTimestamps = false;
      return;
    default:
      seen.nested = true;
  }
}

function decide(seen: Seen): IngestType {
  const kinds = [seen.bool, seen.int || seen.double, seen.string, seen.nested].filter(Boolean).length;
  if (kinds === 0) return 'VARCHAR'; // all null
  if (kinds > 1) return 'VARCHAR';
  if (seen.bool) return 'BOOLEAN';
  if (seen.double) return 'DOUBLE';
  if (seen.int) return 'BIGINT';
  if (seen.string && seen.allDates) return 'DATE';
  if (seen.string && seen.allTimestamps) return 'TIMESTAMP';
  return 'VARCHAR';
}

function convert(type: IngestType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'DATE':
      return parseIsoDate(v as string);
    case 'TIMESTAMP':
      return parseIsoTimestamp(v as string);
    case 'VARCHAR':
      return typeof v === 'string' ? v : typeof v === 'object' ? jsonString(v) : String(v);
    default:
      return v;
  }
}

/** Rows (objects) → columns, columns in first-seen order, types inferred over every row. */
export function rowsToColumns(rows: Record<string, unknown>[]): ColumnValues[] {
  const names: string[] = [];
  const seen = new Map<string, Seen>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      let s = seen.get(key);
      if (!s) {
        s = {
          bool: false,
          int: false,
          double: false,
          string: false,
          nested: false,
          allDates: true,
          allTimestamps: true,
        };
        seen.set(key, s);
        names.push(key);
      }
      observe(s, row[key]);
    }
  }
  return names.map((name) => {
    let type = decide(seen.get(name)!);
    let values = rows.map((r) => convert(type, r[name]));
    // A date-like string that does not exist (2021-02-30) demotes the column to text.
    if ((type === 'DATE' || type === 'TIMESTAMP') && values.some((v) => Number.isNaN(v))) {
      type = 'VARCHAR';
      values = rows.map((r) => convert(type, r[name]));
    }
    return { name, type, values };
  });
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  return `a ${typeof v}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Line and column (1-based) of a UTF-16 index in `text`. */
export function lineColumnOfIndex(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: index - start + 1 };
}

/** JSON.parse with the error turned into `file, line L, column C: ...`. */
function parseOrThrow(fileName: string, text: string, ndjsonLine?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const raw = e instanceof Error ? e.message : String(e);
    // V8: "... in JSON at position 45 (line 3 column 5)" (newer) or "... at position 45" (older).
    const pos = /position (\d+)/.exec(raw);
    const where = pos
      ? lineColumnOfIndex(text, Number(pos[1]))
      : /Unexpected end/.test(raw)
        ? lineColumnOfIndex(text, text.length)
        : undefined;
    const detail = raw.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
    throw new DataError({
      file: fileName,
      line: ndjsonLine ?? where?.line,
      column: where?.column,
      message: `not valid JSON (${detail}).`,
    });
  }
}

/** A parsed JSON document (not NDJSON) → rows. */
function documentRows(fileName: string, doc: unknown): Record<string, unknown>[] {
  if (isRecord(doc)) return [doc];
  if (!Array.isArray(doc)) {
    throw new DataError({
      file: fileName,
      message: `the JSON is ${describeJson(doc)}, not a table; expected an array of objects (one per row) or one object per line (NDJSON).`,
    });
  }
  if (doc.length === 0)
    throw new DataError({ file: fileName, message: 'the JSON array is empty: there are no rows.' });
  const first = doc.find((v) => v !== null);
  if (isRecord(first)) {
    doc.forEach((v, i) => {
      if (v !== null && !isRecord(v)) {
        throw new DataError({
          file: fileName,
          message: `element ${i + 1} of the array is ${describeJson(v)}, but the rows before it are objects; every row must be an object.`,
        });
      }
    });
    return doc.map((v) => (v === null ? {} : (v as Record<string, unknown>)));
  }
  // An array of scalars is one column; arrays of arrays are ambiguous (is row 1 a header?): refuse.
  const bad = doc.findIndex((v) => typeof v === 'object' && v !== null);
  if (bad >= 0) {
    throw new DataError({
      file: fileName,
      message: `element ${bad + 1} of the array is ${describeJson(doc[bad])}; expected an array of objects (one per row), e.g. [{"a": 1}, {"a": 2}].`,
    });
  }
  return doc.map((value) => ({ value }));
}

/** NDJSON: one object per non-blank line; errors name the line. */
function ndjsonRows(fileName: string, text: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    const v = parseOrThrow(fileName, line, lineNo);
    if (!isRecord(v)) {
      throw new DataError({
        file: fileName,
        line: lineNo,
        message: `expected a JSON object on each line, found ${describeJson(v)}.`,
      });
    }
    rows.push(v);
  }
  if (rows.length === 0) throw new DataError({ file: fileName, message: 'the file has no JSON rows.' });
  return rows;
}

/** JSON or NDJSON text (already UTF-8-checked, BOM stripped) → typed columns. */
export function parseJsonColumns(fileName: string, text: string, format: 'json' | 'ndjson'): ColumnValues[] {
  const rows =
    format === 'ndjson' ? ndjsonRows(fileName, text) : documentRows(fileName, parseOrThrow(fileName, text));
  const columns = rowsToColumns(rows);
  if (columns.length === 0) throw new DataError({ file: fileName, message: 'the JSON rows have no fields.' });
  return columns;
}
