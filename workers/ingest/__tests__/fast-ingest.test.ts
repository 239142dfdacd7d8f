/**
 * The pieces that make ingest fast: CSV checks split into a head check (before DuckDB's sniffer) and the
 * rest (while DuckDB reads), with the same messages; Parquet decoded by parquet-wasm into a few large
 * Arrow IPC streams.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC, tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { concatIpcStreams, INSERT_BYTES, openParquet } from '../parquet.ts';
import { firstLines, precheckCsv } from '../precheck.ts';
import { HEAD_LINES, prepareIngest } from '../prepare.ts';
import { useParquetWasmInNode } from './parquetWasmNode.ts';

useParquetWasmInNode();
const enc = (s: string) => new TextEncoder().encode(s);
const messageOf = (f: () => unknown): string => {
  try {
    f();
    return 'no error';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('CSV head check', () => {
  it('firstLines cuts after the n-th line break', () => {
    expect(new TextDecoder().decode(firstLines(enc('a\nb\nc\n'), 2))).toBe('a\nb\n');
    const all = enc('a\nb');
    expect(firstLines(all, 5)).toBe(all);
  });

  it('partial mode ignores a quote or record cut off at the end, and no data rows yet', () => {
    expect(() => precheckCsv('t.csv', enc('a,b\n1,"x\ny'), 'csv', true)).not.toThrow();
    expect(() => precheckCsv('t.csv', enc('a,b\n'), 'csv', true)).not.toThrow();
    expect(() => precheckCsv('t.csv', enc('a,b\n1,2,3\n'), 'csv', true)).toThrow(/line 2: expected 2 fields/);
  });

  it('a problem in the head gives the whole-file message (a NUL further on wins, as before)', () => {
    const rows = Array.from({ length: HEAD_LINES + 10 }, (_, i) => `${i},x`);
    rows[4] = '1,2,3'; // ragged, in the head
    const text = `a,b\n${rows.join('\n')}\n9,\u0000\n`;
    const p = prepareIngest('t.csv', enc(text), undefined, { deferCsvChecks: true });
    if (p.kind !== 'csv') throw new Error('not csv');
    expect(messageOf(() => p.checkStart())).toMatch(/contains a NUL byte/);
  });

  it('a problem after the head is left to check()', () => {
    const rows = Array.from({ length: HEAD_LINES + 10 }, (_, i) => `${i},x`);
    rows[HEAD_LINES + 5] = '1,2,3';
    const p = prepareIngest('t.csv', enc(`a,b\n${rows.join('\n')}\n`), undefined, { deferCsvChecks: true });
    if (p.kind !== 'csv') throw new Error('not csv');
    expect(() => p.checkStart()).not.toThrow();
    expect(messageOf(() => p.check())).toMatch(new RegExp(`line ${HEAD_LINES + 7}: expected 2 fields`));
  });
});

describe('Parquet via parquet-wasm', () => {
  it('concatIpcStreams joins streams into one with every batch', () => {
    const a = tableToIPC(tableFromArrays({ x: Int32Array.of(1, 2) }), 'stream');
    const b = tableToIPC(tableFromArrays({ x: Int32Array.of(3) }), 'stream');
    const t = tableFromIPC(concatIpcStreams([a, b]));
    expect(t.numRows).toBe(3);
    expect(t.batches.length).toBe(2);
    expect(t.getChild('x')!.toArray()).toEqual(Int32Array.of(1, 2, 3));
  });

  it('flights-3m.parquet: 3M rows in a few large chunks, native types', async () => {
    const path = join(import.meta.dirname, '../../../node_modules/vega-datasets/data/flights-3m.parquet');
    const { tables, casts } = openParquet('flights-3m.parquet', new Uint8Array(readFileSync(path)));
    let rows = 0;
    let chunks = 0;
    let types = '';
    for await (const chunk of tables) {
      const t = tableFromIPC(chunk);
      rows += t.numRows;
      chunks++;
      expect(chunk.byteLength).toBeLessThan(INSERT_BYTES * 1.5);
      types = t.schema.fields.map((f) => `${f.name}:${f.type}`).join(', ');
    }
    expect(rows).toBe(3_000_000);
    expect(chunks).toBeLessThanOrEqual(4);
    expect(types).toBe(
      'date:Timestamp<MICROSECOND>, delay:Int64, distance:Int64, origin:LargeUtf8, destination:LargeUtf8',
    );
    expect(casts).toEqual([]);
  });

  it('a corrupt footer names the file', async () => {
    const bytes = enc('PAR1 this is not really parquet at all PAR1');
    const { tables } = openParquet('x.parquet', bytes);
    await expect(tables.next()).rejects.toThrow(/^x\.parquet: is not a complete Parquet file \(/);
  });
});
