/**
 * The foundation, end to end, as a user drives it: real server, real Chromium, real DuckDB-WASM.
 * Numbers are checked against native DuckDB (@duckdb/node-api) computing the same thing on the same
 * files.
 */
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shareUrl } from '../../src/core/share/codec.ts';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { runNotebook } from '../../tools/notebook-cli.ts';
import { type E2E, OLIST_DIR, openApp, settle, startE2E, type TrackedPage } from './app.ts';
import { docShot } from './steps.ts';

const OLIST = [
  'olist_customers_dataset.csv',
  'olist_geolocation_dataset.csv',
  'olist_order_items_dataset.csv',
  'olist_order_payments_dataset.csv',
  'olist_order_reviews_dataset.csv',
  'olist_orders_dataset.csv',
  'olist_products_dataset.csv',
  'olist_sellers_dataset.csv',
  'product_category_name_translation.csv',
];
const olistPath = (f: string) => resolve(OLIST_DIR, f);

const JOIN_SQL =
  'SELECT count(*) AS n FROM olist_orders_dataset o JOIN olist_order_items_dataset i ON i.order_id = o.order_id JOIN olist_order_reviews_dataset r ON r.order_id = o.order_id';

/** Native DuckDB, extensions off, as the independent reference. */
async function nativeScalar(sql: string): Promise<number> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false');
  const r = await con.runAndReadAll(sql);
  const v = r.getRows()[0][0];
  con.closeSync();
  return Number(v);
}

const nativeCsv = (f: string) => `read_csv('${olistPath(f)}', header=true, sample_size=-1)`;

/** Read a table's CSV from the page (the same export the headless runner uses). */
async function tableCsv(page: Page, table: string): Promise<string> {
  return page.evaluate(async (t) => new TextDecoder().decode(await window.benchtop!.exportCsv(t)), table);
}

/** Add a SQL cell at the end through the UI, name its output, type the query, press Shift+Enter. */
async function addSqlCell(page: Page, name: string, sql: string): Promise<string> {
  const before = await page.locator('[data-testid=cell]').count();
  await page.locator('[data-testid=add-cell]').last().click();
  await page.locator('[data-testid=add-sql]').click();
  const cell = page.locator('[data-testid=cell]').nth(before);
  const id = (await cell.getAttribute('data-cell-id'))!;
  await cell.locator('[data-testid=output-name]').fill(name);
  await cell.locator('[data-testid=output-name]').press('Tab');
  await setEditor(page, id, sql);
  await cell.locator('.cm-content').press('Shift+Enter');
  return id;
}

async function setEditor(page: Page, cellId: string, text: string): Promise<void> {
  const content = page.locator(`[data-cell-id="${cellId}"] .cm-content`);
  await content.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

function sameOrigin(t: TrackedPage, origin: string): string[] {
  return t.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
}

describe('notebook foundation (headless Chromium)', () => {
  let e2e: E2E;
  let origin: string;
  beforeAll(async () => {
    e2e = await startE2E();
    origin = new URL(e2e.server.url).origin;
  });
  afterAll(async () => {
    await e2e?.close();
  });

  it('opens on the default notebook with bundled data, making no request to another origin', async () => {
    const t = await openApp(e2e);
    await settle(t.page);
    const sqlCell = t.page.locator('[data-testid=cell][data-kind=sql]').first();
    await sqlCell.locator('[data-testid=table-row]').first().waitFor();
    const csv = await tableCsv(t.page, 'monthly');
    const rows = csv.trim().split('\n');
    // Independent: the same aggregate in native DuckDB over the vega-datasets file.
    const months = await nativeScalar(
      "SELECT count(DISTINCT strftime(date, '%Y-%m')) FROM read_csv('node_modules/vega-datasets/data/seattle-weather.csv')",
    );
    expect(rows.length - 1).toBe(months);
    expect(months).toBe(48);
    const sunny = await nativeScalar(
      "SELECT count(*) FROM read_csv('node_modules/vega-datasets/data/seattle-weather.csv') WHERE weather = 'sun' AND strftime(date, '%Y-%m') = '2012-01'",
    );
    expect(rows[1].split(',')[0]).toBe('2012-01');
    expect(Number(rows[1].split(',').at(-1))).toBe(sunny);
    expect(await t.page.locator('[data-testid=engine]').textContent()).toMatch(/DuckDB/);
    await t.page.screenshot({ path: docShot('default-notebook.png'), fullPage: false });
    expect(sameOrigin(t, origin)).toEqual([]);
    expect(t.errors).toEqual([]);
    await t.context.close();
  });

  describe('with the nine Olist tables', () => {
    let t: TrackedPage;
    let shared: string;
    beforeAll(async () => {
      t = await openApp(e2e);
      await settle(t.page);
    });
    afterAll(async () => {
      await t?.context.close();
    });

    it('dropping nine CSVs makes nine tables', async () => {
      await t.page.locator('[data-testid=file-input]').setInputFiles(OLIST.map(olistPath));
      await t.page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid=cell][data-kind=source]').length >= n,
        10,
      );
      await settle(t.page);
      const tables = await t.page.evaluate(async () =>
        (await window.benchtop!.data.listTables()).map((x) => [x.name, x.rowCount]),
      );
      const byName = Object.fromEntries(tables) as Record<string, number>;
      for (const f of OLIST) {
        const name = f.replace(/\.csv$/, '');
        expect(byName[name], name).toBe(await nativeScalar(`SELECT count(*) FROM ${nativeCsv(f)}`));
      }
      const failed = await t.page.locator('[data-testid=cell][data-status=error]').count();
      expect(failed).toBe(0);
    });

    it('a SQL cell joining orders, items and reviews returns the count native DuckDB computes', async () => {
      await addSqlCell(t.page, 'joined', JOIN_SQL);
      await settle(t.page);
      const expected = await nativeScalar(
        `SELECT count(*) FROM ${nativeCsv('olist_orders_dataset.csv')} o JOIN ${nativeCsv('olist_order_items_dataset.csv')} i ON i.order_id = o.order_id JOIN ${nativeCsv('olist_order_reviews_dataset.csv')} r ON r.order_id = o.order_id`,
      );
      expect(expected).toBeGreaterThan(1000);
      expect((await tableCsv(t.page, 'joined')).trim().split('\n')[1]).toBe(String(expected));
    });

    it('editing an upstream cell re-runs exactly its dependents', async () => {
      const upId = await addSqlCell(
        t.page,
        'picked',
        "SELECT * FROM olist_orders_dataset WHERE order_status = 'delivered'",
      );
      const downId = await addSqlCell(t.page, 'picked_count', 'SELECT count(*) AS n FROM picked');
      await settle(t.page);
      const countOf = async (status: string) =>
        nativeScalar(
          `SELECT count(*) FROM ${nativeCsv('olist_orders_dataset.csv')} WHERE order_status = '${status}'`,
        );
      expect((await tableCsv(t.page, 'picked_count')).trim().split('\n')[1]).toBe(
        String(await countOf('delivered')),
      );
      const before = await t.page.evaluate(() => window.benchtop!.states());

      await setEditor(t.page, upId, "SELECT * FROM olist_orders_dataset WHERE order_status = 'canceled'");
      await t.page.locator(`[data-cell-id="${upId}"] .cm-content`).press('Shift+Enter');
      await settle(t.page);
      expect((await tableCsv(t.page, 'picked_count')).trim().split('\n')[1]).toBe(
        String(await countOf('canceled')),
      );
      const after = await t.page.evaluate(() => window.benchtop!.states());
      const reran = Object.keys(after).filter((id) => (after[id].runs ?? 0) !== (before[id]?.runs ?? 0));
      expect(reran.sort()).toEqual([upId, downId].sort());
    });

    it('a failing cell shows its error in place and the others keep working', async () => {
      const bad = await addSqlCell(t.page, 'broken', 'SELECT no_such_column FROM olist_orders_dataset');
      await settle(t.page);
      const err = t.page.locator(`[data-cell-id="${bad}"] [data-testid=cell-error]`);
      await expect.poll(() => err.textContent()).toMatch(/no_such_column/);
      const ok = await addSqlCell(t.page, 'still_fine', 'SELECT count(*) AS n FROM olist_sellers_dataset');
      await settle(t.page);
      expect(await t.page.locator(`[data-cell-id="${ok}"]`).getAttribute('data-status')).toBe('ok');
    });

    it('reload restores the notebook, its tables and outputs', async () => {
      const cellsBefore = await t.page.evaluate(() => window.benchtop!.notebook().cells.map((c) => c.id));
      const joinedBefore = await tableCsv(t.page, 'joined');
      await t.page.reload();
      await t.page.waitForFunction(() => window.benchtop !== undefined);
      await t.page.evaluate(() => window.benchtop!.ready());
      await t.page.waitForFunction(() => Object.keys(window.benchtop!.states()).length > 0);
      await settle(t.page);
      const cellsAfter = await t.page.evaluate(() => window.benchtop!.notebook().cells.map((c) => c.id));
      expect(cellsAfter).toEqual(cellsBefore);
      expect(await tableCsv(t.page, 'joined')).toBe(joinedBefore);
      // Every source cell came back from the browser's file store, without a re-drop.
      expect(await t.page.locator('[data-testid=cell][data-kind=source][data-status=ok]').count()).toBe(10);
      await t.page.locator('[data-testid=sql-result] [data-testid=table-row]').first().waitFor();
      await t.page.screenshot({ path: docShot('olist-notebook.png') });
    });

    it('copy link → a new browser opens the same cells, runs nothing, and asks for the dropped files', async () => {
      await t.page.locator('[data-testid=copy-link]').click();
      shared = await t.page.locator('[data-testid=share-url]').inputValue();
      expect(shared).toContain('#nb=');
      expect(new URL(shared).search).toBe('');
      const doc = await t.page.evaluate(() => window.benchtop!.notebook());

      const fresh = await e2e.browser.newContext();
      const r = await openApp(e2e, `#nb=${shared.split('#nb=')[1]}`, fresh);
      await r.page.locator('[data-testid=untrusted-banner]').waitFor();
      const got = await r.page.evaluate(() => window.benchtop!.notebook());
      expect(got.cells.map((c) => [c.kind, c.config])).toEqual(doc.cells.map((c) => [c.kind, c.config]));
      expect(got.id).not.toBe(doc.id);
      expect(Object.keys(await r.page.evaluate(() => window.benchtop!.states()))).toEqual([]);
      expect(r.requests.some((u) => u.includes('/datasets/seattle'))).toBe(false);

      await r.page.locator('[data-testid=run-shared]').click();
      await settle(r.page);
      // The files are not in this browser: each source cell asks for its file.
      expect(await r.page.locator('[data-testid=needs-file]').count()).toBe(9);
      // A different file under the same name is refused with the difference spelled out.
      const wrong = join(await mkdtemp(join(tmpdir(), 'bt-')), 'olist_sellers_dataset.csv');
      await writeFile(wrong, 'seller_id,seller_zip_code_prefix\nx,1\n');
      await r.page.locator('[data-testid=file-input]').setInputFiles(wrong);
      const toast = r.page.locator('[data-testid=toast][data-kind=error]').last();
      await expect.poll(() => toast.textContent()).toMatch(/not the file this notebook was made with/);
      // The right file is accepted and its cell (and dependents) run.
      await r.page.locator('[data-testid=file-input]').setInputFiles(olistPath('olist_sellers_dataset.csv'));
      await r.page.waitForFunction(() => document.querySelectorAll('[data-testid=needs-file]').length === 8);
      await settle(r.page);
      const sellers = await nativeScalar(`SELECT count(*) FROM ${nativeCsv('olist_sellers_dataset.csv')}`);
      expect((await tableCsv(r.page, 'still_fine')).trim().split('\n')[1]).toBe(String(sellers));
      expect(sameOrigin(r, origin)).toEqual([]);
      await fresh.close();
    });
  });

  it('a link with a remote URL asks before fetching anything', async () => {
    const now = new Date().toISOString();
    const doc: NotebookDoc = {
      format: 'benchtop-notebook',
      version: 1,
      id: 'remote-test',
      title: 'Remote data',
      createdAt: now,
      updatedAt: now,
      cells: [
        {
          id: 'c1',
          kind: 'source',
          config: { name: 'remote', ref: { type: 'url', url: 'https://data.example.org/x.csv' } },
        },
        { id: 'c2', kind: 'sql', config: { name: 'total', sql: 'SELECT sum(v) AS s FROM remote' } },
        { id: 'c3', kind: 'sql', config: { name: 'local', sql: 'SELECT 6 * 7 AS answer' } },
      ],
    };
    const url = shareUrl(e2e.server.url, doc);
    const ctx = await e2e.browser.newContext();
    let remoteHits = 0;
    await ctx.route('https://data.example.org/**', (route) => {
      remoteHits++;
      return route.fulfill({
        status: 200,
        contentType: 'text/csv',
        headers: { 'access-control-allow-origin': '*' },
        body: 'k,v\na,1\nb,2\nc,39\n',
      });
    });
    const t = await openApp(e2e, `#nb=${url.split('#nb=')[1]}`, ctx);
    const banner = t.page.locator('[data-testid=untrusted-banner]');
    await expect.poll(() => banner.textContent()).toContain('https://data.example.org/x.csv');
    await t.page.locator('[data-testid=run-local-only]').click();
    await settle(t.page);
    expect(remoteHits).toBe(0);
    expect(await tableCsv(t.page, 'local')).toContain('42');
    await t.page.locator('[data-testid=needs-consent] button').click();
    await settle(t.page);
    expect(remoteHits).toBe(1);
    expect((await tableCsv(t.page, 'total')).trim().split('\n')[1]).toBe('42');
    await ctx.close();
  });

  it('the headless runner writes every output and names a failing cell', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bt-run-'));
    const nbPath = join(out, 'olist.benchtop.json');
    const now = new Date().toISOString();
    const sha = async (f: string) => {
      const { createHash } = await import('node:crypto');
      return createHash('sha256')
        .update(await readFile(olistPath(f)))
        .digest('hex');
    };
    const fileRef = async (f: string) => ({
      type: 'file',
      name: f,
      size: (await readFile(olistPath(f))).byteLength,
      sha256: await sha(f),
    });
    const doc: NotebookDoc = {
      format: 'benchtop-notebook',
      version: 1,
      id: 'runner',
      title: 'Runner test',
      createdAt: now,
      updatedAt: now,
      cells: [
        { id: 'md', kind: 'markdown', config: { source: '# Late deliveries' } },
        {
          id: 'o',
          kind: 'source',
          config: { name: 'orders', ref: await fileRef('olist_orders_dataset.csv') },
        },
        {
          id: 's',
          kind: 'sql',
          config: {
            name: 'by_status',
            sql: 'SELECT order_status, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1',
          },
        },
      ],
    };
    await writeFile(nbPath, JSON.stringify(doc));
    const summary = await runNotebook({
      notebook: nbPath,
      data: { orders: olistPath('olist_orders_dataset.csv') },
      out: join(out, 'results'),
      log: () => undefined,
    });
    expect(summary.ok).toBe(true);
    const files = (await readdir(join(out, 'results'))).sort();
    expect(files).toEqual(
      [
        '01-markdown.html',
        '01-markdown.json',
        '02-source-orders.csv',
        '02-source.json',
        '03-sql-by_status.csv',
        '03-sql.json',
        'summary.json',
      ].sort(),
    );
    const csv = (await readFile(join(out, 'results', '03-sql-by_status.csv'), 'utf8')).trim().split('\n');
    const delivered = await nativeScalar(
      `SELECT count(*) FROM ${nativeCsv('olist_orders_dataset.csv')} WHERE order_status = 'delivered'`,
    );
    expect(csv).toContain(`delivered,${delivered}`);

    doc.cells.push({ id: 'bad', kind: 'sql', config: { name: 'oops', sql: 'SELECT * FROM nowhere' } });
    await writeFile(nbPath, JSON.stringify(doc));
    const failed = await runNotebook({
      notebook: nbPath,
      data: { orders: olistPath('olist_orders_dataset.csv') },
      out: join(out, 'results2'),
      log: () => undefined,
    });
    expect(failed.ok).toBe(false);
    expect(failed.failed).toMatchObject({ index: 4, id: 'bad', kind: 'sql' });
    expect(failed.failed?.error).toMatch(/nowhere/);
  });
});
