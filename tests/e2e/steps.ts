/**
 * Steps the end-to-end tests take the same way: open and run a notebook, add a cell through the menu,
 * train through the form, read stored runs back from the page's IndexedDB. They assert nothing beyond
 * what every caller checked itself before (a training that did not end `ok` fails with its error).
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { CellRunState } from '../../src/automation.ts';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { settle } from './app.ts';

/**
 * Where a README screenshot goes: `docs/img/<name>` with BENCHTOP_DOC_SHOTS=1 (refreshing the README's
 * pictures is a deliberate act), else a temporary folder (printed once), so a test run leaves the
 * working tree as it found it: every run used to rewrite docs/img/*.png. Either way the screenshot is
 * taken, from the same state.
 */
export function docShot(name: string): string {
  if (process.env.BENCHTOP_DOC_SHOTS === '1') return join('docs', 'img', name);
  const dir = join(tmpdir(), 'benchtop-doc-shots');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** Open `doc` in the page, run every cell, and wait until none is queued or running. */
export async function runNotebook(page: Page, doc: NotebookDoc, timeout?: number): Promise<void> {
  await page.evaluate(async (d) => {
    await window.benchtop!.openNotebook(d);
    await window.benchtop!.runAll();
  }, doc);
  await settle(page, timeout);
}

/**
 * Add a cell of `kind` at the end through the "+" menu (what a user does); `ready` is a test id inside
 * the new cell to wait for. Returns the new cell.
 */
export async function addCell(page: Page, kind: string, ready?: string): Promise<Locator> {
  const before = await page.locator('[data-testid=cell]').count();
  await page.locator('[data-testid=add-cell]').last().click();
  await page.locator(`[data-testid=add-${kind}]`).click();
  const cell = page.locator('[data-testid=cell]').nth(before);
  if (ready) await cell.locator(`[data-testid=${ready}]`).waitFor();
  return cell;
}

/** A train cell added through the menu, its form shown. */
export const addTrainCell = (page: Page): Promise<Locator> => addCell(page, 'train', 'train-form');

/**
 * Press the train cell's Train button and wait for that run to finish (a run counted after the click,
 * not the previous one); expects it `ok`. Returns the cell's state.
 */
export async function trainAndWait(page: Page, cell: Locator, timeout = 150_000): Promise<CellRunState> {
  const id = (await cell.getAttribute('data-cell-id'))!;
  const runsBefore = await page.evaluate((id) => window.benchtop!.states()[id]?.runs ?? 0, id);
  await cell.locator('[data-testid=train-button]').click();
  await page.waitForFunction(
    ([id, n]) => {
      const s = window.benchtop!.states()[id as string];
      return s && (s.runs ?? 0) > (n as number) && s.status !== 'running' && s.status !== 'queued';
    },
    [id, runsBefore] as const,
    { timeout, polling: 100 },
  );
  const state = await page.evaluate((id) => window.benchtop!.states()[id], id);
  expect(state.status, state.error).toBe('ok');
  return state;
}

/** `trainAndWait`, returning the run's meta. */
export async function train(page: Page, cell: Locator, timeout?: number): Promise<Record<string, unknown>> {
  return (await trainAndWait(page, cell, timeout)).result!.meta!;
}

/** The stored run record with this id, as the page's IndexedDB holds it (`T`: the fields read). */
export async function storedRun<T>(page: Page, runId: string): Promise<T> {
  return page.evaluate(
    (runId) =>
      new Promise<T>((resolve, reject) => {
        const req = indexedDB.open('benchtop');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const get = db.transaction('runs').objectStore('runs').get(runId);
          get.onsuccess = () => {
            db.close();
            resolve(get.result as T);
          };
          get.onerror = () => reject(get.error);
        };
      }),
    runId,
  );
}

/** The model artifact of a stored run. */
export async function storedArtifact(page: Page, runId: string): Promise<ModelArtifact> {
  return (await storedRun<{ artifact: ModelArtifact }>(page, runId)).artifact;
}

/** Every stored run of the open notebook (`T`: the fields read). */
export async function storedRuns<T extends { notebookId: string }>(page: Page): Promise<T[]> {
  return page.evaluate(
    () =>
      new Promise<T[]>((resolve, reject) => {
        const nbId = window.benchtop!.notebook().id;
        const req = indexedDB.open('benchtop');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const get = db.transaction('runs').objectStore('runs').getAll();
          get.onsuccess = () => {
            db.close();
            resolve((get.result as T[]).filter((r) => r.notebookId === nbId));
          };
          get.onerror = () => reject(get.error);
        };
      }),
  );
}
