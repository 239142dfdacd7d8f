/**
 * The audit cell end to end: real Chromium, real DuckDB-WASM. Items are the first 2,000 Amazon UK
 * products; the category list is every distinct category path of the full file.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { type E2E, openApp, provideFiles, settle, startE2E } from './app.ts';
import { fileRef, writeAuditInputs } from './auditData.ts';

describe('audit cell (headless Chromium)', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  });
  afterAll(async () => {
    await e2e?.close();
  });

  it('infers one listed category per item and agrees with most existing labels', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-audit-'));
    const paths = await writeAuditInputs(dir);
    const items = await fileRef(paths.items, 'items.csv');
    const cats = await fileRef(paths.categories, 'categories.csv');
    const now = new Date().toISOString();
    const doc: NotebookDoc = {
      format: 'benchtop-notebook',
      version: 1,
      id: 'audit-e2e',
      title: 'Audit',
      createdAt: now,
      updatedAt: now,
      cells: [
        { id: 'i', kind: 'source', config: { name: 'items', ref: items.ref } },
        { id: 'c', kind: 'source', config: { name: 'categories', ref: cats.ref } },
        {
          id: 'a',
          kind: 'audit',
          config: {
            items: 'items',
            idColumn: 'uniq_id',
            titleColumn: 'product_name',
            labelColumn: 'amazon_category_and_sub_category',
            categories: 'categories',
            categoryIdColumn: 'id',
            categoryNameColumn: 'name',
            pathColumn: 'path',
            name: 'audit',
            judge: 'builtin',
          },
        },
      ],
    } as NotebookDoc;
    const t = await openApp(e2e);
    const { page } = t;
    await page.evaluate((d) => window.benchtop!.openNotebook(d), doc);
    await provideFiles(page, { 'items.csv': items.b64, 'categories.csv': cats.b64 });
    await page.evaluate(() => window.benchtop!.runAll());
    await settle(page, 170_000);
    const states = await page.evaluate(() => window.benchtop!.states());
    expect(states.a?.error).toBeUndefined();
    expect(states.a?.status).toBe('ok');
    const meta = states.a.result!.meta as {
      rows: number;
      highConfidenceMismatches: number;
      measure: { top1: number; top5: number; n: number };
    };

    const scalar = async (sql: string): Promise<number> => {
      const ipc = await page.evaluate(
        async (q) => Array.from((await window.benchtop!.data.query(q)).arrow),
        sql,
      );
      return Number(tableFromIPC(Uint8Array.from(ipc)).getChildAt(0)!.get(0));
    };
    const counts = {
      rows: await scalar('SELECT count(*) FROM audit'),
      items: await scalar('SELECT count(*) FROM items'),
      outside: await scalar(
        'SELECT count(*) FROM audit WHERE inferred_id IS NULL OR inferred_id NOT IN (SELECT id FROM categories)',
      ),
      flagged: await scalar('SELECT count(*) FROM audit_flagged'),
      judged: await scalar("SELECT count(*) FROM audit WHERE verdict IN ('confirm', 'reject')"),
    };
    expect(Number(counts.items)).toBe(2000);
    expect(Number(counts.rows)).toBe(2000);
    expect(meta.rows).toBe(2000);
    expect(Number(counts.outside)).toBe(0);
    expect(Number(counts.flagged)).toBe(meta.highConfidenceMismatches);
    expect(Number(counts.judged)).toBe(2000);
    expect(meta.measure.n).toBeGreaterThan(1000);
    expect(meta.measure.top1).toBeGreaterThan(0.5);
    expect(meta.measure.top5).toBeGreaterThanOrEqual(meta.measure.top1);

    // The view: summary strip and the confident-mismatch toggle.
    const cell = page.locator('[data-cell-id="a"]');
    await cell.locator('[data-testid=audit-summary]').waitFor();
    await cell.locator('[data-testid=audit-flagged]').check();
    expect(t.errors).toEqual([]);
    await t.context.close();
  });
});
