import {
  Bool,
  DateDay,
  Float64,
  Int64,
  Table,
  TimestampMicrosecond,
  Utf8,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { columnarFromArrow } from '../arrowTable.ts';

describe('columnarFromArrow', () => {
  it('decodes numbers, 64-bit ints, timestamps, dates, booleans and strings with nulls', () => {
    const t0 = Date.UTC(2024, 1, 3, 4, 5, 6);
    const table = new Table({
      f: vectorFromArray([1.5, null, 3], new Float64()),
      i: vectorFromArray([1n, null, 2n ** 40n], new Int64()),
      ts: vectorFromArray([t0, null, t0 + 1000], new TimestampMicrosecond()),
      d: vectorFromArray(
        [new Date(Date.UTC(2024, 0, 2)), null, new Date(Date.UTC(2024, 0, 3))],
        new DateDay(),
      ),
      b: vectorFromArray([true, null, false], new Bool()),
      s: vectorFromArray(['x', null, 'z'], new Utf8()),
    });
    const ct = columnarFromArrow(tableToIPC(table, 'stream'), { s: 'VARCHAR' });
    expect(ct.rowCount).toBe(3);
    expect(Array.from(ct.columns.f as Float64Array)).toEqual([1.5, Number.NaN, 3]);
    expect(Array.from(ct.columns.i as Float64Array)).toEqual([1, Number.NaN, 2 ** 40]);
    expect(Array.from(ct.columns.ts as Float64Array)).toEqual([t0, Number.NaN, t0 + 1000]);
    expect(Array.from(ct.columns.d as Float64Array)).toEqual([
      Date.UTC(2024, 0, 2),
      Number.NaN,
      Date.UTC(2024, 0, 3),
    ]);
    expect(ct.columns.b).toEqual([true, null, false]);
    expect(ct.columns.s).toEqual(['x', null, 'z']);
    expect(ct.types).toEqual({
      f: 'DOUBLE',
      i: 'BIGINT',
      ts: 'TIMESTAMP',
      d: 'DATE',
      b: 'BOOLEAN',
      s: 'VARCHAR',
    });
  });
});
