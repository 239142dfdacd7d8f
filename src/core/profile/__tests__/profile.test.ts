/**
 * Every statistic of a profile against an independent computation in plain TypeScript over the same
 * rows, on a fixture with NULLs, NaN, empty strings, dates, timestamps, booleans, unicode categories
 * and duplicate rows. Native DuckDB (@duckdb/node-api) is the `run` function.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileTable } from '../profile.ts';
import { binnedAuc, etaSquared, meanInterval, mutualInformation, wilson } from '../stats.ts';
import type { Profile } from '../types.ts';
import { createTable, type Db, iso, isoTs, normal, openDb, rng, type Value } from './fixtures.ts';

const CATS = ['Å', '東京', 'naïve', '😀', 'Zebra', 'zebra'];
const DAY = 86_400_000;
const BASE = Date.UTC(2020, 0, 1);

interface Row {
  x: number | null;
  k: number | null;
  cat: string | null;
  d: number | null;
  ts: number | null;
  flag: boolean | null;
  y: number;
  amount: number;
}

function makeRows(): Row[] {
  const r = rng(42);
  const rows: Row[] = [];
  for (let i = 0; i < 600; i++) {
    const u = r();
    const x = u < 0.05 ? null : u < 0.08 ? Number.NaN : Math.round(normal(r) * 1000) / 100;
    const k = r() < 0.1 ? null : 1 + Math.floor(r() * 5);
    const c = r();
    const cat = c < 0.05 ? null : c < 0.08 ? '' : c < 0.1 ? '   ' : CATS[Math.floor(r() * r() * CATS.length)];
    const d = r() < 0.07 ? null : BASE + Math.floor(r() * 366) * DAY;
    const ts = r() < 0.03 ? null : BASE + Math.floor(r() * 366 * 24 * 60) * 60_000;
    const flag = r() < 0.04 ? null : r() < 0.3;
    const score = (x !== null && !Number.isNaN(x) ? x : 0) + (cat === 'Å' ? 2 : 0);
    const y = r() < 1 / (1 + Math.exp(-score / 3)) ? 1 : 0;
    const amount = Math.round((50 + 10 * (k ?? 3) + 5 * normal(r)) * 100) / 100;
    rows.push({ x, k, cat, d, ts, flag, y, amount });
  }
  // Duplicates: 7 rows repeated exactly (one of them twice).
  for (const i of [3, 10, 20, 30, 40, 50, 3]) rows.push({ ...rows[i] });
  return rows;
}

const SCHEMA: [string, string][] = [
  ['x', 'DOUBLE'],
  ['k', 'INTEGER'],
  ['cat', 'VARCHAR'],
  ['d', 'DATE'],
  ['ts', 'TIMESTAMP'],
  ['flag', 'BOOLEAN'],
  ['y', 'INTEGER'],
  ['amount', 'DOUBLE'],
];
const toValues = (r: Row): Value[] => [
  r.x,
  r.k,
  r.cat,
  r.d === null ? null : { date: iso(r.d) },
  r.ts === null ? null : { ts: isoTs(r.ts) },
  r.flag,
  r.y,
  r.amount,
];

// ---------------------------------------------------------------- independent reference maths
const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
const mean = (a: number[]) => sum(a) / a.length;
function sampleStd(a: number[]): number {
  const m = mean(a);
  return Math.sqrt(sum(a.map((v) => (v - m) ** 2)) / (a.length - 1));
}
/** Linear-interpolation quantile (type 7), as DuckDB's quantile_cont. */
function quantile(a: number[], p: number): number {
  const s = [...a].sort((x, y) => x - y);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}
function pearson(a: number[], b: number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
/** Byte order of UTF-8, which is how DuckDB sorts VARCHAR. */
const byteCmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
function topValues(values: string[]): { value: string; count: number }[] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || byteCmp(a.value, b.value))
    .slice(0, 10);
}
const present = (v: number | null): v is number => v !== null && !Number.isNaN(v);

describe('profileTable: statistics against plain-TS computations', () => {
  let db: Db;
  let rows: Row[];
  let p: Profile;
  beforeAll(async () => {
    db = await openDb();
    rows = makeRows();
    await createTable(db, 'mixed data', SCHEMA, rows.map(toValues));
    p = await profileTable(
      db.run,
      'mixed data',
      SCHEMA.map(([name, type]) => ({ name, type })),
      { target: 'y' },
    );
  });
  afterAll(() => db.close());
  const col = (name: string) => {
    const c = p.columns.find((c) => c.name === name);
    if (!c) throw new Error(name);
    return c;
  };

  it('summary: rows, columns, duplicate rows', () => {
    expect(p.rows).toBe(rows.length);
    expect(p.columnCount).toBe(SCHEMA.length);
    const keys = new Set(rows.map((r) => Object.values(r).map(String).join('\u0001')));
    expect(p.duplicateRows).toBe(rows.length - keys.size);
    expect(p.duplicateRows).toBe(7);
    expect(p.memoryBytes).toBeGreaterThan(rows.length * 8 * 6);
  });

  it('missing: NULL, NaN, empty and whitespace-only strings', () => {
    const x = col('x');
    expect(x.nulls).toBe(rows.filter((r) => r.x === null).length);
    expect(x.nans).toBe(rows.filter((r) => r.x !== null && Number.isNaN(r.x)).length);
    expect(x.nans).toBeGreaterThan(0);
    expect(x.missing).toBe(x.nulls + x.nans);
    expect(x.missingPct).toBeCloseTo((x.missing / rows.length) * 100, 10);
    const cat = col('cat');
    expect(cat.nulls).toBe(rows.filter((r) => r.cat === null).length);
    expect(cat.empty).toBe(rows.filter((r) => r.cat !== null && r.cat.trim() === '').length);
    expect(cat.empty).toBeGreaterThan(0);
    expect(cat.present).toBe(rows.filter((r) => r.cat !== null && r.cat.trim() !== '').length);
    expect(col('d').missing).toBe(rows.filter((r) => r.d === null).length);
    expect(col('flag').missing).toBe(rows.filter((r) => r.flag === null).length);
  });

  it('distinct counts (exact, non-missing, case-sensitive unicode)', () => {
    expect(col('x').distinct).toBe(new Set(rows.map((r) => r.x).filter(present)).size);
    expect(col('k').distinct).toBe(5);
    const cats = rows.map((r) => r.cat).filter((c): c is string => c !== null && c.trim() !== '');
    expect(col('cat').distinct).toBe(new Set(cats).size);
    expect(col('d').distinct).toBe(new Set(rows.map((r) => r.d).filter((v) => v !== null)).size);
    expect(col('flag').distinct).toBe(2);
  });

  it('min, max, mean, std and quantiles of numbers (NaN excluded)', () => {
    for (const name of ['x', 'amount'] as const) {
      const v = rows.map((r) => r[name]).filter(present);
      const c = col(name);
      expect(c.min).toBe(Math.min(...v));
      expect(c.max).toBe(Math.max(...v));
      expect(c.mean).toBeCloseTo(mean(v), 9);
      expect(c.std).toBeCloseTo(sampleStd(v), 9);
      const q = c.quantiles!;
      expect(q.p01).toBeCloseTo(quantile(v, 0.01), 9);
      expect(q.p25).toBeCloseTo(quantile(v, 0.25), 9);
      expect(q.p50).toBeCloseTo(quantile(v, 0.5), 9);
      expect(q.p75).toBeCloseTo(quantile(v, 0.75), 9);
      expect(q.p99).toBeCloseTo(quantile(v, 0.99), 9);
    }
  });

  it('dates and timestamps as epoch ms', () => {
    const d = rows.map((r) => r.d).filter((v): v is number => v !== null);
    const c = col('d');
    expect(c.semantic).toBe('datetime');
    expect(c.min).toBe(Math.min(...d));
    expect(c.max).toBe(Math.max(...d));
    expect(c.mean).toBeCloseTo(mean(d), 0);
    expect(c.quantiles!.p50).toBeCloseTo(quantile(d, 0.5), 0);
    const ts = rows.map((r) => r.ts).filter((v): v is number => v !== null);
    expect(col('ts').min).toBe(Math.min(...ts));
    expect(col('ts').max).toBe(Math.max(...ts));
  });

  it('histograms: equal-width bins over [min, max]; one bin per integer for small ranges', () => {
    const v = rows.map((r) => r.x).filter(present);
    const min = Math.min(...v);
    const max = Math.max(...v);
    const width = (max - min) / 20;
    const counts = new Array(20).fill(0);
    for (const x of v) counts[Math.min(Math.max(Math.floor((x - min) / width), 0), 19)]++;
    expect(col('x').histogram!.map((b) => b.count)).toEqual(counts);
    expect(col('x').histogram![0].x0).toBe(min);
    const k = col('k').histogram!;
    expect(k.map((b) => (b.x0 + b.x1) / 2)).toEqual([1, 2, 3, 4, 5]);
    expect(k.map((b) => b.count)).toEqual([1, 2, 3, 4, 5].map((i) => rows.filter((r) => r.k === i).length));
  });

  it('top values by count, ties by value (byte order), unicode intact', () => {
    const cats = rows.map((r) => r.cat).filter((c): c is string => c !== null && c.trim() !== '');
    expect(col('cat').topValues).toEqual(topValues(cats));
    expect(col('cat').topValues.map((t) => t.value)).toContain('東京');
    expect(col('cat').topShare).toBeCloseTo(topValues(cats)[0].count / cats.length, 12);
    expect(col('flag').topValues).toEqual(
      topValues(rows.filter((r) => r.flag !== null).map((r) => String(r.flag))),
    );
  });

  it('semantic types and examples', () => {
    expect(Object.fromEntries(p.columns.map((c) => [c.name, c.semantic]))).toEqual({
      x: 'numeric',
      k: 'numeric',
      cat: 'categorical',
      d: 'datetime',
      ts: 'datetime',
      flag: 'boolean',
      y: 'boolean',
      amount: 'numeric',
    });
    expect(col('cat').examples.length).toBe(3);
    for (const e of col('cat').examples) expect(CATS).toContain(e);
  });

  it('target analysis (binary): per-bin rates, Wilson bands, AUC from bins, correlation', () => {
    const t = p.target!;
    expect(t.task).toBe('binary');
    expect(t.focus).toBe('1');
    expect(t.classes).toEqual(topValues(rows.map((r) => String(r.y))));
    expect(t.minorityShare).toBeCloseTo(Math.min(...t.classes!.map((c) => c.count)) / rows.length, 12);

    // cat: one bin per category (≤ 10 distinct) plus "missing" (NULL, empty, blank).
    const fc = t.features.find((f) => f.column === 'cat')!;
    const groups = new Map<string, number[]>();
    for (const r of rows) {
      const key = r.cat === null || r.cat.trim() === '' ? 'missing' : r.cat;
      groups.set(key, [...(groups.get(key) ?? []), r.y]);
    }
    expect(new Set(fc.bins.map((b) => b.label))).toEqual(new Set(groups.keys()));
    for (const b of fc.bins) {
      const ys = groups.get(b.label)!;
      expect(b.count).toBe(ys.length);
      expect(b.value).toBeCloseTo(mean(ys), 12);
      const w = wilson(sum(ys), ys.length);
      expect([b.lo, b.hi]).toEqual([w.lo, w.hi]);
    }
    // AUC of the bin rate as a score, by brute force over all (positive, negative) pairs.
    const rate = new Map([...groups].map(([k, ys]) => [k, mean(ys)]));
    const scored = rows.map((r) => ({
      s: rate.get(r.cat === null || r.cat.trim() === '' ? 'missing' : r.cat)!,
      y: r.y,
    }));
    let wins = 0;
    let pairs = 0;
    for (const a of scored)
      if (a.y === 1)
        for (const b of scored)
          if (b.y === 0) {
            pairs++;
            wins += a.s > b.s ? 1 : a.s === b.s ? 0.5 : 0;
          }
    expect(fc.auc).toBeCloseTo(wins / pairs, 12);

    // x: decile bins + missing; counts add up; x is the strongest feature.
    const fx = t.features.find((f) => f.column === 'x')!;
    expect(sum(fx.bins.map((b) => b.count))).toBe(rows.length);
    expect(fx.bins.at(-1)!.label).toBe('missing');
    expect(fx.bins.at(-1)!.count).toBe(rows.filter((r) => !present(r.x)).length);
    expect(t.features[0].column).toBe('x');
    const both = rows.filter((r) => present(r.x));
    expect(fx.corr).toBeCloseTo(
      pearson(
        both.map((r) => r.x as number),
        both.map((r) => r.y),
      ),
      9,
    );
    // The target itself is not a feature.
    expect(t.features.some((f) => f.column === 'y')).toBe(false);
  });

  it('correlation matrix matches Pearson on pairwise-complete rows', () => {
    const c = p.correlations!;
    expect(c.columns).toEqual(['x', 'k', 'y', 'amount']);
    const both = rows.filter((r) => present(r.x) && r.k !== null);
    expect(c.matrix[0][1]).toBeCloseTo(
      pearson(
        both.map((r) => r.x as number),
        both.map((r) => r.k as number),
      ),
      9,
    );
    const ka = rows.filter((r) => r.k !== null);
    expect(c.matrix[3][1]).toBeCloseTo(
      pearson(
        ka.map((r) => r.amount),
        ka.map((r) => r.k as number),
      ),
      9,
    );
    expect(c.matrix[1][1]).toBe(1);
  });

  it('regression target: bin means with t bands and η² from groups', async () => {
    const r = await profileTable(
      db.run,
      'mixed data',
      SCHEMA.map(([name, type]) => ({ name, type })),
      {
        target: 'amount',
      },
    );
    const t = r.target!;
    expect(t.task).toBe('regression');
    const fk = t.features.find((f) => f.column === 'k')!;
    const groups = new Map<string, number[]>();
    for (const row of rows) {
      const key = row.k === null ? 'missing' : String(row.k);
      groups.set(key, [...(groups.get(key) ?? []), row.amount]);
    }
    const all = rows.map((row) => row.amount);
    const m = mean(all);
    const ssb = sum([...groups.values()].map((g) => g.length * (mean(g) - m) ** 2));
    const sst = sum(all.map((v) => (v - m) ** 2));
    expect(fk.eta2).toBeCloseTo(ssb / sst, 9);
    expect(fk.eta2).toBeGreaterThan(0.5);
    for (const b of fk.bins) {
      const g = groups.get(b.label)!;
      expect(b.count).toBe(g.length);
      expect(b.value).toBeCloseTo(mean(g), 9);
      const half = (b.hi - b.lo) / 2;
      // t-interval: 1.96 < t < 2.1 for these group sizes (> 20 rows each).
      expect(half / (sampleStd(g) / Math.sqrt(g.length))).toBeGreaterThan(1.96);
      expect(half / (sampleStd(g) / Math.sqrt(g.length))).toBeLessThan(2.1);
    }
    expect(fk.bins.map((b) => b.label)).toEqual(['1', '2', '3', '4', '5', 'missing']);
  });

  it('multiclass target: mutual information from the contingency table', async () => {
    const r = await profileTable(
      db.run,
      'mixed data',
      SCHEMA.map(([name, type]) => ({ name, type })),
      {
        target: 'cat',
      },
    );
    const t = r.target!;
    expect(t.task).toBe('multiclass');
    const fk = t.features.find((f) => f.column === 'k')!;
    const kept = rows.filter((row) => row.cat !== null && row.cat.trim() !== '');
    const n = kept.length;
    const joint = new Map<string, number>();
    const pk = new Map<string, number>();
    const pc = new Map<string, number>();
    for (const row of kept) {
      const a = String(row.k);
      joint.set(`${a}|${row.cat}`, (joint.get(`${a}|${row.cat}`) ?? 0) + 1);
      pk.set(a, (pk.get(a) ?? 0) + 1);
      pc.set(row.cat!, (pc.get(row.cat!) ?? 0) + 1);
    }
    let mi = 0;
    for (const [key, c] of joint) {
      const [a, b] = key.split('|');
      mi += (c / n) * Math.log2(c / n / ((pk.get(a)! / n) * (pc.get(b)! / n)));
    }
    let h = 0;
    for (const c of pc.values()) h -= (c / n) * Math.log2(c / n);
    expect(fk.mutualInfo).toBeCloseTo(mi, 9);
    expect(fk.uncertainty).toBeCloseTo(mi / h, 9);
  });
});

describe('stats helpers: known answers', () => {
  it('Wilson 95 % interval', () => {
    const a = wilson(0, 10);
    expect(a.lo).toBe(0);
    expect(a.hi).toBeCloseTo(0.2775, 4);
    const b = wilson(5, 10);
    expect(b.lo).toBeCloseTo(0.2366, 4);
    expect(b.hi).toBeCloseTo(0.7634, 4);
  });
  it('t interval of a mean', () => {
    // 1, 2, 3, 4, 5: mean 3, s = 1.5811, t(4) = 2.776 → ± 1.963
    const m = meanInterval(5, 15, 55);
    expect(m.mean).toBe(3);
    expect(m.hi - 3).toBeCloseTo(2.776 * (Math.sqrt(2.5) / Math.sqrt(5)), 3);
  });
  it('AUC from bins: perfect, random, ties', () => {
    expect(
      binnedAuc([
        { n: 10, pos: 0 },
        { n: 10, pos: 10 },
      ]),
    ).toBe(1);
    expect(binnedAuc([{ n: 10, pos: 5 }])).toBe(0.5);
    expect(
      binnedAuc([
        { n: 4, pos: 1 },
        { n: 4, pos: 3 },
      ]),
    ).toBeCloseTo((3 * 3 + 0.5 * 3 * 1 + 0.5 * 1 * 3) / 16, 12);
  });
  it('mutual information and η² extremes', () => {
    expect(
      mutualInformation([
        [5, 0],
        [0, 5],
      ]).u,
    ).toBeCloseTo(1, 12);
    expect(
      mutualInformation([
        [5, 5],
        [5, 5],
      ]).mi,
    ).toBeCloseTo(0, 12);
    expect(
      etaSquared([
        { n: 2, s: 2, ss: 2 },
        { n: 2, s: 6, ss: 18 },
      ]),
    ).toBe(1);
  });
});
