import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIsoTimestamp, parseJsonColumns } from '../json.ts';

const fixture = readFileSync(join(import.meta.dirname, '../../../tests/fixtures/good/small.json'), 'utf8');

describe('parseJsonColumns', () => {
  it('infers types over all rows of the fixture (known answer)', () => {
    const cols = parseJsonColumns('small.json', fixture, 'json');
    expect(Object.fromEntries(cols.map((c) => [c.name, c.type]))).toEqual({
      id: 'BIGINT',
      score: 'DOUBLE', // 1.5, 2 and -0.25: one non-integer widens the column
      ok: 'BOOLEAN',
      name: 'VARCHAR',
      day: 'DATE',
      at: 'TIMESTAMP', // Z, naive and +01:00 all parse
      tags: 'VARCHAR', // arrays become JSON text
      n: 'VARCHAR', // all null
      extra: 'VARCHAR', // only in the last row
    });
    const byName = Object.fromEntries(cols.map((c) => [c.name, Array.from(c.values)]));
    expect(byName.tags).toEqual(['["x"]', '[]', null, '["y","z"]']);
    expect(byName.extra).toEqual([null, null, null, 'only here']);
    expect(byName.day[0]).toBe(Date.UTC(2021, 0, 2) / 86_400_000);
    expect(byName.at[3]).toBe(Date.UTC(2021, 11, 31, 22, 59, 59, 123));
  });
  it('mixed numbers and strings become text; impossible dates demote to text', () => {
    const cols = parseJsonColumns('m.json', '[{"a":1,"d":"2021-02-30"},{"a":"x","d":"2021-02-01"}]', 'json');
    expect(cols.map((c) => c.type)).toEqual(['VARCHAR', 'VARCHAR']);
    expect(Array.from(cols[0].values)).toEqual(['1', 'x']);
  });
  it('NDJSON errors name the line', () => {
    expect(() => parseJsonColumns('x.ndjson', '{"a":1}\n\n{"a":}\n', 'ndjson')).toThrow(
      /^x\.ndjson, line 3(, column 6)?: not valid JSON/,
    );
  });
  it('array of scalars is one column "value"', () => {
    const cols = parseJsonColumns('s.json', '[1, 2, null]', 'json');
    expect(cols).toEqual([{ name: 'value', type: 'BIGINT', values: [1, 2, null] }]);
  });
  it('a single object is one row', () => {
    expect(parseJsonColumns('o.json', '{"a": true}', 'json')[0].values).toEqual([true]);
  });
});

describe('parseIsoTimestamp', () => {
  it('reads naive times as UTC and applies offsets', () => {
    expect(parseIsoTimestamp('2020-01-01 00:00:00')).toBe(Date.UTC(2020, 0, 1));
    expect(parseIsoTimestamp('2020-01-01T01:00:00+0100')).toBe(Date.UTC(2020, 0, 1));
    expect(parseIsoTimestamp('2020-01-01T00:00:00.123456Z')).toBe(Date.UTC(2020, 0, 1, 0, 0, 0, 123));
    expect(parseIsoTimestamp('2020/01/01 00:00')).toBeNaN();
  });
});
