/**
 * "Text to performance" end to end in headless Chromium: predict a film's box office from its script
 * text plus a budget, and see which terms drove it. A SQL cell generates 1,500 scripts in DuckDB
 * (./scripts.ts: 8 filler words each, hashed from the row number; `spaceship` planted in ~35 % of
 * them adds 30 to the revenue, `wedding` in ~35 % subtracts 20) → a GBDT and a linear
 * model trained by the app's train cells (the script column is inferred as text: TF-IDF words and
 * word pairs) → a predict cell per model: typing a script with `spaceship` shows it as the script's
 * top term in the waterfall with a positive contribution ("script: 'spaceship' +…"; for the linear
 * model the top term may be a word pair with it), one with `wedding` a negative one; the terms of the
 * script add up to its contribution → an evaluate cell
 * (run in the evaluation worker) shows the top terms in a worst row's explanation.
 * Saves /tmp/text-terms-predict-<family>.png and /tmp/text-terms-evaluate.png.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { type E2E, openApp, startE2E, type TrackedPage } from './app.ts';
import { runNotebook } from './steps.ts';
import { FILLER, scriptsSql } from './scripts.ts';

function notebookDoc(): NotebookDoc {
  const now = new Date().toISOString();
  const train = (id: string, family: string, params: Record<string, unknown>) => ({
    id,
    kind: 'train',
    config: {
      input: 'scripts',
      target: 'revenue',
      features: ['script', 'budget', 'released', 'sequel'],
      split: { kind: 'random', seed: 42, fractions: { train: 0.7, valid: 0.15, test: 0.15 } },
      family,
      params,
      seed: 42,
      name: `${family} · revenue`,
    },
  });
  return {
    format: 'benchtop-notebook',
    version: 1,
    id: `text-terms-e2e-${Date.now()}`,
    title: 'Text to performance',
    createdAt: now,
    updatedAt: now,
    cells: [
      { id: 'gen', kind: 'sql', config: { name: 'scripts', sql: scriptsSql(1500) } },
      train('trn-gbdt', 'gbdt', { nEstimators: 80 }),
      // A little more L2 than the default: ~1,000 TF-IDF terms (words and pairs) on ~1,000 rows.
      train('trn-linear', 'linear', { l2: 0.01 }),
      {
        id: 'prd-gbdt',
        kind: 'predict',
        config: { runId: 'latest', trainCell: 'trn-gbdt', input: 'scripts' },
      },
      {
        id: 'prd-linear',
        kind: 'predict',
        config: { runId: 'latest', trainCell: 'trn-linear', input: 'scripts' },
      },
      {
        id: 'ev-gbdt',
        kind: 'evaluate',
        config: { runId: 'latest', trainCell: 'trn-gbdt', input: 'scripts', part: 'test' },
      },
    ],
  };
}

interface Wf {
  base: number;
  output: number;
  contributions: { feature: string; value: number }[];
  terms?: {
    column: string;
    total: number;
    terms: { term: string; value: number }[];
    otherPresent: number;
    absent: number;
  }[];
}

describe('per-term explanations of a text column (headless Chromium)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let page: Page;
  beforeAll(async () => {
    e2e = await startE2E();
    t = await openApp(e2e);
    page = t.page;
    await runNotebook(page, notebookDoc(), 300_000);
  }, 360_000);
  afterAll(async () => {
    await e2e?.close();
  });

  const cellOf = (id: string): Locator => page.locator(`[data-testid=cell][data-cell-id="${id}"]`);

  async function waterfall(cell: Locator): Promise<{ record: Record<string, unknown>; wf: Wf }> {
    const record = JSON.parse(
      (await cell.locator('[data-testid=predict-result]').getAttribute('data-record')) || '{}',
    ) as Record<string, unknown>;
    const wf = JSON.parse(
      (await cell.locator('[data-testid=waterfall]').getAttribute('data-waterfall')) || '{}',
    ) as Wf;
    return { record, wf };
  }

  for (const family of ['gbdt', 'linear'] as const)
    it(`${family}: the planted words lead the script's terms in the waterfall, with their sign`, async () => {
      for (const id of ['gen', `trn-${family}`, `prd-${family}`]) {
        const s = await page.evaluate((id) => window.benchtop!.states()[id], id);
        expect(s.status, `${id}: ${s.error}`).toBe('ok');
      }
      const cell = cellOf(`prd-${family}`);
      await cell.locator('[data-testid=waterfall]').waitFor({ timeout: 60_000 });
      // The script is a text area (the inferred kind is text).
      const field = cell.locator('[data-testid=predict-field][data-field=script]');
      expect(await field.getAttribute('data-kind')).toBe('text');
      const input = field.locator('textarea[data-testid=predict-input]');
      for (const [text, word, sign] of [
        ['crew planet storm river spaceship city night family secret', 'spaceship', 1],
        ['doctor money train island wedding winter summer letter village', 'wedding', -1],
      ] as const) {
        await input.fill(text);
        await expect.poll(async () => (await waterfall(cell)).record.script, { timeout: 15_000 }).toBe(text);
        const { wf } = await waterfall(cell);
        const script = wf.contributions.find((c) => c.feature === 'script')!;
        const terms = wf.terms!.find((x) => x.column === 'script')!;
        // The terms of the script add up to its contribution; base + Σ contributions = the output.
        const sum = terms.terms.reduce((a, x) => a + x.value, 0) + terms.otherPresent + terms.absent;
        expect(Math.abs(sum - script.value)).toBeLessThan(1e-6);
        expect(
          Math.abs(wf.base + wf.contributions.reduce((a, c) => a + c.value, 0) - wf.output),
        ).toBeLessThan(1e-6);
        // The planted word leads: trees split on the word itself; the linear model spreads the effect
        // over the word and the word pairs with it (each seen only with it), so its top term is the
        // word or a pair containing it. Either way with the planted sign, as are all terms with it.
        const top = terms.terms[0];
        if (family === 'gbdt') expect(top.term).toBe(word);
        else expect(top.term.split(' ')).toContain(word);
        expect(Math.sign(top.value)).toBe(sign);
        const withWord = terms.terms.filter((x) => x.term.split(' ').includes(word));
        expect(Math.sign(withWord.reduce((a, x) => a + x.value, 0))).toBe(sign);
        // Drawn: the script's row, then its term rows, the first being the top term.
        const step = cell.locator(`[data-testid=waterfall-step][data-kind=term][data-column=script]`).first();
        expect(await step.getAttribute('data-term')).toBe(top.term);
        expect(await step.getAttribute('data-label')).toBe(`script: '${top.term}'`);
        expect(await step.textContent()).toMatch(sign > 0 ? /\+\d/ : /−\d/);
        console.log(
          `${family} "${text}": script ${script.value.toFixed(3)}; top terms ${terms.terms
            .slice(0, 4)
            .map((x) => `${x.term} ${x.value.toFixed(3)}`)
            .join(', ')}; absent ${terms.absent.toFixed(3)}`,
        );
      }
      await cell.screenshot({ path: `/tmp/text-terms-predict-${family}.png` });
    });

  it('the evaluate cell (in the evaluation worker) shows the top terms of a worst row', async () => {
    const s = await page.evaluate(() => window.benchtop!.states()['ev-gbdt']);
    expect(s.status, s.error).toBe('ok');
    const cell = cellOf('ev-gbdt');
    await cell.locator('[data-testid=worst-row]').first().click();
    const terms = cell.locator('[data-testid=worst-terms]');
    await terms.waitFor();
    const chips = await terms
      .locator('[data-testid=worst-term]')
      .evaluateAll((els) =>
        els.map((e) => [e.getAttribute('data-term'), Number(e.getAttribute('data-value'))]),
      );
    expect(chips.length).toBeGreaterThan(0);
    // Sorted by |value|; every term shown is a word (pair) of the generated vocabulary.
    const vocab = new Set([...FILLER, 'spaceship', 'wedding']);
    for (let i = 1; i < chips.length; i++)
      expect(Math.abs(chips[i - 1][1] as number)).toBeGreaterThanOrEqual(Math.abs(chips[i][1] as number));
    for (const [term] of chips) for (const w of String(term).split(' ')) expect(vocab.has(w)).toBe(true);
    const meta = s.result!.meta as {
      evaluation: {
        worst: {
          explanation?: { contributions: { column: string; value: number }[]; terms?: Wf['terms'] };
        }[];
      };
    };
    for (const w of meta.evaluation.worst) {
      const e = w.explanation!;
      const tt = e.terms!.find((x) => x.column === 'script')!;
      const col = e.contributions.find((c) => c.column === 'script')!.value;
      expect(
        Math.abs(tt.terms.reduce((a, x) => a + x.value, 0) + tt.otherPresent + tt.absent - col),
      ).toBeLessThan(1e-6);
    }
    await cell
      .locator('[data-testid=worst-explanation]')
      .screenshot({ path: '/tmp/text-terms-evaluate.png' });
    expect(t.errors).toEqual([]);
  });
});
