import { describe, expect, it } from 'vitest';
import type { ColumnarTable } from '../../types.ts';
import { binIndex, oofFold } from '../encode.ts';
import { fitPipeline, stripTrainingState } from '../fit.ts';
import { inferKinds } from '../infer.ts';
import { inputSchema, summaryStats } from '../schema.ts';
import { tokenize } from '../text.ts';
import { transform, transformRecord } from '../transform.ts';
import type { PipelineSpec } from '../types.ts';
import { BASE, DAY, fixture } from './fixtures.ts';

const SPEC: PipelineSpec = {
  columns: [
    { name: 'num', kind: 'numeric' },
    { name: 'low', kind: 'categorical' },
    { name: 'high', kind: 'categorical' },
    { name: 'flag', kind: 'boolean' },
    { name: 'when', kind: 'datetime' },
    { name: 'title', kind: 'text' },
  ],
  text: { charNgrams: [3, 4], maxFeatures: 300 },
  datetimeCyclic: true,
  seed: 5,
};

const fx = fixture();
const col = (m: { features: { name: string }[] }, name: string) => {
  const j = m.features.findIndex((f) => f.name === name);
  if (j < 0) throw new Error(`no feature ${name}`);
  return j;
};
const at = (m: { cols: number; data: Float32Array }, i: number, j: number) => m.data[i * m.cols + j];
const rowOf = (m: { cols: number; data: Float32Array }, i: number) =>
  Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));

describe('fitPipeline: no leakage', () => {
  it('(a) poisoning the validation/test rows leaves the fitted pipeline byte-identical', () => {
    const before = JSON.stringify(fitPipeline(fx.table, fx.train, SPEC, fx.y, 'binary'));
    const poisoned: ColumnarTable = structuredClone(fx.table);
    const y2 = fx.y.slice();
    const huge = Array.from({ length: 20_000 }, (_, i) => `poison${i % 5000}`).join(' ');
    for (const r of fx.test) {
      (poisoned.columns.num as (number | null)[])[r] = 1e12;
      (poisoned.columns.low as (string | null)[])[r] = `NEW${r}`;
      (poisoned.columns.high as (string | null)[])[r] = `NEWHIGH${r % 3}`;
      (poisoned.columns.flag as (boolean | null)[])[r] = true;
      (poisoned.columns.when as (number | null)[])[r] = 8e15;
      (poisoned.columns.title as (string | null)[])[r] = huge;
      y2[r] = 1 - y2[r];
    }
    const after = JSON.stringify(fitPipeline(poisoned, fx.train, SPEC, y2, 'binary'));
    expect(after).toBe(before);
    // Sanity: the poison does change a fit that includes one of those rows.
    const plusOne = Uint32Array.from([...fx.train, fx.test[0]]).sort();
    expect(JSON.stringify(fitPipeline(poisoned, plusOne, SPEC, y2, 'binary'))).not.toBe(
      JSON.stringify(fitPipeline(fx.table, plusOne, SPEC, fx.y, 'binary')),
    );
  });
});

describe('numeric', () => {
  it('(b) median imputation, missing indicator and standard scaling match an independent computation', () => {
    const fitted = fitPipeline(fx.table, fx.train, { columns: [{ name: 'num', kind: 'numeric' }] });
    const obs = Array.from(fx.train, (r) => fx.num[r]).filter((v): v is number => v !== null);
    const sorted = [...obs].sort((a, b) => a - b);
    const m = sorted.length;
    const med = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
    const imputed = Array.from(fx.train, (r) => fx.num[r] ?? med);
    const mean = imputed.reduce((a, b) => a + b, 0) / imputed.length;
    const std = Math.sqrt(imputed.reduce((a, b) => a + (b - mean) ** 2, 0) / imputed.length);
    const X = transform(fitted, fx.table);
    expect(X.features.map((f) => f.name)).toEqual(['num', 'num__missing']);
    for (let r = 0; r < fx.table.rowCount; r++) {
      const v = fx.num[r];
      const expected = ((v ?? med) - mean) / std;
      if (Math.abs(at(X, r, 0) - expected) > 1e-5) throw new Error(`row ${r}: ${at(X, r, 0)} vs ${expected}`);
      expect(at(X, r, 1)).toBe(v === null ? 1 : 0);
    }
    const c = fitted.columns[0];
    expect(c.kind === 'numeric' && c.median).toBe(med);
    // gbdt: raw values, NaN for missing, nothing else.
    const G = transform(fitted, fx.table, undefined, { forModel: 'gbdt' });
    expect(G.cols).toBe(1);
    for (let r = 0; r < 30; r++) {
      const v = fx.num[r];
      if (v === null) expect(G.data[r]).toBeNaN();
      else expect(G.data[r]).toBe(Math.fround(v));
    }
  });

  it('no indicator when train had no missing values; scale none keeps raw values', () => {
    const t: ColumnarTable = {
      rowCount: 4,
      columns: { x: Float64Array.of(1, 2, 3, Number.NaN) },
      types: { x: 'DOUBLE' },
    };
    const fitted = fitPipeline(t, Uint32Array.of(0, 1, 2), {
      columns: [{ name: 'x', kind: 'numeric' }],
      scale: 'none',
    });
    const X = transform(fitted, t);
    expect(X.cols).toBe(1);
    expect(Array.from(X.data)).toEqual([1, 2, 3, 2]);
  });
});

describe('categorical', () => {
  it('(c) one-hot: levels by train frequency, __missing level, __unseen column', () => {
    const t: ColumnarTable = {
      rowCount: 8,
      columns: { c: ['b', 'a', 'b', null, 'c', 'b', 'a', 'zzz'] },
      types: { c: 'VARCHAR' },
    };
    const fitted = fitPipeline(t, Uint32Array.of(0, 1, 2, 3, 4, 5, 6), {
      columns: [{ name: 'c', kind: 'categorical' }],
    });
    const X = transform(fitted, t);
    expect(X.features.map((f) => f.name)).toEqual(['c=b', 'c=a', 'c=c', 'c=__missing', 'c=__unseen']);
    expect(X.features.every((f) => f.source === 'c' && f.kind === 'numeric')).toBe(true);
    expect(rowOf(X, 0)).toEqual([1, 0, 0, 0, 0]);
    expect(rowOf(X, 1)).toEqual([0, 1, 0, 0, 0]);
    expect(rowOf(X, 3)).toEqual([0, 0, 0, 1, 0]);
    expect(rowOf(X, 4)).toEqual([0, 0, 1, 0, 0]);
    expect(rowOf(X, 7)).toEqual([0, 0, 0, 0, 1]);
    const rec = transformRecord(fitted, { c: 'new one' });
    expect(Array.from(rec.row)).toEqual([0, 0, 0, 0, 1]);
    expect(rec.warnings).toEqual([expect.objectContaining({ field: 'c', code: 'unseen-category' })]);
  });

  it('(d) out-of-fold target encoding never includes the row’s own target', () => {
    // 12 training rows, 3 levels (> oneHotMaxCategories = 2 → target encoding), binary target.
    const c = ['x', 'x', 'x', 'x', 'y', 'y', 'y', 'y', 'z', 'z', 'z', 'z', 'x', 'w'];
    const y = Float32Array.from([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0]);
    const t: ColumnarTable = { rowCount: 14, columns: { c }, types: { c: 'VARCHAR' } };
    const train = Uint32Array.from({ length: 12 }, (_, i) => i);
    const spec: PipelineSpec = {
      columns: [{ name: 'c', kind: 'categorical' }],
      oneHotMaxCategories: 2,
      scale: 'none',
      seed: 1,
    };
    const fitted = fitPipeline(t, train, spec, y);
    expect(fitted.task).toBe('binary');
    const X = transform(fitted, t, train);
    expect(X.features.map((f) => f.name)).toEqual(['c:te']);
    const m = 20;
    const fold = (r: number) => oofFold(r, 1, 5);
    for (const r of train) {
      // By hand: other-fold rows only, for the level stats and for the prior.
      const others = Array.from(train).filter((q) => fold(q) !== fold(r));
      const same = others.filter((q) => c[q] === c[r]);
      const prior = others.length ? others.reduce((a, q) => a + y[q], 0) / others.length : 0;
      const s = same.reduce((a, q) => a + y[q], 0);
      expect(at(X, r, 0)).toBeCloseTo((s + m * prior) / (same.length + m), 6);
      // Flipping the row's own target does not change its encoding.
      const y2 = y.slice();
      y2[r] = 1 - y2[r];
      const X2 = transform(fitPipeline(t, train, spec, y2), t, train);
      expect(at(X2, r, 0)).toBe(at(X, r, 0));
    }
    // New rows (not the training rows): full-train statistics; unseen → global mean.
    const prior = Array.from(train).reduce((a, q) => a + y[q], 0) / 12;
    const N = transform(fitted, t, Uint32Array.of(12, 13));
    expect(N.data[0]).toBeCloseTo((3 + m * prior) / (4 + m), 6);
    expect(N.data[1]).toBeCloseTo(prior, 6);
    // A subset of the training rows can still be forced out-of-fold.
    const sub = transform(fitted, t, Uint32Array.of(0, 1), { outOfFold: true });
    expect(Array.from(sub.data)).toEqual([at(X, 0, 0), at(X, 1, 0)]);
  });

  it('frequency encoding without a target; multiclass target encoding has one output per class', () => {
    const fq = fitPipeline(fx.table, fx.train, {
      columns: [{ name: 'high', kind: 'categorical' }],
      scale: 'none',
    });
    expect(fq.notes).toEqual([]);
    const X = transform(fq, fx.table, fx.test);
    const r = fx.test[0];
    const level = fx.high[r];
    const count = Array.from(fx.train).filter((q) => fx.high[q] === level).length;
    expect(X.data[0]).toBeCloseTo(count / fx.train.length, 6);
    expect(transformRecord(fq, { high: 'never' }).row[0]).toBe(0);
    const y3 = Float32Array.from(fx.y, (_, i) => i % 3);
    const mc = fitPipeline(
      fx.table,
      fx.train,
      { columns: [{ name: 'high', kind: 'categorical' }] },
      y3,
      'multiclass',
    );
    expect(transform(mc, fx.table, fx.test).features.map((f) => f.name)).toEqual([
      'high:te=0',
      'high:te=1',
      'high:te=2',
    ]);
  });

  it('(i) gbdt: one categorical feature with integer codes, an unseen code and NaN for missing', () => {
    const fitted = fitPipeline(fx.table, fx.train, SPEC, fx.y);
    const G = transform(fitted, fx.table, undefined, { forModel: 'gbdt' });
    const j = col(G, 'low');
    expect(G.features[j]).toEqual({ name: 'low', source: 'low', kind: 'categorical', categories: 4 });
    const lowFit = fitted.columns[1];
    if (lowFit.kind !== 'categorical') throw new Error('kind');
    for (let r = 0; r < 40; r++) {
      const v = fx.low[r];
      if (v === null) expect(at(G, r, j)).toBeNaN();
      else expect(at(G, r, j)).toBe(lowFit.levels.indexOf(v));
    }
    expect(transformRecord(fitted, { low: 'purple' }, 'gbdt').row[j]).toBe(3);
    expect(col(G, 'high')).toBe(j + 1);
    expect(G.features.filter((f) => f.kind === 'categorical').map((f) => f.name)).toEqual(['low', 'high']);
    // At most 254 levels + the other/unseen code.
    const many: ColumnarTable = {
      rowCount: 600,
      columns: { c: Array.from({ length: 600 }, (_, i) => `L${i % 300}`) },
      types: { c: 'VARCHAR' },
    };
    const fm = fitPipeline(
      many,
      Uint32Array.from({ length: 600 }, (_, i) => i),
      { columns: [{ name: 'c', kind: 'categorical' }] },
    );
    const M = transform(fm, many, undefined, { forModel: 'gbdt' });
    expect(M.features[0].categories).toBe(255);
    expect(Math.max(...M.data)).toBe(254);
    expect(new Set(M.data).size).toBe(255);
  });
});

describe('text', () => {
  it('tokenizer: lower-case, accents stripped, 1-char tokens and stopwords dropped', () => {
    expect(tokenize('The Café déjà-vu, a B 42 x! Naïve résumé')).toEqual([
      'cafe',
      'deja',
      'vu',
      '42',
      'naive',
      'resume',
    ]);
  });

  it('(e) TF-IDF equals a hand computation on 3 tiny documents', () => {
    const t: ColumnarTable = {
      rowCount: 4,
      columns: { d: ['The cat sat', 'the cat cat ran', 'a dog ran fast', 'cat unknownword'] },
      types: { d: 'VARCHAR' },
    };
    const fitted = fitPipeline(t, Uint32Array.of(0, 1, 2), {
      columns: [{ name: 'd', kind: 'text' }],
      text: { wordNgrams: [1, 1], minDf: 1 },
    });
    const X = transform(fitted, t);
    // df: cat 2, ran 2, dog 1, fast 1, sat 1 → order by df desc then term.
    expect(X.features.map((f) => f.term)).toEqual(['cat', 'ran', 'dog', 'fast', 'sat']);
    expect(X.features[0]).toEqual({ name: 'd:tfidf:cat', source: 'd', kind: 'numeric', term: 'cat' });
    const idf2 = Math.log(4 / 3) + 1;
    const idf1 = Math.log(4 / 2) + 1;
    const norm = (v: number[]) => {
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const expected = [
      norm([idf2, 0, 0, 0, idf1]),
      norm([(1 + Math.log(2)) * idf2, idf2, 0, 0, 0]),
      norm([0, idf2, idf1, idf1, 0]),
      [1, 0, 0, 0, 0],
    ];
    expected.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(at(X, i, j)).toBeCloseTo(v, 6);
      });
    });
  });

  it('bigrams and char n-grams, minDf and maxFeatures', () => {
    const t: ColumnarTable = {
      rowCount: 3,
      columns: { d: ['new york city', 'new york times', 'old york'] },
      types: { d: 'VARCHAR' },
    };
    const fitted = fitPipeline(t, Uint32Array.of(0, 1, 2), {
      columns: [{ name: 'd', kind: 'text' }],
      text: { charNgrams: [3, 3], maxFeatures: 6 },
    });
    const X = transform(fitted, t);
    expect(X.features.map((f) => f.name)).toEqual([
      'd:char: yo',
      'd:char:ork',
      'd:char:rk ',
      'd:char:yor',
      'd:tfidf:york',
      'd:char: ne',
    ]);
    const full = fitPipeline(t, Uint32Array.of(0, 1, 2), { columns: [{ name: 'd', kind: 'text' }] });
    expect(transform(full, t).features.map((f) => f.term)).toEqual(['york', 'new', 'new york']);
  });
});

describe('datetime', () => {
  it('(f) parts of known UTC timestamps, days since the train minimum', () => {
    const ts = [
      Date.UTC(2024, 1, 29, 13, 45),
      Date.UTC(2023, 11, 31, 23, 59, 59),
      Date.UTC(2024, 0, 1, 0, 0),
      null,
    ];
    const t: ColumnarTable = { rowCount: 4, columns: { t: ts }, types: { t: 'TIMESTAMP' } };
    const fitted = fitPipeline(t, Uint32Array.of(0, 1, 2, 3), { columns: [{ name: 't', kind: 'datetime' }] });
    const G = transform(fitted, t, undefined, { forModel: 'gbdt' });
    expect(G.features.map((f) => f.name)).toEqual([
      't:year',
      't:month',
      't:day',
      't:dow',
      't:hour',
      't:days',
    ]);
    const min = Date.UTC(2023, 11, 31, 23, 59, 59);
    expect(rowOf(G, 0)).toEqual([2024, 2, 29, 4, 13, Math.fround((ts[0]! - min) / DAY)]);
    expect(rowOf(G, 1)).toEqual([2023, 12, 31, 0, 23, 0]);
    expect(rowOf(G, 2)).toEqual([2024, 1, 1, 1, 0, Math.fround(1000 / DAY)]);
    expect(rowOf(G, 3).every(Number.isNaN)).toBe(true);
    // Dense: imputed with the median timestamp, indicator, scaled.
    const X = transform(fitted, t);
    expect(X.features.at(-1)!.name).toBe('t__missing');
    expect(rowOf(X, 3).at(-1)).toBe(1);
    expect(rowOf(X, 3).slice(0, 6)).toEqual(rowOf(X, 2).slice(0, 6)); // median of 3 = Jan 1 2024
    // DATE columns have no hour; cyclic parts are optional.
    const d: ColumnarTable = { rowCount: 1, columns: { t: [Date.UTC(2024, 2, 1)] }, types: { t: 'DATE' } };
    const fd = fitPipeline(d, Uint32Array.of(0), {
      columns: [{ name: 't', kind: 'datetime' }],
      datetimeCyclic: true,
    });
    expect(transform(fd, d, undefined, { forModel: 'gbdt' }).features.map((f) => f.name)).toEqual([
      't:year',
      't:month',
      't:day',
      't:dow',
      't:days',
      't:month_sin',
      't:month_cos',
      't:dow_sin',
      't:dow_cos',
    ]);
  });
});

describe('records, serialisation, schema', () => {
  const fitted = fitPipeline(fx.table, fx.train, SPEC, fx.y);

  it('(g) transformRecord gives exactly the numbers of transform on a table row', () => {
    for (const mode of ['dense', 'gbdt'] as const) {
      for (const r of [...fx.test.slice(0, 25), 0, 13, 17, 19, 23]) {
        const record = Object.fromEntries(
          Object.keys(fx.table.columns).map((k) => [k, fx.table.columns[k][r]]),
        );
        const fromTable = transform(fitted, fx.table, Uint32Array.of(r), { forModel: mode }).data;
        const { row } = transformRecord(fitted, record, mode);
        expect(row.length).toBe(fromTable.length);
        expect(Array.from(row).every((v, j) => Object.is(v, fromTable[j]))).toBe(true);
      }
    }
    // ISO strings and numeric strings read like the table values.
    const r = fx.test[1];
    const iso = fx.when[r] === null ? null : new Date(fx.when[r]!).toISOString();
    const rec = {
      num: fx.num[r] === null ? null : String(fx.num[r]),
      low: fx.low[r],
      high: fx.high[r],
      flag: fx.flag[r],
      when: iso,
      title: fx.title[r],
    };
    expect(Array.from(transformRecord(fitted, rec).row)).toEqual(
      Array.from(transform(fitted, fx.table, Uint32Array.of(r)).data),
    );
  });

  it('transformRecord warnings', () => {
    const { warnings } = transformRecord(fitted, {
      num: 1e9,
      low: 'purple',
      when: BASE - 1000 * DAY,
      title: 'hello',
    });
    // high is absent but train had missing values (its own level / code): no warning.
    expect(warnings.map((w) => `${w.field}:${w.code}`)).toEqual([
      'num:out-of-range',
      'low:unseen-category',
      'flag:missing-imputed',
      'when:out-of-range',
    ]);
    const bad = transformRecord(fitted, { num: 'abc' }).warnings[0];
    expect(bad).toMatchObject({ field: 'num', code: 'missing-imputed' });
    expect(bad.message).toMatch(
      /^could not read "abc" as a number; missing; imputed with the training median/,
    );
  });

  it('(h) a JSON round trip transforms identically (including out-of-fold training rows)', () => {
    const copy = JSON.parse(JSON.stringify(fitted));
    expect(copy).toEqual(fitted);
    for (const mode of ['dense', 'gbdt'] as const) {
      for (const rows of [fx.train, fx.test, undefined]) {
        const a = transform(fitted, fx.table, rows, { forModel: mode });
        const b = transform(copy, fx.table, rows, { forModel: mode });
        expect(b.features).toEqual(a.features);
        expect(Array.from(b.data).every((v, j) => Object.is(v, a.data[j]))).toBe(true);
      }
    }
    // Stripping the out-of-fold state keeps new-row transforms.
    const stripped = stripTrainingState(fitted);
    expect(Array.from(transform(stripped, fx.table, fx.test).data)).toEqual(
      Array.from(transform(fitted, fx.table, fx.test).data),
    );
  });

  it('training rows get out-of-fold encodings, other rows full-train ones', () => {
    const X = transform(fitted, fx.table, fx.train);
    const j = col(X, 'high:te');
    const Y = transform(fitted, fx.table, fx.train, { outOfFold: false });
    expect(Array.from({ length: fx.train.length }, (_, i) => at(X, i, j) !== at(Y, i, j)).some(Boolean)).toBe(
      true,
    );
  });

  it('inputSchema and summaryStats', () => {
    const schema = inputSchema(fitted);
    expect(schema.map((f) => [f.name, f.kind, f.type, f.nullable])).toEqual([
      ['num', 'numeric', 'DOUBLE', true],
      ['low', 'categorical', 'VARCHAR', true],
      ['high', 'categorical', 'VARCHAR', true],
      ['flag', 'boolean', 'BOOLEAN', true],
      ['when', 'datetime', 'TIMESTAMP', true],
      ['title', 'text', 'VARCHAR', true],
    ]);
    const trainNums = Array.from(fx.train, (r) => fx.num[r]).filter((v): v is number => v !== null);
    expect(schema[0].min).toBe(Math.min(...trainNums));
    expect(schema[0].max).toBe(Math.max(...trainNums));
    expect(new Set(schema[1].categories)).toEqual(new Set(['red', 'green', 'blue']));
    const stats = summaryStats(fitted);
    expect(stats.rows).toBe(fx.train.length);
    const n = stats.columns[0];
    if (n.kind !== 'numeric') throw new Error('kind');
    expect(n.edges).toHaveLength(11);
    expect(n.edges[0]).toBe(schema[0].min);
    expect(n.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    for (const p of n.proportions) expect(Math.abs(p - 0.1)).toBeLessThan(0.03);
    expect(n.missing).toBeCloseTo(1 - trainNums.length / fx.train.length, 10);
    expect(binIndex(n.edges, -1e9)).toBe(0);
    expect(binIndex(n.edges, 1e9)).toBe(9);
    const c = stats.columns[1];
    if (c.kind !== 'categorical') throw new Error('kind');
    expect(c.top[0].level).toBe('blue');
    expect(c.top.reduce((a, t) => a + t.share, 0) + c.other + c.missing).toBeCloseTo(1, 10);
  });
});

describe('inferKinds', () => {
  it('guesses kinds from types and values', () => {
    const kinds = inferKinds(fx.table, { exclude: ['y'] });
    expect(kinds.map((k) => `${k.name}:${k.kind}`)).toEqual([
      'num:numeric',
      'low:categorical',
      'high:categorical',
      'flag:boolean',
      'when:datetime',
      'title:text',
    ]);
    const long: ColumnarTable = {
      rowCount: 100,
      columns: {
        s: Array.from({ length: 100 }, (_, i) => `a rather long sentence about the topic number ${i}`),
      },
      types: { s: 'VARCHAR' },
    };
    expect(inferKinds(long)[0].kind).toBe('text');
  });
});

describe('edge cases', () => {
  it('all-missing and empty columns fit to finite JSON and transform', () => {
    const t: ColumnarTable = {
      rowCount: 3,
      columns: { x: [null, null, null], c: [null, null, 'a'], s: [null, '', 'a b'], d: [null, null, null] },
      types: { x: 'DOUBLE', c: 'VARCHAR', s: 'VARCHAR', d: 'TIMESTAMP' },
    };
    const spec: PipelineSpec = {
      columns: [
        { name: 'x', kind: 'numeric' },
        { name: 'c', kind: 'categorical' },
        { name: 's', kind: 'text' },
        { name: 'd', kind: 'datetime' },
      ],
    };
    const fitted = fitPipeline(t, Uint32Array.of(0, 1), spec, Float32Array.of(1, 0, 1));
    const json = JSON.stringify(fitted);
    expect(JSON.parse(json)).toEqual(fitted);
    const X = transform(fitted, t);
    expect(X.data.every(Number.isFinite)).toBe(true);
    expect(() => fitPipeline(t, Uint32Array.of(5), spec)).toThrow(/outside/);
    expect(() => fitPipeline(t, Uint32Array.of(0), { columns: [{ name: 'nope', kind: 'numeric' }] })).toThrow(
      /not found/,
    );
  });
});
