/**
 * The worked example of docs/extending.md, kept honest: a k-nearest-neighbours family and a learned
 * feature transform (squared features), added through the registry only, trained with trainModel,
 * saved as an artifact and loaded back.
 */
import { describe, expect, it } from 'vitest';
import { loadArtifact } from '../artifact.ts';
import { linearFamily } from '../families/linear.ts';
import { createRng } from '../random.ts';
import {
  appendColumns,
  type FeatureTransform,
  registerModelFamily,
  withFeatureTransform,
} from '../registry.ts';
import { trainModel } from '../train.ts';
import type { ColumnarTable, Matrix, ModelFamily, TrainedModel } from '../types.ts';

// ---- docs/extending.md, step 1: the family ------------------------------------------------------
interface KnnParams {
  /** Neighbours that vote. Default 15. */
  k: number;
}
interface KnnState {
  k: number;
  cols: number;
  /** Training rows, row-major (the whole training matrix: fine for small data). */
  X: number[];
  y: number[];
  classes: number;
}

function knnModel(state: KnnState, task: TrainedModel['task']): TrainedModel<KnnState> {
  return {
    family: 'knn',
    task,
    state,
    lossCurve: [],
    async predict(X: Matrix) {
      const { k, cols, y } = state;
      const n = y.length;
      const outW = task === 'multiclass' ? state.classes : 1;
      const out = new Float64Array(X.rows * outW);
      const dist = new Float64Array(n);
      for (let i = 0; i < X.rows; i++) {
        for (let r = 0; r < n; r++) {
          let d = 0;
          for (let j = 0; j < cols; j++) d += (X.data[i * X.cols + j] - state.X[r * cols + j]) ** 2;
          dist[r] = d;
        }
        const nearest = Array.from(dist.keys())
          .sort((a, b) => dist[a] - dist[b] || a - b)
          .slice(0, k);
        for (const r of nearest) {
          if (task === 'multiclass') out[i * outW + y[r]] += 1 / k;
          else out[i] += y[r] / k; // binary: share of positives; regression: mean
        }
      }
      return out;
    },
  };
}

const knnFamily: ModelFamily<KnnParams, KnnState> = {
  id: 'knn',
  title: 'k-nearest neighbours',
  defaults: { k: 15 },
  tasks: ['binary', 'multiclass', 'regression'],
  async fit(train, params, ctx) {
    const state: KnnState = {
      k: Math.max(1, Math.min(params.k, train.X.rows)),
      cols: train.X.cols,
      X: Array.from(train.X.data),
      y: Array.from(train.y),
      classes: ctx.classes ?? 2,
    };
    ctx.onProgress?.({ step: 1, total: 1 });
    return knnModel(state, ctx.task);
  },
  async load(state, task) {
    return knnModel(state, task);
  },
};

// ---- docs/extending.md, step 2: a feature transform ----------------------------------------------
/** Appends x² for every numeric feature (lets a linear model draw circles). */
const squares: FeatureTransform<{ numeric: number[] }> = {
  id: 'squares',
  fit: (X) => ({ numeric: X.features.flatMap((f, j) => (f.kind === 'numeric' ? [j] : [])) }),
  apply(X, { numeric }) {
    const extra = numeric.map((j) => ({ ...X.features[j], name: `${X.features[j].name}²` }));
    const out = appendColumns(X, extra, (i, k) => X.data[i * X.cols + numeric[k]] ** 2);
    return { X: out, sources: [...X.features.map((_, j) => j), ...numeric] };
  },
};

registerModelFamily(knnFamily);
registerModelFamily(withFeatureTransform(linearFamily, squares));

// ---- the checks ---------------------------------------------------------------------------------
function table(n: number): ColumnarTable {
  const r = createRng(5);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const label: string[] = [];
  for (let i = 0; i < n; i++) {
    x[i] = r.normal();
    y[i] = r.normal();
    // A ring: not linearly separable in (x, y), separable in (x², y²).
    label.push(x[i] * x[i] + y[i] * y[i] > 1.4 ? 'out' : 'in');
  }
  return { rowCount: n, columns: { x, y, label }, types: { x: 'DOUBLE', y: 'DOUBLE', label: 'VARCHAR' } };
}

const split = { kind: 'random' as const, seed: 1, fractions: { train: 0.6, valid: 0.2, test: 0.2 } };

describe('extending: a kNN family and a feature transform', () => {
  it('kNN trains, predicts and round-trips through an artifact', async () => {
    const out = await trainModel(table(600), {
      target: 'label',
      split,
      family: 'knn',
      params: { k: 15 },
      seed: 1,
    });
    expect(out.artifact.metrics.test.auc).toBeGreaterThan(0.9);
    const loaded = await loadArtifact(JSON.parse(JSON.stringify(out.artifact)));
    const [res] = await loaded.predictRecords([{ x: 0, y: 0 }]);
    expect(res.prediction.label).toBe('in');
  });

  it('linear + squares beats plain linear on a ring, and explanations stay additive', async () => {
    const t = table(800);
    const plain = await trainModel(t, { target: 'label', split, family: 'linear', seed: 1 });
    const squared = await trainModel(t, { target: 'label', split, family: 'linear+squares', seed: 1 });
    expect(plain.artifact.metrics.test.auc).toBeLessThan(0.75);
    expect(squared.artifact.metrics.test.auc).toBeGreaterThan(0.95);
    const loaded = await loadArtifact(JSON.parse(JSON.stringify(squared.artifact)));
    const rec = { x: 1.2, y: -0.3 };
    const [res] = await loaded.predictRecords([rec]);
    const e = await loaded.explainRecord!(rec);
    expect(e.values.length).toBe(loaded.features.length);
    const p = res.prediction.output[0];
    expect(Math.abs(e.base + e.values.reduce((s, v) => s + v, 0) - Math.log(p / (1 - p)))).toBeLessThan(1e-9);
  });
});
