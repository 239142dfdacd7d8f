/**
 * TrainSpec.classWeight (balanced class weights) and TrainSpec.search (seeded random hyperparameter
 * search on the validation rows) end to end through trainModel, plus the family-level guarantee that
 * weights of all 1 change nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact } from '../artifact.ts';
import { linearFamily } from '../families/linear.ts';
import { gbdtFamily } from '../gbdt/index.ts';
import { transform } from '../pipeline/index.ts';
import { createRng } from '../random.ts';
import { sampleSpace } from '../search.ts';
import { splitRows } from '../split/index.ts';
import { balancedClassWeights, type TrainSpec, trainModel } from '../train.ts';
import type { ColumnarTable, Dataset, FeatureInfo, Progress } from '../types.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Binary target with ~5 % positives (a noisy threshold on a linear score). */
function imbalanced(n: number, seed: number): ColumnarTable {
  const r = createRng(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const label: string[] = [];
  for (let i = 0; i < n; i++) {
    a[i] = r.normal();
    b[i] = r.normal();
    const s = 1.5 * a[i] + b[i] + r.normal();
    label.push(s > 3.4 ? 'yes' : 'no');
  }
  return {
    rowCount: n,
    columns: { a, b, label },
    types: { a: 'DOUBLE', b: 'DOUBLE', label: 'VARCHAR' },
  };
}

const imbSpec = (
  family: string,
  params: Record<string, unknown>,
  extra: Partial<TrainSpec> = {},
): TrainSpec => ({
  target: 'label',
  task: 'binary',
  featureColumns: ['a', 'b'],
  split: { kind: 'random', seed: 5, fractions: { train: 0.6, valid: 0.2, test: 0.2 } },
  family,
  params,
  seed: 1,
  ...extra,
});

/** Recall of the positive class at threshold 0.5 on a fresh table from the same generator. */
async function recallOn(artifact: unknown, table: ColumnarTable): Promise<number> {
  const loaded = await loadArtifact(JSON.parse(JSON.stringify(artifact)));
  const a = loaded.artifact;
  const rows = Uint32Array.from({ length: table.rowCount }, (_, i) => i);
  const p = await loaded.predictMatrix(transform(a.pipeline, table, rows, { forModel: a.model.matrix }));
  const pos = a.classes![1];
  let tp = 0;
  let positives = 0;
  const labels = table.columns.label as string[];
  for (let i = 0; i < table.rowCount; i++) {
    if (labels[i] !== pos) continue;
    positives++;
    if (p[i] >= 0.5) tp++;
  }
  return tp / positives;
}

describe('class weights', () => {
  it('balanced weights are n / (k · n_c) on the given rows', () => {
    const y = Float32Array.from([0, 0, 0, 1]);
    expect(Array.from(balancedClassWeights(y, 2))).toEqual([4 / 6, 2]);
  });

  const table = imbalanced(3000, 21);
  const fresh = imbalanced(4000, 99);
  for (const [family, params] of [
    ['gbdt', { nEstimators: 60, minDataInLeaf: 10 }],
    ['linear', { maxIterations: 300 }],
  ] as const) {
    it(`${family}: balanced weights raise recall at 0.5 (5 % positives)`, async () => {
      const none = await trainModel(table, imbSpec(family, params));
      const bal = await trainModel(table, imbSpec(family, params, { classWeight: 'balanced' }));
      const rNone = await recallOn(none.artifact, fresh);
      const rBal = await recallOn(bal.artifact, fresh);
      expect(rBal).toBeGreaterThan(rNone + 0.2);
      expect(bal.artifact.provenance.classWeight?.kind).toBe('balanced');
      const w = bal.artifact.provenance.classWeight!.weights;
      expect(w[1]).toBeGreaterThan(5 * w[0]);
      expect(none.artifact.provenance.classWeight).toBeUndefined();
      // The baseline never sees the weights.
      expect(bal.baseline).toEqual(none.baseline);
    }, 60_000);
  }

  it('weights of all 1 give the same model as no weights', async () => {
    const r = createRng(4);
    const n = 600;
    const data = new Float32Array(n * 2);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      data[2 * i] = r.normal();
      data[2 * i + 1] = r.normal();
      y[i] = data[2 * i] + 0.5 * data[2 * i + 1] + 0.5 * r.normal() > 0.8 ? 1 : 0;
    }
    const features: FeatureInfo[] = [
      { name: 'a', source: 'a', kind: 'numeric' },
      { name: 'b', source: 'b', kind: 'numeric' },
    ];
    const plain: Dataset = { X: { rows: n, cols: 2, data, features }, y };
    const ones: Dataset = { ...plain, weight: new Float32Array(n).fill(1) };
    const valid: Dataset = { X: { ...plain.X, rows: 100, data: data.slice(0, 200) }, y: y.slice(0, 100) };
    const ctx = { task: 'binary' as const, seed: 3, valid };
    const g1 = await gbdtFamily.fit(plain, { ...gbdtFamily.defaults, nEstimators: 40 }, ctx);
    const g2 = await gbdtFamily.fit(ones, { ...gbdtFamily.defaults, nEstimators: 40 }, ctx);
    expect(JSON.stringify(g2.state)).toBe(JSON.stringify(g1.state));
    expect(Array.from(await g2.predict(plain.X))).toEqual(Array.from(await g1.predict(plain.X)));
    const l1 = await linearFamily.fit(plain, { ...linearFamily.defaults, maxIterations: 100 }, ctx);
    const l2 = await linearFamily.fit(ones, { ...linearFamily.defaults, maxIterations: 100 }, ctx);
    const p1 = await l1.predict(plain.X);
    const p2 = await l2.predict(plain.X);
    for (let i = 0; i < n; i++) expect(Math.abs(p1[i] - p2[i])).toBeLessThan(1e-9);
  }, 60_000);
});

describe('hyperparameter search', () => {
  it('sampling is seeded and stays in range', () => {
    const space = {
      lr: { type: 'logfloat' as const, min: 0.01, max: 0.3 },
      leaves: { type: 'int' as const, min: 8, max: 12 },
      frac: { type: 'float' as const, min: 0.5, max: 1 },
      layers: { type: 'choice' as const, values: [[32], [64, 64]] },
    };
    const a = sampleSpace(space, 50, 7);
    expect(sampleSpace(space, 50, 7)).toEqual(a);
    expect(sampleSpace(space, 50, 8)).not.toEqual(a);
    for (const p of a) {
      expect(p.lr as number).toBeGreaterThanOrEqual(0.01);
      expect(p.lr as number).toBeLessThanOrEqual(0.3);
      expect(Number.isInteger(p.leaves)).toBe(true);
      expect(p.leaves as number).toBeGreaterThanOrEqual(8);
      expect(p.leaves as number).toBeLessThanOrEqual(12);
      expect(p.frac as number).toBeGreaterThanOrEqual(0.5);
      expect([[32], [64, 64]]).toContainEqual(p.layers);
    }
    expect(new Set(a.map((p) => p.leaves)).size).toBe(5);
    expect(() => sampleSpace({ x: { type: 'logfloat', min: 0, max: 1 } }, 1, 1)).toThrow(/min > 0/);
  });

  it('keeps the trial with the best validation score and never looks at test rows', async () => {
    const table = imbalanced(2000, 3);
    const spec = imbSpec('gbdt', { nEstimators: 30 }, { search: { kind: 'random', trials: 4 } });
    const progress: Progress[] = [];
    const out = await trainModel(table, spec, { onProgress: (p) => progress.push(p) });
    const s = out.artifact.provenance.search!;
    expect(s.metric).toBe('auc');
    expect(s.trials).toHaveLength(4);
    const scores = s.trials.map((t) => t.valid ?? Number.NEGATIVE_INFINITY);
    expect(s.best).toBe(scores.indexOf(Math.max(...scores)) + 1);
    expect(out.artifact.metrics.valid.auc).toBeCloseTo(scores[s.best - 1], 12);
    // The chosen trial's sampled params are the model's params.
    for (const [key, v] of Object.entries(s.trials[s.best - 1].params))
      expect(out.artifact.model.params[key]).toEqual(v);
    expect(Object.keys(s.trials[0].params).sort()).toEqual(
      ['featureFraction', 'lambdaL2', 'learningRate', 'maxLeaves', 'minDataInLeaf'].sort(),
    );
    expect(new Set(progress.map((p) => p.trial))).toEqual(new Set([1, 2, 3, 4]));
    expect(progress.every((p) => p.trials === 4)).toBe(true);
    expect(out.search).toEqual(s);
    expect(JSON.parse(JSON.stringify(out.artifact)).provenance.search).toEqual(s);

    // Poison the test targets (flip them): same split (random), same trials, same choice.
    const test = splitRows(table, table.columns.label, spec.split, 'binary').test;
    const labels = [...(table.columns.label as string[])];
    for (const r of test) labels[r] = labels[r] === 'yes' ? 'no' : 'yes';
    const poisoned: ColumnarTable = { ...table, columns: { ...table.columns, label: labels } };
    const out2 = await trainModel(poisoned, spec);
    const s2 = out2.artifact.provenance.search!;
    expect(s2.trials).toEqual(s.trials);
    expect(s2.best).toBe(s.best);
    expect(out2.artifact.metrics.valid).toEqual(out.artifact.metrics.valid);
    expect(out2.artifact.metrics.test.auc).toBeLessThan(0.5);
  }, 120_000);

  it('uses a given space, and needs validation rows', async () => {
    const table = imbalanced(800, 8);
    const out = await trainModel(
      table,
      imbSpec(
        'linear',
        { maxIterations: 50 },
        {
          search: { kind: 'random', trials: 2, space: { l2: { type: 'choice', values: [1e-4, 10] } } },
        },
      ),
    );
    const s = out.artifact.provenance.search!;
    expect(s.trials.map((t) => Object.keys(t.params))).toEqual([['l2'], ['l2']]);
    await expect(
      trainModel(
        table,
        imbSpec(
          'gbdt',
          {},
          {
            split: { kind: 'random', seed: 1, fractions: { train: 0.8, valid: 0, test: 0.2 } },
            search: { kind: 'random', trials: 2 },
          },
        ),
      ),
    ).rejects.toThrow(/validation rows/);
  }, 60_000);
});
