/**
 * Explanations: additivity (contributions + base = the model's raw output, to 1e-6) for GBDT
 * (TreeSHAP) and linear (exact) after folding encoded features onto input columns; KernelSHAP exact on
 * additive and non-additive games (against brute-force Shapley values), its sampled mode with an error
 * bound; permutation importance finds the informative column; the whole evaluation of a trained
 * artifact in Node (the recomputed test metric equals the stored one).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact } from '../../ml/artifact.ts';
import { transform } from '../../ml/pipeline/index.ts';
import { createRng } from '../../ml/random.ts';
import { trainModel } from '../../ml/train.ts';
import type { ColumnarTable, Matrix, Task } from '../../ml/types.ts';
import { evaluateArtifact } from '../evaluate.ts';
import { explainRows, rawOutput } from '../explain.ts';
import { kernelShap } from '../kernelShap.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** x drives the label, city shifts it, noise does nothing. */
function table(n: number, seed: number, task: Task): ColumnarTable {
  const r = createRng(seed);
  const x = new Float64Array(n);
  const noise = new Float64Array(n);
  const city: (string | null)[] = [];
  const label: (string | number)[] = [];
  for (let i = 0; i < n; i++) {
    x[i] = i % 29 === 0 ? Number.NaN : r.normal();
    noise[i] = r.normal();
    const c = ['paris', 'lima', 'oslo'][r.int(3)];
    city.push(i % 31 === 0 ? null : c);
    const s =
      2 * (Number.isNaN(x[i]) ? 0 : x[i]) + (c === 'paris' ? 1 : c === 'oslo' ? -1 : 0) + 0.7 * r.normal();
    label.push(
      task === 'binary'
        ? s > 0.3
          ? 'yes'
          : 'no'
        : task === 'multiclass'
          ? s < -1
            ? 'lo'
            : s < 1
              ? 'mid'
              : 'hi'
          : s + 5,
    );
  }
  return {
    rowCount: n,
    columns: {
      x,
      noise,
      city,
      label: task === 'regression' ? Float64Array.from(label as number[]) : (label as string[]),
    },
    types: {
      x: 'DOUBLE',
      noise: 'DOUBLE',
      city: 'VARCHAR',
      label: task === 'regression' ? 'DOUBLE' : 'VARCHAR',
    },
  };
}

const split = { kind: 'random' as const, seed: 7, fractions: { train: 0.6, valid: 0.2, test: 0.2 } };

async function trained(family: string, task: Task, n = 900, extra: Record<string, unknown> = {}) {
  const t = table(n, 3, task);
  const out = await trainModel(t, {
    target: 'label',
    task,
    featureColumns: ['x', 'noise', 'city'],
    split,
    family,
    params:
      family === 'gbdt'
        ? { nEstimators: 30 }
        : family === 'mlp'
          ? { epochs: 5, ...extra }
          : { maxIterations: 150 },
    seed: 1,
  });
  return { t, artifact: out.artifact };
}

describe('additivity of exact explanations, folded onto input columns', () => {
  for (const family of ['gbdt', 'linear'])
    for (const task of ['binary', 'regression', 'multiclass'] as const)
      it(`${family} ${task}: base + Σ contributions = raw output (1e-6)`, async () => {
        const { t, artifact } = await trained(family, task, 600);
        const m = await loadArtifact(artifact);
        const X = transform(artifact.pipeline, t, undefined, {
          forModel: artifact.model.matrix,
          outOfFold: false,
        });
        const p = await m.predictMatrix(X);
        const k = artifact.classes?.length ?? 2;
        const rows = [0, 29, 31, 100, 377];
        const ex = await explainRows({ task, k, model: m.model, X, p }, rows);
        for (const e of ex) {
          const sum = e.base + e.contributions.reduce((a, c) => a + c.value, 0);
          expect(Math.abs(sum - e.output)).toBeLessThan(1e-6);
          expect(e.contributions.map((c) => c.column).sort()).toEqual(['city', 'noise', 'x']);
          if (task !== 'multiclass')
            expect(Math.abs(sum - rawOutput(task, p, e.index, k))).toBeLessThan(1e-6);
        }
        if (task === 'multiclass')
          for (const row of rows) {
            // Margins of every class (base + Σ contributions) → softmax = the predicted probabilities.
            const margins: number[] = [];
            for (let c = 0; c < k; c++) {
              const e = await m.model.explain!(X, row, { classIndex: c });
              margins.push(e.base + e.values.reduce((a, b) => a + b, 0));
            }
            const mx = Math.max(...margins);
            const z = margins.reduce((a, v) => a + Math.exp(v - mx), 0);
            for (let c = 0; c < k; c++)
              expect(Math.abs(Math.exp(margins[c] - mx) / z - p[row * k + c])).toBeLessThan(1e-6);
          }
      }, 60_000);
});

function matrixOf(rows: number[][]): Matrix {
  const cols = rows[0].length;
  return {
    rows: rows.length,
    cols,
    data: Float32Array.from(rows.flat()),
    features: Array.from({ length: cols }, (_, j) => ({
      name: `f${j}`,
      source: `c${j}`,
      kind: 'numeric' as const,
    })),
  };
}

/** Brute-force Shapley values of v over m players. */
function shapley(m: number, v: (z: number[]) => number): number[] {
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi = new Array<number>(m).fill(0);
  for (let code = 0; code < 2 ** m; code++) {
    const z = Array.from({ length: m }, (_, j) => (code >>> j) & 1);
    const s = z.reduce((a, b) => a + b, 0);
    for (let j = 0; j < m; j++) {
      if (z[j]) continue;
      const withJ = z.slice();
      withJ[j] = 1;
      phi[j] += ((fact(s) * fact(m - s - 1)) / fact(m)) * (v(withJ) - v(z));
    }
  }
  return phi;
}

describe('KernelSHAP', () => {
  const rng = createRng(5);
  const bgRows = Array.from({ length: 50 }, () => [rng.normal(), rng.normal(), rng.normal(), rng.normal()]);
  const background = matrixOf(bgRows);
  const x = [1.5, -0.7, 2, 0.3];
  const groups = [[0], [1], [2, 3]];
  const run = (fn: (r: ArrayLike<number>) => number, opts = {}) =>
    kernelShap(
      {
        x,
        background,
        groups,
        f: async (M) =>
          Float64Array.from({ length: M.rows }, (_, i) => fn(M.data.subarray(i * M.cols, (i + 1) * M.cols))),
      },
      opts,
    );

  it('is exact for a linear function: φ_j = w_j (x_j − mean_b x_j)', async () => {
    const w = [2, -1, 0.5, 3];
    const r = await run((v) => w.reduce((a, wj, j) => a + wj * v[j], 0));
    const mean = (j: number) => background.data.filter((_, i) => i % 4 === j).reduce((a, b) => a + b, 0) / 50;
    const xf = Float32Array.from(x);
    expect(r.exact).toBe(true);
    expect(r.errorBound).toBe(0);
    expect(r.values[0]).toBeCloseTo(w[0] * (xf[0] - mean(0)), 6);
    expect(r.values[1]).toBeCloseTo(w[1] * (xf[1] - mean(1)), 6);
    expect(r.values[2]).toBeCloseTo(w[2] * (xf[2] - mean(2)) + w[3] * (xf[3] - mean(3)), 6);
    expect(r.base + r.values.reduce((a, b) => a + b, 0)).toBeCloseTo(r.output, 9);
  });

  it('equals brute-force Shapley values of the interventional game for a non-additive function', async () => {
    const f = (v: ArrayLike<number>) => v[0] * v[1] + Math.tanh(v[2] * v[3]) + v[0] ** 2;
    const r = await run(f);
    const xf = Float32Array.from(x);
    const v = (z: number[]) => {
      let s = 0;
      for (const b of bgRows) {
        const row = Float32Array.from(b);
        groups.forEach((g, j) => {
          if (z[j]) for (const c of g) row[c] = xf[c];
        });
        s += f(row);
      }
      return s / bgRows.length;
    };
    const phi = shapley(3, v);
    for (let j = 0; j < 3; j++) expect(Math.abs(r.values[j] - phi[j])).toBeLessThan(1e-9);
  });

  it('samples coalitions when there are many players and reports an error bound that covers the truth', async () => {
    const m = 14;
    const rr = createRng(9);
    const bg = matrixOf(Array.from({ length: 30 }, () => Array.from({ length: m }, () => rr.normal())));
    const xs = Array.from({ length: m }, () => rr.normal());
    const w = Array.from({ length: m }, (_, j) => (j % 3) - 1 + 0.1 * j);
    const f = (v: ArrayLike<number>) => w.reduce((a, wj, j) => a + wj * v[j], 0) + 0.3 * v[0] * v[1];
    const r = await kernelShap(
      {
        x: xs,
        background: bg,
        groups: Array.from({ length: m }, (_, j) => [j]),
        f: async (M) =>
          Float64Array.from({ length: M.rows }, (_, i) => f(M.data.subarray(i * M.cols, (i + 1) * M.cols))),
      },
      { maxCoalitions: 1024, seed: 3 },
    );
    expect(r.exact).toBe(false);
    expect(r.coalitions).toBe(1024);
    expect(r.errorBound).toBeGreaterThan(0);
    expect(r.base + r.values.reduce((a, b) => a + b, 0)).toBeCloseTo(r.output, 9);
    // Linear part of players 2..13 is exact in expectation; allow the reported bound (plus float32 slack).
    const xf = Float32Array.from(xs);
    for (let j = 2; j < m; j++) {
      let mean = 0;
      for (let i = 0; i < bg.rows; i++) mean += bg.data[i * m + j];
      mean /= bg.rows;
      expect(Math.abs(r.values[j] - w[j] * (xf[j] - mean))).toBeLessThanOrEqual(r.errorBound + 1e-6);
    }
  });
});

describe('evaluateArtifact (Node, end to end)', () => {
  it('gbdt binary: recomputed test AUC equals the stored one; slices, worst rows, SHAP, permutation, trust', async () => {
    const { t, artifact } = await trained('gbdt', 'binary', 1500);
    const ev = await evaluateArtifact({ table: t, artifact, split, part: 'test', resamples: 200 });
    expect(ev.n).toBe(artifact.provenance.split.rows.test);
    expect(ev.consistency).not.toBeNull();
    expect(Math.abs(ev.consistency!.recomputed - ev.consistency!.stored)).toBeLessThan(1e-9);
    const auc = ev.metrics.find((m) => m.key === 'auc')!;
    expect(auc.model.lo!).toBeLessThanOrEqual(auc.model.value!);
    expect(auc.model.hi!).toBeGreaterThanOrEqual(auc.model.value!);
    expect(auc.baseline!.value).toBe(0.5);
    expect(auc.diff!.lo!).toBeGreaterThan(0);
    expect(ev.binary!.best!.chosenOn).toBe('valid');
    expect(ev.global[0].column).toBe('x');
    expect(ev.permutation[0].column).toBe('x');
    expect(ev.permutation.find((p) => p.column === 'noise')!.drop).toBeLessThan(ev.permutation[0].drop);
    expect(ev.worst).toHaveLength(20);
    expect(ev.worst[0].loss).toBeGreaterThanOrEqual(ev.worst[19].loss);
    expect(ev.worst[0].explanation!.method).toBe('treeshap');
    expect(ev.slices.slices.some((s) => s.feature === 'city' && s.label === 'paris')).toBe(true);
    expect(ev.slices.slices.some((s) => s.feature === 'x' && s.kind === 'bin')).toBe(true);
    expect(ev.trust.map((l) => l.title)).toContain('Better than the baseline');
    expect(JSON.parse(JSON.stringify(ev)).n).toBe(ev.n);
  }, 60_000);

  it('mlp without its own explain: KernelSHAP explanations add up exactly', async () => {
    const { t, artifact } = await trained('mlp', 'binary', 600, { explainBackground: 0 });
    const ev = await evaluateArtifact({
      table: t,
      artifact,
      split,
      part: 'valid',
      resamples: 100,
      explainRows: 5,
    });
    const e = ev.worst[0].explanation!;
    expect(e.method).toBe('kernelshap');
    expect(e.errorBound).toBe(0); // 3 players: every coalition enumerated
    expect(Math.abs(e.base + e.contributions.reduce((a, c) => a + c.value, 0) - e.output)).toBeLessThan(1e-9);
    expect(ev.global).toHaveLength(3);
  }, 90_000);

  it('regression and multiclass evaluate', async () => {
    for (const task of ['regression', 'multiclass'] as const) {
      const { t, artifact } = await trained('gbdt', task, 900);
      const ev = await evaluateArtifact({ table: t, artifact, split, part: 'test', resamples: 100 });
      // The stored metric was computed on a float32 target: equal to float32 precision.
      expect(Math.abs(ev.consistency!.recomputed / ev.consistency!.stored - 1)).toBeLessThan(1e-6);
      if (task === 'multiclass') expect(ev.multiclass!.confusion).toHaveLength(3);
      else expect(ev.metrics.map((m) => m.key)).toEqual(['rmse', 'mae', 'r2', 'mape']);
    }
  }, 60_000);
});
