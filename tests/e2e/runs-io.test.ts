/**
 * Model artifacts and the runs table's exports, end to end in headless Chromium against the built app:
 * a small GBDT (and a logistic regression) trained on a flights sample, with run names holding commas
 * and quotes → "↓ model" downloads the artifact (a real download event); the file parses with the
 * shared loader (src/core/ml/artifact.ts `loadArtifact`, here in Node) and predicts, for a few rows
 * filled from the table, exactly the probability the predict cell shows → uploaded into a fresh notebook
 * through "↑ Upload model", the run is back in the runs table and the predict cell uses it (same
 * probability as Node) → "↓ JSON" and "↓ CSV" exports: the JSON's metrics equal the stored runs;
 * the CSV parses (RFC 4180) with a header and one row per run, names with commas / quotes intact.
 */
import { readFileSync } from 'node:fs';
import type { Download, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact, type ModelArtifact } from '../../src/core/ml/artifact.ts';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { type E2E, openApp, settle, startE2E, type TrackedPage } from './app.ts';
import { flightsNotebook } from './flights.ts';
import { runNotebook, storedRuns } from './steps.ts';

const GBDT_NAME = 'gbdt, "small" · late';
const LINEAR_NAME = 'logistic; plain, v2';

function firstNotebook(): NotebookDoc {
  const doc = flightsNotebook({ id: 'runs-io-e2e', title: 'Runs I/O', rows: 4000, trees: 20 });
  const trn = doc.cells.find((c) => c.id === 'trn')!;
  trn.config = { ...trn.config, name: GBDT_NAME };
  doc.cells.push(
    {
      id: 'lin',
      kind: 'train',
      config: { ...trn.config, family: 'linear', params: { maxIterations: 100 }, name: LINEAR_NAME },
    },
    { id: 'prd', kind: 'predict', config: { runId: 'latest', trainCell: 'trn', input: 'sample' } },
  );
  return doc;
}

/** A fresh notebook over the same sample: an untrained train cell (for its runs table) and a predict cell. */
function freshNotebook(): NotebookDoc {
  const doc = flightsNotebook({ id: 'runs-io-fresh', title: 'Runs I/O — upload', rows: 4000, trees: 20 });
  const trn = doc.cells.find((c) => c.id === 'trn')!;
  // No target: the cell does not train on "Run all"; its view still lists the notebook's runs.
  trn.config = { ...trn.config, target: '' };
  doc.cells.push({ id: 'prd', kind: 'predict', config: { runId: 'latest' } });
  return doc;
}

interface StoredRun {
  id: string;
  name: string;
  notebookId: string;
  origin: string;
  metrics: { valid: Record<string, number>; test: Record<string, number> };
  baseline: { valid: Record<string, number>; test: Record<string, number> };
  config: { family: string; features: string[] };
  artifact: ModelArtifact;
}

async function downloadOf(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const next: Promise<Download> = page.waitForEvent('download');
  await click();
  const download = await next;
  const path = await download.path();
  return { name: download.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks. */
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
    } else if (ch === '"') {
      if (cell !== '') throw new Error(`CSV: a quote inside an unquoted field at ${i}`);
      quoted = true;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (quoted) throw new Error('CSV: unterminated quoted field');
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** The record behind the predict cell's shown result and the probability it shows. */
async function shownPrediction(cell: Locator): Promise<{ record: Record<string, unknown>; p: number }> {
  const out = cell.locator('[data-testid=predict-result]');
  const record = JSON.parse((await out.getAttribute('data-record')) || '{}') as Record<string, unknown>;
  const p = Number(await cell.locator('[data-testid=predict-probability]').getAttribute('data-value'));
  return { record, p };
}

/** Fill the predict cell from row `n` of its table and wait until the shown result is that record. */
async function fillRow(
  page: Page,
  cell: Locator,
  n: number,
): Promise<{ record: Record<string, unknown>; p: number }> {
  const expected = await page.evaluate(async (n) => {
    const csv = new TextDecoder().decode(await window.benchtop!.exportCsv('sample'));
    const [head, ...lines] = csv.trim().split('\n');
    const cols = head.split(',');
    const v = lines[n].split(',');
    return Number(v[cols.indexOf('distance')]);
  }, n);
  await cell.locator('[data-testid=predict-row]').fill(String(n));
  await cell.locator('[data-testid=predict-fill]').click();
  await expect
    .poll(async () => (await shownPrediction(cell)).record.distance, { timeout: 10_000 })
    .toBe(expected);
  return shownPrediction(cell);
}

describe('model artifact download / upload and runs export (headless Chromium)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let page: Page;
  let artifactText: string;
  let gbdtRun: StoredRun;
  const shownRows: { record: Record<string, unknown>; p: number }[] = [];
  beforeAll(async () => {
    e2e = await startE2E();
    t = await openApp(e2e);
    page = t.page;
    await runNotebook(page, firstNotebook(), 240_000);
  }, 300_000);
  afterAll(async () => {
    await e2e?.close();
  });

  it('downloads the GBDT artifact: it loads in Node and predicts what the predict cell shows', async () => {
    const states = await page.evaluate(() => window.benchtop!.states());
    for (const id of ['trn', 'lin', 'prd']) expect(states[id]?.status, states[id]?.error).toBe('ok');
    const runs = await storedRuns<StoredRun>(page);
    expect(runs.map((r) => r.name).sort()).toEqual([GBDT_NAME, LINEAR_NAME].sort());
    gbdtRun = runs.find((r) => r.name === GBDT_NAME)!;

    const trainCell = page.locator('[data-testid=cell][data-cell-id=trn]');
    const row = trainCell.locator(`[data-testid=run-row][data-run-id="${gbdtRun.id}"]`);
    const file = await downloadOf(page, () => row.locator('[data-testid=run-download]').click());
    expect(file.name).toBe('gbdt-small-late.model.json');
    artifactText = file.text;
    const parsed = JSON.parse(artifactText) as ModelArtifact;
    expect(parsed.format).toBe('benchtop-model');
    expect(parsed.model.family).toBe('gbdt');
    expect(parsed.metrics).toEqual(gbdtRun.metrics);
    const model = await loadArtifact(parsed);

    const predict = page.locator('[data-testid=cell][data-cell-id=prd]');
    await predict.locator('[data-testid=predict-probability]').waitFor({ timeout: 60_000 });
    for (const n of [0, 1, 7]) {
      const shown = await fillRow(page, predict, n);
      const [node] = await model.predictRecords([shown.record]);
      console.log(
        `row ${n}: ${JSON.stringify(shown.record)} → browser ${shown.p}, Node ${node.prediction.output[0]}`,
      );
      expect(node.prediction.output[0]).toBe(shown.p);
      shownRows.push(shown);
    }
    // Not all the same prediction (the rows differ).
    expect(new Set(shownRows.map((s) => s.p)).size).toBeGreaterThan(1);
  });

  it('exports the runs as JSON: metrics equal the stored runs', async () => {
    const runs = await storedRuns<StoredRun>(page);
    const table = page.locator('[data-testid=cell][data-cell-id=trn] [data-testid=runs-table]');
    const file = await downloadOf(page, () => table.locator('[data-testid=runs-export-json]').click());
    expect(file.name).toBe('benchtop-runs.json');
    const exported = JSON.parse(file.text) as (Omit<StoredRun, 'artifact'> & { artifactName: string })[];
    expect(exported).toHaveLength(runs.length);
    for (const r of runs) {
      const e = exported.find((x) => x.id === r.id)!;
      expect(e, r.id).toBeDefined();
      expect(e.name).toBe(r.name);
      expect(e.metrics).toEqual(r.metrics);
      expect(e.baseline).toEqual(r.baseline);
      expect(e.artifactName).toBe(r.artifact.name);
      expect('artifact' in e).toBe(false);
    }
  });

  it('exports the runs as CSV: header, one row per run, commas and quotes quoted', async () => {
    const runs = await storedRuns<StoredRun>(page);
    const table = page.locator('[data-testid=cell][data-cell-id=trn] [data-testid=runs-table]');
    const file = await downloadOf(page, () => table.locator('[data-testid=runs-export-csv]').click());
    expect(file.name).toBe('benchtop-runs.csv');
    const [header, ...rows] = parseCsv(file.text);
    expect(rows).toHaveLength(runs.length);
    for (const row of rows) expect(row).toHaveLength(header.length);
    const col = (name: string) => {
      const i = header.indexOf(name);
      expect(i, `CSV column ${name}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    for (const r of runs) {
      const row = rows.find((x) => x[col('id')] === r.id)!;
      expect(row, r.id).toBeDefined();
      expect(row[col('name')]).toBe(r.name);
      expect(row[col('family')]).toBe(r.config.family);
      expect(row[col('features')]).toBe(r.config.features.join(', '));
      for (const part of ['valid', 'test'] as const) {
        for (const [m, v] of Object.entries(r.metrics[part]))
          expect(Number(row[col(`${part}_${m}`)])).toBe(v);
        for (const [m, v] of Object.entries(r.baseline[part]))
          expect(Number(row[col(`baseline_${part}_${m}`)])).toBe(v);
      }
    }
    // The raw text quotes exactly the fields that need it.
    expect(file.text).toContain('"gbdt, ""small"" · late"');
    expect(file.text).toContain('"logistic; plain, v2"');
  });

  it('uploads the artifact into a fresh notebook: the run is back and the predict cell uses it', async () => {
    await runNotebook(page, freshNotebook(), 240_000);
    expect(await storedRuns<StoredRun>(page)).toEqual([]);
    const trainCell = page.locator('[data-testid=cell][data-cell-id=trn]');
    await trainCell.locator('[data-testid=runs-upload-input]').setInputFiles({
      name: 'gbdt-small-late.model.json',
      mimeType: 'application/json',
      buffer: Buffer.from(artifactText),
    });
    const row = trainCell.locator('[data-testid=run-row]');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    await expect(row.locator('.name').textContent()).resolves.toContain('uploaded');
    const [uploaded] = await storedRuns<StoredRun>(page);
    expect(uploaded.origin).toBe('upload');
    // Uploaded into a train cell whose table has the model's input columns: tied to that table.
    expect((uploaded.config as { input?: string }).input).toBe('sample');
    expect(uploaded.metrics).toEqual(gbdtRun.metrics);
    expect(uploaded.artifact).toEqual(JSON.parse(artifactText));

    // The predict cell follows the newest run of the notebook: the uploaded one.
    const predict = page.locator('[data-testid=cell][data-cell-id=prd]');
    await page.evaluate(() => window.benchtop!.runAll());
    await settle(page);
    const state = await page.evaluate(() => window.benchtop!.states().prd);
    expect(state.status, state.error).toBe('ok');
    expect(state.result?.meta?.runId).toBe(uploaded.id);
    await predict.locator('[data-testid=predict-probability]').waitFor({ timeout: 60_000 });
    const model = await loadArtifact(JSON.parse(artifactText));
    const first = await shownPrediction(predict);
    const [node] = await model.predictRecords([first.record]);
    expect(node.prediction.output[0]).toBe(first.p);
    // Same rows of the same table: the same probabilities as the original run showed.
    for (const [i, n] of [0, 1, 7].entries()) {
      const shown = await fillRow(page, predict, n);
      expect(shown).toEqual(shownRows[i]);
    }
    expect(t.errors).toEqual([]);
  });

  it('an artifact uploaded where no table has its columns still predicts typed-in records', async () => {
    const trainCell = page.locator('[data-testid=cell][data-cell-id=trn]');
    await trainCell.locator('[data-testid=run-row] [data-testid=run-delete]').click();
    await expect.poll(async () => (await storedRuns<StoredRun>(page)).length, { timeout: 10_000 }).toBe(0);
    // The bundled flights table has no `period` column: the uploaded model cannot be tied to it.
    await trainCell.locator('[data-testid=train-table]').selectOption('flights');
    await trainCell.locator('[data-testid=runs-upload-input]').setInputFiles({
      name: 'gbdt-small-late.model.json',
      mimeType: 'application/json',
      buffer: Buffer.from(artifactText),
    });
    await expect.poll(async () => (await storedRuns<StoredRun>(page)).length, { timeout: 10_000 }).toBe(1);
    const [uploaded] = await storedRuns<StoredRun>(page);
    expect((uploaded.config as { input?: string }).input).toBe('');
    const predict = page.locator('[data-testid=cell][data-cell-id=prd]');
    await page.evaluate(() => window.benchtop!.runAll());
    await settle(page);
    const state = await page.evaluate(() => window.benchtop!.states().prd);
    expect(state.status, state.error).toBe('ok');
    expect(state.result?.meta?.runId).toBe(uploaded.id);
    await predict.locator('[data-testid=predict-probability]').waitFor({ timeout: 60_000 });
    expect(await predict.locator('[data-testid=predict-row]').count()).toBe(0);
    const model = await loadArtifact(JSON.parse(artifactText));
    const shown = await shownPrediction(predict);
    const [node] = await model.predictRecords([shown.record]);
    expect(node.prediction.output[0]).toBe(shown.p);
    expect(t.errors).toEqual([]);
  });
});
