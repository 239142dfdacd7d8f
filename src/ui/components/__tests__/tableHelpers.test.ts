import { describe, expect, it } from 'vitest';
import { defaultWidth, formatCell, formatFloat, formatInt, typeBadge } from '../cellFormat.ts';
import { PageCache, type Row } from '../tablePager.ts';
import {
  isScaled,
  MAX_SCROLL_PX,
  rowWindow,
  scrollFromVirtual,
  spacerHeight,
  virtualFromScroll,
} from '../virtualScroll.ts';

describe('typeBadge', () => {
  it.each([
    ['BIGINT', 'int', true],
    ['INTEGER', 'int', true],
    ['UBIGINT', 'int', true],
    ['DOUBLE', 'float', true],
    ['FLOAT', 'float', true],
    ['DECIMAL(18,3)', 'dec', true],
    ['VARCHAR', 'text', false],
    ['DATE', 'date', false],
    ['TIMESTAMP', 'time', false],
    ['TIMESTAMP WITH TIME ZONE', 'time', false],
    ['BOOLEAN', 'bool', false],
    ['INTEGER[]', 'list', false],
    ['STRUCT(a INTEGER)', 'struct', false],
    ['BLOB', 'blob', false],
  ])('%s → %s', (type, label, numeric) => {
    const b = typeBadge(type);
    expect(b.label).toBe(label);
    expect(b.numeric).toBe(numeric);
  });

  it('gives wider defaults to wider kinds and long names', () => {
    expect(defaultWidth('text', 'x')).toBeGreaterThan(defaultWidth('bool', 'x'));
    expect(defaultWidth('bool', 'a_rather_long_column_name', 'bool')).toBeGreaterThan(200);
  });
});

describe('formatCell', () => {
  it('ints get thousands separators, bigint included', () => {
    expect(formatInt(3_000_000)).toBe('3,000,000');
    expect(formatCell(-1234, 'int')).toBe('-1,234');
    expect(formatCell(9_007_199_254_740_993n, 'int')).toBe('9,007,199,254,740,993');
  });

  it('floats: ~6 significant digits, no lost integer digits, exponent at extremes', () => {
    expect(formatFloat(Math.PI)).toBe('3.14159');
    expect(formatFloat(12345.678)).toBe('12,345.7');
    expect(formatFloat(1234567.891)).toBe('1,234,568');
    expect(formatFloat(0.000123456789)).toBe('0.000123457');
    expect(formatFloat(1.5e-9)).toBe('1.5e-9');
    expect(formatFloat(2.5e20)).toBe('2.5e+20');
    expect(formatFloat(0)).toBe('0');
    expect(formatFloat(Number.NaN)).toBe('NaN');
    expect(formatFloat(Number.NEGATIVE_INFINITY)).toBe('-∞');
    expect(formatCell(2, 'float')).toBe('2');
  });

  it('null and undefined are null (rendered as the muted marker)', () => {
    expect(formatCell(null, 'int')).toBeNull();
    expect(formatCell(undefined, 'text')).toBeNull();
  });

  it('dates and timestamps are ISO (UTC), from Date or epoch ms', () => {
    const d = new Date(Date.UTC(2024, 0, 5, 7, 8, 9, 10));
    expect(formatCell(d, 'date')).toBe('2024-01-05');
    expect(formatCell(d, 'time')).toBe('2024-01-05 07:08:09.010');
    expect(formatCell(Date.UTC(2024, 0, 5), 'time')).toBe('2024-01-05 00:00:00');
    expect(formatCell(Date.UTC(2024, 0, 5), 'date')).toBe('2024-01-05');
    expect(formatCell(new Date(Number.NaN), 'date')).toBe('Invalid date');
  });

  it('other values', () => {
    expect(formatCell(true, 'bool')).toBe('true');
    expect(formatCell('x'.repeat(500), 'text')).toHaveLength(500);
    expect(formatCell([1, 2n, null], 'nested')).toBe('[1,"2",null]');
    expect(formatCell({ a: 1 }, 'nested')).toBe('{"a":1}');
    expect(formatCell(new Uint8Array([1, 255]), 'bytes')).toBe('2 B · 01 ff');
  });
});

describe('virtual scroll geometry', () => {
  const small = { rowCount: 1000, rowHeight: 28, bodyHeight: 280 };
  const huge = { rowCount: 3_000_000, rowHeight: 28, bodyHeight: 336 };

  it('is the identity below the cap', () => {
    expect(isScaled(small)).toBe(false);
    expect(spacerHeight(small)).toBe(28_000);
    expect(virtualFromScroll(560, small)).toBe(560);
    expect(scrollFromVirtual(560, small)).toBe(560);
    const w = rowWindow(560, 560, small, 0);
    expect(w).toMatchObject({ first: 20, last: 29, start: 20, end: 30, top: 560 });
  });

  it('scales above the cap: top and bottom map to the first and last rows', () => {
    expect(isScaled(huge)).toBe(true);
    expect(spacerHeight(huge)).toBe(MAX_SCROLL_PX);
    const maxScroll = MAX_SCROLL_PX - huge.bodyHeight;
    expect(rowWindow(virtualFromScroll(0, huge), 0, huge, 0).first).toBe(0);
    const vt = virtualFromScroll(maxScroll, huge);
    const w = rowWindow(vt, maxScroll, huge, 4);
    expect(w.last).toBe(huge.rowCount - 1);
    expect(w.end).toBe(huge.rowCount);
    // The last row's bottom sits exactly at the bottom of the viewport.
    const lastBottom = w.top + (w.last - w.start + 1) * huge.rowHeight;
    expect(lastBottom).toBeCloseTo(maxScroll + huge.bodyHeight, 6);
    // Round trip.
    expect(virtualFromScroll(scrollFromVirtual(1_234_567 * 28, huge), huge)).toBeCloseTo(1_234_567 * 28, 3);
  });

  it('empty table', () => {
    expect(rowWindow(0, 0, { rowCount: 0, rowHeight: 28, bodyHeight: 300 })).toMatchObject({
      start: 0,
      end: 0,
    });
  });
});

describe('PageCache', () => {
  const rows = (offset: number, limit: number): Row[] =>
    Array.from({ length: limit }, (_, k) => [offset + k]);

  it('loads pages once, serves rows, evicts least recently used', async () => {
    const calls: number[] = [];
    const cache = new PageCache(
      async (offset, limit) => {
        calls.push(offset);
        return rows(offset, limit);
      },
      { pageSize: 10, maxPages: 2 },
    );
    expect(cache.row(5)).toBeUndefined();
    await Promise.all([cache.load([0]), cache.load([0])]);
    expect(calls).toEqual([0]);
    expect(cache.row(5)).toEqual([5]);
    await cache.load([1]);
    cache.row(0); // page 0 is now more recent than page 1
    await cache.load([2]);
    expect(cache.has(0)).toBe(true);
    expect(cache.has(1)).toBe(false);
    expect(cache.has(2)).toBe(true);
    expect(cache.pagesFor(5, 25)).toEqual([0, 1, 2]);
    expect(cache.covers(0, 9)).toBe(true);
    expect(cache.covers(0, 10)).toBe(false);
  });

  it('drops answers that arrive after reset, records errors', async () => {
    let release: (r: Row[]) => void = () => {};
    const cache = new PageCache(() => new Promise<Row[]>((r) => (release = r)), { pageSize: 10 });
    const p = cache.load([0]);
    cache.reset(async () => {
      throw new Error('boom');
    });
    release(rows(0, 10));
    await p;
    expect(cache.has(0)).toBe(false);
    await cache.load([0]);
    expect(cache.errors.get(0)).toBe('boom');
  });
});
