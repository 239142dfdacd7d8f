/**
 * Baseline, linear and MLP families in Node on TF.js's cpu backend: coefficient recovery, exact
 * additivity of the linear explanation, MLP reproducibility, state round trips through JSON.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { baselineFamily } from '../families/baseline.ts';
import { linearFamily, linearDefaults } from '../families/linear.ts';
import { mlpDefaults, mlpFamily } from '../families/mlp.ts';
import { createRng } from '../random.ts';
import type { Dataset, FeatureInfo, Matrix, Task } from '../types.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** n rows of p standard-normal features plus one categorical feature with 3 codes (+ unseen). */
function synth(n: number, seed: number, task: Task, coef: number[], bias: number, catEffect = [0, 0, 0, 0]) {
  const r = createRng(seed);
  const p = coef.length;
  const cols = p + 1;
  const data = new Float32Array(n * cols);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = bias;
    for (let j = 0; j < p; j++) {
      const v = r.normal();
      data[i * cols + j] = v;
      z += coef[j] * v;
    }
    const c = r.int(3);
    data[i * cols + p] = c;
    z += catEffect[c];
    if (task === 'binary') y[i] = r.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    else if (task === 'regression') y[i] = z + 0.1 * r.normal();
    else y[i] = z < -0.5 ? 0 : z < 0.5 ? 1 : 2;
  }
  const features: FeatureInfo[] = [
    ...coef.map((_, j) => ({ name: `x${j}`, source: `x${j}`, kind: 'numeric' as const })),
    { name: 'cat', source: 'cat', kind: 'categorical' as const, categories: 4 },
  ];
  const X: Matrix = { rows: n, cols, data, features };
  return { X, y } satisfies Dataset;
}

describe('baseline', () => {
  it('predicts the priors / the mean and round-trips', async () => {
    const d = synth(200, 1, 'binary', [1, -1], 0.5);
    const m = await baselineFamily.fit(d, {}, { task: 'binary', seed: 1 });
    const p = await m.predict(d.X);
    const rate = d.y.reduce((s, v) => s + v, 0) / d.y.length;
    expect(p[0]).toBeCloseTo(rate, 12);
    const again = await baselineFamily.load(JSON.parse(JSON.stringify(m.state)), 'binary');
    expect(await again.predict(d.X)).toEqual(p);
    const r = synth(100, 2, 'regression', [1], 3);
    const mr = await baselineFamily.fit(r, {}, { task: 'regression', seed: 1 });
    expect((await mr.predict(r.X))[5]).toBeCloseTo(r.y.reduce((s, v) => s + v, 0) / 100, 5);
  });
});

describe('linear', () => {
  it('logistic regression recovers known coefficients', async () => {
    const coef = [1.5, -2, 0.5, 0];
    const d = synth(20000, 7, 'binary', coef, -0.5, [0, 1, -1, 0]);
    const m = await linearFamily.fit(
      d,
      { ...linearDefaults, l2: 0, maxIterations: 800 },
      { task: 'binary', seed: 1 },
    );
    const w = m.state.weights[0];
    for (let j = 0; j < coef.length; j++) expect(Math.abs(w[j] - coef[j])).toBeLessThan(0.08);
    // One-hot codes: effects relative to code 0 are identifiable.
    const cat = w.slice(coef.length, coef.length + 3);
    expect(Math.abs(cat[1] - cat[0] - 1)).toBeLessThan(0.12);
    expect(Math.abs(cat[2] - cat[0] + 1)).toBeLessThan(0.12);
    expect(m.lossCurve.length).toBeGreaterThan(3);
  }, 60_000);

  it('linear regression recovers coefficients', async () => {
    const coef = [2, -1, 0.25];
    const d = synth(3000, 3, 'regression', coef, 4);
    const m = await linearFamily.fit(d, { ...linearDefaults, l2: 0 }, { task: 'regression', seed: 1 });
    const w = m.state.weights[0];
    for (let j = 0; j < coef.length; j++) expect(Math.abs(w[j] - coef[j])).toBeLessThan(0.02);
  }, 60_000);

  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    it(`${task}: explanation is exactly additive and the state round-trips`, async () => {
      const d = synth(600, 11, task, [1, -0.5, 0.3], 0.2, [0.5, -0.5, 0, 0]);
      const valid = synth(200, 12, task, [1, -0.5, 0.3], 0.2, [0.5, -0.5, 0, 0]);
      // A NaN (imputed) and an unseen code in the rows we explain.
      d.X.data[3 * d.X.cols + 1] = Number.NaN;
      d.X.data[4 * d.X.cols + 3] = 9;
      const ctx = { task, seed: 3, classes: task === 'multiclass' ? 3 : undefined, valid };
      const m = await linearFamily.fit(d, { ...linearDefaults, maxIterations: 100 }, ctx);
      const p = await m.predict(d.X);
      const k = task === 'multiclass' ? 3 : 1;
      for (const row of [0, 3, 4, 17]) {
        for (let c = 0; c < k; c++) {
          const e = await m.explain!(d.X, row, { classIndex: c });
          const sum = e.base + e.values.reduce((s, v) => s + v, 0);
          let raw: number;
          if (task === 'binary') raw = Math.log(p[row] / (1 - p[row]));
          else if (task === 'regression') raw = p[row];
          else {
            // softmax is shift-invariant: compare margins relative to class 0.
            const e0 = await m.explain!(d.X, row, { classIndex: 0 });
            const s0 = e0.base + e0.values.reduce((s, v) => s + v, 0);
            raw = s0 + Math.log(p[row * 3 + c] / p[row * 3]);
          }
          expect(Math.abs(sum - raw)).toBeLessThan(1e-9);
        }
      }
      const loaded = await linearFamily.load(JSON.parse(JSON.stringify(m.state)), task);
      expect(Array.from(await loaded.predict(d.X))).toEqual(Array.from(p));
    }, 60_000);
  }
});

describe('mlp', () => {
  const params = { ...mlpDefaults, hiddenLayers: [16, 8], epochs: 6, batchSize: 64, learningRate: 1e-2 };

  it('same seed → identical loss curve and predictions on cpu', async () => {
    const d = synth(500, 5, 'binary', [1, -1, 0.5], 0, [1, -1, 0, 0]);
    const valid = synth(200, 6, 'binary', [1, -1, 0.5], 0, [1, -1, 0, 0]);
    const a = await mlpFamily.fit(d, params, { task: 'binary', seed: 42, valid });
    const b = await mlpFamily.fit(d, params, { task: 'binary', seed: 42, valid });
    const c = await mlpFamily.fit(d, params, { task: 'binary', seed: 43, valid });
    expect(a.lossCurve.length).toBe(6);
    expect(b.lossCurve).toEqual(a.lossCurve);
    expect(c.lossCurve).not.toEqual(a.lossCurve);
    expect(Array.from(await b.predict(valid.X))).toEqual(Array.from(await a.predict(valid.X)));
    expect(a.lossCurve.at(-1)!.train).toBeLessThan(a.lossCurve[0].train);
  }, 60_000);

  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    it(`${task}: state round-trips through JSON with identical predictions`, async () => {
      const d = synth(400, 8, task, [1, -1], 0.1, [0.5, -0.5, 0, 0]);
      const m = await mlpFamily.fit(d, params, {
        task,
        seed: 1,
        classes: task === 'multiclass' ? 3 : undefined,
      });
      const loaded = await mlpFamily.load(JSON.parse(JSON.stringify(m.state)), task);
      const p = await m.predict(d.X);
      expect(p.length).toBe(task === 'multiclass' ? 1200 : 400);
      expect(Array.from(await loaded.predict(d.X))).toEqual(Array.from(p));
    }, 60_000);
  }

  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    it(`${task}: permutation-SHAP explanation is additive, deterministic and points the right way`, async () => {
      const d = synth(500, 21, task, [2, 0, -1], 0, [1, -1, 0, 0]);
      const m = await mlpFamily.fit(
        d,
        { ...params, epochs: 20 },
        { task, seed: 2, classes: task === 'multiclass' ? 3 : undefined },
      );
      const loaded = await mlpFamily.load(JSON.parse(JSON.stringify(m.state)), task);
      const p = await m.predict(d.X);
      const k = task === 'multiclass' ? 3 : 1;
      for (const row of [0, 1, 2]) {
        const c = task === 'multiclass' ? 2 : 0;
        const e = await m.explain!(d.X, row, { classIndex: c });
        expect(e.values.length).toBe(d.X.cols);
        expect(e.errorBound).toBeGreaterThanOrEqual(0);
        const sum = e.base + e.values.reduce((s, v) => s + v, 0);
        if (task === 'binary') expect(Math.abs(sum - Math.log(p[row] / (1 - p[row])))).toBeLessThan(1e-5);
        if (task === 'regression') expect(Math.abs(sum - p[row])).toBeLessThan(1e-5);
        if (task === 'multiclass') {
          const e0 = await m.explain!(d.X, row, { classIndex: 0 });
          const s0 = e0.base + e0.values.reduce((s, v) => s + v, 0);
          expect(Math.abs(sum - s0 - Math.log(p[row * k + c] / p[row * k]))).toBeLessThan(1e-5);
        }
        // Same answer after a JSON round trip (deterministic sampling, same background).
        const again = await loaded.explain!(d.X, row, { classIndex: c });
        expect(Array.from(again.values)).toEqual(Array.from(e.values));
        if (task !== 'multiclass') {
          // x0 has coefficient +2: its contribution has the sign of x0 − (background ≈ 0) when large.
          const x0 = d.X.data[row * d.X.cols];
          if (Math.abs(x0) > 0.8) expect(Math.sign(e.values[0])).toBe(Math.sign(x0));
          expect(Math.abs(e.values[1])).toBeLessThan(Math.abs(e.values[0]) + 0.5);
        }
      }
    }, 60_000);
  }

  it('leaks no tensors (linear keeps none; the MLP frees its weights on dispose)', async () => {
    const d = synth(300, 4, 'multiclass', [1, -1], 0.1, [0.5, -0.5, 0, 0]);
    const valid = synth(100, 5, 'multiclass', [1, -1], 0.1, [0.5, -0.5, 0, 0]);
    const ctx = { task: 'multiclass' as const, seed: 1, classes: 3, valid };
    const before = tf.memory().numTensors;
    const lin = await linearFamily.fit(d, { ...linearDefaults, maxIterations: 30 }, ctx);
    await lin.predict(d.X);
    expect(tf.memory().numTensors).toBe(before);
    const m = (await mlpFamily.fit(d, { ...params, epochs: 3 }, ctx)) as Awaited<
      ReturnType<typeof mlpFamily.fit>
    > & { dispose(): void };
    await m.predict(d.X);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('cancel via AbortSignal stops between batches', async () => {
    const d = synth(2000, 9, 'binary', [1], 0);
    const ctl = new AbortController();
    let epochs = 0;
    const run = mlpFamily.fit(
      d,
      { ...params, epochs: 1000, batchSize: 16 },
      {
        task: 'binary',
        seed: 1,
        signal: ctl.signal,
        onProgress: () => {
          if (++epochs === 2) ctl.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(epochs).toBe(2);
  }, 60_000);
});
