/**
 * The chart cell, driven through its form like a user: real server, real Chromium, DuckDB-WASM.
 * Mark counts are checked against native DuckDB computing the groups on the same files.
 */
import { readFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { type E2E, openApp, settle, startE2E, type TrackedPage } from './app.ts';
import { docShot } from './steps.ts';

async function nativeScalar(sql: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false');
  const v = (await con.runAndReadAll(sql)).getRows()[0][0];
  con.closeSync();
  return Number(v);
}

const WEATHER = "read_csv('node_modules/vega-datasets/data/seattle-weather.csv')";

function notebookDoc(): NotebookDoc {
  const now = new Date().toISOString();
  return {
    format: 'benchtop-notebook',
    version: 1,
    id: 'nb-chart-e2e',
    title: 'Charts',
    createdAt: now,
    updatedAt: now,
    cells: [
      {
        id: 'src-weather',
        kind: 'source',
        config: { name: 'weather', ref: { type: 'bundled', id: 'seattle-weather' } },
      },
      {
        id: 'src-flights',
        kind: 'source',
        config: { name: 'flights', ref: { type: 'bundled', id: 'flights-3m' } },
      },
    ],
  };
}

/** Marks drawn inside the plot (not legend swatches): children of Plot's mark groups. */
async function markCount(cell: Locator, aria: string): Promise<number> {
  return cell.locator(`[data-testid=chart-output] svg g[aria-label="${aria}"] > *`).count();
}

describe('chart cell (headless Chromium)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let chart: Locator;
  beforeAll(async () => {
    e2e = await startE2E();
    t = await openApp(e2e);
    await settle(t.page);
    await t.page.evaluate((d) => window.benchtop!.openNotebook(d), notebookDoc());
    await t.page.evaluate(() => window.benchtop!.runAll());
    await settle(t.page);
  });
  afterAll(async () => {
    await t?.context.close();
    await e2e?.close();
  });

  it('builds a bar chart through the form: one bar per weather type, as native DuckDB counts', async () => {
    const page = t.page;
    const before = await page.locator('[data-testid=cell]').count();
    await page.locator('[data-testid=add-cell]').last().click();
    await page.locator('[data-testid=add-chart]').click();
    chart = page.locator('[data-testid=cell]').nth(before);
    await chart.locator('[data-testid=chart-table]').selectOption('weather');
    await chart.locator('[data-testid=chart-mark-bar]').click();
    await chart.locator('[data-testid=chart-x]').selectOption('weather');
    await chart.locator('[data-testid=chart-aggregate]').selectOption('count');
    await settle(page);
    await chart.locator('[data-testid=chart-output] svg').first().waitFor();
    const groups = await nativeScalar(`SELECT count(DISTINCT weather) FROM ${WEATHER}`);
    expect(groups).toBe(5);
    expect(await markCount(chart, 'bar')).toBe(groups);
    // Same chart, sum of precipitation: still one bar per group; the tallest is the native maximum.
    await chart.locator('[data-testid=chart-aggregate]').selectOption('sum');
    await chart.locator('[data-testid=chart-y]').selectOption('precipitation');
    await settle(page);
    expect(await markCount(chart, 'bar')).toBe(groups);
    const meta = await page.evaluate(
      (id) => window.benchtop!.states()[id!]?.result?.meta,
      await chart.getAttribute('data-cell-id'),
    );
    expect(meta).toMatchObject({ mode: 'aggregated', rows: groups, totalRows: 1461 });
    await chart.screenshot({ path: docShot('chart-cell.png') });
    expect(t.errors).toEqual([]);
  });

  it('a histogram of the 3,000,000-row flights table draws a few dozen bins, binned in SQL', async () => {
    const page = t.page;
    await chart.locator('[data-testid=chart-table]').selectOption('flights');
    await settle(page);
    await chart.locator('[data-testid=chart-mark-histogram]').click();
    await settle(page);
    await chart.locator('[data-testid=chart-x]').selectOption('delay');
    await chart.locator('[data-testid=chart-aggregate]').selectOption('count');
    await settle(page);
    const n = await markCount(chart, 'rect');
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThanOrEqual(200);
    await expect
      .poll(() => chart.locator('[data-testid=chart-note]').textContent())
      .toMatch(/3,000,000 rows binned/);
    // Dot chart of raw rows: sampled to 5,000 in SQL, and the note says so.
    await chart.locator('[data-testid=chart-mark-dot]').click();
    await settle(page);
    await chart.locator('[data-testid=chart-y]').selectOption('delay');
    await chart.locator('[data-testid=chart-x]').selectOption('distance');
    await settle(page);
    expect(await markCount(chart, 'dot')).toBe(5000);
    expect(await chart.locator('[data-testid=chart-note]').textContent()).toContain(
      'Showing a 5,000-row sample of 3,000,000 rows',
    );
  });

  it('exports the chart as an SVG file that parses as SVG, and as a PNG', async () => {
    const page = t.page;
    const [svgDownload] = await Promise.all([
      page.waitForEvent('download'),
      chart.locator('[data-testid=chart-download-svg]').click(),
    ]);
    expect(svgDownload.suggestedFilename()).toMatch(/\.svg$/);
    const text = await readFile((await svgDownload.path())!, 'utf8');
    expect(text).toContain('xmlns="http://www.w3.org/2000/svg"');
    const parsed = await page.evaluate((s) => {
      const d = new DOMParser().parseFromString(s, 'image/svg+xml');
      return { root: d.documentElement.nodeName, errors: d.getElementsByTagName('parsererror').length };
    }, text);
    expect(parsed).toEqual({ root: 'svg', errors: 0 });
    const [pngDownload] = await Promise.all([
      page.waitForEvent('download'),
      chart.locator('[data-testid=chart-download-png]').click(),
    ]);
    const png = await readFile((await pngDownload.path())!);
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1800); // 900 px wide at 2×
  });
});
