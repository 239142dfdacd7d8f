/**
 * The runs table's pure helpers: an uploaded artifact becomes a run tied to the train cell's table only
 * when that table has every input column; a bad artifact is refused naming what is wrong; the CSV export
 * quotes exactly the fields with commas, quotes or line breaks and parses back (RFC 4180) to the values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { trainModel } from '../../../core/ml/train.ts';
import type { ColumnarTable } from '../../../core/ml/types.ts';
import type { RunRecord } from '../../../storage/runStore.ts';
import { flatConfig, runFromArtifact, runsCsv } from '../runs.ts';

function table(n: number): ColumnarTable {
  const x = Float64Array.from({ length: n }, (_, i) => ((i * 37) % 101) / 10);
  const city = Array.from({ length: n }, (_, i) => ['lima', 'oslo', 'kyiv'][i % 3]);
  const y = Array.from({ length: n }, (_, i) => (x[i] + (city[i] === 'oslo' ? 3 : 0) > 6 ? 'yes' : 'no'));
  return {
    rowCount: n,
    columns: { x, city, y },
    types: { x: 'DOUBLE', city: 'VARCHAR', y: 'VARCHAR' },
  };
}

let artifactText: string;
beforeAll(async () => {
  const out = await trainModel(table(300), {
    target: 'y',
    featureColumns: ['x', 'city'],
    split: { kind: 'random', seed: 1, fractions: { train: 0.6, valid: 0.2, test: 0.2 } },
    family: 'gbdt',
    params: { nEstimators: 5 },
    seed: 1,
    name: 'gbdt, "v1"',
  });
  artifactText = JSON.stringify(out.artifact);
});

/** RFC 4180 reader (quoted fields may hold commas, doubled quotes, line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  return rows;
}

describe('runFromArtifact', () => {
  it('ties the run to the cell table when it has every input column', () => {
    const run = runFromArtifact(artifactText, 'nb', 'cell', { name: 'orders', columns: ['y', 'city', 'x'] });
    expect(run.config.input).toBe('orders');
    expect(run.origin).toBe('upload');
    expect(run.config.features).toEqual(['x', 'city']);
    expect(run.metrics).toEqual(JSON.parse(artifactText).metrics);
    expect(run.fingerprint.rows).toBe(300);
  });

  it('leaves the run without a table when a column is missing or there is no table', () => {
    expect(
      runFromArtifact(artifactText, 'nb', 'cell', { name: 'other', columns: ['x', 'y'] }).config.input,
    ).toBe('');
    const run = runFromArtifact(artifactText, 'nb', 'cell');
    expect(run.config.input).toBe('');
    expect(flatConfig(run).table).toBe('—');
  });

  it('refuses a file that is not a model artifact, saying why', () => {
    expect(() => runFromArtifact('{"format":"something-else"}', 'nb', 'cell')).toThrow(/format/);
    expect(() => runFromArtifact('not json', 'nb', 'cell')).toThrow();
  });
});

describe('runsCsv', () => {
  it('has a header and one row per run; commas, quotes and line breaks are quoted and read back', () => {
    const base = runFromArtifact(artifactText, 'nb', 'cell', { name: 'orders', columns: ['x', 'city', 'y'] });
    const names = ['gbdt, "v1"', 'plain', 'two\nlines'];
    const runs: RunRecord[] = names.map((name, i) => ({ ...base, id: `run-${i}`, name }));
    const text = runsCsv(runs);
    const [header, ...rows] = parseCsv(text);
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toHaveLength(header.length);
    const col = (k: string) => header.indexOf(k);
    expect(rows.map((r) => r[col('name')])).toEqual(names);
    expect(rows.map((r) => r[col('id')])).toEqual(['run-0', 'run-1', 'run-2']);
    expect(rows[0][col('features')]).toBe('x, city');
    for (const [m, v] of Object.entries(base.metrics.test)) expect(Number(rows[0][col(`test_${m}`)])).toBe(v);
    expect(text).toContain('"gbdt, ""v1"""');
    expect(text).toContain(',plain,');
  });
});

describe('fmtStd', () => {
  it('shows a CV spread with the mean’s fixed decimals, not in exponent form', async () => {
    const { fmtMetric, fmtStd } = await import('../runs.ts');
    expect(fmtStd(9.862e-4)).toBe('0.0010');
    expect(fmtStd(0.02064)).toBe('0.0206');
    expect(fmtStd(0)).toBe('0.0000');
    expect(fmtStd(123.456)).toBe('123.5');
    expect(fmtStd(undefined)).toBe('—');
    // The mean keeps its own format: both read as "0.7813 ± 0.0010".
    expect(`${fmtMetric(0.78131)} ± ${fmtStd(9.862e-4)}`).toBe('0.7813 ± 0.0010');
  });
});
