import { describe, expect, it } from 'vitest';
import type { Dataset, FeatureInfo, FitContext, Matrix } from '../../types.ts';
import { mulberry32 } from '../booster.ts';
import {
  GBDT_DEFAULTS,
  type GbdtParams,
  gbdtFamily,
  type GbdtState,
  stateFromJson,
  stateToJson,
} from '../index.ts';
import { type CompiledEnsemble, compileTrees, goesLeft, rawScores } from '../predict.ts';
import type { Tree } from '../tree.ts';

const num = (name: string): FeatureInfo => ({ name, source: name, kind: 'numeric' });
const cat = (name: string, categories: number): FeatureInfo => ({
  name,
  source: name,
  kind: 'categorical',
  categories,
});

function matrix(rows: number[][], features: FeatureInfo[]): Matrix {
  const cols = features.length;
  const data = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => {
    data.set(r, i * cols);
  });
  return { rows: rows.length, cols, data, features };
}

function params(p: Partial<GbdtParams>): GbdtParams {
  return { ...GBDT_DEFAULTS, earlyStoppingRounds: 0, ...p };
}

const ctx = (task: FitContext['task'], extra: Partial<FitContext> = {}): FitContext => ({
  task,
  seed: 7,
  ...extra,
});

describe('hand-computable trees', () => {
  it('binary: one split on the informative feature, leaf = −G/(H+λ)·lr', async () => {
    // x = 0: 2 of 20 positive; x = 1: 18 of 20 positive; a second, useless feature.
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 40; i++) {
      const x = i < 20 ? 0 : 1;
      rows.push([x, i % 3]);
      y.push(x === 0 ? (i < 2 ? 1 : 0) : i < 38 ? 1 : 0);
    }
    const train: Dataset = { X: matrix(rows, [num('x'), num('noise')]), y: Float32Array.from(y) };
    const lr = 0.5;
    const lambda = 1;
    const m = await gbdtFamily.fit(
      train,
      params({ nEstimators: 1, maxLeaves: 2, minDataInLeaf: 1, learningRate: lr, lambdaL2: lambda }),
      ctx('binary'),
    );
    const s = m.state;
    expect(s.init[0]).toBeCloseTo(0, 12); // 20 of 40 positive: log-odds 0
    const t = s.trees[0];
    expect(t.feature[0]).toBe(0);
    expect(t.threshold[0]).toBe(0.5);
    // p = 0.5 everywhere: g = 0.5 − y, h = 0.25. Left: G = 20·0.5 − 2 = 8, H = 5.
    const leftValue = (-8 / (5 + lambda)) * lr;
    const rightValue = (8 / (5 + lambda)) * lr;
    expect(t.value[t.left[0]]).toBeCloseTo(leftValue, 6);
    expect(t.value[t.right[0]]).toBeCloseTo(rightValue, 6);
    expect(t.cover).toEqual([40, 20, 20]);
    const pred = await m.predict(
      matrix(
        [
          [0, 2],
          [1, 0],
          [0.4, 0],
          [0.6, 5],
        ],
        [num('x'), num('noise')],
      ),
    );
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    expect(pred[0]).toBeCloseTo(sig(leftValue), 6);
    expect(pred[1]).toBeCloseTo(sig(rightValue), 6);
    expect(pred[2]).toBeCloseTo(sig(leftValue), 6);
    expect(pred[3]).toBeCloseTo(sig(rightValue), 6);
  });

  it('regression: one depth-1 tree = init + lr·(group mean − init)', async () => {
    const xs = [1, 2, 3, 4, 10, 11, 12];
    const ys = [1, 2, 3, 2, 10, 12, 14];
    const train: Dataset = {
      X: matrix(
        xs.map((x) => [x]),
        [num('x')],
      ),
      y: Float32Array.from(ys),
    };
    const lr = 0.1;
    const m = await gbdtFamily.fit(
      train,
      params({ nEstimators: 1, maxDepth: 1, minDataInLeaf: 1, learningRate: lr }),
      ctx('regression'),
    );
    const init = ys.reduce((a, b) => a + b) / ys.length;
    expect(m.state.init[0]).toBeCloseTo(init, 6);
    expect(m.state.trees[0].threshold[0]).toBe(7); // midpoint of 4 and 10
    const pred = await m.predict(matrix([[0], [5], [8], [100]], [num('x')]));
    const low = 2;
    const high = 12;
    expect(pred[0]).toBeCloseTo(init + lr * (low - init), 5);
    expect(pred[1]).toBeCloseTo(init + lr * (low - init), 5);
    expect(pred[2]).toBeCloseTo(init + lr * (high - init), 5);
    expect(pred[3]).toBeCloseTo(init + lr * (high - init), 5);
  });

  it('depth-wise growth gives balanced trees within maxDepth', async () => {
    const rand = mulberry32(3);
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 400; i++) {
      const a = rand();
      const b = rand();
      rows.push([a, b]);
      y.push(a + 2 * b + 0.1 * rand());
    }
    const train: Dataset = { X: matrix(rows, [num('a'), num('b')]), y: Float32Array.from(y) };
    const m = await gbdtFamily.fit(
      train,
      params({ nEstimators: 3, growth: 'depthwise', maxDepth: 2, maxLeaves: 31, minDataInLeaf: 5 }),
      ctx('regression'),
    );
    for (const t of m.state.trees) expect(t.feature.filter((f) => f < 0).length).toBe(4);
  });
});

describe('missing values', () => {
  async function fitMissing(nanLabel: number) {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 30; i++) {
      rows.push([1 + (i % 10)]);
      y.push(0);
      rows.push([11 + (i % 10)]);
      y.push(1);
      rows.push([Number.NaN]);
      y.push(nanLabel);
    }
    const train: Dataset = { X: matrix(rows, [num('x')]), y: Float32Array.from(y) };
    return gbdtFamily.fit(train, params({ nEstimators: 5, maxLeaves: 2, minDataInLeaf: 5 }), ctx('binary'));
  }

  it('NaN rows that behave like the high group go right with it', async () => {
    const m = await fitMissing(1);
    const t = m.state.trees[0];
    expect(t.threshold[0]).toBe(10.5);
    expect(t.defaultLeft[0]).toBe(0);
    const p = await m.predict(matrix([[Number.NaN], [15], [5]], [num('x')]));
    expect(p[0]).toBeCloseTo(p[1], 12);
    expect(p[0]).toBeGreaterThan(0.6);
    expect(p[2]).toBeLessThan(0.4);
  });

  it('NaN rows that behave like the low group go left', async () => {
    const m = await fitMissing(0);
    expect(m.state.trees[0].defaultLeft[0]).toBe(1);
    const p = await m.predict(matrix([[Number.NaN], [5]], [num('x')]));
    expect(p[0]).toBeCloseTo(p[1], 12);
  });
});

describe('categorical splits', () => {
  const features = [cat('c', 9), num('noise')];
  const positive = new Set([1, 4, 6]);
  function categoricalData(): Dataset {
    const rand = mulberry32(11);
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 8 * 150; i++) {
      const c = i % 8;
      rows.push([c, rand()]);
      y.push(positive.has(c) ? (rand() < 0.9 ? 1 : 0) : rand() < 0.1 ? 1 : 0);
    }
    return { X: matrix(rows, features), y: Float32Array.from(y) };
  }

  it('finds the category set {1, 4, 6}', async () => {
    const m = await gbdtFamily.fit(
      categoricalData(),
      params({ nEstimators: 30, maxLeaves: 2 }),
      ctx('binary'),
    );
    const t = m.state.trees[0];
    expect(t.feature[0]).toBe(0);
    expect(t.catLeft[0]).toEqual([1, 4, 6]);
    const p = await m.predict(
      matrix(
        [
          [1, 0.5],
          [4, 0.5],
          [6, 0.5],
          [0, 0.5],
          [7, 0.5],
        ],
        features,
      ),
    );
    expect(Math.min(p[0], p[1], p[2])).toBeGreaterThan(0.7);
    expect(Math.max(p[3], p[4])).toBeLessThan(0.3);
  });

  it('sends unseen / invalid / missing codes to the "other categories" side without error', async () => {
    const m = await gbdtFamily.fit(
      categoricalData(),
      params({ nEstimators: 3, maxLeaves: 2 }),
      ctx('binary'),
    );
    const odd = [8, 99, -1, 2.5, Number.NaN, 1e9];
    const p = await m.predict(matrix([[0, 0.5], ...odd.map((c) => [c, 0.5])], features));
    for (let i = 1; i <= odd.length; i++) expect(p[i]).toBe(p[0]);
    const e = await m.explain?.(matrix([[99, 0.5]], features), 0);
    expect(e?.values.length).toBe(2);
  });
});

describe('multiclass', () => {
  it('softmax on three blobs gets high held-out accuracy; probabilities sum to 1', async () => {
    const rand = mulberry32(5);
    const centres = [
      [0, 0],
      [3, 0],
      [0, 3],
    ];
    const make = (n: number): Dataset => {
      const rows: number[][] = [];
      const y: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = i % 3;
        rows.push([centres[k][0] + rand() * 2 - 1, centres[k][1] + rand() * 2 - 1, rand()]);
        y.push(k);
      }
      return { X: matrix(rows, [num('a'), num('b'), num('noise')]), y: Float32Array.from(y) };
    };
    const train = make(900);
    const test = make(300);
    const m = await gbdtFamily.fit(
      train,
      params({ nEstimators: 30, earlyStoppingRounds: 5 }),
      ctx('multiclass', { classes: 3, valid: make(300) }),
    );
    expect(m.state.trees.length).toBe(m.state.rounds * 3);
    const p = await m.predict(test.X);
    let correct = 0;
    for (let i = 0; i < test.X.rows; i++) {
      const row = Array.from(p.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
      if (row.indexOf(Math.max(...row)) === test.y[i]) correct++;
    }
    expect(correct / test.X.rows).toBeGreaterThan(0.95);
  });
});

/** A model over mixed data: numeric with NaN, categorical, several trees. */
async function mixedModel(task: 'binary' | 'regression' | 'multiclass', nFeatures = 5, rounds = 4) {
  const rand = mulberry32(99);
  const features: FeatureInfo[] = [];
  for (let f = 0; f < nFeatures; f++) features.push(f === 1 ? cat(`c${f}`, 7) : num(`x${f}`));
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 600; i++) {
    const r: number[] = [];
    for (let f = 0; f < nFeatures; f++) {
      if (f === 1) r.push(Math.floor(rand() * 6));
      else r.push(rand() < 0.1 ? Number.NaN : rand() * 10);
    }
    rows.push(r);
    const z = (r[0] || 5) - 5 + (r[1] % 2 === 0 ? 2 : -2) + (nFeatures > 2 ? (r[2] || 0) * 0.3 : 0) + rand();
    y.push(task === 'regression' ? z : task === 'binary' ? (z > 0 ? 1 : 0) : z < -1 ? 0 : z < 1.5 ? 1 : 2);
  }
  const train: Dataset = { X: matrix(rows, features), y: Float32Array.from(y) };
  const m = await gbdtFamily.fit(
    train,
    params({
      nEstimators: rounds,
      maxLeaves: 8,
      minDataInLeaf: 10,
      maxCatToOnehot: 2,
      minDataPerGroup: 10,
      baggingFraction: 0.8,
      featureFraction: 0.8,
    }),
    ctx(task, { classes: task === 'multiclass' ? 3 : undefined }),
  );
  return { m, X: train.X };
}

describe('serialisation', () => {
  it('JSON round-trip predicts and explains identically', async () => {
    for (const task of ['binary', 'regression', 'multiclass'] as const) {
      const { m, X } = await mixedModel(task, 5, 10);
      const json = stateToJson(m.state);
      const loaded = await gbdtFamily.load(JSON.parse(json) as GbdtState, task);
      expect(Array.from(await loaded.predict(X))).toEqual(Array.from(await m.predict(X)));
      const a = await m.explain?.(X, 3, { classIndex: task === 'multiclass' ? 2 : 0 });
      const b = await loaded.explain?.(X, 3, { classIndex: task === 'multiclass' ? 2 : 0 });
      expect(b).toEqual(a);
      expect(stateToJson(stateFromJson(json))).toBe(json);
    }
  });

  it('rejects a state that is not a GBDT state, or for another task', async () => {
    const { m } = await mixedModel('binary', 3, 2);
    await expect(
      gbdtFamily.load({ ...m.state, format: 'x' } as unknown as GbdtState, 'binary'),
    ).rejects.toThrow();
    await expect(gbdtFamily.load(m.state, 'regression')).rejects.toThrow(/binary/);
  });
});

/** E[f(x) | x_S] for one tree with path-dependent (cover-weighted) expectation. */
function condExpectation(e: CompiledEnsemble, node: number, x: Float32Array, inS: boolean[]): number {
  if (e.left[node] < 0) return e.value[node];
  const f = e.feature[node];
  if (inS[f]) return condExpectation(e, goesLeft(e, node, x[f]) ? e.left[node] : e.right[node], x, inS);
  const l = e.left[node];
  const r = e.right[node];
  return (
    (e.cover[l] * condExpectation(e, l, x, inS) + e.cover[r] * condExpectation(e, r, x, inS)) / e.cover[node]
  );
}

function bruteShapley(trees: Tree[], k: number, cls: number, x: Float32Array, M: number): Float64Array {
  const e = compileTrees(trees, k);
  const v = (mask: number): number => {
    const inS = Array.from({ length: M }, (_, f) => ((mask >> f) & 1) === 1);
    let s = 0;
    for (let t = cls; t < e.nTrees; t += k) s += condExpectation(e, e.root[t], x, inS);
    return s;
  };
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    for (let mask = 0; mask < 1 << M; mask++) {
      if ((mask >> i) & 1) continue;
      let size = 0;
      for (let f = 0; f < M; f++) size += (mask >> f) & 1;
      const w = (fact(size) * fact(M - size - 1)) / fact(M);
      phi[i] += w * (v(mask | (1 << i)) - v(mask));
    }
  }
  return phi;
}

describe('TreeSHAP', () => {
  it('equals brute-force path-dependent Shapley values (≤ 6 features) to 1e-9', async () => {
    for (const [task, M] of [
      ['regression', 6],
      ['binary', 4],
      ['multiclass', 5],
    ] as const) {
      const { m, X } = await mixedModel(task, M, 3);
      const k = m.state.k;
      for (const row of [0, 7, 42, 99]) {
        const x = X.data.subarray(row * M, row * M + M);
        for (let cls = 0; cls < k; cls++) {
          const e = await m.explain?.(X, row, { classIndex: cls });
          if (!e) throw new Error('no explain');
          const brute = bruteShapley(m.state.trees, k, cls, x, M);
          for (let f = 0; f < M; f++) expect(Math.abs(e.values[f] - brute[f])).toBeLessThan(1e-9);
        }
      }
    }
  });

  it('stays exact on deep trees that split the same features many times', async () => {
    // Few features, many leaves, tiny leaves: depth ≥ 8 (5+ quadrature points) and repeated features on
    // most paths (the merged-entry corrections), checked against brute force.
    const M = 4;
    const rand = mulberry32(5);
    const features: FeatureInfo[] = [num('a'), cat('b', 9), num('c'), num('d')];
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 800; i++) {
      const r = [rand() < 0.1 ? Number.NaN : rand() * 10, Math.floor(rand() * 9), rand() * 10, rand() * 10];
      rows.push(r);
      y.push(Math.sin(r[0] || 0) * 3 + (r[1] % 3) + Math.cos(r[2] * r[3]) + rand() * 0.1);
    }
    const X = matrix(rows, features);
    for (const growth of ['leafwise', 'depthwise'] as const) {
      const m = await gbdtFamily.fit(
        { X, y: Float32Array.from(y) },
        params({
          nEstimators: 3,
          maxLeaves: 127,
          maxDepth: growth === 'depthwise' ? 12 : -1,
          growth,
          minDataInLeaf: 2,
          minDataPerGroup: 2,
          learningRate: 0.5,
        }),
        ctx('regression'),
      );
      const e = compileTrees(m.state.trees, 1);
      let depth = 0;
      const walk = (n: number, d: number): void => {
        depth = Math.max(depth, d);
        if (e.left[n] >= 0) {
          walk(e.left[n], d + 1);
          walk(e.right[n], d + 1);
        }
      };
      for (let t = 0; t < e.nTrees; t++) walk(e.root[t], 0);
      expect(depth).toBeGreaterThanOrEqual(8);
      for (const row of [0, 3, 17, 256, 799]) {
        const x = X.data.subarray(row * M, row * M + M);
        const ex = await m.explain?.(X, row);
        if (!ex) throw new Error('no explain');
        const brute = bruteShapley(m.state.trees, 1, 0, x, M);
        for (let f = 0; f < M; f++) expect(Math.abs(ex.values[f] - brute[f])).toBeLessThan(1e-9);
      }
    }
  });

  it('is additive: Σ contributions + base = raw margin', async () => {
    const { m, X } = await mixedModel('binary', 8, 60);
    const e = compileTrees(m.state.trees, 1);
    const raw = rawScores(e, Float64Array.from(m.state.init), X);
    for (let row = 0; row < 50; row++) {
      const ex = await m.explain?.(X, row);
      if (!ex) throw new Error('no explain');
      const sum = ex.values.reduce((a, b) => a + b, ex.base);
      expect(Math.abs(sum - raw[row])).toBeLessThan(1e-6);
    }
  });
});

describe('training loop', () => {
  it('reports progress, stops early on the validation loss and keeps the best round', async () => {
    const { X } = await mixedModel('binary', 3, 1);
    const rand = mulberry32(1);
    const y = Float32Array.from({ length: X.rows }, () => (rand() < 0.5 ? 1 : 0)); // pure noise
    const steps: number[] = [];
    const m = await gbdtFamily.fit(
      { X, y },
      params({ nEstimators: 200, earlyStoppingRounds: 5, minDataInLeaf: 5 }),
      ctx('binary', { valid: { X, y: y.map((v) => 1 - v) }, onProgress: (p) => steps.push(p.step) }),
    );
    expect(steps.length).toBeLessThan(200);
    expect(steps.length).toBe(m.state.rounds + 5);
    expect(m.lossCurve.length).toBe(steps.length);
  });

  it('cancels through the AbortSignal', async () => {
    const { X } = await mixedModel('regression', 3, 1);
    const controller = new AbortController();
    const p = gbdtFamily.fit(
      { X, y: new Float32Array(X.rows).fill(1) },
      params({ nEstimators: 1000 }),
      ctx('regression', {
        signal: controller.signal,
        onProgress: (s) => {
          if (s.step === 3) controller.abort();
        },
      }),
    );
    await expect(p).rejects.toThrow(/Cancelled/);
  });
});
