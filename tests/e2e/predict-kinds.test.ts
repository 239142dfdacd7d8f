/**
 * The predict panel for every task and field type, end to end in headless Chromium against the
 * built app and the real companion server (deploy token, temporary models directory). The generated
 * films table (./scripts.ts: a text `script`, a DATE `released`, a BOOLEAN `sequel`, a numeric
 * `budget`) → a GBDT for the three-class `outcome` and an MLP for the `revenue` (regression), both
 * trained by the app's train cells → a predict cell per model:
 * - the form shows a text area for the script, a date input for the release date and a checkbox for
 *   the sequel flag (and a number input for the budget);
 * - editing each of them moves the prediction (the planted word, a summer release, the sequel flag);
 * - multiclass: one probability per class, summing to 1, the label the largest; regression: a value;
 * - "Copy as curl": after Deploy, the printed request, sent from Node to the server, is accepted
 *   (200) and answers the panel's prediction.
 * Saves /tmp/predict-kinds-<task>.png.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { parseCurl } from '../../src/ui/predict/model.ts';
import { type E2E, openApp, startE2E, type TrackedPage } from './app.ts';
import { runNotebook } from './steps.ts';
import { scriptsSql } from './scripts.ts';

const TOKEN = 'e2e-predict-kinds-token-71c2';

function notebookDoc(): NotebookDoc {
  const now = new Date().toISOString();
  const train = (id: string, target: string, family: string, params: Record<string, unknown>) => ({
    id,
    kind: 'train',
    config: {
      input: 'films',
      target,
      features: ['script', 'budget', 'released', 'sequel'],
      split: { kind: 'random', seed: 42, fractions: { train: 0.7, valid: 0.15, test: 0.15 } },
      family,
      params,
      seed: 42,
      name: `${family} · ${target}`,
    },
  });
  const predict = (id: string, trainCell: string) => ({
    id,
    kind: 'predict',
    config: { runId: 'latest', trainCell, input: 'films' },
  });
  return {
    format: 'benchtop-notebook',
    version: 1,
    id: `predict-kinds-e2e-${Date.now()}`,
    title: 'Films — predict every kind',
    createdAt: now,
    updatedAt: now,
    cells: [
      { id: 'gen', kind: 'sql', config: { name: 'films', sql: scriptsSql(1500) } },
      train('trn-mc', 'outcome', 'gbdt', { nEstimators: 150 }),
      train('trn-reg', 'revenue', 'mlp', { hiddenLayers: [32], epochs: 30, learningRate: 0.005 }),
      predict('prd-mc', 'trn-mc'),
      predict('prd-reg', 'trn-reg'),
    ],
  };
}

describe('predict panel for every task and field type (headless Chromium + companion server)', () => {
  let e2e: E2E;
  let t: TrackedPage;
  let page: Page;
  beforeAll(async () => {
    e2e = await startE2E({ token: TOKEN, tempModels: true });
    t = await openApp(e2e);
    page = t.page;
    await runNotebook(page, notebookDoc(), 300_000);
  }, 360_000);
  afterAll(async () => {
    await e2e?.close();
  });

  const cellOf = (id: string): Locator => page.locator(`[data-testid=cell][data-cell-id="${id}"]`);
  const field = (cell: Locator, name: string) =>
    cell.locator(`[data-testid=predict-field][data-field="${name}"]`);

  /** The record behind the shown result and the prediction shown (probabilities or value). */
  async function shown(cell: Locator, task: 'multiclass' | 'regression') {
    const record = JSON.parse(
      (await cell.locator('[data-testid=predict-result]').getAttribute('data-record')) || '{}',
    ) as Record<string, unknown>;
    if (task === 'regression') {
      const value = Number(await cell.locator('[data-testid=predict-value]').getAttribute('data-value'));
      return { record, value, probs: {} as Record<string, number>, label: '' };
    }
    const probs = Object.fromEntries(
      await cell
        .locator('[data-testid=predict-probabilities] tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [
            tr.querySelector('th')!.textContent!.trim(),
            Number(tr.querySelector('td')!.getAttribute('data-value')),
          ]),
        ),
    ) as Record<string, number>;
    const label = (await cell.locator('[data-testid=predict-label]').textContent())!.trim();
    return { record, value: Number.NaN, probs, label };
  }

  /** Apply an edit, wait until the panel shows the edited record, and return what it shows. */
  async function edit(
    cell: Locator,
    task: 'multiclass' | 'regression',
    name: string,
    act: () => Promise<void>,
    expected: unknown,
  ) {
    await act();
    await expect
      .poll(async () => (await shown(cell, task)).record[name], { timeout: 15_000 })
      .toEqual(expected);
    return shown(cell, task);
  }

  const moved = (
    a: { value: number; probs: Record<string, number> },
    b: { value: number; probs: Record<string, number> },
  ) =>
    Number.isFinite(a.value)
      ? Math.abs(a.value - b.value) > 1e-9
      : Object.keys(a.probs).some((k) => Math.abs(a.probs[k] - b.probs[k]) > 1e-9);

  for (const [task, id, trainId] of [
    ['multiclass', 'prd-mc', 'trn-mc'],
    ['regression', 'prd-reg', 'trn-reg'],
  ] as const)
    it(`${task}: text area, date input and checkbox; each edit moves the prediction; curl is accepted`, async () => {
      for (const c of ['gen', trainId, id]) {
        const s = await page.evaluate((c) => window.benchtop!.states()[c], c);
        expect(s.status, `${c}: ${s.error}`).toBe('ok');
      }
      const cell = cellOf(id);
      await cell.locator('[data-testid=predict-result] .big').waitFor({ timeout: 60_000 });
      expect(
        await cell
          .locator('[data-testid=predict-field]')
          .evaluateAll((els) =>
            els.map((e) => `${e.getAttribute('data-field')}:${e.getAttribute('data-kind')}`),
          ),
      ).toEqual(['script:text', 'budget:numeric', 'released:datetime', 'sequel:boolean']);
      const script = field(cell, 'script').locator('textarea[data-testid=predict-input]');
      const released = field(cell, 'released').locator('input[type=date][data-testid=predict-input]');
      const sequel = field(cell, 'sequel').locator('input[type=checkbox][data-testid=predict-input]');
      await script.waitFor();
      await released.waitFor();
      await sequel.waitFor();

      // A known starting record: a small budget, no planted word, a winter release, not a sequel.
      let s = await edit(cell, task, 'budget', () => field(cell, 'budget').locator('input').fill('20'), 20);
      s = await edit(
        cell,
        task,
        'script',
        () => script.fill('crew planet storm river city night family secret'),
        'crew planet storm river city night family secret',
      );
      s = await edit(cell, task, 'released', () => released.fill('2019-01-15'), '2019-01-15');
      s = await edit(
        cell,
        task,
        'sequel',
        async () => {
          if (await sequel.isChecked()) await sequel.uncheck();
        },
        false,
      );
      const check = (x: typeof s) => {
        if (task === 'multiclass') {
          const ps = Object.values(x.probs);
          expect(Object.keys(x.probs).sort()).toEqual(['blockbuster', 'flop', 'hit']);
          expect(Math.abs(ps.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
          for (const p of ps) expect(p).toBeGreaterThanOrEqual(0);
          expect(x.probs[x.label]).toBe(Math.max(...ps));
        } else expect(Number.isFinite(x.value)).toBe(true);
      };
      check(s);

      // Each field type moves the prediction.
      const edits: [string, () => Promise<void>, unknown][] = [
        ['released', () => released.fill('2019-07-15'), '2019-07-15'],
        ['sequel', () => sequel.check(), true],
        [
          'script',
          () => script.fill('crew planet storm river spaceship city night family secret'),
          'crew planet storm river spaceship city night family secret',
        ],
      ];
      for (const [name, act, expected] of edits) {
        const next = await edit(cell, task, name, act, expected);
        console.log(
          `${task} ${name} → ${JSON.stringify(expected)}: ${JSON.stringify(task === 'regression' ? s.value : s.probs)} → ${JSON.stringify(task === 'regression' ? next.value : next.probs)}`,
        );
        check(next);
        expect(moved(s, next), `editing ${name} should move the prediction`).toBe(true);
        s = next;
      }
      if (task === 'regression') {
        // The planted effects all raise the revenue: +15, +10, +30 in the generating formula.
        expect(s.value).toBeGreaterThan(70);
      }

      // Deploy, then the printed curl request is accepted by the server and answers the same.
      await cell.locator('[data-testid=deploy-token]').fill(TOKEN);
      await cell.locator('[data-testid=deploy-button]').click();
      const result = cell.locator('[data-testid=deploy-result]');
      await result.waitFor({ timeout: 30_000 });
      const name = await result.getAttribute('data-name');
      const curl = (await cell.locator('[data-testid=predict-curl]').textContent())!.trim();
      const req = parseCurl(curl)!;
      expect(req.url).toBe(`${e2e.server.url}v1/models/${name}/predict`);
      expect(JSON.parse(req.body)).toEqual(s.record);
      const res = await fetch(req.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: req.body,
      });
      const answer = (await res.json()) as {
        prediction: { value?: number; label?: string; probabilities?: Record<string, number> };
        warnings: unknown[];
      };
      expect(res.status, JSON.stringify(answer)).toBe(200);
      // The MLP runs TF.js in float32 on the page's backend and on the server's CPU backend: equal to
      // float32 rounding, not bit for bit.
      if (task === 'regression')
        expect(Math.abs(answer.prediction.value! - s.value)).toBeLessThan(
          1e-5 * Math.max(1, Math.abs(s.value)),
        );
      else {
        expect(answer.prediction.label).toBe(s.label);
        for (const [k, p] of Object.entries(s.probs))
          expect(Math.abs(answer.prediction.probabilities![k] - p)).toBeLessThan(1e-9);
      }
      console.log(
        `${task}: panel ${JSON.stringify(task === 'regression' ? s.value : s.probs)}; server ${JSON.stringify(answer.prediction)}`,
      );
      await cell.screenshot({ path: `/tmp/predict-kinds-${task}.png` });
      expect(t.errors).toEqual([]);
    }, 120_000);

  it('MLP: the prediction shows first and the page keeps painting while the worker explains', async () => {
    const cell = cellOf('prd-reg');
    const why = cell.locator('[data-testid=predict-why]');
    await why.waitFor({ timeout: 60_000 });
    await expect.poll(() => why.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    const text = 'crew storm spaceship city night river planet family secret letter';
    // In the page: a requestAnimationFrame loop noting the longest gap between frames, and the first
    // moment the panel shows the edited record's prediction and then its explanation.
    await page.evaluate((text) => {
      const w = window as unknown as {
        __probe: { gap: number; frames: number; pred?: number; expl?: number; stop: boolean };
      };
      const probe = { gap: 0, frames: 0, stop: false } as (typeof w)['__probe'];
      w.__probe = probe;
      let last = performance.now();
      const tick = (now: number) => {
        probe.gap = Math.max(probe.gap, now - last);
        last = now;
        probe.frames++;
        if (!probe.stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      const root = document.querySelector('[data-testid=cell][data-cell-id="prd-reg"]')!;
      const shows = (sel: string) => {
        const r = root.querySelector(sel)?.getAttribute('data-record');
        return r ? (JSON.parse(r) as Record<string, unknown>).script === text : false;
      };
      new MutationObserver(() => {
        const now = performance.now();
        if (probe.pred === undefined && shows('[data-testid=predict-result]')) probe.pred = now;
        if (
          probe.expl === undefined &&
          shows('[data-testid=predict-why]') &&
          root.querySelector('[data-testid=predict-why]')?.getAttribute('data-state') === 'done'
        )
          probe.expl = now;
      }).observe(root, { subtree: true, attributes: true, childList: true });
    }, text);
    const started = Date.now();
    await cell.locator('[data-testid=predict-field][data-field=script] textarea').fill(text);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __probe: { expl?: number } }).__probe.expl), {
        timeout: 90_000,
      })
      .toBeDefined();
    const probe = await page.evaluate(() => {
      const p = (
        window as unknown as {
          __probe: { gap: number; frames: number; pred?: number; expl?: number; stop: boolean };
        }
      ).__probe;
      p.stop = true;
      return p;
    });
    console.log(
      `MLP explain: prediction → explanation ${(probe.expl! - probe.pred!).toFixed(0)} ms; ${probe.frames} frames, longest gap ${probe.gap.toFixed(0)} ms; ${Date.now() - started} ms in all`,
    );
    expect(probe.pred).toBeDefined();
    expect(probe.pred!).toBeLessThan(probe.expl!);
    expect(probe.frames).toBeGreaterThan(2);
    expect(probe.gap).toBeLessThan(500);
    // The explanation adds up: base + Σ contributions = the output = the predicted value (float32).
    const wf = JSON.parse(
      (await cell.locator('[data-testid=waterfall]').getAttribute('data-waterfall'))!,
    ) as {
      base: number;
      output: number;
      contributions: { feature: string; value: number }[];
    };
    const value = Number(await cell.locator('[data-testid=predict-value]').getAttribute('data-value'));
    expect(Math.abs(wf.base + wf.contributions.reduce((a, c) => a + c.value, 0) - wf.output)).toBeLessThan(
      1e-6,
    );
    console.log(`MLP explain: output ${wf.output}, predicted ${value}`);
    await cell.screenshot({ path: '/tmp/predict-kinds-explained.png' });
    expect(t.errors).toEqual([]);
  }, 120_000);
});
