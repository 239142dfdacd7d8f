/**
 * K-fold training (TrainSpec.split.kind = 'kfold') and successive-halving search (TrainSpec.search.kind
 * = 'halving') through trainModel: the halving schedule, rung by rung promotion and the winner, a
 * search space with one clearly better region, per-fold metrics recomputed independently, the final
 * refit's budget from the folds' early stopping, test rows never touched (poisoned), cancel.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { bestStepOf, finalBudget, foldStats } from '../cv.ts';
import { gbdtFamily } from '../gbdt/index.ts';
import { computeMetrics } from '../metrics.ts';
import { fitPipeline, transform } from '../pipeline/index.ts';
import { createRng } from '../random.ts';
import { halvingSchedule, rankScores } from '../search.ts';
import { holdoutRows, kfoldRows, type SplitSpec } from '../split/index.ts';
import { analyseTarget } from '../split/target.ts';
import { type TrainSpec, trainModel } from '../train.ts';
import type { ColumnarTable, Progress } from '../types.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Binary target from a noisy non-linear score of a, b and a category. */
function table(n: number, seed: number): ColumnarTable {
  const r = createRng(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const c: string[] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    a[i] = r.normal();
    b[i] = r.normal();
    c.push(['x', 'y', 'z'][r.int(3)]);
    const s = 1.2 * a[i] + Math.sin(2 * b[i]) + (c[i] === 'z' ? 0.8 : 0) + 0.7 * r.normal();
    y.push(s > 0.4 ? 'yes' : 'no');
  }
  return {
    rowCount: n,
    columns: { a, b, c, y },
    types: { a: 'DOUBLE', b: 'DOUBLE', c: 'VARCHAR', y: 'VARCHAR' },
  };
}

const HOLDOUT: SplitSpec = { kind: 'random', seed: 3, fractions: { train: 0.6, valid: 0.2, test: 0.2 } };

const base = (extra: Partial<TrainSpec>): TrainSpec => ({
  target: 'y',
  task: 'binary',
  featureColumns: ['a', 'b', 'c'],
  split: HOLDOUT,
  family: 'gbdt',
  params: { nEstimators: 27 },
  seed: 7,
  ...extra,
});

/** The same table with every feature of `rows` replaced by extreme or unseen values. */
function poison(t: ColumnarTable, rows: Iterable<number>): ColumnarTable {
  const a = Float64Array.from(t.columns.a as Float64Array);
  const b = Float64Array.from(t.columns.b as Float64Array);
  const c = [...(t.columns.c as string[])];
  for (const r of rows) {
    a[r] = 1e12;
    b[r] = -1e12;
    c[r] = `never-seen-${r}`;
  }
  return { ...t, columns: { ...t.columns, a, b, c } };
}

describe('successive halving schedule', () => {
  it('rung sizes divide by eta and budgets multiply by eta up to the configured budget', () => {
    expect(halvingSchedule(9, 3, 90)).toEqual([
      { rung: 1, configs: 9, budget: 10 },
      { rung: 2, configs: 3, budget: 30 },
      { rung: 3, configs: 1, budget: 90 },
    ]);
    expect(halvingSchedule(8, 2, 80).map((r) => [r.configs, r.budget])).toEqual([
      [8, 10],
      [4, 20],
      [2, 40],
      [1, 80],
    ]);
    // ⌊10/3⌋ = 3, ⌊3/3⌋ = 1; 300/9 rounds to 33.
    expect(halvingSchedule(10, 3, 300).map((r) => [r.configs, r.budget])).toEqual([
      [10, 33],
      [3, 100],
      [1, 300],
    ]);
    expect(halvingSchedule(1, 3, 50)).toEqual([{ rung: 1, configs: 1, budget: 50 }]);
    // Budgets never fall below 1.
    expect(halvingSchedule(27, 3, 5).map((r) => r.budget)).toEqual([1, 1, 2, 5]);
    expect(() => halvingSchedule(4, 1, 10)).toThrow(/eta ≥ 2/);
    expect(() => halvingSchedule(0, 3, 10)).toThrow(/at least 1 configuration/);
  });

  it('ranks best first, undefined scores last, ties by position', () => {
    expect(rankScores([0.5, null, 0.9, 0.5, Number.NaN], true)).toEqual([2, 0, 3, 1, 4]);
    expect(rankScores([0.5, null, 0.9, 0.5], false)).toEqual([0, 3, 2, 1]);
  });
});

describe('successive halving in trainModel', () => {
  const t = table(1500, 11);

  it('follows the schedule, promotes the best 1/eta of each rung, and keeps the last rung’s best', async () => {
    const spec = base({ search: { kind: 'halving', trials: 9, eta: 3 } });
    const progress: Progress[] = [];
    const out = await trainModel(t, spec, { onProgress: (p) => progress.push(p) });
    const s = out.artifact.provenance.search!;
    expect(s.kind).toBe('halving');
    const h = s.halving!;
    expect(h.budgetParam).toBe('nEstimators');
    expect(h.eta).toBe(3);
    const planned = halvingSchedule(9, 3, 27);
    expect(h.rungs.map((r) => [r.trials.length, r.budget])).toEqual(
      planned.map((r) => [r.configs, r.budget]),
    );
    expect(h.rungs[0].trials).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 0; i < h.rungs.length; i++) {
      const r = h.rungs[i];
      // The promoted trials are the best ⌊n/eta⌋ by this rung's scores (computed here independently).
      const sorted = r.trials
        .map((trial, j) => ({ trial, score: r.scores[j] ?? Number.NEGATIVE_INFINITY }))
        .sort((x, y) => y.score - x.score || x.trial - y.trial);
      const next = h.rungs[i + 1];
      if (next) {
        expect(next.trials).toEqual(
          sorted
            .slice(0, next.trials.length)
            .map((x) => x.trial)
            .sort((a, b) => a - b),
        );
        expect(r.promoted).toEqual(next.trials);
      } else expect(r.promoted).toEqual([]);
      expect(r.best).toBe(sorted[0].score);
    }
    const last = h.rungs[h.rungs.length - 1];
    expect(last.trials).toHaveLength(1);
    expect(s.best).toBe(last.trials[0]);
    // The winner is trained with the full budget and its sampled parameters.
    expect(out.artifact.model.params.nEstimators).toBe(27);
    for (const [key, v] of Object.entries(s.trials[s.best - 1].params))
      expect(out.artifact.model.params[key]).toEqual(v);
    expect(out.artifact.metrics.valid.auc).toBeCloseTo(last.scores[0]!, 12);
    // Each trial records the highest rung it reached.
    for (const tr of s.trials) {
      const reached = h.rungs.filter((r) => r.trials.includes(tr.trial));
      expect(tr.rung).toBe(reached.at(-1)!.rung);
      expect(tr.budget).toBe(reached.at(-1)!.budget);
    }
    // Progress numbers every fit (9 + 3 + 1) and names the rung and its budget.
    expect(Math.max(...progress.map((p) => p.trial ?? 0))).toBe(13);
    expect(progress.every((p) => p.trials === 13)).toBe(true);
    expect(progress.filter((p) => p.rung === 2).every((p) => p.budget === 9 && p.step <= 9)).toBe(true);

    // Deterministic given the seed.
    const again = await trainModel(t, spec);
    expect(again.artifact.provenance.search).toEqual(s);
    expect(again.artifact.metrics).toEqual(out.artifact.metrics);
  }, 120_000);

  it('finds a configuration in the clearly better region of the space', async () => {
    // Leaves need ≥ minDataInLeaf rows: from ~450 up (train has 900 rows) no split is possible and the
    // model is a constant (AUC 0.5); below 60 it learns.
    const spec = base({
      params: { nEstimators: 30, earlyStoppingRounds: 0 },
      search: {
        kind: 'halving',
        trials: 9,
        eta: 3,
        space: { minDataInLeaf: { type: 'int', min: 5, max: 3000 } },
      },
    });
    const out = await trainModel(t, spec);
    const s = out.artifact.provenance.search!;
    const values = s.trials.map((x) => x.params.minDataInLeaf as number);
    // The space really has both regions in the sample (otherwise this test could not fail).
    expect(values.filter((v) => v >= 450).length).toBeGreaterThan(3);
    expect(values.some((v) => v < 60)).toBe(true);
    const firstRung = s.halving!.rungs[0];
    for (let j = 0; j < firstRung.trials.length; j++)
      if (values[firstRung.trials[j] - 1] >= 450) expect(firstRung.scores[j]).toBeCloseTo(0.5, 6);
    expect(values[s.best - 1]).toBeLessThan(450);
    expect(out.artifact.metrics.valid.auc).toBeGreaterThan(0.8);
  }, 120_000);

  it('never touches test rows: poisoning them changes only the test metrics', async () => {
    const spec = base({ search: { kind: 'halving', trials: 6, eta: 2 } });
    const clean = await trainModel(t, spec);
    const test = holdoutRows(t, t.columns.y, HOLDOUT, 'binary').test;
    expect(test.length).toBeGreaterThan(200);
    const dirty = await trainModel(poison(t, test), spec);
    expect(dirty.artifact.provenance.search).toEqual(clean.artifact.provenance.search);
    expect(dirty.artifact.pipeline).toEqual(clean.artifact.pipeline);
    expect(dirty.artifact.model).toEqual(clean.artifact.model);
    expect(dirty.artifact.metrics.valid).toEqual(clean.artifact.metrics.valid);
    expect(dirty.artifact.metrics.test).not.toEqual(clean.artifact.metrics.test);
  }, 120_000);

  it('refuses a family without a budget, and a space that contains the budget', async () => {
    await expect(
      trainModel(t, base({ family: 'linear', search: { kind: 'halving', trials: 3 } })),
    ).rejects.toThrow(/no budget parameter/);
    await expect(
      trainModel(
        t,
        base({
          search: { kind: 'halving', trials: 3, space: { nEstimators: { type: 'int', min: 5, max: 50 } } },
        }),
      ),
    ).rejects.toThrow(/sets nEstimators itself/);
  });
});

describe('k-fold training', () => {
  const t = table(1200, 5);
  const kfold = { kind: 'kfold' as const, k: 3, stratified: true, seed: 9, testFraction: 0.25 };

  it('fits each fold on its own rows (pipeline included); reports fold metrics, mean ± std; refits on all non-test rows', async () => {
    const params = { nEstimators: 200, earlyStoppingRounds: 5, learningRate: 0.3 };
    const progress: Progress[] = [];
    const out = await trainModel(t, base({ split: kfold, params }), { onProgress: (p) => progress.push(p) });
    const cv = out.cv!;
    expect(cv.k).toBe(3);
    expect(cv.folds).toHaveLength(3);
    // Independent computation of each fold: pipeline on the fold's training rows, GBDT, metrics.
    const folds = kfoldRows(t, t.columns.y, kfold, 'binary');
    const y = analyseTarget(t.columns.y, t.rowCount, 'binary').values;
    const yF = Float32Array.from(y);
    const spec = {
      columns: [
        { name: 'a', kind: 'numeric' as const },
        { name: 'b', kind: 'numeric' as const },
        { name: 'c', kind: 'categorical' as const },
      ],
    };
    const bestSteps: number[] = [];
    for (let f = 0; f < 3; f++) {
      const { train, valid } = folds.folds[f];
      const fitted = fitPipeline(t, train, spec, yF, 'binary');
      const ds = (rows: Uint32Array) => ({
        X: transform(fitted, t, rows, { forModel: 'gbdt' }),
        y: Float32Array.from(rows, (r) => y[r]),
      });
      const v = ds(valid);
      const m = await gbdtFamily.fit(
        ds(train),
        { ...gbdtFamily.defaults, ...params },
        { task: 'binary', seed: 7, valid: v },
      );
      const metrics = computeMetrics('binary', v.y, await m.predict(v.X));
      expect(cv.folds[f].valid.auc).toBeCloseTo(metrics.auc, 12);
      expect(cv.folds[f].valid.logloss).toBeCloseTo(metrics.logloss, 12);
      expect(cv.folds[f].rows).toEqual({ train: train.length, valid: valid.length });
      expect(cv.folds[f].bestStep).toBe(m.state.rounds);
      bestSteps.push(m.state.rounds);
    }
    const aucs = cv.folds.map((f) => f.valid.auc);
    const mean = (aucs[0] + aucs[1] + aucs[2]) / 3;
    expect(cv.mean.auc).toBeCloseTo(mean, 14);
    expect(cv.std.auc).toBeCloseTo(Math.sqrt(aucs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2), 14);
    expect(out.artifact.metrics.valid).toEqual(cv.mean);
    // Early stopping ended every fold early: the final budget is the mean of the folds' best rounds.
    expect(cv.folds.every((f) => (f.steps ?? 0) < 200)).toBe(true);
    expect(cv.final).toEqual({
      param: 'nEstimators',
      value: Math.round(bestSteps.reduce((a, b) => a + b, 0) / 3),
      source: 'cv-early-stopping',
      rows: 1200 - folds.test.length,
    });
    const state = out.artifact.model.state as { rounds: number };
    expect(out.artifact.model.params.nEstimators).toBe(cv.final.value);
    expect(state.rounds).toBe(cv.final.value);
    // The final pipeline saw every non-test row, and test rows only for the test metrics.
    expect(out.artifact.pipeline.trainRows).toBe(1200 - folds.test.length);
    expect(out.artifact.provenance.split).toMatchObject({
      kind: 'kfold',
      rows: { train: 1200 - folds.test.length, valid: 0, test: folds.test.length },
    });
    expect(out.artifact.metrics.test.auc).toBeGreaterThan(0.75);
    // Artifact: the fold numbers without their loss curves; the run output keeps the curves.
    expect(out.artifact.provenance.cv!.folds.every((f) => f.lossCurve === undefined)).toBe(true);
    expect(cv.folds.every((f) => (f.lossCurve?.length ?? 0) > 0)).toBe(true);
    // Progress: 3 fold fits + the final one, each numbered, the folds named.
    expect(Math.max(...progress.map((p) => p.trial ?? 0))).toBe(4);
    expect(new Set(progress.filter((p) => p.fold).map((p) => p.fold))).toEqual(new Set([1, 2, 3]));
  }, 120_000);

  it('uses the configured budget when no fold stopped early', async () => {
    const out = await trainModel(
      t,
      base({ split: kfold, params: { nEstimators: 15, earlyStoppingRounds: 0 } }),
    );
    expect(out.cv!.final).toMatchObject({ param: 'nEstimators', value: 15, source: 'configured' });
    expect((out.artifact.model.state as { rounds: number }).rounds).toBe(15);
  }, 60_000);

  it('with successive halving: configurations scored on the fold mean; test rows never touched', async () => {
    const spec = base({
      split: kfold,
      search: { kind: 'halving', trials: 4, eta: 2 },
      params: { nEstimators: 16 },
    });
    const progress: Progress[] = [];
    const clean = await trainModel(t, spec, { onProgress: (p) => progress.push(p) });
    const s = clean.artifact.provenance.search!;
    expect(s.scoredOn).toBe('cv-folds');
    expect(s.halving!.rungs.map((r) => [r.trials.length, r.budget])).toEqual([
      [4, 4],
      [2, 8],
      [1, 16],
    ]);
    // The winner's last-rung score is the mean of the reported folds.
    expect(s.halving!.rungs[2].scores[0]).toBeCloseTo(clean.cv!.mean.auc, 14);
    expect(clean.cv!.selectedOnFolds).toBe(true);
    expect(Math.max(...progress.map((p) => p.trial ?? 0))).toBe((4 + 2 + 1) * 3 + 1);

    const test = kfoldRows(t, t.columns.y, kfold, 'binary').test;
    const dirty = await trainModel(poison(t, test), spec);
    expect(dirty.artifact.provenance.search).toEqual(s);
    expect(dirty.cv!.folds.map((f) => f.valid)).toEqual(clean.cv!.folds.map((f) => f.valid));
    expect(dirty.artifact.pipeline).toEqual(clean.artifact.pipeline);
    expect(dirty.artifact.model).toEqual(clean.artifact.model);
    expect(dirty.artifact.metrics.test).not.toEqual(clean.artifact.metrics.test);
  }, 180_000);

  it('cancel between folds rejects with an AbortError', async () => {
    const ctl = new AbortController();
    const run = trainModel(t, base({ split: kfold, params: { nEstimators: 40, earlyStoppingRounds: 0 } }), {
      signal: ctl.signal,
      onProgress: (p) => {
        if (p.fold === 2) ctl.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('cv helpers', () => {
  it('fold statistics, best step, final budget', () => {
    const { mean, std } = foldStats([{ auc: 0.7, rmse: 1 }, { auc: 0.8 }, { auc: 0.9, rmse: 2 }]);
    expect(mean).toEqual({ auc: expect.closeTo(0.8, 12) });
    expect(std.auc).toBeCloseTo(0.1, 12);
    expect(foldStats([{ auc: 0.7 }]).std.auc).toBe(0);
    expect(
      bestStepOf([
        { step: 1, train: 1, valid: 0.5 },
        { step: 2, train: 1, valid: 0.4 },
        { step: 3, train: 1, valid: 0.4 },
      ]),
    ).toBe(2);
    expect(bestStepOf([{ step: 1, train: 1 }])).toBeUndefined();
    expect(
      finalBudget(
        [
          { steps: 30, bestStep: 10 },
          { steps: 50, bestStep: 31 },
        ],
        50,
      ),
    ).toEqual({
      value: 21,
      source: 'cv-early-stopping',
    });
    expect(
      finalBudget(
        [
          { steps: 50, bestStep: 10 },
          { steps: 50, bestStep: 31 },
        ],
        50,
      ),
    ).toEqual({
      value: 50,
      source: 'configured',
    });
  });
});
