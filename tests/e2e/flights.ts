/**
 * A small flight-delay notebook shared by the model e2e tests (evaluate, predict): the bundled
 * flights-200k table → a seeded sample with `late = delay > 15` and a categorical `period` of the
 * day → a GBDT train cell (stratified split unless told otherwise).
 */
import type { AnySplitSpec } from '../../src/core/ml/split/index.ts';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';

export function flightsNotebook(opts: {
  id: string;
  title: string;
  rows: number;
  trees: number;
  /** Default: stratified 70 / 15 / 15, seed 42. */
  split?: AnySplitSpec;
}): NotebookDoc {
  const now = new Date().toISOString();
  const sample = `SELECT delay > 15 AS late, distance, time,
  CASE WHEN time < 10 THEN 'morning' WHEN time < 16 THEN 'midday' ELSE 'evening' END AS period
  FROM flights USING SAMPLE ${opts.rows} ROWS (reservoir, 42)`;
  return {
    format: 'benchtop-notebook',
    version: 1,
    id: `${opts.id}-${Date.now()}`,
    title: opts.title,
    createdAt: now,
    updatedAt: now,
    cells: [
      {
        id: 'src',
        kind: 'source',
        config: { name: 'flights', ref: { type: 'bundled', id: 'flights-200k' } },
      },
      { id: 'smp', kind: 'sql', config: { name: 'sample', sql: sample } },
      {
        id: 'trn',
        kind: 'train',
        config: {
          input: 'sample',
          target: 'late',
          features: ['distance', 'time', 'period'],
          split: opts.split ?? {
            kind: 'stratified',
            seed: 42,
            fractions: { train: 0.7, valid: 0.15, test: 0.15 },
          },
          family: 'gbdt',
          params: { nEstimators: opts.trees },
          seed: 42,
          name: 'gbdt · late',
        },
      },
    ],
  };
}
