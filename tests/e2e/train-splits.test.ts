/**
 * Temporal and grouped splits in the train cell, end to end in headless Chromium against the built app:
 * a 20,000-row sample of the bundled flights-3m.parquet (date, distance, origin, destination;
 * late = delay > 15) → a train cell added through the menu → temporal split by `date` chosen in the
 * form → the preview's cut dates, date ranges, rows and late rate per part equal those computed here in
 * Node from the sample's rows (exported as CSV); train max < validation min < test min as displayed;
 * a GBDT trained on it was fitted on exactly the rows before the validation cut (the artifact's `date`
 * train range). Then a grouped split by `origin`: the stored run's artifact lists the origins it was
 * trained on, and exactly the shown train rows carry those origins (no validation / test row shares a
 * group with train); the group counts per part add up to the distinct origins. Screenshots of both
 * previews go to /tmp/split-temporal.png and /tmp/split-grouped.png.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { type E2E, openApp, startE2E, type TrackedPage } from './app.ts';
import { addTrainCell, runNotebook, storedRun, train } from './steps.ts';

const ROWS = 20_000;
const SAMPLE_SQL = `SELECT date, delay > 15 AS late, distance, origin, destination
  FROM flights USING SAMPLE ${ROWS} ROWS (reservoir, 7)`;

function notebookDoc(): NotebookDoc {
  const now = new Date().toISOString();
  return {
    format: 'benchtop-notebook',
    version: 1,
    id: `splits-e2e-${Date.now()}`,
    title: 'Flight delays — temporal and grouped splits',
    createdAt: now,
    updatedAt: now,
    cells: [
      {
        id: 'src',
        kind: 'source',
        config: { name: 'flights', ref: { type: 'bundled', id: 'flights-3m' } },
      },
      { id: 'smp', kind: 'sql', config: { name: 'sample', sql: SAMPLE_SQL } },
    ],
  };
}

interface Row {
  t: number;
  late: boolean;
  origin: string;
}

/** The sample's rows, exported by the app as CSV and parsed here (no commas inside these values). */
async function sampleRows(page: Page): Promise<Row[]> {
  const csv = await page.evaluate(async () =>
    new TextDecoder().decode(await window.benchtop!.exportCsv('sample')),
  );
  const [head, ...lines] = csv.trim().split(/\r?\n/);
  const cols = head.split(',');
  const [iDate, iLate, iOrigin] = ['date', 'late', 'origin'].map((c) => cols.indexOf(c));
  return lines.map((l) => {
    const v = l.split(',');
    // DuckDB writes TIMESTAMP as `YYYY-MM-DD HH:MM:SS` (UTC, no zone): the app reads it as epoch ms UTC.
    return { t: Date.parse(`${v[iDate].replace(' ', 'T')}Z`), late: v[iLate] === 'true', origin: v[iOrigin] };
  });
}

/** What the preview shows: `2001-03-04 17:25` for a timestamp (minutes), `2001-03-04` at midnight. */
const shownDate = (t: number): string =>
  new Date(t)
    .toISOString()
    .replace(/T00:00:00\.000Z$/, '')
    .replace('T', ' ')
    .replace(/:00\.000Z$/, '');
const shownPct = (x: number) => `${(x * 100).toFixed(1)}%`;

interface ShownPart {
  part: string;
  rows: number;
  rate: string;
  dates: string;
}

async function shownParts(cell: Locator): Promise<ShownPart[]> {
  return cell.locator('[data-testid=split-part]').evaluateAll((trs) =>
    trs.map((tr) => ({
      part: tr.getAttribute('data-part') ?? '',
      rows: Number((tr.querySelector('[data-testid=split-rows]')?.textContent ?? '').replace(/,/g, '')),
      rate: tr.querySelector('[data-testid=split-target]')?.textContent?.trim() ?? '',
      dates: tr.querySelector('[data-testid=split-dates]')?.textContent?.trim() ?? '',
    })),
  );
}

/** Wait until the preview reflects the split kind (it recomputes 150 ms after a form change). */
async function waitPreview(cell: Locator, kind: string): Promise<void> {
  await cell.locator(`[data-testid=split-preview][data-kind=${kind}]`).waitFor({ timeout: 30_000 });
}

interface StoredRun {
  config: { split: { kind: string; column?: string } };
  split: {
    kind: string;
    parts: Record<'train' | 'valid' | 'test', { rows: number; minDate?: string; maxDate?: string }>;
    temporal?: { cuts: { validStart?: string; testStart?: string } };
    grouped?: { column: string; groups: Record<'train' | 'valid' | 'test', number> };
  };
  artifact: ModelArtifact;
}

describe('temporal and grouped splits in the train cell (headless Chromium)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let cell: Locator;
  let rows: Row[];
  beforeAll(async () => {
    e2e = await startE2E();
    t = await openApp(e2e);
    await runNotebook(t.page, notebookDoc(), 180_000);
    rows = await sampleRows(t.page);
    cell = await addTrainCell(t.page);
    await cell.locator('[data-testid=train-table]').selectOption('sample');
    await cell.locator('[data-testid=train-target]').selectOption('late');
    await cell.locator('[data-testid=split-preview]').waitFor({ timeout: 30_000 });
    await cell.locator('[data-testid=train-family]').selectOption('gbdt');
    await cell.locator('[data-testid=param-nEstimators]').fill('20');
    await cell.locator('[data-testid=param-nEstimators]').press('Tab');
  }, 300_000);
  afterAll(async () => {
    await e2e?.close();
  });

  it('temporal split by date: the preview shows the true cut dates, ranges, rows and late rate', async () => {
    const { page } = t;
    expect(rows).toHaveLength(ROWS);
    await cell.locator('[data-testid=split-temporal]').click();
    await waitPreview(cell, 'temporal');
    await expect(cell.locator('[data-testid=split-column]').inputValue()).resolves.toBe('date');

    // Independently: sort the sample's timestamps; 70 / 15 / 15 of 20,000 rows puts the cuts before
    // the 14,001st and 17,001st rows, moved to the nearest timestamp boundary if a timestamp straddles
    // one (rows sharing a timestamp stay in one part).
    const times = rows.map((r) => r.t).sort((a, b) => a - b);
    const boundary = (pos: number): number => {
      if (times[pos - 1] !== times[pos]) return pos;
      let s = pos;
      while (s > 0 && times[s - 1] === times[pos]) s--;
      let e = pos;
      while (e < times.length && times[e] === times[pos]) e++;
      return pos - s <= e - pos ? s : e;
    };
    const c1 = boundary(0.7 * ROWS);
    const c2 = boundary(0.85 * ROWS);
    const validStart = times[c1];
    const testStart = times[c2];
    const partOf = (x: number) => (x < validStart ? 'train' : x < testStart ? 'validation' : 'test');
    const expected = ['train', 'validation', 'test'].map((part) => {
      const inPart = rows.filter((r) => partOf(r.t) === part);
      const ts = inPart.map((r) => r.t);
      return {
        part,
        rows: inPart.length,
        rate: shownPct(inPart.filter((r) => r.late).length / inPart.length),
        dates: `${shownDate(Math.min(...ts))} → ${shownDate(Math.max(...ts))}`,
      };
    });
    console.log(
      `cuts: validation from ${shownDate(validStart)}, test from ${shownDate(testStart)}; ${JSON.stringify(expected)}`,
    );
    const shown = await shownParts(cell);
    expect(shown).toEqual(expected);
    const cuts = cell.locator('[data-testid=split-cuts]');
    await expect(cuts.locator('[data-testid=cut-valid]').textContent()).resolves.toBe(shownDate(validStart));
    await expect(cuts.locator('[data-testid=cut-test]').textContent()).resolves.toBe(shownDate(testStart));

    // As displayed: train max < validation min < test min (and validation max < test min).
    const range = (s: string) => s.split(' → ').map((d) => Date.parse(`${d.replace(' ', 'T')}Z`));
    const [tr, va, te] = shown.map((p) => range(p.dates));
    expect(tr[1]).toBeLessThan(va[0]);
    expect(va[1]).toBeLessThan(te[0]);
    expect(va[0]).toBeLessThan(te[0]);
    await cell
      .locator('[data-testid=split-preview]')
      .evaluate((el) => el.closest('.split')?.scrollIntoView());
    await cell.locator('.split').first().screenshot({ path: '/tmp/split-temporal.png' });

    // Trained on that split: the model's train range of `date` ends before the validation cut.
    const meta = await train(page, cell);
    const run = await storedRun<StoredRun>(page, String(meta.runId));
    expect(run.config.split).toMatchObject({ kind: 'temporal', column: 'date' });
    expect(run.split.temporal?.cuts).toEqual({
      validStart: new Date(validStart).toISOString(),
      testStart: new Date(testStart).toISOString(),
    });
    expect(run.artifact.provenance.split.rows).toEqual({
      train: expected[0].rows,
      valid: expected[1].rows,
      test: expected[2].rows,
    });
    const dateField = run.artifact.inputSchema.find((f) => f.name === 'date');
    expect(dateField?.kind).toBe('datetime');
    expect(dateField?.min).toBe(times[0]);
    expect(dateField?.max).toBe(times[c1 - 1]);
    expect(dateField!.max!).toBeLessThan(validStart);
  });

  it('grouped split by origin: no origin in two parts (checked on the trained model)', async () => {
    const { page } = t;
    await cell.locator('[data-testid=split-grouped]').click();
    await waitPreview(cell, 'grouped');
    await cell.locator('[data-testid=split-column]').selectOption('origin');
    await cell.locator('[data-testid=split-groups][data-column=origin]').waitFor({ timeout: 30_000 });
    const shown = await shownParts(cell);
    expect(shown.map((p) => p.rows).reduce((a, b) => a + b, 0)).toBe(ROWS);
    const groups = cell.locator('[data-testid=split-groups]');
    const shownGroups = await Promise.all(
      ['train', 'valid', 'test'].map(async (p) => Number(await groups.getAttribute(`data-${p}`))),
    );
    const origins = new Set(rows.map((r) => r.origin));
    // Every origin is counted in exactly one part.
    expect(shownGroups.reduce((a, b) => a + b, 0)).toBe(origins.size);
    await cell.locator('.split').first().screenshot({ path: '/tmp/split-grouped.png' });

    const meta = await train(page, cell);
    const run = await storedRun<StoredRun>(page, String(meta.runId));
    expect(run.config.split).toMatchObject({ kind: 'grouped', column: 'origin' });
    expect(run.split.grouped?.groups).toEqual({
      train: shownGroups[0],
      valid: shownGroups[1],
      test: shownGroups[2],
    });
    // The pipeline was fitted on the training rows only, so the artifact's origin levels are exactly
    // the origins of the rows the model trained on. If any validation or test row shared an origin
    // with train, more rows than the shown train rows would carry those origins.
    const trainOrigins = new Set(run.artifact.inputSchema.find((f) => f.name === 'origin')?.categories);
    expect(trainOrigins.size).toBe(shownGroups[0]);
    const rowsWithTrainOrigin = rows.filter((r) => trainOrigins.has(r.origin)).length;
    expect(rowsWithTrainOrigin).toBe(shown[0].rows);
    expect(run.artifact.provenance.split.rows.train).toBe(shown[0].rows);
    // Rates shown per part agree with the rows: the train part's late rate, recomputed here.
    const trainRows = rows.filter((r) => trainOrigins.has(r.origin));
    expect(shown[0].rate).toBe(shownPct(trainRows.filter((r) => r.late).length / trainRows.length));
    const rest = rows.filter((r) => !trainOrigins.has(r.origin));
    const restLate = rest.filter((r) => r.late).length;
    // Validation + test together: their rows and late counts add up to the rows outside train.
    expect(shown[1].rows + shown[2].rows).toBe(rest.length);
    const lateShown = shown
      .slice(1)
      .map((p) => (Number.parseFloat(p.rate) / 100) * p.rows)
      .reduce((a, b) => a + b, 0);
    expect(Math.abs(lateShown - restLate)).toBeLessThan(0.001 * (shown[1].rows + shown[2].rows) + 1);
    expect(t.errors).toEqual([]);
  });
});
