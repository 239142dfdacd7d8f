/**
 * The predict / deploy / monitor cells end to end in headless Chromium against the built app and the
 * real companion server (with a deploy token and a temporary models directory): a GBDT trained by the
 * app's train cell on a 6,000-row flights sample → a predict cell added through the menu → the
 * probability it shows equals `loadArtifact(artifact).predictRecords([record])` computed here in Node
 * on the run's artifact (read from the page's IndexedDB), before and after editing a numeric field;
 * base + Σ contributions of the waterfall = logit(p); an out-of-range value warns; "Fill from row";
 * deploy with a wrong token (403 shown) then the right one (name + version shown; the token is not in
 * the notebook); the printed curl request, sent from Node, answers the panel's probability to 1e-9;
 * after 60 logged predictions a monitor cell shows the drift table. Saves the predict-cell.png README screenshot (steps.ts docShot).
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact, type ModelArtifact } from '../../src/core/ml/artifact.ts';
import { parseCurl } from '../../src/ui/predict/model.ts';
import { type E2E, openApp, startE2E, type TrackedPage } from './app.ts';
import { flightsNotebook } from './flights.ts';
import { addCell, docShot, runNotebook, storedArtifact } from './steps.ts';

const TOKEN = 'e2e-deploy-token-3f9a';
const notebookDoc = () =>
  flightsNotebook({ id: 'predict-e2e', title: 'Flight delays — predict & serve', rows: 6000, trees: 30 });

const logit = (p: number) => Math.log(p / (1 - p));

describe('predict, deploy and monitor cells (headless Chromium + companion server)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let page: Page;
  let cell: Locator;
  let artifact: ModelArtifact;
  beforeAll(async () => {
    e2e = await startE2E({ token: TOKEN, tempModels: true });
    t = await openApp(e2e);
    page = t.page;
    await runNotebook(page, notebookDoc(), 240_000);
  }, 300_000);
  afterAll(async () => {
    await e2e?.close();
  });

  /** The record behind the shown result, the probability shown, and Node's prediction of that record. */
  async function shown() {
    const out = cell.locator('[data-testid=predict-result]');
    const record = JSON.parse((await out.getAttribute('data-record')) || '{}') as Record<string, unknown>;
    const p = Number(await cell.locator('[data-testid=predict-probability]').getAttribute('data-value'));
    const wf = JSON.parse(
      (await cell.locator('[data-testid=waterfall]').getAttribute('data-waterfall'))!,
    ) as {
      base: number;
      output: number;
      contributions: { feature: string; value: number }[];
    };
    return { record, p, wf };
  }

  it('a predict cell added through the menu shows the same probability as loadArtifact in Node', async () => {
    const train = await page.evaluate(() => window.benchtop!.states().trn);
    expect(train.status, train.error).toBe('ok');
    const runId = train.result!.meta!.runId as string;
    artifact = await storedArtifact(page, runId);
    cell = await addCell(page, 'predict');
    await cell.locator('[data-testid=predict-probability]').waitFor({ timeout: 60_000 });
    // The form follows the input schema.
    expect(
      await cell
        .locator('[data-testid=predict-field]')
        .evaluateAll((els) =>
          els.map((e) => `${e.getAttribute('data-field')}:${e.getAttribute('data-kind')}`),
        ),
    ).toEqual(['distance:numeric', 'time:numeric', 'period:categorical']);
    expect(await cell.locator('[data-testid=predict-field][data-field=distance]').textContent()).toMatch(
      /training range/,
    );

    const model = await loadArtifact(artifact);
    const s0 = await shown();
    const [node0] = await model.predictRecords([s0.record]);
    expect(Math.abs(s0.p - node0.prediction.output[0])).toBeLessThan(1e-12);

    // Edit a numeric field: the prediction moves, and still equals Node's.
    const distance = cell.locator(
      '[data-testid=predict-field][data-field=distance] [data-testid=predict-input]',
    );
    const time = cell.locator('[data-testid=predict-field][data-field=time] [data-testid=predict-input]');
    let moved = false;
    for (const [d, h] of [
      [300, 6],
      [2200, 20],
      [900, 13],
    ] as const) {
      const pBefore = (await shown()).p;
      await distance.fill(String(d));
      await time.fill(String(h));
      await expect
        .poll(async () => (await shown()).record.distance === d && (await shown()).record.time === h, {
          timeout: 10_000,
        })
        .toBe(true);
      const s = await shown();
      const [node] = await model.predictRecords([s.record]);
      expect(Math.abs(s.p - node.prediction.output[0])).toBeLessThan(1e-12);
      // Waterfall: base + Σ contributions = the output = logit(p).
      const sum = s.wf.base + s.wf.contributions.reduce((a, c) => a + c.value, 0);
      expect(Math.abs(sum - s.wf.output)).toBeLessThan(1e-9);
      expect(Math.abs(sum - logit(s.p))).toBeLessThan(1e-6);
      expect(s.wf.contributions.map((c) => c.feature).sort()).toEqual(['distance', 'period', 'time']);
      if (s.p !== pBefore) moved = true;
    }
    expect(moved).toBe(true);
    expect(await cell.locator('[data-testid=waterfall-step]').count()).toBe(5);
  });

  it('warns about out-of-range values and fills from a row of the input table', async () => {
    const distance = cell.locator(
      '[data-testid=predict-field][data-field=distance] [data-testid=predict-input]',
    );
    await distance.fill('99999');
    await cell
      .locator('[data-testid=predict-warning][data-code=out-of-range][data-field=distance]')
      .waitFor();
    await cell.locator('[data-testid=predict-row]').fill('3');
    await cell.locator('[data-testid=predict-fill]').click();
    await expect.poll(async () => (await shown()).record.distance, { timeout: 10_000 }).not.toBe(99999);
    const s = await shown();
    expect(typeof s.record.distance).toBe('number');
    expect(['morning', 'midday', 'evening']).toContain(s.record.period);
    const [node] = await (await loadArtifact(artifact)).predictRecords([s.record]);
    expect(Math.abs(s.p - node.prediction.output[0])).toBeLessThan(1e-12);
    // The edited record is kept in the cell's config (and survives a reload of the notebook).
    const id = (await cell.getAttribute('data-cell-id'))!;
    await expect
      .poll(() =>
        page.evaluate((id) => window.benchtop!.notebook().cells.find((c) => c.id === id)!.config.record, id),
      )
      .toEqual(s.record);
  });

  it('deploys with the token (403 with a wrong one); the curl request answers the panel’s probability', async () => {
    await cell.locator('[data-testid=deploy-name]').fill('flight-late');
    await cell.locator('[data-testid=deploy-name]').press('Tab');
    await cell.locator('[data-testid=deploy-token]').fill('wrong-token');
    await cell.locator('[data-testid=deploy-button]').click();
    await cell.locator('[data-testid=deploy-error]').waitFor();
    expect(await cell.locator('[data-testid=deploy-error]').textContent()).toMatch(/403/);
    await cell.locator('[data-testid=deploy-token]').fill(TOKEN);
    await cell.locator('[data-testid=deploy-button]').click();
    const result = cell.locator('[data-testid=deploy-result]');
    await result.waitFor();
    expect(await result.getAttribute('data-name')).toBe('flight-late');
    expect(await result.getAttribute('data-version')).toBe('1');
    expect(await cell.locator('[data-testid=deploy-error]').count()).toBe(0);
    // The token is in localStorage, never in the notebook.
    const nb = await page.evaluate(() => JSON.stringify(window.benchtop!.notebook()));
    expect(nb).not.toContain(TOKEN);
    expect(await page.evaluate(() => localStorage.getItem('benchtop.deployToken'))).toBe(TOKEN);

    const curl = (await cell.locator('[data-testid=predict-curl]').textContent())!.trim();
    expect(
      curl.startsWith(
        `curl -X POST ${e2e.server.url}v1/models/flight-late/predict -H 'Content-Type: application/json' -d '`,
      ),
    ).toBe(true);
    const req = parseCurl(curl)!;
    expect(req).toBeDefined();
    const { p, record } = await shown();
    expect(JSON.parse(req.body)).toEqual(record);
    const res = await fetch(req.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: req.body,
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      model: { name: string; version: number };
      prediction: { probability: number };
    };
    expect(answer.model).toEqual({ name: 'flight-late', version: 1 });
    expect(Math.abs(answer.prediction.probability - p)).toBeLessThan(1e-9);
    console.log(`panel p = ${p}, server p = ${answer.prediction.probability}`);
  });

  it('a monitor cell shows the drift table after some predictions', async () => {
    const { record } = await shown();
    const rows = Array.from({ length: 60 }, (_, i) => ({
      ...record,
      distance: 100 + i * 40,
      time: 5 + (i % 18),
    }));
    const res = await fetch(`${e2e.server.url}v1/models/flight-late/predict?top_k=0`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    expect(res.status).toBe(200);
    const mon = await addCell(page, 'monitor');
    await mon.locator('[data-testid=monitor-model]').fill('flight-late');
    await mon.locator('[data-testid=monitor-refresh]').click();
    await mon.locator('[data-testid=monitor-table]').waitFor({ timeout: 30_000 });
    const table = await mon
      .locator('[data-testid=monitor-row]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-feature'), e.getAttribute('data-flag')]));
    expect(table.map((r) => r[0])).toEqual(['distance', 'time', 'period', 'prediction']);
    for (const [, flag] of table) expect(['ok', 'warn', 'alert']).toContain(flag);
    await mon.locator('[data-testid=monitor-chart] rect').first().waitFor();
    // The 61 logged rows (1 curl + 60 batch): the heading says so.
    expect(await mon.locator('[data-testid=monitor-result]').textContent()).toMatch(/61 logged requests/);

    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: 1280, height: Math.min(8000, height + 40) });
    await page.evaluate(() => window.scrollTo(0, 0));
    await cell.screenshot({ path: docShot('predict-cell.png') });
    await mon.screenshot({ path: '/tmp/monitor-cell.png' });
    expect(t.errors).toEqual([]);
  });
});
