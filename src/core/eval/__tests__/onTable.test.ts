/**
 * Evaluating a model on another table (src/core/eval/onTable.ts, `evaluateArtifact` with `part: 'all'`):
 * DuckDB type families; a table that fits, one missing a column, one with a mistyped column — the
 * error names the table and the column; every row of a fresh table is scored, rows without a usable
 * target are left out, and the AUC equals a brute-force pairwise count over predictions made record
 * by record (the serving path, not the matrix path the evaluation uses).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { loadArtifact, type ModelArtifact } from '../../ml/artifact.ts';
import { createRng } from '../../ml/random.ts';
import { trainModel } from '../../ml/train.ts';
import type { ColumnarTable } from '../../ml/types.ts';
import { evaluateArtifact } from '../evaluate.ts';
import { checkEvalTable, evalColumns, tableFit, typeFamily } from '../onTable.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** x drives the label, city shifts it; `seed` makes a different sample ("next month"). */
function orders(n: number, seed: number): ColumnarTable {
  const r = createRng(seed);
  const x = new Float64Array(n);
  const city: (string | null)[] = [];
  const late: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    x[i] = r.normal();
    const c = ['paris', 'lima', 'oslo'][r.int(3)];
    city.push(c);
    const s = 2 * x[i] + (c === 'paris' ? 1 : -0.5) + 0.8 * r.normal();
    late.push(s > 0.2 ? 'yes' : 'no');
  }
  return {
    rowCount: n,
    columns: { x, city, late },
    types: { x: 'DOUBLE', city: 'VARCHAR', late: 'VARCHAR' },
  };
}

let artifact: ModelArtifact;
beforeAll(async () => {
  const out = await trainModel(orders(800, 1), {
    target: 'late',
    task: 'binary',
    featureColumns: ['x', 'city'],
    split: { kind: 'random', seed: 7, fractions: { train: 0.6, valid: 0.2, test: 0.2 } },
    family: 'gbdt',
    params: { nEstimators: 20 },
    seed: 1,
  });
  artifact = out.artifact;
}, 60_000);

describe('typeFamily', () => {
  it('groups DuckDB types', () => {
    expect(['INTEGER', 'BIGINT', 'DOUBLE', 'DECIMAL(10,2)', 'FLOAT', 'UTINYINT'].map(typeFamily)).toEqual(
      Array(6).fill('numeric'),
    );
    expect(['DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE'].map(typeFamily)).toEqual(
      Array(3).fill('temporal'),
    );
    expect(typeFamily('VARCHAR')).toBe('string');
    expect(typeFamily('BOOLEAN')).toBe('boolean');
    expect(typeFamily('STRUCT(a INTEGER)')).toBe('other');
  });
});

describe('checking a table against the model', () => {
  const fits = [
    { name: 'order_id', type: 'VARCHAR' },
    { name: 'x', type: 'BIGINT' },
    { name: 'city', type: 'VARCHAR' },
    { name: 'late', type: 'VARCHAR' },
  ];
  it('reads the target and the input columns; extra columns and numeric widenings are fine', () => {
    expect(evalColumns(artifact).sort()).toEqual(['city', 'late', 'x']);
    expect(tableFit(artifact, fits)).toEqual([]);
    expect(() => checkEvalTable(artifact, 'next_month', fits)).not.toThrow();
  });
  it('a missing input column: the error names the column and the table', () => {
    const cols = fits.filter((c) => c.name !== 'city');
    expect(() => checkEvalTable(artifact, 'next_month', cols)).toThrow(
      /on table next_month: it lacks the column "city" the model needs/,
    );
  });
  it('a missing target and a mistyped input are both named', () => {
    const cols = fits
      .filter((c) => c.name !== 'late')
      .map((c) => (c.name === 'x' ? { ...c, type: 'VARCHAR' } : c));
    const problems = tableFit(artifact, cols);
    expect(problems.map((p) => p.column).sort()).toEqual(['late', 'x']);
    let msg = '';
    try {
      checkEvalTable(artifact, 'next_month', cols);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('"late"');
    expect(msg).toContain('"x" is VARCHAR; the model was trained on DOUBLE (numeric) and needs a number');
  });
});

/** ROC-AUC by counting pairs (ties count half): independent of metrics.ts. */
function pairAuc(y: number[], p: number[]): number {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < y.length; i++)
    for (let j = 0; j < y.length; j++)
      if (y[i] === 1 && y[j] === 0) {
        pairs++;
        wins += p[i] > p[j] ? 1 : p[i] === p[j] ? 0.5 : 0;
      }
  return wins / pairs;
}

describe('evaluateArtifact on every row of another table', () => {
  it('scores all rows with a target; AUC equals a pairwise count over record-by-record predictions', async () => {
    const next = orders(300, 99);
    const late = next.columns.late as (string | null)[];
    late[3] = null; // no target: left out
    late[10] = 'maybe'; // not a training class: left out
    const ev = await evaluateArtifact({
      table: next,
      tableName: 'next_month',
      artifact,
      part: 'all',
      resamples: 100,
    });
    expect(ev.part).toBe('all');
    expect(ev.table).toBe('next_month');
    expect(ev.n).toBe(298);
    expect(ev.droppedRows).toBe(2);
    expect(ev.consistency).toBeNull();

    const m = await loadArtifact(artifact);
    const keep = Array.from({ length: next.rowCount }, (_, i) => i).filter((i) => i !== 3 && i !== 10);
    const x = next.columns.x as Float64Array;
    const city = next.columns.city as string[];
    const records = keep.map((i) => ({ x: x[i], city: city[i] }));
    const preds = await m.predictRecords(records);
    const p = preds.map((r) => r.prediction.output[0]);
    const y = keep.map((i) => (late[i] === artifact.classes![1] ? 1 : 0));
    expect(ev.predictions.y).toEqual(y);
    for (let i = 0; i < p.length; i++) expect(ev.predictions.p[i]).toBeCloseTo(p[i], 12);
    const auc = ev.metrics.find((r) => r.key === 'auc')!.model.value!;
    expect(auc).toBeCloseTo(pairAuc(y, p), 12);
    expect(auc).toBeGreaterThan(0.7);
    expect(ev.trust[0].text).toContain('298 next_month rows');
  }, 60_000);

  it('a table where no row has a known class says so', async () => {
    const next = orders(50, 5);
    next.columns.late = Array(50).fill('unknown');
    await expect(
      evaluateArtifact({ table: next, tableName: 'next_month', artifact, part: 'all', resamples: 10 }),
    ).rejects.toThrow(
      /None of the 50 rows of table next_month has a usable target "late" \(one of the model's classes: no, yes\)/,
    );
  });
});
