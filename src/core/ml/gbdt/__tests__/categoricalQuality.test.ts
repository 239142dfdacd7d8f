/**
 * Quality guard for categorical splits on a high-cardinality feature (issue 4 investigation).
 *
 * Sorting categories by raw G/H and scanning every prefix (XGBoost 1.7's partition search, which has no
 * smoothing) fits noise when a feature has hundreds of levels with a few rows each: on Olist's inner CV
 * (training rows only) that alone cost 0.02 AUC, and it reproduced XGBoost's own numbers. Benchtop's
 * LightGBM-style regularisation (ordering by G/(H + cat_smooth), rare categories left out of the scan,
 * min_data_per_group, cat_l2) must keep (a) a pure-noise 200-level categorical from hurting much and
 * (b) a planted per-level effect learnable. Data: numeric signal + one Zipf-distributed categorical;
 * AUC on a held-out part of the same synthetic draw.
 */
import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../metrics.ts';
import type { Dataset, FeatureInfo } from '../../types.ts';
import { mulberry32 } from '../booster.ts';
import { GBDT_DEFAULTS, type GbdtParams, gbdtFamily } from '../index.ts';

const LEVELS = 200;
const TRAIN = 3000;
const HOLDOUT = 2000;

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** Train / holdout sets; `effect` = sd of the per-level logit shift (0: the categorical is noise). */
function draw(seed: number, effect: number, withCat: boolean): { train: Dataset; holdout: Dataset } {
  const rand = mulberry32(seed);
  const shift = Array.from({ length: LEVELS }, () => gauss(rand) * effect);
  // Zipf-like level frequencies (∝ 1/(i+1)^0.8): a few big levels, a long tail of rare ones.
  const cum: number[] = [];
  let total = 0;
  for (let i = 0; i < LEVELS; i++) total += 1 / (i + 1) ** 0.8;
  let acc = 0;
  for (let i = 0; i < LEVELS; i++) {
    acc += 1 / (i + 1) ** 0.8 / total;
    cum.push(acc);
  }
  const features: FeatureInfo[] = [
    { name: 'a', source: 'a', kind: 'numeric' },
    { name: 'b', source: 'b', kind: 'numeric' },
    { name: 'c', source: 'c', kind: 'numeric' },
  ];
  if (withCat) features.push({ name: 'level', source: 'level', kind: 'categorical', categories: LEVELS });
  const cols = features.length;
  const make = (n: number): Dataset => {
    const data = new Float32Array(n * cols);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const a = gauss(rand);
      const b = gauss(rand);
      const c = rand();
      const u = rand();
      let level = cum.findIndex((q) => u <= q);
      if (level < 0) level = LEVELS - 1;
      const logit = -1 + 0.8 * a - 0.5 * b * b + (c > 0.7 ? 0.7 : 0) + shift[level];
      y[i] = rand() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
      data.set(withCat ? [a, b, c, level] : [a, b, c], i * cols);
    }
    return { X: { rows: n, cols, data, features }, y };
  };
  return { train: make(TRAIN), holdout: make(HOLDOUT) };
}

async function holdoutAuc(seed: number, effect: number, withCat: boolean, p: Partial<GbdtParams> = {}) {
  const { train, holdout } = draw(seed, effect, withCat);
  const params: GbdtParams = {
    ...GBDT_DEFAULTS,
    nEstimators: 100,
    learningRate: 0.1,
    maxLeaves: 15,
    earlyStoppingRounds: 0,
    ...p,
  };
  const m = await gbdtFamily.fit(train, params, { task: 'binary', seed: 0 });
  return rocAuc(holdout.y, await m.predict(holdout.X));
}

/** XGBoost-1.7-like categorical search: order by raw G/H, every category scanned, no extra L2. */
const UNSMOOTHED: Partial<GbdtParams> = { catSmooth: 0, catL2: 0, minDataPerGroup: 1 };

describe('high-cardinality categorical: regularised partition search', () => {
  for (const seed of [1, 2]) {
    it(`noise categorical (seed ${seed}): little harm, far less than an unsmoothed search`, async () => {
      const withoutCat = await holdoutAuc(seed, 0, false);
      const regularised = await holdoutAuc(seed, 0, true);
      const unsmoothed = await holdoutAuc(seed, 0, true, UNSMOOTHED);
      // Measured (seeds 1, 2, 3): regularised − without 0.003 / 0.002 / +0.004 below or above;
      // unsmoothed 0.06–0.09 below the regularised search.
      expect(regularised).toBeGreaterThan(withoutCat - 0.015);
      expect(regularised).toBeGreaterThan(unsmoothed + 0.04);
    });
    it(`planted per-level effect (seed ${seed}) is learnt`, async () => {
      const withoutCat = await holdoutAuc(seed, 0.6, false);
      const regularised = await holdoutAuc(seed, 0.6, true);
      const unsmoothed = await holdoutAuc(seed, 0.6, true, UNSMOOTHED);
      // Measured (seeds 1, 2, 3): regularised +0.015 to +0.025 over leaving the feature out; the
      // unsmoothed search 0.02–0.06 below the regularised one (it overfits the rare levels).
      expect(regularised).toBeGreaterThan(withoutCat + 0.008);
      expect(regularised).toBeGreaterThan(unsmoothed + 0.01);
    });
  }
});
