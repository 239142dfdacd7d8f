import { describe, expect, it } from 'vitest';
import { DataError, formatErrorInfo, fromDuckDbCsvError, lineColumnAt } from '../errors.ts';

describe('formatErrorInfo', () => {
  it('puts file, line and column first', () => {
    expect(formatErrorInfo({ file: 'a.csv', line: 3, column: 7, message: 'bad.' })).toBe(
      'a.csv, line 3, column 7: bad.',
    );
    expect(formatErrorInfo({ file: 'a.csv', column: 'price', message: 'bad.' })).toBe(
      'a.csv, column "price": bad.',
    );
    expect(formatErrorInfo({ message: 'bad.' })).toBe('bad.');
  });
  it('DataError carries the info and the formatted message', () => {
    const e = new DataError({ file: 'x.json', line: 2, message: 'oops.' });
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('x.json, line 2: oops.');
    expect(e.info.line).toBe(2);
  });
});

describe('lineColumnAt', () => {
  const b = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('counts LF, CRLF and lone CR once each', () => {
    expect(lineColumnAt(b('ab\ncd'), 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumnAt(b('ab\r\ncd'), 5)).toEqual({ line: 2, column: 2 });
    expect(lineColumnAt(b('ab\rcd'), 4)).toEqual({ line: 2, column: 2 });
  });
  it('counts characters, not bytes', () => {
    // "é" is two bytes; the "x" after it is the 3rd character.
    expect(lineColumnAt(b('\u00e9\u00e9x'), 4)).toEqual({ line: 1, column: 3 });
  });
});

describe('fromDuckDbCsvError', () => {
  it('rewrites a ragged-row error (text recorded from DuckDB 1.4)', () => {
    const raw =
      'Invalid Input Error: CSV Error on Line: 17\nOriginal Line: 1,2,3,4,5,6,7,8,9\nExpected Number of Columns: 8 Found: 9\nPossible fixes: ...';
    const e = fromDuckDbCsvError('orders.csv', raw);
    expect(e.message).toMatch(
      /^orders\.csv, line 17: expected 8 fields but found 9 \(ragged row: too many fields\)\. DuckDB said: Invalid Input Error: CSV Error on Line: 17$/,
    );
  });
  it('names the value and column of a conversion error', () => {
    const raw =
      'Conversion Error: CSV Error on Line: 5\nError when converting column "price". Could not convert string "abc" to \'DOUBLE\'\nColumn: price';
    expect(fromDuckDbCsvError('o.csv', raw).message).toMatch(
      /^o\.csv, line 5, column "price": the value "abc" is not a valid DOUBLE/,
    );
  });
  it('falls back to DuckDB text with the file name', () => {
    expect(fromDuckDbCsvError('o.csv', 'IO Error: something').message).toBe(
      'o.csv: could not be read as CSV. DuckDB said: IO Error: something',
    );
  });
});
