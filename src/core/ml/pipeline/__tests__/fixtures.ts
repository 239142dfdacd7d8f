/** A mixed-type fixture table for pipeline tests. */
import { createRng } from '../../random.ts';
import type { ColumnarTable } from '../../types.ts';

export const BASE = Date.UTC(2022, 0, 1);
export const DAY = 86_400_000;
const WORDS = 'alpha beta gamma delta storm river mountain city night music film war peace love'.split(' ');

export function fixture(n = 300) {
  const rng = createRng(11);
  const num: (number | null)[] = [];
  const low: (string | null)[] = [];
  const high: (string | null)[] = [];
  const flag: (boolean | null)[] = [];
  const when: (number | null)[] = [];
  const title: (string | null)[] = [];
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    num.push(i % 9 === 0 ? null : Math.round(rng.normal() * 1000) / 100 + 5);
    low.push(i % 13 === 0 ? null : ['red', 'green', 'green', 'blue', 'blue', 'blue'][rng.int(6)]);
    high.push(i % 17 === 0 ? null : `h${rng.int(40)}`);
    flag.push(i % 11 === 0 ? null : rng.next() < 0.3);
    when.push(i % 23 === 0 ? null : BASE + Math.floor(rng.next() * 400 * DAY));
    const len = 2 + rng.int(8);
    title.push(
      i % 19 === 0 ? null : Array.from({ length: len }, () => WORDS[rng.int(WORDS.length)]).join(' '),
    );
    y[i] = rng.next() < 0.2 + (low[i] === 'red' ? 0.4 : 0) ? 1 : 0;
  }
  const table: ColumnarTable = {
    rowCount: n,
    columns: { num, low, high, flag, when, title, y: Array.from(y) },
    types: {
      num: 'DOUBLE',
      low: 'VARCHAR',
      high: 'VARCHAR',
      flag: 'BOOLEAN',
      when: 'TIMESTAMP',
      title: 'VARCHAR',
      y: 'INTEGER',
    },
  };
  // Train = a seeded 70% of the rows; the rest are "test".
  const order = createRng(3).shuffle(Array.from({ length: n }, (_, i) => i));
  const train = Uint32Array.from(order.slice(0, Math.round(n * 0.7))).sort();
  const test = Uint32Array.from(order.slice(Math.round(n * 0.7))).sort();
  return { table, y, train, test, num, low, high, flag, when, title };
}
