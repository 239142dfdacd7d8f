/**
 * The bundled 3-million-row Parquet file through the app: load it from the source cell's dataset
 * menu, scroll to the last row, sort by a column — checked against native DuckDB on the same file.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2E, openApp, settle, startE2E, type TrackedPage } from './app.ts';
import { docShot } from './steps.ts';

const FILE = 'node_modules/vega-datasets/data/flights-3m.parquet';

async function native(sql: string): Promise<unknown[]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false');
  const rows = (await con.runAndReadAll(sql)).getRows()[0];
  con.closeSync();
  return rows;
}

describe('3 million rows in the table view', () => {
  let e2e: E2E;
  let t: TrackedPage;
  beforeAll(async () => {
    e2e = await startE2E();
    t = await openApp(e2e);
    await settle(t.page);
  });
  afterAll(async () => {
    await t?.context.close();
    await e2e?.close();
  });

  it('loads flights-3m.parquet, scrolls to the last row and sorts in SQL', async () => {
    const source = t.page.locator('[data-testid=cell][data-kind=source]').first();
    await source.locator('[data-testid=bundled-select]').selectOption('flights-3m');
    await settle(t.page, 180_000);
    expect(await source.getAttribute('data-status')).toBe('ok');
    const table = source.locator('[data-testid=table-view]');
    await expect.poll(() => table.locator('..').textContent()).toContain('3,000,000 rows');

    // End key on the focused grid: the last row is reachable and labelled 3,000,000.
    await table.locator('[role=grid]').focus();
    await t.page.keyboard.press('End');
    await expect
      .poll(async () =>
        (await table.locator('[data-testid=table-row] [role=rowheader]').allTextContents()).at(-1),
      )
      .toBe('3,000,000');
    expect(await table.locator('[data-testid=table-row]').count()).toBeLessThan(200);

    // Sort by delay, descending (two clicks): the first row holds the maximum delay.
    const [maxDelay] = await native(`SELECT max(delay) FROM '${FILE}'`);
    await table.locator('[data-col=delay] button').click();
    await table.locator('[data-col=delay] button').click();
    await table.locator('[role=grid]').focus();
    await t.page.keyboard.press('Home');
    const firstDelay = async () => {
      const row = table.locator('[data-testid=table-row][data-row="0"]');
      const cells = await row.locator('[role=gridcell]').allTextContents();
      return cells[1]?.replace(/,/g, '');
    };
    await expect.poll(firstDelay, { timeout: 20_000 }).toBe(String(maxDelay));
    // The downstream SQL cell re-ran against the new table and failed clearly (no temp_max column).
    const sql = t.page.locator('[data-testid=cell][data-kind=sql]').first();
    expect(await sql.getAttribute('data-status')).toBe('error');
    await t.page.screenshot({ path: docShot('flights-3m.png') });
  });
});
