import { describe, expect, it } from 'vitest';
import {
  isReservedWord,
  isValidName,
  MAX_NAME_LENGTH,
  nameProblem,
  quoteIdent,
  tableNameFromFile,
} from '../tableName.ts';

const none: ReadonlySet<string> = new Set();
const name = (file: string, taken: ReadonlySet<string> = none): string => tableNameFromFile(file, taken);

describe('tableNameFromFile', () => {
  it('keeps an already clean name, minus the extension', () => {
    expect(name('olist_orders_dataset.csv')).toBe('olist_orders_dataset');
  });

  it.each([
    ['a.csv', 'a'],
    ['a.csv.gz', 'a'],
    ['a.CSV.GZ', 'a'],
    ['a.tsv', 'a'],
    ['a.parquet', 'a'],
    ['a.json', 'a'],
    ['a.ndjson', 'a'],
    ['a.jsonl', 'a'],
    ['a.arrow', 'a'],
    ['a.feather', 'a'],
    ['a.ipc', 'a'],
    ['a.txt', 'a'],
    ['a.json.zst', 'a'],
  ])('strips the extension(s) of %s', (file, expected) => {
    expect(name(file)).toBe(expected);
  });

  it('strips only known extensions, and only once', () => {
    expect(name('report.2024.csv')).toBe('report_2024');
    expect(name('archive.tar')).toBe('archive_tar');
    expect(name('x.csv.csv')).toBe('x_csv');
    expect(name('noext')).toBe('noext');
  });

  it('lower-cases, replaces runs of other characters by one underscore and trims them', () => {
    expect(name('Olist Orders (2018).csv')).toBe('olist_orders_2018');
    expect(name('  --Sales  Q1--  .csv')).toBe('sales_q1');
    expect(name('a__b---c.csv')).toBe('a_b_c');
    expect(name('Straße & Co.csv')).toBe('stra_e_co');
  });

  it('removes accents instead of dropping the letter', () => {
    expect(name('Données_Été.csv')).toBe('donnees_ete');
    expect(name('Ångström-Ça.parquet')).toBe('angstrom_ca');
    // The same accented letter, precomposed (NFC) or decomposed (NFD), gives the same name.
    expect(name('cafe\u0301.csv')).toBe('cafe');
    expect(name('caf\u00e9.csv')).toBe('cafe');
  });

  it('takes the last path component', () => {
    expect(name('C:\\fakepath\\Orders.csv')).toBe('orders');
    expect(name('data/raw/orders.csv')).toBe('orders');
  });

  it('prefixes t_ when the name would start with a digit', () => {
    expect(name('2019.csv')).toBe('t_2019');
    expect(name('2019 sales.csv')).toBe('t_2019_sales');
    expect(name('_2019.csv')).toBe('t_2019');
  });

  it('gives a placeholder when nothing usable is left', () => {
    expect(name('.csv')).toBe('t_data');
    expect(name('東京.csv')).toBe('t_data');
    expect(name('')).toBe('t_data');
    expect(name('---')).toBe('t_data');
  });

  it('avoids DuckDB reserved words', () => {
    expect(name('order.csv')).toBe('order_data');
    expect(name('SELECT.csv')).toBe('select_data');
    expect(name('group.parquet')).toBe('group_data');
    expect(name('join.csv')).toBe('join_data');
    expect(name('main.csv')).toBe('main_data');
    // Not reserved: left alone.
    expect(name('orders.csv')).toBe('orders');
    expect(name('user.csv')).toBe('user');
  });

  it('caps the length at 63 characters without a trailing underscore', () => {
    const long = `${'a'.repeat(62)}_bbbb.csv`;
    const result = name(long);
    expect(result).toBe('a'.repeat(62));
    expect(name(`${'x'.repeat(100)}.csv`)).toHaveLength(MAX_NAME_LENGTH);
    expect(MAX_NAME_LENGTH).toBe(63);
  });

  it('de-duplicates against taken names case-insensitively with _2, _3…', () => {
    expect(name('orders.csv', new Set(['orders']))).toBe('orders_2');
    expect(name('orders.csv', new Set(['ORDERS']))).toBe('orders_2');
    expect(name('orders.csv', new Set(['orders', 'orders_2', 'Orders_3']))).toBe('orders_4');
    expect(name('orders.csv', new Set(['orders_2']))).toBe('orders');
    expect(name('order.csv', new Set(['order_data']))).toBe('order_data_2');
  });

  it('keeps a de-duplicated long name within 63 characters', () => {
    const base = 'x'.repeat(63);
    const taken = new Set([base, `${'x'.repeat(61)}_2`]);
    const result = name(`${base}.csv`, taken);
    expect(result).toBe(`${'x'.repeat(61)}_3`);
    expect(result.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    const taken10 = new Set([base, ...Array.from({ length: 8 }, (_, i) => `${'x'.repeat(61)}_${i + 2}`)]);
    expect(name(`${base}.csv`, taken10)).toBe(`${'x'.repeat(60)}_10`);
  });

  it('always produces a valid name', () => {
    const files = [
      'olist_orders_dataset.csv',
      '2019.csv',
      'order.csv',
      '東京.csv',
      `${'é'.repeat(90)}.csv`,
      '.csv',
    ];
    for (const f of files) expect(isValidName(name(f)), f).toBe(true);
  });
});

describe('nameProblem / isValidName', () => {
  it('accepts letters, digits and underscores not starting with a digit', () => {
    for (const ok of ['orders', 'Orders', '_tmp', 'a1', 'by_state_2', 'x'.repeat(63)]) {
      expect(nameProblem(ok), ok).toBeNull();
      expect(isValidName(ok), ok).toBe(true);
    }
  });

  it('explains each problem', () => {
    expect(nameProblem('')).toBe('A name is required.');
    expect(nameProblem('1abc')).toBe('"1abc" starts with a digit; start with a letter or "_".');
    expect(nameProblem('my table')).toBe('"my table" may only contain letters a–z, digits and "_".');
    expect(nameProblem('été')).toBe('"été" may only contain letters a–z, digits and "_".');
    expect(nameProblem('Select')).toBe('"Select" is an SQL keyword; choose another name.');
    expect(nameProblem('x'.repeat(64))).toBe(`"${'x'.repeat(64)}" is too long (at most 63 characters).`);
    for (const bad of ['', '1abc', 'my table', 'a-b', 'a.b', 'order', 'FROM'])
      expect(isValidName(bad), bad).toBe(false);
  });

  it('knows the reserved words case-insensitively', () => {
    expect(isReservedWord('order')).toBe(true);
    expect(isReservedWord('ORDER')).toBe(true);
    expect(isReservedWord('orders')).toBe(false);
  });
});

describe('quoteIdent', () => {
  it('wraps in double quotes and doubles inner ones', () => {
    expect(quoteIdent('orders')).toBe('"orders"');
    expect(quoteIdent('my "big" table')).toBe('"my ""big"" table"');
    expect(quoteIdent('"')).toBe('""""');
    expect(quoteIdent('')).toBe('""');
    expect(quoteIdent("it's")).toBe('"it\'s"');
  });

  it('rejects NUL, which no SQL identifier may contain', () => {
    expect(() => quoteIdent('a\0b')).toThrow('NUL');
  });
});
