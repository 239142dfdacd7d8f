/**
 * A 3,000,000-row table (above the 1,000,000-row threshold): the estimated numbers are within their
 * stated tolerances of exact answers computed directly in DuckDB, the rest stays exact, estimates are
 * marked, and the temporary sample table is gone afterwards.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { profileTable } from '../profile.ts';
import type { Profile } from '../types.ts';
import { warningsFor } from '../warnings.ts';
import { type Db, openDb } from './fixtures.ts';

const ROWS = 3_000_000;
const DUPS = 30_000;

describe('profileTable on 3,000,000 rows (estimates above 1,000,000 rows)', () => {
  // The exact reference answers are the slow part (each a full DISTINCT or sort of 3M rows).
  vi.setConfig({ testTimeout: 60_000 });
  let db: Db;
  let p: Profile;
  const one = async (sql: string) => (await db.run(sql))[0];
  beforeAll(async () => {
    db = await openDb();
    // Deterministic columns from range(): an id, a ~950k-value integer (estimated route), a 997-value
    // integer, a 100k-value double with NaN and NULL, a 50-level category with blanks, 3M distinct hex
    // strings, a binary target and an exact recoding of it (a planted leak).
    await db.con.run(`CREATE TABLE big AS SELECT
        range AS id,
        CAST(hash(range) % 1000000 AS BIGINT) AS u,
        CAST(range % 997 AS INTEGER) AS k,
        CASE WHEN range % 101 = 0 THEN NULL WHEN range % 103 = 0 THEN 'NaN'::DOUBLE
             ELSE CAST(hash(range * 7) % 100000 AS DOUBLE) / 1000 END AS x,
        CASE WHEN range % 211 = 0 THEN '  ' ELSE 'c' || CAST(range % 50 AS VARCHAR) END AS cat,
        printf('%016x', hash(range + 1)) AS h,
        CAST(hash(range * 13) % 10 < 3 AS INTEGER) AS y
      FROM range(${ROWS - DUPS})`);
    await db.con.run(`ALTER TABLE big ADD COLUMN y_code INTEGER; UPDATE big SET y_code = y * 3 + 7`);
    await db.con.run(`INSERT INTO big SELECT * FROM big WHERE id % 99 = 0 LIMIT ${DUPS}`);
    const columns = (await db.run('DESCRIBE big')).map((r) => ({
      name: String(r.column_name),
      type: String(r.column_type),
    }));
    p = await profileTable(db.run, 'big', columns, { target: 'y' });
    console.log(`3M-row profile: ${p.ms} ms, ${p.queries} queries`);
  }, 120_000);
  afterAll(() => db?.close());
  const col = (name: string) => {
    const c = p.columns.find((c) => c.name === name);
    if (!c) throw new Error(name);
    return c;
  };

  it('marks what is estimated, and drops its sample table', async () => {
    expect(p.rows).toBe(ROWS);
    expect(p.approximate?.duplicates).toBe('sampled');
    expect(p.approximate!.sampleRows).toBeGreaterThan(200_000);
    expect(p.approximate!.sampleRows).toBeLessThan(300_000);
    expect(p.target!.sample!.rows).toBe(p.approximate!.sampleRows);
    for (const name of ['id', 'u', 'h']) expect(col(name).approximate?.distinct).toBe('hash-slice');
    for (const name of ['k', 'x', 'cat', 'y']) expect(col(name).approximate).toBeUndefined();
    const temp = await one(
      "SELECT count(*)::DOUBLE AS n FROM duckdb_tables() WHERE table_name LIKE '__benchtop_profile_sample_%'",
    );
    expect(temp.n).toBe(0);
  });

  it('duplicates: within 10 % (or 0.5 % of rows) of the exact count', async () => {
    const exact = Number(
      (await one('SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM big)) AS d FROM big')).d,
    );
    expect(exact).toBe(DUPS);
    expect(Math.abs(p.duplicateRows - exact)).toBeLessThanOrEqual(Math.max(0.1 * exact, 0.005 * ROWS));
    expect(warningsFor(p).some((w) => w.code === 'duplicates')).toBe(true);
  });

  it('distinct counts: exact up to 500,000 values, within 3 % above', async () => {
    const ref = await one(
      `SELECT count(DISTINCT id)::DOUBLE AS id, count(DISTINCT u)::DOUBLE AS u, count(DISTINCT k)::DOUBLE AS k,
        count(DISTINCT CASE WHEN isnan(x) THEN NULL ELSE x END)::DOUBLE AS x,
        count(DISTINCT CASE WHEN trim(cat) = '' THEN NULL ELSE cat END)::DOUBLE AS cat, count(DISTINCT h)::DOUBLE AS h
       FROM big`,
    );
    for (const name of ['k', 'x', 'cat']) expect(col(name).distinct).toBe(ref[name]);
    for (const name of ['id', 'u', 'h']) {
      const r = ref[name] as number;
      expect(Math.abs(col(name).distinct - r) / r).toBeLessThan(0.03);
    }
    expect(col('id').semantic).toBe('identifier');
    expect(col('h').semantic).toBe('identifier');
  });

  it('missing counts, min/max/mean and quantiles', async () => {
    const ref = await one(
      `SELECT count(*) FILTER (WHERE x IS NULL)::DOUBLE AS nulls, count(*) FILTER (WHERE isnan(x))::DOUBLE AS nans,
        count(*) FILTER (WHERE trim(cat) = '')::DOUBLE AS empty,
        min(u)::DOUBLE AS umin, max(u)::DOUBLE AS umax, avg(u) AS umean,
        quantile_cont(u::DOUBLE, [0.01, 0.25, 0.5, 0.75, 0.99]) AS uq,
        quantile_cont(CASE WHEN isnan(x) THEN NULL ELSE x END, [0.01, 0.25, 0.5, 0.75, 0.99]) AS xq
       FROM big`,
    );
    expect(col('x').nulls).toBe(ref.nulls);
    expect(col('x').nans).toBe(ref.nans);
    expect(col('cat').empty).toBe(ref.empty);
    expect(col('u').min).toBe(ref.umin);
    expect(col('u').max).toBe(ref.umax);
    expect(col('u').mean).toBeCloseTo(ref.umean as number, 6);
    const qs = (c: string) => {
      const q = col(c).quantiles!;
      return [q.p01, q.p25, q.p50, q.p75, q.p99];
    };
    // u: many values, quantiles from the sample: within 1 % of the range.
    expect(col('u').approximate?.quantiles).toBe('sampled');
    const range = (ref.umax as number) - (ref.umin as number);
    (ref.uq as number[]).forEach((v, i) => {
      expect(Math.abs(qs('u')[i] - v)).toBeLessThan(0.01 * range);
    });
    // x: grouped, exact.
    (ref.xq as number[]).forEach((v, i) => {
      expect(qs('x')[i]).toBeCloseTo(v, 9);
    });
  });

  it('target analysis on the sample; the planted recoding is still caught exactly', async () => {
    const t = p.target!;
    expect(t.task).toBe('binary');
    const fk = t.features.find((f) => f.column === 'k')!;
    const inBins = fk.bins.reduce((a, b) => a + b.count, 0);
    expect(inBins).toBe(p.approximate!.sampleRows);
    const leak = t.features.find((f) => f.column === 'y_code')!;
    expect(leak.pairs).toEqual({ pairs: 2, feature: 2, target: 2 });
    expect(fk.pairs).toBeUndefined();
    expect(warningsFor(p).some((w) => w.code === 'target-function' && w.column === 'y_code')).toBe(true);
  });
});
