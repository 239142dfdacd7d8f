/**
 * The notebook's everyday controls, driven like a user: type overrides, add/move/collapse/delete,
 * keyboard shortcuts, a real drag-and-drop, the notebooks list, and export/import.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2E, openApp, settle, startE2E, type TrackedPage } from './app.ts';

describe('notebook controls (headless Chromium)', () => {
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

  const kinds = () => t.page.evaluate(() => window.benchtop!.notebook().cells.map((c) => c.kind));
  const describeTable = (name: string) => t.page.evaluate((n) => window.benchtop!.data.describe(n), name);

  it('overrides a column type, refuses a cast that fails naming the value, and resets', async () => {
    const source = t.page.locator('[data-testid=cell][data-kind=source]').first();
    await source.locator('[data-testid=toggle-columns]').click();
    await source.locator('select[data-column=temp_max]').selectOption('VARCHAR');
    await settle(t.page);
    expect((await describeTable('weather')).columns.find((c) => c.name === 'temp_max')?.type).toBe('VARCHAR');
    await source.locator('select[data-column=weather]').selectOption('BIGINT');
    await settle(t.page);
    await expect
      .poll(() => source.locator('[data-testid=cell-error]').textContent())
      .toMatch(/"weather".*BIGINT.*"drizzle"/);
    await source.locator('[data-testid=reset-types]').click();
    await settle(t.page);
    expect(await source.getAttribute('data-status')).toBe('ok');
    expect((await describeTable('weather')).columns.find((c) => c.name === 'temp_max')?.type).toBe('DOUBLE');
  });

  it('adds, moves, collapses and deletes cells; keyboard b adds below', async () => {
    const n0 = (await kinds()).length;
    await t.page.locator('[data-testid=add-cell]').last().click();
    await t.page.locator('[data-testid=add-markdown]').click();
    expect(await kinds()).toEqual([...(await kinds()).slice(0, n0), 'markdown']);
    const last = t.page.locator('[data-testid=cell]').last();
    const id = await last.getAttribute('data-cell-id');
    await last.hover();
    await last.locator('button[title="Move up"]').click();
    const ids = await t.page.evaluate(() => window.benchtop!.notebook().cells.map((c) => c.id));
    expect(ids.indexOf(id!)).toBe(n0 - 1);
    const moved = t.page.locator(`[data-cell-id="${id}"]`);
    await moved.locator('[data-testid=collapse-cell]').click();
    expect(
      await t.page.evaluate((i) => window.benchtop!.notebook().cells.find((c) => c.id === i)?.collapsed, id),
    ).toBe(true);
    // Keyboard: focus the cell (not an editor) and press b → a SQL cell below it.
    await moved.focus();
    await t.page.keyboard.press('b');
    const after = await t.page.evaluate(() => window.benchtop!.notebook().cells);
    expect(after[after.findIndex((c) => c.id === id) + 1].kind).toBe('sql');
    const original = (await kinds()).filter((_, i) => i !== n0 - 1 && i !== n0);
    await moved.locator('[data-testid=delete-cell]').click();
    expect((await kinds()).length).toBe(n0 + 1);
    // The SQL cell that `b` added now sits where the markdown cell was.
    await t.page
      .locator('[data-testid=cell]')
      .nth(n0 - 1)
      .locator('[data-testid=delete-cell]')
      .click();
    expect(await kinds()).toEqual(original);
  });

  it('accepts a real drag-and-drop of a file', async () => {
    const csv = 'city,visits\nLisbon,3\nPorto,4\nBraga,5\n';
    const dt = await t.page.evaluateHandle((text) => {
      const d = new DataTransfer();
      d.items.add(new File([text], 'trips 2024.csv', { type: 'text/csv' }));
      return d;
    }, csv);
    await t.page.dispatchEvent('main', 'dragenter', { dataTransfer: dt });
    await t.page.locator('[data-testid=drop-overlay]').waitFor();
    await t.page.dispatchEvent('main', 'drop', { dataTransfer: dt });
    await t.page.waitForFunction(() =>
      window.benchtop!.notebook().cells.some((c) => c.kind === 'source' && c.config.name === 'trips_2024'),
    );
    await settle(t.page);
    const info = await describeTable('trips_2024');
    expect(info.rowCount).toBe(3);
    expect(info.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['city:VARCHAR', 'visits:BIGINT']);
    expect(await t.page.locator('[data-testid=drop-overlay]').count()).toBe(0);
  });

  it('exports a .benchtop.json and imports it as a new notebook that does not run', async () => {
    const [download] = await Promise.all([
      t.page.waitForEvent('download'),
      t.page.locator('[data-testid=export]').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.benchtop\.json$/);
    const path = await download.path();
    const exported = JSON.parse(await readFile(path, 'utf8'));
    const current = await t.page.evaluate(() => window.benchtop!.notebook());
    expect(exported.cells).toEqual(current.cells);
    await t.page.locator('[data-testid=import-input]').setInputFiles(path);
    await t.page.locator('[data-testid=untrusted-banner]').waitFor();
    const imported = await t.page.evaluate(() => window.benchtop!.notebook());
    expect(imported.id).not.toBe(current.id);
    expect(imported.cells).toEqual(current.cells);
    expect(Object.keys(await t.page.evaluate(() => window.benchtop!.states()))).toEqual([]);
  });

  it('lists notebooks: rename, duplicate, open, delete', async () => {
    await t.page.locator('[data-testid=open-notebooks]').click();
    const items = t.page.locator('[data-testid=notebook-item]');
    await expect.poll(() => items.count()).toBe(2);
    const first = items.first();
    await first.getByRole('button', { name: 'Rename' }).click();
    await first.locator('input').fill('Renamed notebook');
    await first.locator('input').press('Enter');
    await expect.poll(() => items.first().textContent()).toContain('Renamed notebook');
    await items.first().getByRole('button', { name: 'Duplicate' }).click();
    await expect.poll(() => items.count()).toBe(3);
    expect(await t.page.locator('[data-testid=notebooks-drawer]').textContent()).toContain(
      'Renamed notebook (copy)',
    );
    t.page.once('dialog', (d) => void d.accept());
    const copy = items.filter({ hasText: 'Renamed notebook (copy)' });
    await copy.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => items.count()).toBe(2);
    // Open the other notebook: its cells replace the current ones and run.
    const other = items.filter({ hasNotText: 'Renamed notebook' }).first();
    const title = (await other.locator('strong').textContent())!;
    await other.locator('button.title').click();
    await expect.poll(() => t.page.locator('[data-testid=notebook-title]').inputValue()).toBe(title);
    await settle(t.page);
  });
});
