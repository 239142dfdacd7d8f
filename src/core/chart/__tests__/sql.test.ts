/**
 * chartQuery's SQL, run by native DuckDB (@duckdb/node-api) on generated tables whose answers are
 * computed independently here in TypeScript.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_MARKS, type ChartSpec, parseChartSpec } from '../spec.ts';
import { type ChartColumn, chartQuery } from '../sql.ts';

let con: DuckDBConnection;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjectsJS() as Record<string, unknown>[];
}
async function columns(table: string): Promise<ChartColumn[]> {
  return (await rows(`DESCRIBE ${table}`)).map((r) => ({
    name: String(r.column_name),
    type: String(r.column_type),
  }));
}
const spec = (s: Partial<ChartSpec>): ChartSpec => parseChartSpec(s);
async function chart(table: string, s: Partial<ChartSpec>): Promise<Record<string, unknown>[]> {
  const q = chartQuery(spec(s), table, await columns(table));
  return rows(q.sql);
}
const num = (v: unknown) => Number(v);

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rec {
  id: number;
  grp: string;
  kind: string;
  v: number;
  iv: number;
  day: string;
}
const data: Rec[] = [];

/** quantile_cont (linear interpolation between closest ranks), computed independently. */
function quantile(sorted: number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]) - sorted[lo]);
}

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false');
  const r = rng(7);
  const groups = ['alpha', 'beta', 'gamma', "o'brien", 'delta'];
  for (let i = 0; i < 2000; i++) {
    const d = new Date(Date.UTC(2020, 0, 1) + Math.floor(r() * 400) * 86400_000);
    data.push({
      id: i,
      grp: groups[Math.floor(r() * groups.length)],
      kind: r() < 0.5 ? 'x' : 'y',
      v: Math.round((r() * 100 - 20) * 8) / 8, // exact binary fractions
      iv: Math.floor(r() * 1000),
      day: d.toISOString().slice(0, 10),
    });
  }
  await con.run('CREATE TABLE t (id INTEGER, grp VARCHAR, kind VARCHAR, v DOUBLE, iv BIGINT, day DATE)');
  const values = data
    .map((d) => `(${d.id}, '${d.grp.replaceAll("'", "''")}', '${d.kind}', ${d.v}, ${d.iv}, DATE '${d.day}')`)
    .join(',');
  await con.run(`INSERT INTO t VALUES ${values}`);
  await con.run(`INSERT INTO t VALUES (9999, NULL, 'x', NULL, NULL, NULL)`);
  await con.run(
    `CREATE TABLE big AS SELECT range AS id, range % 997 AS g, 'c' || (range % 37) AS cat, (hash(range) % 100000) / 100.0 AS v,
       TIMESTAMP '2001-01-01' + to_seconds(range * 5) AS ts FROM range(3000000)`,
  );
});
afterAll(() => con?.closeSync());

describe('chartQuery on native DuckDB', () => {
  it('histogram bin counts equal an independent count over the returned bin edges', async () => {
    for (const [column, bins] of [
      ['v', 40],
      ['iv', 25],
      ['v', 7],
    ] as const) {
      const out = await chart('t', { mark: 'histogram', x: column, bins });
      const values = data.map((d) => d[column]);
      expect(out.reduce((s, r) => s + num(r.y), 0)).toBe(values.length);
      // Edges are contiguous and equally wide.
      const w = num(out[0].x2) - num(out[0].x1);
      expect(out.length).toBeLessThanOrEqual(bins + 1);
      for (const r of out) {
        expect(num(r.x2) - num(r.x1)).toBeCloseTo(w, 9);
        const n = values.filter((v) => v >= num(r.x1) && v < num(r.x2)).length;
        expect(num(r.y), `${column} bin [${r.x1}, ${r.x2})`).toBe(n);
      }
      if (column === 'iv') expect(w).toBeGreaterThanOrEqual(1);
    }
  });

  it('bar aggregates (count, sum, mean, median by group) equal JS computations', async () => {
    const byGroup = new Map<string, number[]>();
    for (const d of data) byGroup.set(d.grp, [...(byGroup.get(d.grp) ?? []), d.v]);
    for (const aggregate of ['count', 'sum', 'mean', 'median'] as const) {
      const out = await chart('t', { mark: 'bar', x: 'grp', y: 'v', aggregate });
      expect(out.length).toBe(byGroup.size);
      for (const r of out) {
        const vs = byGroup.get(String(r.x))!;
        const sorted = [...vs].sort((a, b) => a - b);
        const expected = {
          count: vs.length,
          sum: vs.reduce((a, b) => a + b, 0),
          mean: vs.reduce((a, b) => a + b, 0) / vs.length,
          median: quantile(sorted, 0.5),
        }[aggregate];
        expect(num(r.y), `${aggregate} ${r.x}`).toBeCloseTo(expected, 6);
      }
    }
  });

  it('groups by colour and buckets dates by the chosen unit', async () => {
    const out = await chart('t', { mark: 'line', x: 'day', color: 'kind', timeUnit: 'month' });
    const expected = new Map<string, number>();
    for (const d of data) {
      const k = `${d.day.slice(0, 7)}|${d.kind}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    expect(out.length).toBe(expected.size);
    for (const r of out) {
      const month = (r.x as Date).toISOString().slice(0, 7);
      expect(num(r.y)).toBe(expected.get(`${month}|${r.color}`));
      expect(r.__unit).toBe('month');
    }
    // auto: 400 days → day buckets (≤ 500)
    const auto = await chart('t', { mark: 'line', x: 'day' });
    expect(auto[0].__unit).toBe('day');
    expect(auto.length).toBe(new Set(data.map((d) => d.day)).size);
  });

  it('box stats equal quantiles computed independently, whiskers within 1.5 IQR', async () => {
    const out = await chart('t', { mark: 'box', x: 'grp', y: 'v' });
    const byGroup = new Map<string, number[]>();
    for (const d of data) byGroup.set(d.grp, [...(byGroup.get(d.grp) ?? []), d.v]);
    expect(out.length).toBe(byGroup.size);
    for (const r of out) {
      const s = [...byGroup.get(String(r.x))!].sort((a, b) => a - b);
      const q1 = quantile(s, 0.25);
      const q3 = quantile(s, 0.75);
      expect(num(r.q1)).toBeCloseTo(q1, 9);
      expect(num(r.median)).toBeCloseTo(quantile(s, 0.5), 9);
      expect(num(r.q3)).toBeCloseTo(q3, 9);
      const inside = s.filter((v) => v >= q1 - 1.5 * (q3 - q1) && v <= q3 + 1.5 * (q3 - q1));
      expect(num(r.lo)).toBe(inside[0]);
      expect(num(r.hi)).toBe(inside.at(-1));
      expect(num(r.n)).toBe(s.length);
      expect(num(r.outliers)).toBe(s.length - inside.length);
    }
  });

  it('filters work, and a hostile value is only ever a literal', async () => {
    const hostile = "x'; DROP TABLE t; --";
    const out = await chart('t', {
      mark: 'bar',
      x: 'grp',
      filters: [
        { column: 'grp', op: '!=', value: hostile },
        { column: 'v', op: '>=', value: '10' },
        { column: 'grp', op: 'in', value: "alpha, o'brien" },
      ],
    });
    const expected = new Map<string, number>();
    for (const d of data)
      if (d.v >= 10 && (d.grp === 'alpha' || d.grp === "o'brien"))
        expected.set(d.grp, (expected.get(d.grp) ?? 0) + 1);
    expect(Object.fromEntries(out.map((r) => [r.x, num(r.y)]))).toEqual(Object.fromEntries(expected));
    expect(num((await rows('SELECT count(*) AS n FROM t'))[0].n)).toBe(2001); // t still there
    const eq = await chart('t', {
      mark: 'bar',
      x: 'grp',
      filters: [{ column: 'grp', op: '=', value: hostile }],
    });
    expect(eq).toEqual([]);
    const nulls = await chart('t', {
      mark: 'bar',
      x: 'kind',
      filters: [{ column: 'v', op: 'is null', value: '' }],
    });
    expect(nulls.map((r) => [r.x, num(r.y)])).toEqual([['x', 1]]);
    await expect(
      chart('t', { mark: 'bar', x: 'grp', filters: [{ column: 'v', op: '<', value: '1; DROP TABLE t' }] }),
    ).rejects.toThrow('"1; DROP TABLE t" is not a number');
  });

  it('names a missing column', async () => {
    const cols = await columns('t');
    expect(() => chartQuery(spec({ mark: 'bar', x: 'foo' }), 't', cols)).toThrow(
      'Column "foo" is not in table t',
    );
    expect(() =>
      chartQuery(
        spec({ mark: 'bar', x: 'grp', filters: [{ column: 'nope', op: '=', value: '1' }] }),
        't',
        cols,
      ),
    ).toThrow('Column "nope" is not in table t');
    expect(() => chartQuery(spec({ mark: 'histogram', x: 'grp' }), 't', cols)).toThrow(/numeric x/);
    expect(() => chartQuery(spec({ mark: 'bar', x: 'grp', y: 'kind', aggregate: 'sum' }), 't', cols)).toThrow(
      /numeric column/,
    );
  });

  it('a 3,000,000-row table gives at most 5,000 rows for every mark', { timeout: 120_000 }, async () => {
    const cols = await columns('big');
    const specs: Partial<ChartSpec>[] = [
      { mark: 'dot', x: 'v', y: 'id', color: 'cat' },
      { mark: 'line', x: 'ts', y: 'v', aggregate: 'mean', color: 'cat' },
      { mark: 'line', x: 'id', y: 'v', aggregate: 'sum' },
      { mark: 'area', x: 'ts', color: 'cat', facet: 'cat' },
      { mark: 'bar', x: 'g', y: 'v', aggregate: 'median', color: 'cat' },
      { mark: 'bar', x: 'ts', timeUnit: 'hour' },
      { mark: 'histogram', x: 'v', color: 'cat', facet: 'cat', bins: 200 },
      { mark: 'box', x: 'g', y: 'v', facet: 'cat' },
      { mark: 'heatmap', x: 'v', y: 'id', facet: 'cat', bins: 200 },
      { mark: 'heatmap', x: 'ts', y: 'cat', color: 'v', aggregate: 'mean' },
    ];
    expect(new Set(specs.map((s) => s.mark))).toEqual(new Set(CHART_MARKS));
    for (const s of specs) {
      const q = chartQuery(spec(s), 'big', cols);
      const out = await rows(q.sql);
      expect(out.length, JSON.stringify(s)).toBeLessThanOrEqual(q.limit + 1);
      expect(q.limit).toBeLessThanOrEqual(5000);
      expect(num(out[0].__total)).toBe(3_000_000);
    }
    const dot = await rows(chartQuery(spec({ mark: 'dot', x: 'v', y: 'id' }), 'big', cols).sql);
    expect(dot.length).toBe(5000);
    // Fixed seed: the same sample again (single-threaded for a guaranteed order).
    await con.run('SET threads = 1');
    const a = await rows(chartQuery(spec({ mark: 'dot', x: 'v', y: 'id' }), 'big', cols).sql);
    const b = await rows(chartQuery(spec({ mark: 'dot', x: 'v', y: 'id' }), 'big', cols).sql);
    await con.run('RESET threads');
    expect(a.map((r) => r.y)).toEqual(b.map((r) => r.y));
  });
});
