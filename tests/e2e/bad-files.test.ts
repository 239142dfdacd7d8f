/**
 * Drop every file of the bad-input corpus (tests/fixtures/bad/) onto the real app, as a user would.
 * Each must produce its specific message (file, and line/column where known) within seconds; the
 * notebook stays exactly as it was and keeps working.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2E, openApp, settle, startE2E, type TrackedPage } from './app.ts';

interface Case {
  file: string;
  pattern: string;
  sizeOnly?: number;
}
const BAD = resolve('tests/fixtures/bad');
const cases = (JSON.parse(readFileSync(join(BAD, 'expected.json'), 'utf8')) as { cases: Case[] }).cases;

describe('bad input corpus, dropped on the app', () => {
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

  it('has at least 20 bad files', () => {
    expect(cases.filter((c) => !c.sizeOnly).length).toBeGreaterThanOrEqual(20);
  });

  it('every file gets its specific message and the notebook is untouched', async () => {
    const before = await t.page.evaluate(() => window.benchtop!.notebook());
    const files = cases.filter((c) => !c.sizeOnly);
    const t0 = Date.now();
    await t.page.locator('[data-testid=file-input]').setInputFiles(files.map((c) => join(BAD, c.file)));
    await t.page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=toast][data-kind=error]').length >= n,
      files.length,
      { timeout: 60_000 },
    );
    await settle(t.page);
    const elapsed = Date.now() - t0;
    const texts = await t.page.locator('[data-testid=toast][data-kind=error]').allTextContents();
    for (const c of files) {
      const hit = texts.find((x) => x.includes(c.file) && new RegExp(c.pattern.replace(/^\^/, '')).test(x));
      expect(hit, `${c.file}: expected /${c.pattern}/ in one of the messages`).toBeTruthy();
    }
    expect(elapsed).toBeLessThan(60_000);
    const after = await t.page.evaluate(() => window.benchtop!.notebook());
    expect(after.cells).toEqual(before.cells);
    await t.page.screenshot({ path: '/tmp/bt-bad-files.png' });
    await t.page.locator('[data-testid=dismiss-all]').click();
    // Still usable: the default notebook's query runs again.
    await t.page.locator('[data-testid=run-all]').click();
    await settle(t.page);
    expect(await t.page.locator('[data-testid=cell][data-status=error]').count()).toBe(0);
    expect(await t.page.locator('[data-testid=cell][data-status=ok]').count()).toBe(before.cells.length);
  });

  it('a 3 GB file is refused by its size before it is read', async () => {
    const c = cases.find((x) => x.sizeOnly)!;
    // A sparse file: 3 GB announced, no disk used; the page must refuse it without reading it.
    const dir = await mkdtemp(join(tmpdir(), 'bt-huge-'));
    const path = join(dir, c.file);
    const fh = await open(path, 'w');
    await fh.truncate(c.sizeOnly!);
    await fh.close();
    await t.page.locator('[data-testid=file-input]').setInputFiles(path);
    const toast = t.page.locator('[data-testid=toast][data-kind=error]').filter({ hasText: c.file });
    await toast.first().waitFor({ timeout: 10_000 });
    expect(await toast.first().textContent()).toMatch(new RegExp(c.pattern.replace(/^\^/, '')));
  });
});
