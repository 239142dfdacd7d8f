/**
 * Every metric of src/core/eval/metrics.ts against scikit-learn's values on fixed arrays
 * (tests/fixtures/sklearn/metrics.json, made by tools/gen-sklearn-fixtures.py), to 1e-9: ties, tiny
 * arrays, single-class cases (AUC undefined → NaN), multiclass with an absent class, regression with
 * zeros (MAPE undefined). Curves too: roc_curve (with and without dropped intermediate points),
 * precision_recall_curve and calibration_curve.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmaxRows,
  averagePrecision,
  bestThreshold,
  brier,
  calibration,
  confusionMatrix,
  expectedValuePer1000,
  f1Scores,
  gains,
  logLoss,
  mae,
  mape,
  multiLogLoss,
  normaliseConfusion,
  perClass,
  prCurve,
  r2,
  rmse,
  rocAuc,
  rocCurve,
  thresholdMetrics,
  topKAccuracy,
} from '../metrics.ts';

const fx = JSON.parse(
  readFileSync(new URL('../../../../tests/fixtures/sklearn/metrics.json', import.meta.url), 'utf8'),
);
const TOL = 1e-9;

function close(actual: number, expected: number | null, what: string) {
  if (expected === null) {
    expect(Number.isNaN(actual), `${what}: expected undefined, got ${actual}`).toBe(true);
    return;
  }
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(TOL);
}
function closeAll(actual: ArrayLike<number>, expected: number[], what: string) {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) close(actual[i], expected[i], `${what}[${i}]`);
}

describe('binary metrics vs scikit-learn', () => {
  for (const c of fx.binary) {
    it(c.name, () => {
      const { y, p } = c as { y: number[]; p: number[] };
      close(rocAuc(y, p), c.roc_auc, 'roc_auc');
      close(averagePrecision(y, p), c.average_precision, 'average_precision');
      close(logLoss(y, p), c.log_loss, 'log_loss');
      close(brier(y, p), c.brier, 'brier');
      if (c.roc_curve) {
        for (const [key, drop] of [
          ['roc_curve', true],
          ['roc_curve_full', false],
        ] as const) {
          const r = rocCurve(y, p, { dropIntermediate: drop });
          closeAll(r.fpr, c[key].fpr, `${key}.fpr`);
          closeAll(r.tpr, c[key].tpr, `${key}.tpr`);
          expect(r.thresholds[0]).toBe(Number.POSITIVE_INFINITY);
          closeAll(r.thresholds.slice(1), c[key].thresholds, `${key}.thresholds`);
        }
      }
      if (c.pr_curve) {
        const r = prCurve(y, p);
        closeAll(r.precision, c.pr_curve.precision, 'pr.precision');
        closeAll(r.recall, c.pr_curve.recall, 'pr.recall');
        closeAll(r.thresholds, c.pr_curve.thresholds, 'pr.thresholds');
      }
      const cal = calibration(y, p, 10);
      closeAll(
        cal.bins.map((b) => b.observed),
        c.calibration.observed,
        'calibration.observed',
      );
      closeAll(
        cal.bins.map((b) => b.predicted),
        c.calibration.predicted,
        'calibration.predicted',
      );
      closeAll(
        cal.bins.map((b) => b.count),
        c.calibration.count,
        'calibration.count',
      );
      close(cal.ece, c.calibration.ece, 'ece');
      for (const at of c.at) {
        const m = thresholdMetrics(y, p, at.threshold);
        for (const k of ['tp', 'fp', 'fn', 'tn', 'accuracy', 'precision', 'recall', 'f1'] as const)
          close(m[k], at[k], `@${at.threshold}.${k}`);
        close(expectedValuePer1000(m, fx.costs), at.ev_per_1000, `@${at.threshold}.ev`);
      }
      if (c.gains) {
        const g = gains(y, p).slice(1);
        closeAll(
          g.map((x) => x.fraction),
          c.gains.map((x: { fraction: number }) => x.fraction),
          'gains.fraction',
        );
        closeAll(
          g.map((x) => x.gain),
          c.gains.map((x: { gain: number }) => x.gain),
          'gains.gain',
        );
        closeAll(
          g.map((x) => x.lift),
          c.gains.map((x: { lift: number }) => x.lift),
          'gains.lift',
        );
      }
      const best = bestThreshold(y, p, fx.costs);
      if (c.best_threshold.threshold === null) expect(best.threshold).toBe(Number.POSITIVE_INFINITY);
      else close(best.threshold, c.best_threshold.threshold, 'best.threshold');
      close(best.value, c.best_threshold.value, 'best.value');
    });
  }
});

describe('multiclass metrics vs scikit-learn', () => {
  for (const c of fx.multiclass) {
    it(c.name, () => {
      const { y, p, k } = c as { y: number[]; p: number[]; k: number };
      const pred = argmaxRows(p, k);
      close(accuracy(y, pred), c.accuracy, 'accuracy');
      const f = f1Scores(y, pred, k);
      close(f.macro, c.macro_f1, 'macro_f1');
      close(f.weighted, c.weighted_f1, 'weighted_f1');
      close(topKAccuracy(y, p, k, 2), c.top2, 'top2');
      close(topKAccuracy(y, p, k, 3), c.top3, 'top3');
      close(multiLogLoss(y, p, k), c.log_loss, 'log_loss');
      const pc = perClass(y, pred, k);
      closeAll(
        pc.map((x) => x.precision),
        c.per_class.precision,
        'precision',
      );
      closeAll(
        pc.map((x) => x.recall),
        c.per_class.recall,
        'recall',
      );
      closeAll(
        pc.map((x) => x.f1),
        c.per_class.f1,
        'f1',
      );
      closeAll(
        pc.map((x) => x.support),
        c.per_class.support,
        'support',
      );
      const cm = confusionMatrix(y, pred, k);
      cm.forEach((row, i) => {
        closeAll(row, c.confusion[i], `confusion[${i}]`);
      });
      normaliseConfusion(cm, 'true').forEach((row, i) => {
        closeAll(row, c.confusion_true[i], `confusion_true[${i}]`);
      });
    });
  }
});

describe('regression metrics vs scikit-learn', () => {
  for (const c of fx.regression) {
    it(c.name, () => {
      const { y, p } = c as { y: number[]; p: number[] };
      close(rmse(y, p), c.rmse, 'rmse');
      close(mae(y, p), c.mae, 'mae');
      close(r2(y, p), c.r2, 'r2');
      close(mape(y, p), c.mape, 'mape');
    });
  }
});
