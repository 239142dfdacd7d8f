/**
 * The profile cell end to end: Olist orders joined with reviews, profiled in headless Chromium with
 * target `review_score` and prediction time `order_purchase_timestamp`. Numbers are checked against
 * native DuckDB (@duckdb/node-api) on the same files; warnings and charts must be on the page.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import type { Profile, Warning } from '../../src/core/profile/types.ts';
import { type E2E, OLIST_DIR, openApp, provideFiles, settle, startE2E } from './app.ts';
import { docShot } from './steps.ts';

const ORDERS = 'olist_orders_dataset.csv';
const REVIEWS = 'olist_order_reviews_dataset.csv';
const path = (f: string) => resolve(OLIST_DIR, f);
const JOIN = (o: string, r: string) =>
  `SELECT o.*, r.review_id, r.review_score, r.review_comment_title, r.review_comment_message, r.review_creation_date, r.review_answer_timestamp FROM ${o} o JOIN ${r} r ON r.order_id = o.order_id`;

async function native(sql: string): Promise<Record<string, unknown>> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false');
  const rows = (await con.runAndReadAll(sql)).getRowObjectsJS();
  con.closeSync();
  return rows[0];
}
const csv = (f: string) => `read_csv('${path(f)}', header=true, sample_size=-1)`;

describe('profile cell (headless Chromium)', () => {
  let e2e: E2E;
  beforeAll(async () => {
    e2e = await startE2E();
  });
  afterAll(async () => {
    await e2e?.close();
  });

  it('profiles the Olist orders × reviews join with a target', async () => {
    const bytes: Record<string, Buffer> = {
      [ORDERS]: await readFile(path(ORDERS)),
      [REVIEWS]: await readFile(path(REVIEWS)),
    };
    const ref = (f: string) => ({
      type: 'file' as const,
      name: f,
      size: bytes[f].byteLength,
      sha256: createHash('sha256').update(bytes[f]).digest('hex'),
    });
    const now = new Date().toISOString();
    const doc: NotebookDoc = {
      format: 'benchtop-notebook',
      version: 1,
      id: 'profile-olist',
      title: 'Olist reviews profile',
      createdAt: now,
      updatedAt: now,
      cells: [
        { id: 'o', kind: 'source', config: { name: 'orders', ref: ref(ORDERS) } },
        { id: 'r', kind: 'source', config: { name: 'reviews', ref: ref(REVIEWS) } },
        { id: 'j', kind: 'sql', config: { name: 'order_reviews', sql: JOIN('orders', 'reviews') } },
        {
          id: 'p',
          kind: 'profile',
          config: {
            input: 'order_reviews',
            target: 'review_score',
            predictionTime: 'order_purchase_timestamp',
          },
        },
      ],
    };
    const t = await openApp(e2e);
    const { page } = t;
    await page.evaluate((d) => window.benchtop!.openNotebook(d), doc);
    await provideFiles(page, {
      [ORDERS]: bytes[ORDERS].toString('base64'),
      [REVIEWS]: bytes[REVIEWS].toString('base64'),
    });
    const started = Date.now();
    await page.evaluate(() => window.benchtop!.runAll());
    await settle(page);
    const states = await page.evaluate(() => window.benchtop!.states());
    expect(states.p.status, states.p.error).toBe('ok');
    const profile = states.p.result!.meta!.profile as Profile;
    const warnings = states.p.result!.meta!.warnings as Warning[];
    console.log(
      `olist join profile: ${profile.rows} rows, ${profile.queries} queries, ${profile.ms} ms (run all ${Date.now() - started} ms)`,
    );

    // Numbers against native DuckDB on the same files.
    const ref1 = await native(
      `SELECT count(*)::DOUBLE AS n, (count(*) - count(order_delivered_customer_date))::DOUBLE AS miss, count(DISTINCT review_score)::DOUBLE AS scores FROM (${JOIN(csv(ORDERS), csv(REVIEWS))})`,
    );
    expect(profile.rows).toBe(ref1.n);
    const col = (n: string) => profile.columns.find((c) => c.name === n)!;
    expect(col('order_delivered_customer_date').missing).toBe(ref1.miss);
    expect(col('order_delivered_customer_date').missing).toBeGreaterThan(0);
    expect(col('review_score').distinct).toBe(5);
    expect(col('review_score').distinct).toBe(ref1.scores);
    expect(profile.target!.task).toBe('regression');

    // Warnings: identifiers, and timestamps recorded after the purchase (information from the future).
    const has = (code: string, column: string) =>
      warnings.some((w) => w.code === code && w.column === column);
    expect(has('identifier', 'review_id')).toBe(true);
    expect(has('identifier', 'order_id')).toBe(true);
    expect(has('future-timestamp', 'order_delivered_customer_date')).toBe(true);
    expect(has('missing', 'review_comment_title')).toBe(true);

    // On the page: the warnings list, the column grid and charts.
    const cell = page.locator('[data-cell-id="p"]');
    await expect
      .poll(() =>
        cell
          .locator('[data-testid=profile-warnings] li[data-code=identifier][data-column=review_id]')
          .count(),
      )
      .toBe(1);
    expect(
      await cell
        .locator('[data-testid=profile-warnings] li[data-code=identifier][data-column=order_id]')
        .count(),
    ).toBe(1);
    expect(await cell.locator('[data-testid=profile-rows]').textContent()).toBe(
      profile.rows.toLocaleString('en-US'),
    );
    expect(await cell.locator('[data-testid=profile-columns] [data-column]').count()).toBe(
      profile.columnCount,
    );
    expect(await cell.locator('svg').count()).toBeGreaterThan(8);
    expect(states.p.result!.charts!.length).toBeGreaterThan(5);
    expect(states.p.result!.charts!.every((c) => c.svg.startsWith('<svg'))).toBe(true);
    // A viewport taller than the page: the screenshot needs no scrolling under the sticky header.
    await page.setViewportSize({ width: 1280, height: 4200 });
    await page.waitForTimeout(300);
    await cell.screenshot({ path: docShot('profile-olist.png') });
    expect(t.errors).toEqual([]);
    await t.context.close();
  });
});
