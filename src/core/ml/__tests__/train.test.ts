/**
 * train.ts end to end on a small synthetic table (numeric, datetime, categorical, text columns) for
 * every family; artifact JSON round trip; predictRecords on raw records equals batch predictions.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArtifactError, loadArtifact, parseArtifact } from '../artifact.ts';
import { transform } from '../pipeline/index.ts';
import { createRng } from '../random.ts';
import { modelFamilies } from '../registry.ts';
import { detectTask, type TrainSpec, trainModel } from '../train.ts';
import type { ColumnarTable, Task } from '../types.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const WORDS = ['great', 'awful', 'fine', 'okay', 'superb', 'broken', 'fast', 'slow'];

/** An easy problem: the label depends on x, the category, the text and (a little) the date. */
function synthTable(n: number, seed: number, task: Task): ColumnarTable {
  const r = createRng(seed);
  const x = new Float64Array(n);
  const z = new Float64Array(n);
  const when = new Float64Array(n);
  const city: (string | null)[] = [];
  const review: (string | null)[] = [];
  const label: (string | number | null)[] = [];
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    x[i] = r.normal();
    z[i] = i % 17 === 0 ? Number.NaN : r.normal();
    when[i] = start + r.int(365) * 86_400_000;
    const c = ['paris', 'lima', 'oslo', 'kyiv'][r.int(4)];
    city.push(i % 23 === 0 ? null : c);
    const good = r.next() < 0.5;
    review.push(
      `${good ? 'great superb' : 'awful broken'} ${WORDS[r.int(WORDS.length)]} ${WORDS[r.int(WORDS.length)]} product`,
    );
    const s =
      2.5 * x[i] + (c === 'paris' ? 1.5 : c === 'oslo' ? -1.5 : 0) + (good ? 1.5 : -1.5) + 0.3 * r.normal();
    if (task === 'binary') label.push(s > 0 ? 'yes' : 'no');
    else if (task === 'multiclass') label.push(s < -1.5 ? 'low' : s < 1.5 ? 'mid' : 'high');
    else label.push(s + 10);
  }
  return {
    rowCount: n,
    columns: {
      x,
      z,
      when,
      city,
      review,
      label: task === 'regression' ? Float64Array.from(label as number[]) : (label as (string | null)[]),
    },
    types: {
      x: 'DOUBLE',
      z: 'DOUBLE',
      when: 'TIMESTAMP',
      city: 'VARCHAR',
      review: 'VARCHAR',
      label: task === 'regression' ? 'DOUBLE' : 'VARCHAR',
    },
  };
}

const spec = (family: string, task: Task, params?: Record<string, unknown>): TrainSpec => ({
  target: 'label',
  task,
  pipeline: {
    columns: [
      { name: 'x', kind: 'numeric' },
      { name: 'z', kind: 'numeric' },
      { name: 'when', kind: 'datetime' },
      { name: 'city', kind: 'categorical' },
      { name: 'review', kind: 'text' },
    ],
  },
  split: { kind: 'stratified', seed: 7, fractions: { train: 0.6, valid: 0.2, test: 0.2 } },
  family,
  params,
  seed: 3,
});

const fast: Record<string, Record<string, unknown>> = {
  baseline: {},
  linear: { maxIterations: 300 },
  mlp: { hiddenLayers: [32, 16], epochs: 15, batchSize: 64, learningRate: 5e-3 },
  gbdt: { nEstimators: 60, minDataInLeaf: 10 },
};

describe('detectTask', () => {
  it('reads binary, multiclass and regression targets', () => {
    expect(detectTask(['a', 'b', null, 'a'])).toBe('binary');
    expect(detectTask([0, 1, 1, Number.NaN])).toBe('binary');
    expect(detectTask([true, false])).toBe('binary');
    expect(detectTask(['a', 'b', 'c'])).toBe('multiclass');
    expect(detectTask([0, 1, 2, 3, 2])).toBe('multiclass');
    expect(detectTask(Float64Array.from([0.5, 1.5, 2.25]))).toBe('regression');
    expect(detectTask(Float64Array.from({ length: 200 }, (_, i) => i))).toBe('regression');
  });
});

describe('trainModel end to end', () => {
  const families = modelFamilies().map((f) => f.id);

  it('registers baseline, linear, mlp and gbdt', () => {
    expect(families).toEqual(expect.arrayContaining(['baseline', 'linear', 'mlp', 'gbdt']));
  });

  for (const family of ['baseline', 'linear', 'mlp', 'gbdt']) {
    for (const task of ['binary', 'multiclass', 'regression'] as const) {
      it(`${family} / ${task}`, async () => {
        const table = synthTable(900, 11, task);
        const progress: number[] = [];
        const out = await trainModel(table, spec(family, task, fast[family]), {
          backend: 'cpu',
          onProgress: (p) => progress.push(p.step),
        });
        const a = out.artifact;
        expect(a.task).toBe(task);
        expect(a.model.family).toBe(family);
        expect(
          a.provenance.split.rows.train + a.provenance.split.rows.valid + a.provenance.split.rows.test,
        ).toBe(900);
        expect(a.provenance.featureColumns).toEqual(['x', 'z', 'when', 'city', 'review']);
        expect(a.inputSchema.map((f) => f.kind)).toEqual([
          'numeric',
          'numeric',
          'datetime',
          'categorical',
          'text',
        ]);
        expect(progress.length).toBeGreaterThan(0);
        const m = a.metrics.test;
        if (family === 'baseline') {
          if (task === 'binary') expect(m.auc).toBe(0.5);
        } else if (task === 'binary') {
          expect(m.auc).toBeGreaterThan(0.8);
          expect(m.auc).toBeGreaterThan(out.baseline.test.auc);
        } else if (task === 'multiclass') {
          expect(m.accuracy).toBeGreaterThan(0.65);
          expect(m.logloss).toBeLessThan(out.baseline.test.logloss);
        } else {
          expect(m.r2).toBeGreaterThan(0.7);
        }

        // Artifact JSON round trip → identical batch predictions; raw records → same numbers.
        const json = JSON.stringify(a);
        const loaded = await loadArtifact(JSON.parse(json));
        const testRows = Uint32Array.from({ length: 60 }, (_, i) => i * 15);
        const X = transform(a.pipeline, table, testRows, { forModel: a.model.matrix });
        const direct = await loaded.predictMatrix(X);
        const records = Array.from(testRows, (r) =>
          Object.fromEntries(Object.entries(table.columns).map(([c, v]) => [c, v[r]])),
        );
        const viaRecords = await loaded.predictRecords(records);
        const k = task === 'multiclass' ? 3 : 1;
        viaRecords.forEach((res, i) => {
          expect(res.prediction.output.length).toBe(k);
          for (let c = 0; c < k; c++)
            expect(Math.abs(res.prediction.output[c] - direct[i * k + c])).toBeLessThan(1e-9);
        });
        if (task !== 'regression') expect(a.classes).toContain(viaRecords[0].prediction.label);
        // Records with the original types (Date objects, ISO strings) give the same answer.
        const isoRecord = { ...records[0], when: new Date(records[0].when as number).toISOString() };
        const [iso] = await loaded.predictRecords([isoRecord]);
        expect(Math.abs(iso.prediction.output[0] - viaRecords[0].prediction.output[0])).toBeLessThan(1e-9);
        if (loaded.explainRecord && task !== 'multiclass') {
          const e = await loaded.explainRecord(records[1]);
          const sum = e.base + e.values.reduce((s, v) => s + v, 0);
          const p = viaRecords[1].prediction.output[0];
          const raw = task === 'binary' ? Math.log(p / (1 - p)) : p;
          expect(Math.abs(sum - raw)).toBeLessThan(1e-6);
        }
      }, 120_000);
    }
  }
});

describe('parseArtifact', () => {
  it('errors name the path', async () => {
    const table = synthTable(200, 2, 'binary');
    const { artifact } = await trainModel(table, spec('linear', 'binary', { maxIterations: 20 }));
    expect(parseArtifact(JSON.stringify(artifact)).model.family).toBe('linear');
    const bad = JSON.parse(JSON.stringify(artifact));
    bad.model.family = 42;
    delete bad.provenance.seed;
    expect(() => parseArtifact(bad)).toThrow(ArtifactError);
    expect(() => parseArtifact(bad)).toThrow(/model\.family: .*; provenance\.seed/);
    expect(() => parseArtifact({ ...artifact, format: 'x' })).toThrow(/format: expected "benchtop-model"/);
    expect(() => parseArtifact({ ...artifact, version: 9 })).toThrow(/newer/);
    expect(() => parseArtifact('{nope')).toThrow(/not JSON/);
    await expect(loadArtifact({ ...artifact, model: { ...artifact.model, family: 'knn' } })).rejects.toThrow(
      /Unknown model family "knn"/,
    );
  });
});
