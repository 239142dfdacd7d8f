/**
 * The train cell end to end, as a user drives it, in headless Chromium against the built app: a
 * 15,000-row sample of the bundled flights (late = delay > 15) → three train cells added through the
 * menu and filled through the form (logistic regression, MLP, GBDT) → three runs in the runs table →
 * compare two (the diff names the family) → reload: all three runs are still there. Then the same
 * config and seed trained twice give identical metrics, and Cancel during an MLP run stops within a
 * second and stores no run. Finally a GBDT cell with balanced class weights and a 3-trial hyperparameter
 * search shows the trials table with the chosen trial highlighted. Saves the train-cell.png README screenshot (steps.ts docShot).
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { type E2E, openApp, settle, startE2E, type TrackedPage } from './app.ts';
import { addTrainCell, docShot, runNotebook, storedRuns as allRuns, train } from './steps.ts';

/** The open notebook's stored runs: id, family and name. */
async function storedRuns(page: Page): Promise<{ id: string; family: string; name: string }[]> {
  const all = await allRuns<{ id: string; notebookId: string; name: string; config: { family: string } }>(
    page,
  );
  return all.map((r) => ({ id: r.id, family: r.config.family, name: r.name }));
}

const SAMPLE_SQL =
  'SELECT row_number() OVER () AS flight_id, delay > 15 AS late, delay, distance, time FROM flights USING SAMPLE 15000 ROWS (reservoir, 42)';

function notebookDoc(): NotebookDoc {
  const now = new Date().toISOString();
  return {
    format: 'benchtop-notebook',
    version: 1,
    id: `train-e2e-${Date.now()}`,
    title: 'Flight delays — training',
    createdAt: now,
    updatedAt: now,
    cells: [
      {
        id: 'src',
        kind: 'source',
        config: { name: 'flights', ref: { type: 'bundled', id: 'flights-200k' } },
      },
      { id: 'smp', kind: 'sql', config: { name: 'sample', sql: SAMPLE_SQL } },
    ],
  };
}

/** Fill the form: table, target, family and a few params; wait for the split preview. */
async function fillForm(
  cell: Locator,
  family: string,
  params: Record<string, string>,
  name: string,
): Promise<void> {
  await cell.locator('[data-testid=train-table]').selectOption('sample');
  await cell.locator('[data-testid=train-target]').selectOption('late');
  await cell.locator('[data-testid=split-preview]').waitFor({ timeout: 30_000 });
  await cell.locator('[data-testid=train-family]').selectOption(family);
  for (const [k, v] of Object.entries(params)) {
    await cell.locator(`[data-testid=param-${k}]`).fill(v);
    await cell.locator(`[data-testid=param-${k}]`).press('Tab');
  }
  await cell.locator('[data-testid=train-name]').fill(name);
  await cell.locator('[data-testid=train-name]').press('Tab');
  // Default features exclude the identifier and the leak (delay defines late).
  await cell.locator('[data-testid=excluded-feature][data-column=flight_id]').waitFor({ timeout: 30_000 });
  await cell.locator('[data-testid=excluded-feature][data-column=delay]').waitFor({ timeout: 30_000 });
}

describe('train cell (headless Chromium)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let cells: Locator[] = [];
  const metas: Record<string, unknown>[] = [];
  beforeAll(async () => {
    e2e = await startE2E();
    t = await openApp(e2e);
    await runNotebook(t.page, notebookDoc());
  });
  afterAll(async () => {
    await e2e?.close();
  });

  it('trains logistic regression, an MLP and GBDT through the form; three runs in the table', async () => {
    const { page } = t;
    const specs: [string, Record<string, string>, string][] = [
      ['linear', { maxIterations: '200' }, 'logistic'],
      ['mlp', { epochs: '4', hiddenLayers: '32, 16' }, 'mlp small'],
      ['gbdt', { nEstimators: '40' }, 'gbdt 40 trees'],
    ];
    for (const [family, params, name] of specs) {
      const cell = await addTrainCell(page);
      await fillForm(cell, family, params, name);
      const features = await cell
        .locator('[data-testid=feature-chip]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-column')));
      expect(features).toEqual(['distance', 'time']);
      // Split preview before training: three parts, rows adding up to the sample.
      const rows = await cell.locator('[data-testid=split-rows]').allTextContents();
      expect(rows.map((r) => Number(r.replace(/,/g, ''))).reduce((a, b) => a + b, 0)).toBe(15000);
      await expect(cell.locator('[data-testid=train-detected-task]').textContent()).resolves.toContain(
        'binary',
      );
      const meta = await train(page, cell);
      console.log(
        `${family}: valid ${JSON.stringify((meta.metrics as { valid: unknown }).valid)} backend ${meta.backend}`,
      );
      expect(meta.family).toBe(family);
      expect(meta.task).toBe('binary');
      expect(meta.backend).toBe('wasm');
      expect(meta.features).toEqual(['distance', 'time']);
      const m = meta.metrics as { valid: Record<string, number>; test: Record<string, number> };
      expect(m.valid.auc).toBeGreaterThan(0.5);
      expect(m.test.auc).toBeGreaterThan(0.5);
      await cell.locator('[data-testid=train-metrics]').waitFor();
      await cell.locator('[data-testid=train-loss-chart] svg').waitFor();
      cells.push(cell);
      metas.push(meta);
    }
    const last = cells[2];
    await expect.poll(() => last.locator('[data-testid=run-row]').count(), { timeout: 10_000 }).toBe(3);
    const families = await last
      .locator('[data-testid=run-row]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-family')).sort());
    expect(families).toEqual(['gbdt', 'linear', 'mlp']);
    await last.scrollIntoViewIfNeeded();
    await page.screenshot({ path: '/tmp/train-after.png', fullPage: false });
    await last.screenshot({ path: docShot('train-cell.png') });
  });

  it('compares two runs: the diff shows the family', async () => {
    const last = cells[2];
    const rows = last.locator('[data-testid=run-row]');
    await rows.nth(0).locator('[data-testid=run-select]').check();
    await rows.nth(1).locator('[data-testid=run-select]').check();
    await last.locator('[data-testid=runs-compare-button]').click();
    const cmp = last.locator('[data-testid=runs-compare]');
    await cmp.waitFor();
    const familyRow = cmp.locator('[data-testid=compare-config-row][data-key=family]');
    await familyRow.waitFor();
    const text = await familyRow.textContent();
    expect(text).toMatch(/gbdt|mlp|linear/);
    expect(await cmp.locator('[data-testid=compare-delta]').count()).toBeGreaterThan(0);
    await cmp.screenshot({ path: '/tmp/train-compare.png' });
  });

  it('after a reload the three runs are still there', async () => {
    const { page } = t;
    const before = await storedRuns(page);
    expect(before.map((r) => r.family).sort()).toEqual(['gbdt', 'linear', 'mlp']);
    await page.reload();
    await page.waitForFunction(() => window.benchtop !== undefined);
    await page.evaluate(() => window.benchtop!.ready());
    await settle(page, 180_000);
    const after = await storedRuns(page);
    expect(after.map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());
    // The reload re-ran the notebook: the train cells show their stored runs instead of retraining.
    const states = await page.evaluate(() => window.benchtop!.states());
    const restored = Object.values(states).filter((s) => s.result?.meta?.restored === true);
    expect(restored.length).toBe(3);
    const table = page.locator('[data-testid=runs-table]').last();
    await expect.poll(() => table.locator('[data-testid=run-row]').count(), { timeout: 20_000 }).toBe(3);
    cells = await Promise.all([0, 1, 2].map(async (i) => page.locator('[data-testid=cell]').nth(2 + i)));
  });

  it('the same config and seed trained twice give the same metrics to the last digit', async () => {
    const { page } = t;
    const first = metas[0].metrics as { valid: Record<string, number>; test: Record<string, number> };
    const meta = await train(page, cells[0]);
    expect(meta.restored).toBe(false);
    expect(meta.metrics).toEqual(first);
    const gbdt = metas[2].metrics;
    const again = await train(page, cells[2]);
    expect(again.metrics).toEqual(gbdt);
    expect((await storedRuns(page)).length).toBe(5);
  });

  it('cancel during an MLP run stops within a second and stores no run', async () => {
    const { page } = t;
    const cell = cells[1];
    const id = (await cell.getAttribute('data-cell-id'))!;
    await cell.locator('[data-testid=param-epochs]').fill('200');
    await cell.locator('[data-testid=param-epochs]').press('Tab');
    const before = (await storedRuns(page)).length;
    await cell.locator('[data-testid=train-button]').click();
    // Wait for live progress (a loss point at least), then cancel.
    await cell.locator('[data-testid=train-live] svg').waitFor({ timeout: 60_000 });
    await cell.locator('[data-testid=train-steps]').waitFor();
    await page.screenshot({ path: '/tmp/train-live.png' });
    const t0 = Date.now();
    await cell.locator('[data-testid=train-cancel]').click();
    await page.waitForFunction((id) => window.benchtop!.states()[id]?.status === 'cancelled', id, {
      timeout: 5_000,
      polling: 20,
    });
    const ms = Date.now() - t0;
    console.log(`cancel took ${ms} ms`);
    expect(ms).toBeLessThan(1000);
    // Give a late worker reply time to arrive: still nothing stored.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await storedRuns(page)).length).toBe(before);
    await cell.locator('[data-testid=train-cancelled]').waitFor();
    expect(t.errors).toEqual([]);
  });

  it('class weights and a hyperparameter search through the form: the trials table', async () => {
    const { page } = t;
    const cell = await addTrainCell(page);
    await fillForm(cell, 'gbdt', { nEstimators: '20' }, 'gbdt search');
    await cell.locator('[data-testid=train-class-weight]').selectOption('balanced');
    await cell.locator('[data-testid=train-search]').check();
    await cell.locator('[data-testid=train-search-trials]').fill('3');
    await cell.locator('[data-testid=train-search-trials]').press('Tab');
    const id = (await cell.getAttribute('data-cell-id'))!;
    const config = await page.evaluate(
      (id) => window.benchtop!.notebook().cells.find((c) => c.id === id)?.config,
      id,
    );
    expect(config).toMatchObject({ classWeight: 'balanced', search: { kind: 'random', trials: 3 } });
    const meta = await train(page, cell);
    expect(meta.classWeight).toBe('balanced');
    const search = meta.search as { trials: { valid: number | null }[]; best: number; metric: string };
    expect(search.metric).toBe('auc');
    expect(search.trials).toHaveLength(3);
    const scores = search.trials.map((x) => x.valid ?? -1);
    expect(search.best).toBe(scores.indexOf(Math.max(...scores)) + 1);
    await expect.poll(() => cell.locator('[data-testid=search-trial]').count()).toBe(3);
    expect(await cell.locator('[data-testid=search-trial][data-best=true]').count()).toBe(1);
    await cell.locator('[data-testid=result-class-weight]').waitFor();
    expect(t.errors).toEqual([]);
  });
});
