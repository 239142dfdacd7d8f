import { describe, expect, it } from 'vitest';
import {
  accuracy,
  averageRanks,
  computeMetrics,
  logLoss,
  macroF1,
  mae,
  multiLogLoss,
  r2,
  rmse,
  rocAuc,
  rocAucOvr,
} from '../metrics.ts';
import { createRng } from '../random.ts';

/** AUC by definition: P(score_pos > score_neg) + ½ P(tie), over every pair. */
function pairwiseAuc(y: number[], s: number[]): number {
  let num = 0;
  let pairs = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return num / pairs;
}

describe('ranks and AUC', () => {
  it('average ranks share ties', () => {
    expect(Array.from(averageRanks([10, 20, 10, 30, 20, 20]))).toEqual([1.5, 4, 1.5, 6, 4, 4]);
  });

  it('hand-computed AUC values', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([1, 1, 0], [0.9, 0.8, 0.1])).toBe(1);
    expect(rocAuc([1, 1, 0], [0.1, 0.2, 0.9])).toBe(0);
    expect(Number.isNaN(rocAuc([1, 1], [0.1, 0.2]))).toBe(true);
  });

  it('matches brute-force pairwise AUC with many ties', () => {
    const r = createRng(3);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + r.int(200);
      const y = Array.from({ length: n }, () => (r.next() < 0.3 ? 1 : 0));
      // Coarse scores: lots of ties.
      const s = y.map((v) => Math.round((r.next() + 0.3 * v) * 8) / 8);
      if (!y.includes(1) || !y.includes(0)) continue;
      expect(rocAuc(y, s)).toBeCloseTo(pairwiseAuc(y, s), 12);
    }
  });

  it('one-vs-rest AUC averages per-class AUCs', () => {
    const y = [0, 1, 2, 0, 1, 2];
    // Perfect scores for every class.
    const p = y.flatMap((c) => [0, 1, 2].map((k) => (k === c ? 0.8 : 0.1)));
    expect(rocAucOvr(y, p, 3)).toBe(1);
  });
});

describe('losses and classification metrics', () => {
  it('log loss by hand, clipped', () => {
    expect(logLoss([1, 0], [0.8, 0.4])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 14);
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 8);
    expect(Number.isFinite(logLoss([0], [1]))).toBe(true);
    expect(multiLogLoss([2, 0], [0.1, 0.2, 0.7, 0.5, 0.25, 0.25], 3)).toBeCloseTo(
      -(Math.log(0.7) + Math.log(0.5)) / 2,
      14,
    );
  });

  it('accuracy and macro-F1 by hand', () => {
    const t = [0, 0, 1, 1, 2, 2];
    const p = [0, 1, 1, 1, 2, 0];
    expect(accuracy(t, p)).toBeCloseTo(4 / 6, 14);
    // class 0: tp1 fp1 fn1 → 0.5; class 1: tp2 fp1 fn0 → 0.8; class 2: tp1 fp0 fn1 → 2/3
    expect(macroF1(t, p, 3)).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 14);
  });
});

describe('regression metrics', () => {
  it('RMSE, MAE and R² by hand', () => {
    const y = [1, 2, 3, 4];
    const p = [1.5, 2, 2, 5];
    expect(rmse(y, p)).toBeCloseTo(Math.sqrt((0.25 + 0 + 1 + 1) / 4), 14);
    expect(mae(y, p)).toBeCloseTo((0.5 + 0 + 1 + 1) / 4, 14);
    expect(r2(y, p)).toBeCloseTo(1 - 2.25 / 5, 14);
    expect(r2(y, y)).toBe(1);
  });
});

describe('computeMetrics', () => {
  it('per task', () => {
    const b = computeMetrics('binary', [0, 1, 1, 0], new Float64Array([0.2, 0.7, 0.4, 0.6]));
    expect(b.auc).toBe(0.75);
    expect(b.accuracy).toBe(0.5);
    expect(Object.keys(b).sort()).toEqual(['accuracy', 'auc', 'logloss', 'macro_f1']);
    const m = computeMetrics('multiclass', [0, 2], new Float64Array([0.6, 0.3, 0.1, 0.2, 0.2, 0.6]), 3);
    expect(m.accuracy).toBe(1);
    expect(m.logloss).toBeCloseTo(-(Math.log(0.6) * 2) / 2, 14);
    const r = computeMetrics('regression', [1, 2], new Float64Array([1, 3]));
    expect(r).toEqual({ rmse: Math.sqrt(0.5), mae: 0.5, r2: 1 - 1 / 0.5 });
  });
});
