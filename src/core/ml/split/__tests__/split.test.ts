import { describe, expect, it } from 'vitest';
import { createRng } from '../../random.ts';
import type { ColumnarTable } from '../../types.ts';
import { describeSplit } from '../describe.ts';
import { kfoldRows, splitRows } from '../split.ts';
import type { SplitSpec } from '../types.ts';

const DAY = 86_400_000;
const BASE = Date.UTC(2021, 0, 1);
const FR = { train: 0.7, valid: 0.15, test: 0.15 };

/** 10k rows, 7% positives, a group column, a datetime column with many ties and some missing. */
function makeTable(n = 10_000) {
  const rng = createRng(7);
  const y: number[] = [];
  const when: (number | null)[] = [];
  const user: (string | null)[] = [];
  const cls: string[] = [];
  for (let i = 0; i < n; i++) {
    y.push(i % 100 < 7 ? 1 : 0);
    when.push(i % 97 === 0 ? null : BASE + rng.int(60) * DAY); // ~60 distinct days → lots of ties
    user.push(i % 211 === 0 ? null : `u${rng.int(400)}`);
    cls.push(['a', 'b', 'b', 'c', 'c', 'c'][i % 6]);
  }
  const table: ColumnarTable = {
    rowCount: n,
    columns: { y, when, user, cls, x: Float64Array.from({ length: n }, (_, i) => i) },
    types: { y: 'INTEGER', when: 'TIMESTAMP', user: 'VARCHAR', cls: 'VARCHAR', x: 'DOUBLE' },
  };
  return { table, y, when, user, cls };
}

const { table, y, when, user } = makeTable();

function rate(rows: Uint32Array): number {
  let s = 0;
  for (const r of rows) s += y[r];
  return s / rows.length;
}

describe('splitRows', () => {
  it('random: reproducible with the same seed, different with another; fractions respected', () => {
    const spec: SplitSpec = { kind: 'random', seed: 1, fractions: FR };
    const a = splitRows(table, y, spec);
    const b = splitRows(table, y, spec);
    const c = splitRows(table, y, { ...spec, seed: 2 });
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    expect(Array.from(a.train)).not.toEqual(Array.from(c.train));
    expect([a.train.length, a.valid.length, a.test.length]).toEqual([7000, 1500, 1500]);
    const all = new Set([...a.train, ...a.valid, ...a.test]);
    expect(all.size).toBe(10_000);
    expect(a.summary.target).toEqual({ kind: 'binary', positiveLabel: '1' });
    expect(a.summary.parts.train.share).toBeCloseTo(0.7, 10);
  });

  it('fractions are normalised and rounded (largest remainder)', () => {
    const small: ColumnarTable = {
      rowCount: 11,
      columns: { x: Array.from({ length: 11 }, (_, i) => i) },
      types: {},
    };
    const r = splitRows(small, undefined, {
      kind: 'random',
      seed: 3,
      fractions: { train: 60, valid: 20, test: 20 },
    });
    expect([r.train.length, r.valid.length, r.test.length]).toEqual([7, 2, 2]);
  });

  it('stratified: keeps a 7% positive rate within 1% in each part', () => {
    const r = splitRows(table, y, { kind: 'stratified', seed: 5, fractions: FR });
    for (const part of [r.train, r.valid, r.test]) expect(Math.abs(rate(part) - 0.07)).toBeLessThan(0.01);
    expect(Math.abs(r.train.length - 7000)).toBeLessThanOrEqual(2);
    expect(r.summary.parts.valid.positiveRate).toBeCloseTo(rate(r.valid), 12);
    expect(new Set([...r.train, ...r.valid, ...r.test]).size).toBe(10_000);
  });

  it('stratified multiclass reports the class distribution', () => {
    const r = splitRows(table, makeTable().cls, { kind: 'stratified', seed: 5, fractions: FR });
    const classes = r.summary.parts.test.classes!;
    expect(classes.map((c) => c.label)).toEqual(['a', 'b', 'c']);
    expect(classes[2].share).toBeCloseTo(0.5, 2);
  });

  it('temporal: every train date < every valid date < every test date, missing timestamps excluded', () => {
    const r = splitRows(table, y, { kind: 'temporal', seed: 0, fractions: FR, column: 'when' });
    const t = (rows: Uint32Array) => Array.from(rows, (i) => when[i] as number);
    const [tr, va, te] = [t(r.train), t(r.valid), t(r.test)];
    expect(Math.max(...tr)).toBeLessThan(Math.min(...va));
    expect(Math.max(...va)).toBeLessThan(Math.min(...te));
    const missing = when.filter((w) => w === null).length;
    expect(r.summary.excludedRows).toBe(missing);
    expect(r.summary.temporal!.missingTimestamps).toBe(missing);
    expect(r.train.length + r.valid.length + r.test.length).toBe(10_000 - missing);
    expect([...r.train, ...r.valid, ...r.test].some((i) => when[i] === null)).toBe(false);
    expect(r.summary.temporal!.cuts.validStart).toBe(new Date(Math.min(...va)).toISOString());
    expect(r.summary.temporal!.cuts.testStart).toBe(new Date(Math.min(...te)).toISOString());
    expect(r.summary.parts.train.maxDate).toBe(new Date(Math.max(...tr)).toISOString());
    // Fractions within one timestamp's worth of rows (~170 here).
    expect(Math.abs(r.train.length / (10_000 - missing) - 0.7)).toBeLessThan(0.02);
  });

  it('temporal: ties exactly at the cut move the cut to a timestamp boundary', () => {
    // 10 rows: times 1,2,3,4,5,5,5,5,9,10 → a 60/20/20 cut at index 6 falls inside the run of 5s.
    const times = [1, 2, 3, 4, 5, 5, 5, 5, 9, 10].map((d) => BASE + d * DAY);
    const tab: ColumnarTable = { rowCount: 10, columns: { t: times }, types: { t: 'DATE' } };
    const r = splitRows(tab, undefined, {
      kind: 'temporal',
      seed: 0,
      fractions: { train: 6, valid: 2, test: 2 },
      column: 't',
    });
    const max = (rows: Uint32Array) => Math.max(...Array.from(rows, (i) => times[i]));
    const min = (rows: Uint32Array) => Math.min(...Array.from(rows, (i) => times[i]));
    expect(max(r.train)).toBeLessThan(min(r.valid));
    expect(max(r.valid)).toBeLessThan(min(r.test));
    expect(Array.from(r.train)).toEqual([0, 1, 2, 3]);
    expect(r.summary.warnings.join(' ')).toMatch(/timestamp boundaries/);
  });

  it('grouped: no group appears in two parts; fractions roughly respected', () => {
    const r = splitRows(table, y, { kind: 'grouped', seed: 9, fractions: FR, column: 'user' });
    const key = (i: number) => user[i] ?? '<null>';
    const seen = new Map<string, number>();
    let straddling = 0;
    [r.train, r.valid, r.test].forEach((rows, p) => {
      for (const i of rows) {
        if ((seen.get(key(i)) ?? p) !== p) straddling++;
        seen.set(key(i), p);
      }
    });
    expect(straddling).toBe(0);
    expect(Math.abs(r.train.length / 10_000 - 0.7)).toBeLessThan(0.02);
    const g = r.summary.grouped!.groups;
    expect(g.train + g.valid + g.test).toBe(seen.size);
  });

  it('describeSplit gives short lines', () => {
    const lines = describeSplit(
      splitRows(table, y, { kind: 'temporal', seed: 0, fractions: FR, column: 'when' }).summary,
    );
    expect(lines[0]).toMatch(/^Temporal split by when: train [\d,]+ rows/);
    expect(lines[1]).toMatch(/^Positive rate \(1\): train \d+\.\d%/);
    expect(lines[2]).toMatch(/^Dates: train 2021-01-01 → /);
    const k = describeSplit(kfoldRows(table, y, { kind: 'kfold', k: 5, seed: 1, stratified: true }).summary);
    expect(k[0]).toMatch(/^5-fold cross-validation \(stratified\), seed 1/);
  });

  it('errors on bad specs', () => {
    expect(() => splitRows(table, undefined, { kind: 'stratified', seed: 1, fractions: FR })).toThrow(
      /target/,
    );
    expect(() => splitRows(table, y, { kind: 'temporal', seed: 1, fractions: FR })).toThrow(/column/);
    expect(() =>
      splitRows(table, y, { kind: 'random', seed: 1, fractions: { train: 0, valid: 0, test: 0 } }),
    ).toThrow();
  });
});

describe('k-fold', () => {
  const check = (res: ReturnType<typeof kfoldRows>, k: number) => {
    expect(res.folds).toHaveLength(k);
    const test = new Set(res.test);
    const valid = res.folds.flatMap((f) => Array.from(f.valid));
    // Folds' validation parts partition the non-test rows.
    expect(valid.length).toBe(new Set(valid).size);
    expect(valid.length + test.size).toBe(10_000);
    expect(valid.some((r) => test.has(r))).toBe(false);
    for (const f of res.folds) {
      const v = new Set(f.valid);
      expect(f.train.length + f.valid.length).toBe(10_000 - test.size);
      expect(Array.from(f.train).some((r) => v.has(r) || test.has(r))).toBe(false);
    }
  };

  it('random folds partition the non-test rows, balanced', () => {
    const res = splitRows(table, y, { kind: 'kfold', k: 5, seed: 4 });
    check(res, 5);
    expect(res.test.length).toBe(2000);
    for (const f of res.folds) expect(f.valid.length).toBe(1600);
  });

  it('stratified folds keep the class rate', () => {
    const res = kfoldRows(table, y, { kind: 'kfold', k: 4, seed: 4, stratified: true, testFraction: 0.1 });
    check(res, 4);
    for (const f of res.folds) expect(Math.abs(rate(f.valid) - 0.07)).toBeLessThan(0.01);
    expect(Math.abs(rate(res.test) - 0.07)).toBeLessThan(0.01);
  });

  it('grouped folds keep groups whole', () => {
    const res = kfoldRows(table, y, { kind: 'kfold', k: 3, seed: 4, groupColumn: 'user' });
    check(res, 3);
    const where = new Map<string, number>();
    const parts = [res.test, ...res.folds.map((f) => f.valid)];
    let straddling = 0;
    parts.forEach((rows, p) => {
      for (const i of rows) {
        const key = user[i] ?? '<null>';
        if ((where.get(key) ?? p) !== p) straddling++;
        where.set(key, p);
      }
    });
    expect(straddling).toBe(0);
  });
});
