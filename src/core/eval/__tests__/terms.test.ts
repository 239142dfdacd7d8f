/**
 * Per-term contributions of text columns ("Text to performance": which words of a script drove the
 * predicted box office). A generated table whose target depends on whether the text contains planted
 * words (`spaceship` raises it, `wedding` lowers it) plus a numeric budget; GBDT (TreeSHAP), linear
 * (exact) and MLP (permutation SHAP) models trained by `trainModel`; then for rows with and without
 * the planted words:
 * - a column's terms + other present terms + absent terms = that column's folded contribution
 *   (1e-6 for trees and linear; the MLP's per-term values are the same sampled numbers summed, so the
 *   identity holds to rounding, and each value carries the stated error bound);
 * - base + Σ contributions = the raw output (unchanged by the split);
 * - the planted word is the row's top term, with the sign it was planted with (GBDT; the MLP, given
 *   words only); for the linear model, which also weighs word pairs, the terms with the planted word
 *   push the planted way and one of them is in the row's top 3.
 * `termContributions` itself is checked on a hand-made row.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact } from '../../ml/artifact.ts';
import { transform } from '../../ml/pipeline/index.ts';
import { createRng } from '../../ml/random.ts';
import { trainModel } from '../../ml/train.ts';
import type { ColumnarTable, FeatureInfo, Task } from '../../ml/types.ts';
import { explainRows, foldBySource } from '../explain.ts';
import { termContributions } from '../terms.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const FILLER = (
  'crew planet storm river city night family secret journey doctor money train island ' +
  'winter summer letter village soldier music garden dream mirror forest captain school'
).split(' ');

/** n scripts of 8 filler words; `spaceship` in ~1/3 (+30), `wedding` in ~1/3 (−20); budget adds. */
function scripts(n: number, seed: number, task: Task): ColumnarTable {
  const r = createRng(seed);
  const script: string[] = [];
  const budget = new Float64Array(n);
  const target: (number | string)[] = [];
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 8 }, () => FILLER[r.int(FILLER.length)]);
    const space = r.next() < 0.35;
    const wedding = r.next() < 0.35;
    if (space) words.splice(r.int(9), 0, 'spaceship');
    if (wedding) words.splice(r.int(words.length + 1), 0, 'wedding');
    script.push(words.join(' '));
    budget[i] = 10 + r.next() * 90;
    const y = 50 + (space ? 30 : 0) - (wedding ? 20 : 0) + 0.2 * budget[i] + 4 * r.normal();
    target.push(task === 'regression' ? y : y > 62 ? 'hit' : 'flop');
  }
  return {
    rowCount: n,
    columns: {
      script,
      budget,
      revenue: task === 'regression' ? Float64Array.from(target as number[]) : (target as string[]),
    },
    types: { script: 'VARCHAR', budget: 'DOUBLE', revenue: task === 'regression' ? 'DOUBLE' : 'VARCHAR' },
  };
}

/** Rows: enough that word pairs are seen a few times each (with 500, linear models fit rare pairs). */
const N = 1500;
const split = { kind: 'random' as const, seed: 3, fractions: { train: 0.7, valid: 0.15, test: 0.15 } };

describe('termContributions', () => {
  it('splits a text column into present terms (top k), other present terms and absent terms', () => {
    const f = (name: string, source: string, term?: string): FeatureInfo => ({
      name,
      source,
      kind: 'numeric',
      ...(term !== undefined ? { term } : {}),
    });
    const features = [
      f('budget', 'budget'),
      f('s:tfidf:space', 's', 'space'),
      f('s:tfidf:crew', 's', 'crew'),
      f('s:tfidf:war', 's', 'war'),
      f('s:char: sp', 's', ' sp'),
      f('s:tfidf:love', 's', 'love'),
    ];
    const values = [0.5, 0.3, -0.05, 0.2, -0.1, -0.4];
    const row = [12, 0.6, 0.2, 0, 0.4, 0.1];
    const [t] = termContributions(features, values, row, { top: 2 });
    expect(t.column).toBe('s');
    expect(t.present).toBe(4);
    expect(t.terms.map((x) => [x.term, x.kind, x.value, x.weight])).toEqual([
      ['love', 'word', -0.4, 0.1],
      ['space', 'word', 0.3, 0.6],
    ]);
    expect(t.otherPresent).toBeCloseTo(-0.15, 12);
    expect(t.absent).toBeCloseTo(0.2, 12);
    expect(t.total).toBeCloseTo(0.3 - 0.05 + 0.2 - 0.1 - 0.4, 12);
    expect(termContributions(features, values, row, { top: 10 })[0].terms[2]).toMatchObject({
      term: ' sp',
      kind: 'char',
    });
    expect(() => termContributions(features, values.slice(1), row)).toThrow(/6 features, but 5 values/);
  });
});

describe('per-term explanations of trained models with a text column', () => {
  const cases: [string, Task, Record<string, unknown>, number][] = [
    ['gbdt', 'regression', { nEstimators: 60 }, 1e-6],
    ['linear', 'regression', { maxIterations: 300 }, 1e-6],
    ['gbdt', 'binary', { nEstimators: 60 }, 1e-6],
    // Thresholded labels are noisier: the logistic model needs a real L2 penalty over ~1,000 terms.
    ['linear', 'binary', { maxIterations: 300, l2: 0.01 }, 1e-6],
    ['mlp', 'regression', { epochs: 60, hiddenLayers: [32], learningRate: 0.01, batchSize: 64 }, 1e-9],
  ];
  for (const [family, task, params, tol] of cases)
    it(`${family} ${task}: terms add up to the column, and the planted words lead with their sign`, async () => {
      const t = scripts(N, 11, task);
      const { artifact } = await trainModel(t, {
        target: 'revenue',
        task,
        // The MLP (TF.js on CPU here) gets words only (~30 terms, not ~1,000 with word pairs): quick to
        // train, and the per-term split is the same code.
        ...(family === 'mlp'
          ? {
              pipeline: {
                columns: [
                  { name: 'script', kind: 'text' as const },
                  { name: 'budget', kind: 'numeric' as const },
                ],
                text: { wordNgrams: [1, 1] as [number, number] },
              },
            }
          : { featureColumns: ['script', 'budget'] }),
        split,
        family,
        params,
        seed: 1,
      });
      expect(artifact.inputSchema.find((f) => f.name === 'script')?.kind).toBe('text');
      const m = await loadArtifact(artifact);
      const X = transform(artifact.pipeline, t, undefined, {
        forModel: artifact.model.matrix,
        outOfFold: false,
      });
      const p = await m.predictMatrix(X);
      const text = t.columns.script as string[];
      const has = (i: number, w: string) => text[i].split(' ').includes(w);
      const pick = (space: boolean, wedding: boolean) =>
        Array.from({ length: N }, (_, i) => i)
          .filter((i) => has(i, 'spaceship') === space && has(i, 'wedding') === wedding)
          .slice(0, family === 'mlp' ? 2 : 4);
      const rows = [...pick(true, false), ...pick(false, true), ...pick(false, false)];
      // Binary: the positive class is the minority label; `spaceship` raises P(hit).
      const up = task === 'regression' || artifact.classes?.[1] === 'hit' ? 1 : -1;
      const ex = await explainRows({ task, k: 2, model: m.model, X, p }, rows, { terms: 50 });
      let errorBound = 0;
      for (const e of ex) {
        const script = e.contributions.find((c) => c.column === 'script')!.value;
        const [tt] = e.terms!;
        expect(tt.column).toBe('script');
        const sum = tt.terms.reduce((a, x) => a + x.value, 0) + tt.otherPresent + tt.absent;
        expect(Math.abs(sum - script)).toBeLessThan(tol);
        expect(Math.abs(tt.total - script)).toBeLessThan(tol);
        expect(Math.abs(e.base + e.contributions.reduce((a, c) => a + c.value, 0) - e.output)).toBeLessThan(
          1e-6,
        );
        // Only terms present in the row are listed, and they are in the row's text.
        for (const x of tt.terms) {
          expect(x.weight).toBeGreaterThan(0);
          for (const w of x.term.split(' ')) expect(text[e.index]).toContain(w);
        }
        errorBound = Math.max(errorBound, e.errorBound ?? 0);
        // GBDT and the MLP (words only): the planted word is the row's top term, with its sign. Linear
        // (words and word pairs): the model also weighs pairs, some rare ones heavily (what it learned),
        // so the terms with the planted word push the planted way, and one of them is in the top 3.
        for (const [w, sign] of [
          ['spaceship', up],
          ['wedding', -up],
        ] as const) {
          if (!has(e.index, w)) continue;
          if (family === 'linear') {
            const withW = tt.terms.filter((x) => x.term.split(' ').includes(w));
            expect(Math.sign(withW.reduce((a, x) => a + x.value, 0))).toBe(sign);
            expect(tt.terms.indexOf(withW[0])).toBeLessThan(3);
          } else {
            expect(tt.terms[0].term).toBe(w);
            expect(Math.sign(tt.terms[0].value)).toBe(sign);
            if (family === 'mlp')
              expect(Math.abs(tt.terms[0].value)).toBeGreaterThan(3 * (e.errorBound ?? 0));
          }
        }
      }
      // Explaining a raw record (the predict panel and the server): the same split per term.
      const rec = { script: text[rows[0]], budget: (t.columns.budget as Float64Array)[rows[0]] };
      const er = await m.explainRecord!(rec, { terms: 3 });
      const folded = foldBySource(er.features, er.values);
      const rt = er.terms![0];
      expect(rt.terms.length).toBeLessThanOrEqual(3);
      expect(Math.abs(rt.total - folded.script)).toBeLessThan(tol);
      if (family === 'mlp') {
        // Sampled: an error bound is stated (the same for every value, terms included).
        expect(errorBound).toBeGreaterThan(0);
        expect(er.errorBound).toBeGreaterThan(0);
      } else expect(er.errorBound).toBeUndefined();
      if (family !== 'linear') expect(rt.terms[0].term).toBe('spaceship');
    }, 120_000);
});
