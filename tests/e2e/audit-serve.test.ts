/**
 * Issue 7 item 6, end to end: the label-audit model deploys to the companion server like any other
 * model and answers `POST /v1/models/{name}/predict` with `{title, site_id}` exactly as the notebook's
 * audit cell decided. Real headless Chromium + DuckDB-WASM + the audit worker, and the real server
 * (deploy token, temporary models directory).
 *
 * Data: the first 3,000 Amazon UK products, split into two sites ("uk", and "ie" for every 3rd item),
 * each with its own copy of the category list (every distinct path), the built-in judge on all items.
 * Every 20th item is HELD OUT: its label is removed before the notebook sees it.
 *
 * Why held-out titles: the audit run never uses an item's own label for that item (its kNN query
 * skips the item's own document, the frequency prior subtracts it, the reranker is cross-fitted, the
 * judge leaves it out). The served model answers a NEW title, with every labelled title indexed and
 * the scorer fitted on all of them, so for a title that is itself labelled the served answer may
 * legitimately differ from the cell's row. For an unlabelled item the cell takes the very same steps
 * as the server (nothing excluded, the full scorer, a judge that never trained on it), so the served
 * category, confidence and verdict/reason must equal the cell's output row — which is what this test
 * checks, for every held-out title, one request at a time and as one batch. (Asked the same way about
 * 300 LABELLED titles, the server chose another category for ~20% of them and another confidence for
 * nearly all.) Confidence is compared to 1e-9, not bit for bit: the cell ran in Chromium's V8 and the
 * server in Node's, and a few titles (4 of ~150 when written) differ in the last bit of a double; in
 * one runtime the artifact reproduces the run exactly (src/core/audit/__tests__/artifact.test.ts).
 *
 * Also: a wrong token shows the server's 403 in the cell; the model is listed with kind "audit"; the
 * OpenAPI document has its path. AUDIT_SHOTS=<dir> writes a screenshot of the deployed cell.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditMeta } from '../../src/cells/audit.ts';
import { type E2E, openApp, provideFiles, settle, startE2E, type TrackedPage } from './app.ts';
import { AMAZON, amazonCategoriesSql, auditNotebook, fileRef } from './auditData.ts';

const SHOTS = process.env.AUDIT_SHOTS;
const TOKEN = 'e2e-audit-deploy-7c21';
const N_ITEMS = 3000;
const HOLD_OUT_EVERY = 20;

interface Served {
  model: { name: string; version: number };
  site_id: string;
  category: { id: string; name: string; path: string[] } | null;
  confidence: number;
  verdict: 'confirm' | 'reject' | null;
  reason: string;
  alternatives: { id: string; probability: number }[];
}

interface Held {
  id: string;
  title: string;
  site: string;
}

/**
 * items.csv (uniq_id, product_name, label with every 20th removed, site) and categories.csv (id, name,
 * path, site: the list once per site), written with native DuckDB. Returns the held-out items.
 */
async function writeInputs(
  dir: string,
): Promise<{ items: string; categories: string; held: Held[]; innerLabels: number }> {
  const items = join(dir, 'items.csv');
  const categories = join(dir, 'categories.csv');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false');
  const src = `read_csv('${AMAZON}', header=true, sample_size=-1, all_varchar=true)`;
  await con.run(`CREATE TABLE cats AS ${amazonCategoriesSql(src)}`);
  await con.run(
    `COPY (SELECT *, s AS site FROM cats, (VALUES ('uk'), ('ie')) v(s) ORDER BY site, id) TO '${categories}' (HEADER)`,
  );
  await con.run(
    `CREATE TABLE base AS SELECT row_number() OVER () AS rn, uniq_id, product_name,
            amazon_category_and_sub_category AS truth FROM ${src} LIMIT ${N_ITEMS};
     CREATE TABLE out AS SELECT uniq_id, product_name,
            CASE WHEN rn % ${HOLD_OUT_EVERY} = 0 THEN NULL ELSE truth END AS amazon_category_and_sub_category,
            CASE WHEN rn % 3 = 0 THEN 'ie' ELSE 'uk' END AS site,
            rn % ${HOLD_OUT_EVERY} = 0 AS held
          FROM base ORDER BY rn`,
  );
  await con.run(
    `COPY (SELECT uniq_id, product_name, amazon_category_and_sub_category, site FROM out) TO '${items}' (HEADER)`,
  );
  const held = (
    await con.runAndReadAll(
      `SELECT uniq_id, product_name, site FROM out WHERE held AND trim(coalesce(product_name, '')) <> '' ORDER BY uniq_id`,
    )
  )
    .getRows()
    .map(([id, title, site]) => ({ id: String(id), title: String(title), site: String(site) }));
  // Labels naming an inner category (a path that another path continues): no leaf, so not a label.
  const innerLabels = Number(
    (
      await con.runAndReadAll(
        `SELECT count(*) FROM out o WHERE amazon_category_and_sub_category IS NOT NULL
           AND EXISTS (SELECT 1 FROM cats c WHERE starts_with(c.path, o.amazon_category_and_sub_category || ' > '))`,
      )
    ).getRows()[0][0],
  );
  con.closeSync();
  return { items, categories, held, innerLabels };
}

/** A query's rows as plain objects (DuckDB-WASM in the page → Arrow IPC → here). */
async function rowsOf(page: Page, sql: string): Promise<Record<string, unknown>[]> {
  const ipc = await page.evaluate(async (q) => Array.from((await window.benchtop!.data.query(q)).arrow), sql);
  return tableFromIPC(Uint8Array.from(ipc))
    .toArray()
    .map((r) => ({ ...(r.toJSON() as Record<string, unknown>) }));
}

describe('audit model served by the companion server (headless Chromium + server)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let page: Page;
  let dir: string;
  let held: Held[];
  let meta: AuditMeta;
  let innerLabels: number;
  // The server's URL ends with "/".
  const origin = () => e2e.server.url.replace(/\/$/, '');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bt-audit-serve-'));
    const modelsDir = join(dir, 'models');
    e2e = await startE2E({ token: TOKEN, modelsDir });
    const paths = await writeInputs(dir);
    held = paths.held;
    innerLabels = paths.innerLabels;
    const items = await fileRef(paths.items, 'items.csv');
    const categories = await fileRef(paths.categories, 'categories.csv');
    const doc = auditNotebook(
      'audit-serve',
      { items, categories },
      { judge: 'builtin', siteColumn: 'site', categorySiteColumn: 'site' },
    );
    t = await openApp(e2e);
    page = t.page;
    await page.evaluate((d) => window.benchtop!.openNotebook(d), doc);
    await provideFiles(page, { 'items.csv': items.b64, 'categories.csv': categories.b64 });
    await page.evaluate(() => window.benchtop!.runAll());
    await settle(page, 240_000);
    const s = await page.evaluate(() => window.benchtop!.states());
    expect(s.a?.error).toBeUndefined();
    expect(s.a?.status).toBe('ok');
    meta = s.a.result!.meta as unknown as AuditMeta;
  }, 300_000);

  afterAll(async () => {
    await e2e?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('deploys from the cell: 403 with a wrong token, then the model is served and listed', async () => {
    expect(meta.rows).toBe(N_ITEMS);
    expect([...meta.sites].sort()).toEqual(['ie', 'uk']);
    expect(meta.judge.kind).toBe('builtin');
    expect(held.length).toBeGreaterThanOrEqual(100);
    expect(innerLabels).toBeGreaterThan(0);
    expect(meta.unresolvedLabels).toBe(innerLabels);

    const cell = page.locator('[data-cell-id="a"]');
    expect(await cell.locator('[data-testid=audit-unresolved]').textContent()).toBe(
      `${innerLabels} labels name no leaf category`,
    );
    const token = cell.locator('[data-testid=audit-deploy-token]');
    const button = cell.locator('[data-testid=audit-deploy-button]');
    await token.fill('not-the-token');
    await button.click();
    const error = cell.locator('[data-testid=audit-deploy-error]');
    await error.waitFor({ timeout: 60_000 });
    expect(await error.textContent()).toMatch(/^403\b.*token/);
    expect(await cell.locator('[data-testid=audit-deploy-result]').count()).toBe(0);
    if (SHOTS)
      await cell
        .locator('[data-testid=audit-deploy]')
        .screenshot({ path: join(SHOTS, 'audit-deploy-403.png') });

    await token.fill(TOKEN);
    await button.click();
    const result = cell.locator('[data-testid=audit-deploy-result]');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.getAttribute('data-name')).toBe('audit');
    expect(await result.getAttribute('data-version')).toBe('1');
    expect(await error.count()).toBe(0);
    // The component asked the served model about the artifact's example title and shows the answer.
    const tried = cell.locator('[data-testid=audit-deploy-tried]');
    await tried.waitFor({ timeout: 30_000 });
    expect(await tried.textContent()).toMatch(/site (uk|ie)/);
    expect(await cell.locator('[data-testid=audit-deploy-curl]').textContent()).toContain(
      `${origin()}/v1/models/audit/predict`,
    );
    // The token is in this browser's storage only, never in the notebook.
    const nb = await page.evaluate(() => JSON.stringify(window.benchtop!.notebook()));
    expect(nb).not.toContain(TOKEN);
    if (SHOTS) await cell.screenshot({ path: join(SHOTS, 'audit-deployed.png') });

    const list = (await (await fetch(`${origin()}/v1/models`)).json()) as {
      models: { name: string; version: number; kind: string }[];
    };
    expect(list.models.find((m) => m.name === 'audit')).toMatchObject({ version: 1, kind: 'audit' });
    const details = (await (await fetch(`${origin()}/v1/models/audit`)).json()) as {
      kind: string;
      sites: { id: string; labelled: number; judge: boolean; knn: boolean }[];
    };
    expect(details.kind).toBe('audit');
    expect(details.sites.map((s) => s.id).sort()).toEqual(['ie', 'uk']);
    // Every resolved label of the run is in the model (the held-out items are not).
    expect(details.sites.reduce((n, s) => n + s.labelled, 0)).toBe(meta.labelled);
    expect(details.sites.every((s) => s.judge && s.knn)).toBe(true);
    const openapi = (await (await fetch(`${origin()}/openapi.json`)).json()) as {
      paths: Record<string, { post?: { operationId?: string } }>;
    };
    expect(openapi.paths['/v1/models/audit/predict']?.post?.operationId).toBe('predict_audit');
  });

  it('answers every held-out title exactly as the audit cell decided (category, confidence, verdict, reason)', async () => {
    const ids = held.map((h) => `'${h.id.replaceAll("'", "''")}'`).join(', ');
    const table = await rowsOf(
      page,
      `SELECT id, site, title, original_id, inferred_id, confidence, verdict, reason FROM audit WHERE id IN (${ids})`,
    );
    const byId = new Map(table.map((r) => [String(r.id), r]));
    expect(byId.size).toBe(held.length);

    const post = async (body: unknown) => {
      const res = await fetch(`${origin()}/v1/models/audit/predict`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      return res.json();
    };

    const singles: Served[] = [];
    let withCategory = 0;
    let rejected = 0;
    for (const h of held) {
      const row = byId.get(h.id)!;
      // Held out: the cell saw no label for it, and its own row is the one to reproduce.
      expect(row.original_id).toBeNull();
      expect(row.title).toBe(h.title);
      expect(row.site).toBe(h.site);
      const s = (await post({ title: h.title, site_id: h.site })) as Served;
      singles.push(s);
      expect(s.model).toEqual({ name: 'audit', version: 1 });
      expect(s.site_id).toBe(h.site);
      expect(s.category?.id ?? null, h.title).toBe(row.inferred_id);
      expect(Math.abs(s.confidence - Number(row.confidence)), h.title).toBeLessThanOrEqual(1e-9);
      if (row.inferred_id === null) continue;
      withCategory++;
      expect(s.verdict, h.title).toBe(row.verdict);
      expect(s.reason, h.title).toBe(row.reason);
      if (s.verdict === 'reject') rejected++;
    }
    // Real decisions, not one degenerate answer: most titles get a category, and the judge says both.
    expect(withCategory).toBeGreaterThan(held.length * 0.9);
    expect(new Set(singles.map((s) => s.category?.id)).size).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(0);
    expect(rejected).toBeLessThan(withCategory);

    // The same titles as one batch: the same answers, in order.
    const batch = (await post({ rows: held.map((h) => ({ title: h.title, site_id: h.site })) })) as {
      model: { name: string; version: number };
      results: Omit<Served, 'model'>[];
    };
    expect(batch.results).toHaveLength(held.length);
    batch.results.forEach((r, i) => {
      const { model: _m, ...one } = singles[i];
      expect(r).toEqual(one);
    });
    expect(t.errors).toEqual([]);
  });
});
