/**
 * The evaluate cell end to end in headless Chromium against the built app: a 15,000-row sample of the
 * bundled flights (late = delay > 15, plus a categorical `period` of the day) → a GBDT trained by the
 * app's train cell → an evaluate cell added through the menu (it follows the latest run of that train
 * cell) → metrics with intervals beside the baseline, ROC / PR / calibration / gains charts → the
 * threshold slider and a cost edit change the expected value per 1,000 cases, which must equal the
 * value computed here from the confusion matrix the panel shows → a slice opens → a worst row opens
 * its explanation. Saves the evaluate-cell.png README screenshot (steps.ts docShot).
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2E, openApp, startE2E, type TrackedPage } from './app.ts';
import { flightsNotebook } from './flights.ts';
import { addCell, docShot, runNotebook } from './steps.ts';

const notebookDoc = () =>
  flightsNotebook({ id: 'evaluate-e2e', title: 'Flight delays — evaluation', rows: 15000, trees: 40 });

const num = (s: string | null) => Number((s ?? '').replace(/,/g, '').replace('−', '-'));

/** The confusion matrix and costs the panel shows → expected value per 1,000 cases, computed here. */
async function independentValue(cell: Locator): Promise<{ shown: number; computed: number }> {
  const c: Record<string, number> = {};
  for (const k of ['tp', 'fp', 'fn', 'tn']) {
    c[k] = num(await cell.locator(`[data-testid=cm-${k}]`).textContent());
    c[`v${k}`] = Number(await cell.locator(`[data-testid=cost-${k}]`).inputValue());
  }
  const n = c.tp + c.fp + c.fn + c.tn;
  const computed = ((c.tp * c.vtp + c.fp * c.vfp + c.fn * c.vfn + c.tn * c.vtn) / n) * 1000;
  const shown = num(await cell.locator('[data-testid=ev-value]').textContent());
  return { shown, computed };
}

describe('evaluate cell (headless Chromium)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let page: Page;
  let cell: Locator;
  beforeAll(async () => {
    e2e = await startE2E();
    t = await openApp(e2e);
    page = t.page;
    await runNotebook(page, notebookDoc(), 240_000);
  }, 300_000);
  afterAll(async () => {
    await e2e?.close();
  });

  it('trains a GBDT, then an evaluate cell added through the menu evaluates its latest run', async () => {
    const train = await page.evaluate(() => window.benchtop!.states().trn);
    expect(train.status, train.error).toBe('ok');
    const runId = train.result!.meta!.runId as string;
    cell = await addCell(page, 'evaluate', 'evaluate-cell');
    await cell.locator('[data-testid=eval-result]').waitFor({ timeout: 120_000 });
    const id = (await cell.getAttribute('data-cell-id'))!;
    const state = await page.evaluate((id) => window.benchtop!.states()[id], id);
    expect(state.status, state.error).toBe('ok');
    const meta = state.result!.meta as {
      runId: string;
      evaluation: { n: number; consistency: { stored: number; recomputed: number }; task: string };
    };
    expect(meta.runId).toBe(runId);
    expect(meta.evaluation.task).toBe('binary');
    // Same split rows as the training: the recomputed test AUC is the stored one.
    expect(
      Math.abs(meta.evaluation.consistency.recomputed - meta.evaluation.consistency.stored),
    ).toBeLessThan(1e-9);
    const rows = cell.locator('[data-testid=eval-metric]');
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')))).toEqual([
      'auc',
      'ap',
      'logloss',
      'brier',
      'accuracy',
      'precision',
      'recall',
      'f1',
    ]);
    const auc = num(await rows.first().locator('[data-testid=eval-metric-value]').textContent());
    expect(auc).toBeGreaterThan(0.5);
    for (const c of ['roc', 'pr', 'calibration', 'gains', 'shap', 'permutation'])
      await cell.locator(`[data-testid=chart-${c}] svg`).first().waitFor();
    expect(await cell.locator('[data-testid=trust-line]').count()).toBeGreaterThanOrEqual(4);
  }, 180_000);

  it('moving the threshold and editing a cost change the expected value, which matches the confusion matrix shown', async () => {
    const v0 = await independentValue(cell);
    expect(Math.abs(v0.shown - v0.computed)).toBeLessThanOrEqual(0.05 + 1e-9);
    const tp0 = await cell.locator('[data-testid=cm-tp]').textContent();
    await cell.locator('[data-testid=threshold-slider]').fill('0.2');
    await expect.poll(() => cell.locator('[data-testid=cm-tp]').textContent()).not.toBe(tp0);
    const v1 = await independentValue(cell);
    expect(v1.shown).not.toBe(v0.shown);
    expect(Math.abs(v1.shown - v1.computed)).toBeLessThanOrEqual(0.05 + 1e-9);
    await cell.locator('[data-testid=cost-fp]').fill('-35');
    await cell.locator('[data-testid=cost-fp]').press('Tab');
    await expect.poll(async () => (await independentValue(cell)).shown).not.toBe(v1.shown);
    const v2 = await independentValue(cell);
    expect(Math.abs(v2.shown - v2.computed)).toBeLessThanOrEqual(0.05 + 1e-9);
    // The threshold and costs are saved in the cell's config without re-running it.
    const cfg = await page.evaluate(
      (id) => window.benchtop!.notebook().cells.find((c) => c.id === id)!.config,
      (await cell.getAttribute('data-cell-id'))!,
    );
    expect(cfg).toMatchObject({ threshold: 0.2, costs: { fp: -35 } });
    console.log(`EV per 1,000: @0.5 ${v0.shown}, @0.2 ${v1.shown}, fp −35 ${v2.shown}`);
  });

  it('opens a slice and a worst row’s explanation', async () => {
    const slice = cell.locator('[data-testid=slice-row]').first();
    const feature = await slice.getAttribute('data-feature');
    expect(['distance', 'time', 'period']).toContain(feature);
    await slice.click();
    const detail = cell.locator('[data-testid=slice-detail]');
    await detail.waitFor();
    expect(await detail.textContent()).toMatch(/observed positive rate[\s\S]*95 % bootstrap interval/);
    expect(await cell.locator('[data-testid=slice-row][data-feature=period]').count()).toBe(3);
    await cell.locator('[data-testid=worst-row]').first().click();
    await cell.locator('[data-testid=worst-explanation] svg').waitFor();
    expect(await cell.locator('[data-testid=worst-explanation]').textContent()).toMatch(/TreeSHAP/);
    // A viewport as tall as the page, so the sticky notebook header does not cover part of the cell.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: 1280, height: Math.min(8000, height + 40) });
    await page.evaluate(() => window.scrollTo(0, 0));
    await cell.screenshot({ path: docShot('evaluate-cell.png') });
    expect(t.errors).toEqual([]);
  });
});
