/**
 * The audit cell's index cache, end to end: real Chromium, real DuckDB-WASM, the audit worker and its
 * OPFS cache. The first run builds the category and kNN indexes; after a reload the notebook re-runs
 * and loads both from the cache, with byte-identical output; editing the category table (its SQL cell)
 * rebuilds the category index. Also checks the measures against the ground-truth column and the
 * exports. AUDIT_SHOTS=<dir> writes screenshots of the cell.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditMeta } from '../../src/cells/audit.ts';
import { type E2E, openApp, provideFiles, settle, startE2E } from './app.ts';
import { auditNotebook, fileRef, writeAuditInputs } from './auditData.ts';

const SHOTS = process.env.AUDIT_SHOTS;

async function metaOf(page: Page): Promise<AuditMeta> {
  const s = await page.evaluate(() => window.benchtop!.states());
  expect(s.a?.error).toBeUndefined();
  expect(s.a?.status).toBe('ok');
  return s.a.result!.meta as unknown as AuditMeta;
}

/** Waits until the audit cell has finished more than `runs` runs. */
async function waitRuns(page: Page, runs: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const a = window.benchtop?.states().a;
      return a !== undefined && (a.runs ?? 0) > n && a.status !== 'running' && a.status !== 'queued';
    },
    runs,
    { timeout: 170_000, polling: 100 },
  );
}

const sources = (m: AuditMeta) => m.indexes.map((i) => `${i.kind}:${i.source}`);

describe('audit cell index cache (headless Chromium)', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  });
  afterAll(async () => {
    await e2e?.close();
  });

  it('loads the indexes from OPFS after a reload, same output; an edited category table rebuilds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-audit-cache-'));
    const paths = await writeAuditInputs(dir, { items: 1500, planted: true });
    const items = await fileRef(paths.items, 'items.csv');
    const categories = await fileRef(paths.categories, 'categories.csv');
    // A category no item is labelled with: dropping it changes the category list, not the kNN's documents.
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const unused = String(
      (
        await con.runAndReadAll(
          `SELECT c.id FROM read_csv('${paths.categories}', all_varchar=true) c
             WHERE c.id NOT IN (SELECT coalesce(amazon_category_and_sub_category, '') FROM read_csv('${paths.items}', all_varchar=true))
             ORDER BY c.id LIMIT 1`,
        )
      ).getRows()[0][0],
    );
    con.closeSync();
    const doc = auditNotebook(
      'audit-cache',
      { items, categories },
      { truthColumn: 'checked', judge: 'builtin' },
    );

    const t = await openApp(e2e);
    const { page } = t;
    await page.evaluate((d) => window.benchtop!.openNotebook(d), doc);
    await provideFiles(page, { 'items.csv': items.b64, 'categories.csv': categories.b64 });
    await page.evaluate(() => window.benchtop!.runAll());
    await settle(page, 170_000);
    const first = await metaOf(page);
    expect(sources(first)).toEqual(['categories:built', 'knn:built']);
    const cell = page.locator('[data-cell-id="a"]');
    expect(await cell.locator('[data-testid=audit-index-status]').textContent()).toMatch(
      /index built in \d+\.\d+ s/,
    );
    const csv = async () =>
      Buffer.from(await page.evaluate(async () => Array.from(await window.benchtop!.exportCsv('audit'))));
    const firstCsv = await csv();
    expect(first.rows).toBe(1500);

    // Measures against the ground-truth column ("checked", every 3rd item), checked with native DuckDB
    // over the exported output: top-1 and the precision of the mismatch flag.
    const out = join(dir, 'out.csv');
    await writeFile(out, firstCsv);
    const db2 = await DuckDBInstance.create(':memory:');
    const c2 = await db2.connect();
    const [[n, top1, flagged, precision]] = (
      await c2.runAndReadAll(
        `SELECT count(*), avg((inferred_id = truth)::INT), count(*) FILTER (WHERE NOT match),
                avg((original_id <> truth)::INT) FILTER (WHERE NOT match)
           FROM read_csv('${out}', all_varchar=false) o
           JOIN read_csv('${paths.items}', all_varchar=true) i ON o.id = i.uniq_id
          WHERE i.checked IS NOT NULL AND truth IN (SELECT id FROM read_csv('${paths.categories}', all_varchar=true))
            -- only leaves can be inferred: a path that prefixes another path is an inner category
            AND NOT EXISTS (SELECT 1 FROM read_csv('${paths.categories}', all_varchar=true) c
                             WHERE starts_with(c.id, truth || ' > '))`,
      )
    ).getRows() as unknown as [bigint, number, bigint, number][];
    c2.closeSync();
    const m = first.measure!;
    expect(m.truth).toBe('column');
    expect(m.n).toBe(Number(n));
    expect(m.top1).toBeCloseTo(top1, 6);
    expect(m.mismatch.flagged).toBe(Number(flagged));
    expect(m.mismatch.precision).toBeCloseTo(precision, 6);
    expect(m.top1).toBeGreaterThan(0.6);
    await expect(cell.locator('[data-testid=audit-flag-precision]').textContent()).resolves.toMatch(
      /precision/,
    );
    await cell.locator('[data-testid=audit-measures] svg').first().waitFor();

    // Exports: CSV from DuckDB, Parquet from parquet-wasm; the Parquet has every row.
    const [csvDl] = await Promise.all([
      page.waitForEvent('download'),
      cell.locator('[data-testid=audit-export-csv]').click(),
    ]);
    expect(csvDl.suggestedFilename()).toBe('audit.csv');
    const [pqDl] = await Promise.all([
      page.waitForEvent('download'),
      cell.locator('[data-testid=audit-export-parquet]').click(),
    ]);
    expect(pqDl.suggestedFilename()).toBe('audit.parquet');
    const pqPath = join(dir, 'audit.parquet');
    await pqDl.saveAs(pqPath);
    const db3 = await DuckDBInstance.create(':memory:');
    const c3 = await db3.connect();
    const pqRows = (
      await c3.runAndReadAll(`SELECT count(*), count(DISTINCT id) FROM read_parquet('${pqPath}')`)
    ).getRows();
    c3.closeSync();
    expect(pqRows[0].map(Number)).toEqual([1500, 1500]);
    // The flagged-only view exports just the confident mismatches.
    await cell.locator('[data-testid=audit-flagged]').check();
    const [flagDl] = await Promise.all([
      page.waitForEvent('download'),
      cell.locator('[data-testid=audit-export-csv]').click(),
    ]);
    expect(flagDl.suggestedFilename()).toBe('audit_flagged.csv');
    if (SHOTS) {
      await cell.screenshot({ path: join(SHOTS, 'audit-flagged.png') });
      await cell.locator('[data-testid=audit-flagged]').uncheck();
      await cell.screenshot({ path: join(SHOTS, 'audit-output.png') });
    }

    // Reload: the app reopens the notebook and runs it; both indexes now come from the cache.
    const runsBefore = (await page.evaluate(() => window.benchtop!.states().a?.runs)) ?? 0;
    await page.reload();
    await page.waitForFunction(() => window.benchtop !== undefined, undefined, { timeout: 60_000 });
    await page.evaluate(() => window.benchtop!.ready());
    await waitRuns(page, 0);
    const second = await metaOf(page);
    expect(runsBefore).toBe(1);
    expect(sources(second)).toEqual(['categories:cache', 'knn:cache']);
    expect(second.indexes.map((i) => i.key)).toEqual(first.indexes.map((i) => i.key));
    expect(await page.locator('[data-cell-id="a"] [data-testid=audit-index-status]').textContent()).toMatch(
      /index loaded from cache/,
    );
    expect((await csv()).equals(firstCsv)).toBe(true);
    expect(second.measure).toEqual(first.measure);

    // Edit the category table: the SQL cell drops one category; the audit re-runs downstream.
    const content = page.locator('[data-cell-id="s"] .cm-content');
    await content.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(`SELECT * FROM categories WHERE id <> '${unused.replaceAll("'", "''")}'`);
    await content.press('Shift+Enter');
    await waitRuns(page, 1);
    const third = await metaOf(page);
    expect(sources(third)).toEqual(['categories:built', 'knn:cache']);
    expect(third.indexes[0].key).not.toBe(first.indexes[0].key);
    expect(third.categories).toBe(first.categories - 1);
    expect(await page.locator('[data-cell-id="a"] [data-testid=audit-index-status]').textContent()).toMatch(
      /index built in/,
    );
    if (SHOTS)
      await page.locator('[data-cell-id="a"]').screenshot({ path: join(SHOTS, 'audit-rebuilt.png') });
    expect(t.errors).toEqual([]);
    await t.context.close();
  });
});
