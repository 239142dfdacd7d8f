/**
 * Evaluating a model on another table, end to end in headless Chromium against the built app: a GBDT
 * trained on a flights sample → its artifact downloaded from the runs table (a real download) →
 * uploaded into a fresh notebook whose train cell's table lacks the model's columns (so the run has no
 * table of its own: evaluating its split says so) → the evaluate cell's "On" choice set to
 * `next_month`, another sample with the right columns → every row is scored ("all N rows of
 * next_month (no split)"), and the shown AUC equals an independent computation in Node: the
 * downloaded artifact loaded with the shared loader (src/core/ml/artifact.ts), the same rows (exported
 * as CSV from the page) predicted record by record, AUC from src/core/ml/metrics.ts → a table without
 * the `period` column gives an error naming the column and the table. The choice is stored in the
 * cell's config. Saves /tmp/evaluate-table.png.
 */
import { readFileSync } from 'node:fs';
import type { Download, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact, type ModelArtifact } from '../../src/core/ml/artifact.ts';
import { rocAuc } from '../../src/core/ml/metrics.ts';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { type E2E, openApp, settle, startE2E, type TrackedPage } from './app.ts';
import { flightsNotebook } from './flights.ts';

/** The fresh notebook: flights, two candidate tables, an untrained train cell on `flights`, an evaluate cell. */
function freshNotebook(): NotebookDoc {
  const doc = flightsNotebook({
    id: 'eval-table-fresh',
    title: 'Evaluate on next month',
    rows: 3000,
    trees: 20,
  });
  const period = `CASE WHEN time < 10 THEN 'morning' WHEN time < 16 THEN 'midday' ELSE 'evening' END`;
  doc.cells = [
    doc.cells[0],
    {
      id: 'nxt',
      kind: 'sql',
      config: {
        name: 'next_month',
        sql: `SELECT delay > 15 AS late, distance, time, ${period} AS period FROM flights USING SAMPLE 2500 ROWS (reservoir, 7)`,
      },
    },
    {
      id: 'nop',
      kind: 'sql',
      config: { name: 'no_period', sql: 'SELECT delay > 15 AS late, distance, time FROM flights LIMIT 500' },
    },
    // No target: it does not train; its runs table takes the upload. `flights` lacks `period`, so the
    // uploaded run gets no table of its own.
    { id: 'trn', kind: 'train', config: { ...doc.cells[2].config, input: 'flights', target: '' } },
    { id: 'evl', kind: 'evaluate', config: { runId: 'latest', input: '', part: 'test' } },
  ];
  return doc;
}

/** RFC 4180 without quoted fields (the exported columns hold none). */
function csvRows(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => {
    const v = l.split(',');
    if (v.length !== cols.length)
      throw new Error(`CSV line with ${v.length} fields, expected ${cols.length}: ${l}`);
    return Object.fromEntries(cols.map((c, i) => [c, v[i]]));
  });
}

describe('evaluate a model on another table (headless Chromium)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let page: Page;
  let artifactText: string;
  let cell: Locator;
  beforeAll(async () => {
    e2e = await startE2E();
    t = await openApp(e2e);
    page = t.page;
    await page.evaluate(
      async (doc) => {
        await window.benchtop!.openNotebook(doc);
        await window.benchtop!.runAll();
      },
      flightsNotebook({ id: 'eval-table-train', title: 'Train', rows: 3000, trees: 20 }),
    );
    await settle(page, 240_000);
  }, 300_000);
  afterAll(async () => {
    await e2e?.close();
  });

  it('downloads a trained artifact and uploads it into a fresh notebook: its split cannot be evaluated', async () => {
    const trn = await page.evaluate(() => window.benchtop!.states().trn);
    expect(trn.status, trn.error).toBe('ok');
    const row = page.locator('[data-testid=cell][data-cell-id=trn] [data-testid=run-row]').first();
    const next: Promise<Download> = page.waitForEvent('download');
    await row.locator('[data-testid=run-download]').click();
    artifactText = readFileSync(await (await next).path(), 'utf8');
    expect((JSON.parse(artifactText) as ModelArtifact).model.family).toBe('gbdt');

    await page.evaluate(async (doc) => {
      await window.benchtop!.openNotebook(doc);
      await window.benchtop!.runAll();
    }, freshNotebook());
    await settle(page, 240_000);
    await page.locator('[data-testid=cell][data-cell-id=trn] [data-testid=runs-upload-input]').setInputFiles({
      name: 'gbdt.model.json',
      mimeType: 'application/json',
      buffer: Buffer.from(artifactText),
    });
    cell = page.locator('[data-testid=cell][data-cell-id=evl]');
    // The evaluate cell follows the newest run (the uploaded one) and re-runs: it has no table here.
    await expect
      .poll(
        async () =>
          (await cell
            .locator('[data-testid=cell-error]')
            .textContent()
            .catch(() => '')) ?? '',
        {
          timeout: 30_000,
        },
      )
      .toContain('has no training table in this notebook');
  });

  it('evaluates every row of next_month: the AUC shown equals Node’s, from the same artifact and rows', async () => {
    await cell.locator('[data-testid=eval-on]').selectOption('next_month');
    await expect(cell.locator('[data-testid=eval-on-note]')).toBeDefined();
    await settle(page, 180_000);
    const state = await page.evaluate(() => window.benchtop!.states().evl);
    expect(state.status, state.error).toBe('ok');
    const cfg = await page.evaluate(
      () => window.benchtop!.notebook().cells.find((c) => c.id === 'evl')!.config,
    );
    expect(cfg.table).toBe('next_month');

    const csv = new TextDecoder().decode(
      Uint8Array.from(
        await page.evaluate(async () => Array.from(await window.benchtop!.exportCsv('next_month'))),
      ),
    );
    const rows = csvRows(csv);
    expect(rows).toHaveLength(2500);
    const model = await loadArtifact(JSON.parse(artifactText) as ModelArtifact);
    const preds = await model.predictRecords(
      rows.map((r) => ({ distance: Number(r.distance), time: Number(r.time), period: r.period })),
    );
    const positive = model.artifact.classes![1];
    const y = rows.map((r) => (r.late === positive ? 1 : 0));
    const nodeAuc = rocAuc(
      y,
      preds.map((p) => p.prediction.output[0]),
    );
    const auc = cell.locator('[data-testid=eval-metric][data-metric=auc] [data-testid=eval-metric-value]');
    const shown = Number(await auc.getAttribute('data-value'));
    console.log(`AUC on next_month: browser ${shown}, Node ${nodeAuc} (${rows.length} rows)`);
    expect(Math.abs(shown - nodeAuc)).toBeLessThan(1e-12);
    expect(nodeAuc).toBeGreaterThan(0.55);
    expect(await auc.textContent()).toBe(nodeAuc.toFixed(3));
    await expect(cell.locator('[data-testid=eval-rows]').textContent()).resolves.toContain(
      'all 2,500 rows of next_month (no split)',
    );
    // The same blocks as a split evaluation.
    for (const id of ['chart-roc', 'chart-calibration', 'chart-shap', 'chart-permutation', 'worst-rows'])
      expect(await cell.locator(`[data-testid=${id}]`).count(), id).toBeGreaterThan(0);
    await cell.screenshot({ path: '/tmp/evaluate-table.png' });
    expect(t.errors).toEqual([]);
  });

  it('a table without the period column: the error names the column and the table', async () => {
    await cell.locator('[data-testid=eval-on]').selectOption('no_period');
    await settle(page, 60_000);
    const state = await page.evaluate(() => window.benchtop!.states().evl);
    expect(state.status).toBe('error');
    const err = (await cell.locator('[data-testid=cell-error]').textContent()) ?? '';
    expect(err).toContain('on table no_period');
    expect(err).toContain('lacks the column "period"');
    // The option itself already says what the table lacks.
    const label = await cell.locator('[data-testid=eval-on] option[value=no_period]').textContent();
    expect(label).toContain('lacks period');
    await page.screenshot({ path: '/tmp/evaluate-table-error.png' });
    expect(t.errors).toEqual([]);
  });
});
