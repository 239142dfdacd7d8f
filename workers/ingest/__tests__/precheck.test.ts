import { describe, expect, it } from 'vitest';
import { checkFileSize, checkText, detectDelimiter, firstInvalidUtf8, precheckCsv } from '../precheck.ts';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const csv = (s: string) => precheckCsv('t.csv', checkText('t.csv', b(s), 'CSV'), 'csv');

describe('checkFileSize', () => {
  it('accepts 2 GiB and rejects one byte more, naming file and size', () => {
    expect(() => checkFileSize('a.csv', 2 * 1024 ** 3)).not.toThrow();
    expect(() => checkFileSize('a.csv', 2 * 1024 ** 3 + 1)).toThrow(
      /^a\.csv: the file is 2\.0 GB \(2147483649 bytes\)/,
    );
  });
});

describe('checkText', () => {
  it('strips a UTF-8 BOM silently', () => {
    expect(checkText('t.csv', Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), 'CSV')).toEqual(Uint8Array.of(0x61));
  });
  it('finds the first invalid UTF-8 byte', () => {
    expect(firstInvalidUtf8(b('ok \u00e9'))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.of(0x61, 0xc3))).toBe(1); // truncated sequence
    expect(firstInvalidUtf8(Uint8Array.of(0xed, 0xa0, 0x80))).toBe(0); // surrogate
    expect(firstInvalidUtf8(Uint8Array.of(0xc0, 0x80))).toBe(0); // overlong
  });
});

describe('precheckCsv', () => {
  it('detects the delimiter from the header', () => {
    expect(detectDelimiter(b('a;b;c\n1;2;3'))).toBe(';');
    expect(detectDelimiter(b('"a,x";b;c\n'))).toBe(';');
    expect(detectDelimiter(b('single\n1\n'))).toBe(',');
  });
  it('accepts quoted delimiters, doubled quotes, newlines in quotes, CRLF and blank lines', () => {
    const shape = csv('id,text\r\n1,"a, ""b""\r\nc"\r\n\r\n2,plain\r\n');
    expect(shape).toEqual({ delimiter: ',', header: ['id', 'text'], dataRows: 2 });
  });
  it('unquotes header names', () => {
    expect(csv('"a b","c""d"\n1,2\n').header).toEqual(['a b', 'c"d']);
  });
  it('reports the line where a record starts, even after multi-line values', () => {
    expect(() => csv('a,b\n1,"x\ny"\n2,3,4\n')).toThrow(/^t\.csv, line 4: expected 2 fields/);
  });
  it('rejects text after a closing quote on the same line', () => {
    expect(() => csv('a,b\n1,"x"y\n')).toThrow(
      /^t\.csv, line 2, column 3: a quoted value is followed by "y"/,
    );
  });
  it('TSV uses tabs even when commas are present', () => {
    const shape = precheckCsv('t.tsv', b('a\tb,c\n1\t2,3\n'), 'tsv');
    expect(shape.header).toEqual(['a', 'b,c']);
  });
});
