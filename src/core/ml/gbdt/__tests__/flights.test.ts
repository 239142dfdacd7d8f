import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gbdtFamily } from '../index.ts';
import { FLIGHTS_PARQUET, loadFlights, rocAuc, sliceDataset } from './flightsData.ts';

describe.skipIf(!existsSync(FLIGHTS_PARQUET))('flight delays (50k rows of flights-3m.parquet)', () => {
  it('validation loss falls for the first 10 trees and AUC > 0.6', { timeout: 30_000 }, async () => {
    const { data } = await loadFlights(50_000);
    expect(data.X.rows).toBe(50_000);
    // Time split: first 80 % (by date) train, last 20 % validation.
    const cut = Math.floor(data.X.rows * 0.8);
    const train = sliceDataset(data, 0, cut);
    const valid = sliceDataset(data, cut, data.X.rows);
    const validLoss: number[] = [];
    const m = await gbdtFamily.fit(
      train,
      { ...gbdtFamily.defaults, nEstimators: 60 },
      { task: 'binary', seed: 1, valid, onProgress: (p) => validLoss.push(p.validLoss ?? Number.NaN) },
    );
    for (let i = 1; i < 10; i++) expect(validLoss[i]).toBeLessThan(validLoss[i - 1]);
    const p = await m.predict(valid.X);
    const auc = rocAuc(valid.y, p);
    expect(auc).toBeGreaterThan(0.6);
    // The trees use the categorical airports natively.
    expect(m.state.trees.some((t) => t.catLeft.some((c) => c.length > 0))).toBe(true);
  });
});
