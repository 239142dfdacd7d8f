import {
  DateDay,
  Decimal,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  makeVector,
  Struct,
  Table,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { DataApi, PageRequest, QueryResult, TableInfo } from '../../../../workers/data.api.ts';
import { arrowToRows, makeDataPager } from '../arrowRows.ts';

function ipcOf(cols: Record<string, ReturnType<typeof makeVector>>): Uint8Array {
  return tableToIPC(new Table(cols), 'stream');
}

describe('arrowToRows', () => {
  it('decodes scalars to plain JS, nulls to null, keeps column order', () => {
    const ipc = ipcOf({
      i: vectorFromArray([1, null, 3], new Int32()),
      f: vectorFromArray([1.5, Number.NaN, null], new Float64()),
      s: vectorFromArray(['a', null, 'ccc'], new Utf8()),
      b: vectorFromArray([true, false, null]),
    });
    const { columns, rows } = arrowToRows(ipc);
    expect(columns).toEqual(['i', 'f', 's', 'b']);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual([1, 1.5, 'a', true]);
    expect(rows[1][0]).toBeNull();
    expect(rows[1][1]).toBeNaN();
    expect(rows[1][2]).toBeNull();
    expect(rows[2]).toEqual([3, null, 'ccc', null]);
  });

  it('BIGINT: safe values become numbers, unsafe ones stay bigint', () => {
    const big = 2n ** 60n + 7n;
    const v = makeVector(
      makeData({
        type: new Int64(),
        length: 3,
        nullCount: 0,
        data: new BigInt64Array([42n, -(2n ** 53n) + 1n, big]),
      }),
    );
    const { rows } = arrowToRows(ipcOf({ n: v }));
    expect(rows.map((r) => r[0])).toEqual([42, -(2 ** 53) + 1, big]);
    expect(typeof rows[2][0]).toBe('bigint');
  });

  it('dates and timestamps become Date (UTC), sub-ms precision dropped', () => {
    const day = vectorFromArray([new Date(Date.UTC(2024, 1, 29)), null], new DateDay());
    const ts = vectorFromArray(
      [new Date(Date.UTC(2023, 10, 14, 22, 13, 20, 123)), null],
      new TimestampMillisecond(),
    );
    const us = makeVector(
      makeData({
        type: new TimestampMicrosecond(),
        length: 1,
        data: new BigInt64Array([1_700_000_000_123_456n]),
      }),
    );
    const { rows } = arrowToRows(ipcOf({ day, ts }));
    expect(rows[0][0]).toBeInstanceOf(Date);
    expect((rows[0][0] as Date).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect((rows[0][1] as Date).toISOString()).toBe('2023-11-14T22:13:20.123Z');
    expect(rows[1]).toEqual([null, null]);
    const r2 = arrowToRows(ipcOf({ us })).rows;
    expect((r2[0][0] as Date).getTime()).toBe(1_700_000_000_123);
  });

  it('TIME becomes HH:MM:SS[.fraction]; DECIMAL becomes a scaled number', () => {
    const t = makeVector(
      makeData({
        type: new TimeMicrosecond(),
        length: 2,
        data: new BigInt64Array([3_723_000_000n, 45_296_500_000n]),
      }),
    );
    const d = makeVector(
      makeData({ type: new Decimal(2, 18, 128), length: 1, data: new Uint32Array([12345, 0, 0, 0]) }),
    );
    expect(arrowToRows(ipcOf({ t })).rows.map((r) => r[0])).toEqual(['01:02:03', '12:34:56.5']);
    expect(arrowToRows(ipcOf({ d })).rows[0][0]).toBeCloseTo(123.45, 10);
  });

  it('lists and structs become arrays and plain objects, converted recursively', () => {
    const list = vectorFromArray([[1, 2], null, []], new List(new Field('item', new Int32(), true)));
    const struct = vectorFromArray(
      [{ a: 1, b: 'x' }, null, { a: null, b: 'z' }],
      new Struct([new Field('a', new Int32(), true), new Field('b', new Utf8(), true)]),
    );
    const { rows } = arrowToRows(ipcOf({ list, struct }));
    expect(rows[0]).toEqual([[1, 2], { a: 1, b: 'x' }]);
    expect(rows[1]).toEqual([null, null]);
    expect(rows[2]).toEqual([[], { a: null, b: 'z' }]);
    expect(Array.isArray(rows[0][0])).toBe(true);
  });

  it('handles an empty result', () => {
    const { columns, rows } = arrowToRows(ipcOf({ x: vectorFromArray([] as number[], new Int32()) }));
    expect(columns).toEqual(['x']);
    expect(rows).toEqual([]);
  });
});

describe('makeDataPager', () => {
  it('passes table, window and sort to data.page and decodes the rows', async () => {
    const calls: PageRequest[] = [];
    const data: Pick<DataApi, 'page'> = {
      async page(req): Promise<QueryResult> {
        calls.push(req);
        const ids = Array.from({ length: req.limit }, (_, k) => req.offset + k);
        const arrow = ipcOf({ id: vectorFromArray(ids, new Int32()) });
        return { arrow, columns: [{ name: 'id', type: 'INTEGER' }], rowCount: ids.length, ms: 1 };
      },
    };
    const info: TableInfo = { name: 'people', columns: [{ name: 'id', type: 'INTEGER' }], rowCount: 1000 };
    const pager = makeDataPager(data, info);
    expect(pager.rowCount).toBe(1000);
    expect(pager.columns).toEqual([{ name: 'id', type: 'INTEGER' }]);
    const rows = await pager.page(200, 3, { column: 'id', desc: true });
    expect(rows).toEqual([[200], [201], [202]]);
    expect(calls).toEqual([
      { table: 'people', offset: 200, limit: 3, orderBy: { column: 'id', desc: true } },
    ]);
    await pager.page(0, 1);
    expect(calls[1]).toEqual({ table: 'people', offset: 0, limit: 1 });
  });
});
