/**
 * Warnings on planted fixtures: a churn table with planted problems raises exactly those warnings; the
 * same table without them raises none; a quality fixture raises exactly missing / high-cardinality /
 * imbalance / duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileTable } from '../profile.ts';
import type { Profile } from '../types.ts';
import { warningsFor } from '../warnings.ts';
import { createTable, type Db, iso, isoTs, normal, openDb, rng, type Value } from './fixtures.ts';

const DAY = 86_400_000;
const START = Date.UTC(2021, 0, 1);

function churnRows(seed: number, n: number) {
  const r = rng(seed);
  const hex = () => Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  const out = [];
  for (let i = 0; i < n; i++) {
    const snapshot = START + Math.floor(r() * 300 * 24) * 3_600_000;
    const tenure = Math.round(r() * 600) / 10;
    const plan = ['basic', 'pro', 'team'][Math.floor(r() * 3)];
    const fee = Math.round((50 + 12 * normal(r)) * 100) / 100;
    const p = 0.55 - tenure / 150 + (plan === 'basic' ? 0.1 : 0);
    const churned = r() < p ? 1 : 0;
    out.push({
      customer_id: hex(),
      snapshot_at: snapshot,
      signup_date: snapshot - (1 + Math.floor(r() * 900)) * DAY,
      tenure,
      plan,
      monthly_fee: fee,
      churned,
      cancel_score: Math.round((churned + 0.1 * normal(r)) * 1e4) / 1e4,
      closed_at: snapshot + (1 + Math.floor(r() * 90)) * DAY,
      country: 'SE',
      churn_code: churned * 3 + 7,
    });
  }
  return out;
}

type ChurnRow = ReturnType<typeof churnRows>[number];
const CLEAN: [keyof ChurnRow, string][] = [
  ['snapshot_at', 'TIMESTAMP'],
  ['signup_date', 'DATE'],
  ['tenure', 'DOUBLE'],
  ['plan', 'VARCHAR'],
  ['monthly_fee', 'DOUBLE'],
  ['churned', 'INTEGER'],
];
const PLANTED: [keyof ChurnRow, string][] = [
  ['customer_id', 'VARCHAR'],
  ...CLEAN,
  ['cancel_score', 'DOUBLE'],
  ['closed_at', 'TIMESTAMP'],
  ['country', 'VARCHAR'],
  ['churn_code', 'INTEGER'],
];
function values(row: ChurnRow, schema: [keyof ChurnRow, string][]): Value[] {
  return schema.map(([name, type]) => {
    const v = row[name];
    if (type === 'TIMESTAMP') return { ts: isoTs(v as number) };
    if (type === 'DATE') return { date: iso(v as number) };
    return v as Value;
  });
}
const cols = (schema: [string, string][]) => schema.map(([name, type]) => ({ name, type }));
const codes = (p: Profile) =>
  warningsFor(p)
    .map((w) => `${w.code}:${w.column ?? ''}`)
    .sort();

describe('warningsFor', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb();
    const rows = churnRows(7, 2000);
    await createTable(
      db,
      'planted',
      PLANTED,
      rows.map((r) => values(r, PLANTED)),
    );
    await createTable(
      db,
      'clean',
      CLEAN,
      rows.map((r) => values(r, CLEAN)),
    );
  });
  afterAll(() => db.close());

  it('the planted-leak table raises exactly the planted warnings', async () => {
    const p = await profileTable(db.run, 'planted', cols(PLANTED), {
      target: 'churned',
      predictionTime: 'snapshot_at',
    });
    expect(codes(p)).toEqual(
      [
        'identifier:customer_id',
        'leakage:cancel_score',
        'future-timestamp:closed_at',
        'constant:country',
        'target-function:churn_code',
      ].sort(),
    );
    const w = warningsFor(p);
    for (const x of w) {
      expect(x.message.length).toBeGreaterThan(10);
      expect(x.evidence.length).toBeGreaterThan(5);
      expect(x.suggestion.length).toBeGreaterThan(10);
    }
    const future = w.find((x) => x.code === 'future-timestamp')!;
    expect(future.severity).toBe('danger');
    expect(future.evidence).toMatch(/^2,000 of 2,000 rows \(100 %\)/);
    const leak = w.find((x) => x.code === 'leakage')!;
    expect(leak.evidence).toMatch(/ROC-AUC (0\.99\d|1\.000)/);
    expect(w.find((x) => x.code === 'identifier')!.evidence).toMatch(/UUID\/hex/);
    // The signup date is before the prediction time: checked, not flagged.
    expect(p.columns.find((c) => c.name === 'signup_date')!.afterPredictionTime).toEqual({
      rows: 0,
      comparable: 2000,
      share: 0,
    });
    // Real features keep a moderate strength.
    const tenure = p.target!.features.find((f) => f.column === 'tenure')!;
    expect(tenure.auc).toBeGreaterThan(0.6);
    expect(tenure.auc).toBeLessThan(0.9);
  });

  it('the clean table raises no warning', async () => {
    const p = await profileTable(db.run, 'clean', cols(CLEAN), {
      target: 'churned',
      predictionTime: 'snapshot_at',
    });
    expect(warningsFor(p)).toEqual([]);
    // Without a target and prediction time too.
    expect(warningsFor(await profileTable(db.run, 'clean', cols(CLEAN)))).toEqual([]);
  });

  it('missing, high-cardinality, imbalance and duplicates', async () => {
    const r = rng(11);
    const schema: [string, string][] = [
      ['mostly_null', 'DOUBLE'],
      ['city', 'VARCHAR'],
      ['amount', 'DOUBLE'],
      ['fraud', 'BOOLEAN'],
    ];
    const rows: Value[][] = [];
    for (let i = 0; i < 1000; i++) {
      rows.push([
        r() < 0.7 ? null : Math.round(normal(r) * 100) / 10,
        `c${String(Math.floor(r() * 200)).padStart(3, '0')}`,
        Math.round(r() * 1e6) / 100,
        r() < 0.02,
      ]);
    }
    for (let i = 0; i < 10; i++) rows.push([...rows[i * 7]]);
    await createTable(db, 'quality', schema, rows);
    const p = await profileTable(db.run, 'quality', cols(schema), { target: 'fraud' });
    expect(codes(p)).toEqual([
      'duplicates:',
      'high-cardinality:city',
      'imbalance:fraud',
      'missing:mostly_null',
    ]);
    const w = warningsFor(p);
    expect(w.find((x) => x.code === 'duplicates')!.message).toBe('10 rows repeat an earlier row exactly');
    const miss = p.columns[0];
    expect(w.find((x) => x.code === 'missing')!.evidence).toBe(
      `${miss.missing} of 1,010 rows missing (${miss.nulls} NULL)`,
    );
    expect(p.target!.minorityShare).toBeLessThan(0.05);
  });
});
