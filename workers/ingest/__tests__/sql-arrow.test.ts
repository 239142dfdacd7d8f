import { describe, expect, it } from 'vitest';
import { buildArrowTable } from '../arrow.ts';
import { duckTypeOfArrow } from '../duckTypes.ts';
import { normaliseTypeName, quoteIdent, quoteLiteral } from '../sql.ts';

describe('sql helpers', () => {
  it('quotes identifiers and literals by doubling', () => {
    expect(quoteIdent('my "t"')).toBe('"my ""t"""');
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });
  it('allows DuckDB type names and nothing else', () => {
    expect(normaliseTypeName(' double ')).toBe('DOUBLE');
    expect(normaliseTypeName('decimal(10, 2)')).toBe('DECIMAL(10,2)');
    expect(normaliseTypeName('timestamp with time zone')).toBe('TIMESTAMP WITH TIME ZONE');
    expect(normaliseTypeName('DECIMAL(40,2)')).toBeUndefined();
    expect(normaliseTypeName('INTEGER); DROP TABLE t; --')).toBeUndefined();
    expect(normaliseTypeName('VARCHAR USING 1')).toBeUndefined();
  });
});

describe('buildArrowTable', () => {
  it('writes values and nulls for every ingest type', () => {
    const t = buildArrowTable([
      { name: 'i', type: 'BIGINT', values: [1, null, 3n] },
      { name: 'd', type: 'DOUBLE', values: [0.5, 1, null] },
      { name: 's', type: 'VARCHAR', values: ['a', null, 'é'] },
      { name: 'b', type: 'BOOLEAN', values: [true, false, null] },
      { name: 'day', type: 'DATE', values: [0, 1, null] },
      { name: 'ts', type: 'TIMESTAMP', values: [1000n, new Date(2), null] },
    ]);
    expect(t.numRows).toBe(3);
    expect(t.schema.fields.map((f) => duckTypeOfArrow(f.type))).toEqual([
      'BIGINT',
      'DOUBLE',
      'VARCHAR',
      'BOOLEAN',
      'DATE',
      'TIMESTAMP',
    ]);
    expect(t.getChild('i')?.toArray()[2]).toBe(3n);
    expect(t.getChild('i')?.get(1)).toBeNull();
    expect(t.getChild('s')?.get(2)).toBe('é');
    expect(t.getChild('b')?.get(1)).toBe(false);
    expect(t.getChild('b')?.get(2)).toBeNull();
    expect(t.getChild('ts')?.get(1)).toBe(2); // 2 ms → 2000 µs, read back as ms
  });
});
