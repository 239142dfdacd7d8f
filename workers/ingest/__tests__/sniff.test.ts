import { describe, expect, it } from 'vitest';
import { detectForeign, sniffFormat } from '../sniff.ts';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sniffFormat', () => {
  it('trusts binary magic over the extension', () => {
    expect(sniffFormat('data.csv', b('PAR1\0\0\0\0PAR1'))).toBe('parquet');
    expect(sniffFormat('data.bin', b('ARROW1\0\0'))).toBe('arrow');
  });
  it('uses the extension for text formats', () => {
    expect(sniffFormat('x.tsv', b('a\tb\n'))).toBe('tsv');
    expect(sniffFormat('x.TXT', b('a,b\n'))).toBe('csv');
    expect(sniffFormat('x.jsonl', b('{"a":1}\n'))).toBe('ndjson');
    expect(sniffFormat('x.feather', Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe('arrow');
  });
  it('recognises NDJSON saved as .json', () => {
    expect(sniffFormat('x.json', b('{"a":1}\n{"a":2}\n'))).toBe('ndjson');
    expect(sniffFormat('x.json', b('{\n  "a": 1\n}\n'))).toBe('json');
  });
  it('guesses from content without an extension', () => {
    expect(sniffFormat('download', b('\uFEFF  [{"a":1}]'))).toBe('json');
    expect(sniffFormat('download', b('{"a":1}\n{"a":2}'))).toBe('ndjson');
    expect(sniffFormat('download', Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x10))).toBe('arrow');
    expect(sniffFormat('download', b('a,b\n1,2\n'))).toBe('csv');
  });
});

describe('detectForeign', () => {
  it('names common non-table files', () => {
    expect(detectForeign(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('a PNG image');
    expect(detectForeign(b('%PDF-1.7'))).toBe('a PDF document');
    expect(detectForeign(Uint8Array.of(0x1f, 0x8b, 8))).toMatch(/^a gzip-compressed file/);
    expect(detectForeign(b('id,name'))).toBeUndefined();
  });
});
