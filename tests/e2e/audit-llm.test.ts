/**
 * The audit cell's language-model judge, end to end: a local HTTP server in this test speaks the
 * OpenAI chat-completions protocol (a valid JSON verdict, an answer that is not JSON, and an answer
 * slower than the timeout, chosen by the product title). The notebook arrives as an import, so the
 * cell must ask before contacting the endpoint; the API key is typed into the cell and must reach the
 * endpoint but never the notebook.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditMeta } from '../../src/cells/audit.ts';
import { type E2E, openApp, provideFiles, settle, startE2E } from './app.ts';
import { auditNotebook, fileRef } from './auditData.ts';

const SHOTS = process.env.AUDIT_SHOTS;

describe('audit cell with a language-model judge (headless Chromium)', () => {
  let e2e: E2E;
  let llm: Server;
  let llmUrl = '';
  const seen: Array<{ auth: string | undefined; title: string; model: string }> = [];
  beforeAll(async () => {
    e2e = await startE2E();
    llm = createServer((req, res) => {
      // The page is another origin (another port): answer CORS, including the preflight.
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', 'content-type, authorization');
      res.setHeader('access-control-allow-methods', 'POST');
      if (req.method === 'OPTIONS') {
        res.statusCode = 204;
        res.end();
        return;
      }
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const payload = JSON.parse(body) as { model: string; messages: Array<{ content: string }> };
        const user = JSON.parse(payload.messages[1].content) as {
          product: { title: string };
          proposedCategory: string;
        };
        const title = user.product.title;
        seen.push({ auth: req.headers.authorization, title, model: payload.model });
        const reply = (content: string) => {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              id: 'x',
              object: 'chat.completion',
              choices: [{ index: 0, message: { role: 'assistant', content } }],
            }),
          );
        };
        if (title.includes('Slow')) setTimeout(() => reply('{"verdict":"confirm","reason":"late"}'), 4000);
        else if (title.includes('Broken')) reply('I think this category is fine.');
        else if (title.includes('Doll'))
          reply(JSON.stringify({ verdict: 'reject', reason: `A doll is not in ${user.proposedCategory}.` }));
        else
          reply(JSON.stringify({ verdict: 'confirm', reason: `“${title}” fits ${user.proposedCategory}.` }));
      });
    });
    await new Promise<void>((r) => llm.listen(0, '127.0.0.1', r));
    llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await e2e?.close();
    await new Promise<void>((r) => llm.close(() => r()));
  });

  it('asks before calling, then shows verdicts, "invalid response" and "timed out" per item', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-audit-llm-'));
    const categories = join(dir, 'categories.csv');
    await writeFile(
      categories,
      'id,name,path\n' +
        'T1,Trains,Toys > Vehicles > Trains\n' +
        'T2,Jigsaw Puzzles,Toys > Puzzles > Jigsaw Puzzles\n' +
        'T3,Fashion Dolls,Toys > Dolls > Fashion Dolls\n' +
        'T4,Acrylic Paint,Hobbies > Paint > Acrylic Paint\n',
    );
    const items = join(dir, 'items.csv');
    await writeFile(
      items,
      'uniq_id,product_name,amazon_category_and_sub_category\n' +
        'a,Hornby electric train set with track,T1\n' +
        'b,Broken box jigsaw puzzle 1000 pieces,T2\n' +
        'c,Slow acrylic paint set 12 colours,T4\n' +
        'd,Fashion Doll with three dresses,T1\n',
    );
    const refs = {
      items: await fileRef(items, 'items.csv'),
      categories: await fileRef(categories, 'categories.csv'),
    };
    const doc = auditNotebook('audit-llm', refs, {
      judge: 'llm',
      judgeScope: 'all',
      llmUrl,
      llmModel: 'test-model',
      llmTimeoutS: 1,
      llmRetries: 0,
    });

    const t = await openApp(e2e);
    const { page } = t;
    await page.evaluate((d) => window.benchtop!.openNotebook(d), doc);
    await provideFiles(page, { 'items.csv': refs.items.b64, 'categories.csv': refs.categories.b64 });
    await page.evaluate(() => window.benchtop!.runAll());
    await settle(page);
    // Imported notebook: the endpoint is shown and nothing was sent.
    const cell = page.locator('[data-cell-id="a"]');
    const consent = cell.locator('[data-testid=audit-llm-consent]');
    await consent.waitFor();
    expect(await consent.textContent()).toContain(llmUrl);
    expect((await page.evaluate(() => window.benchtop!.states())).a?.errorCode).toBe('needs-consent');
    expect(seen).toEqual([]);

    // The key is typed here (kept in this browser), then the user allows the endpoint.
    await cell.locator('[data-testid=audit-llm-key]').fill('sk-e2e-secret');
    await cell.locator('[data-testid=audit-llm-key]').press('Tab');
    await page.waitForFunction(() =>
      document.querySelector<HTMLInputElement>('[data-testid=audit-llm-key]')?.placeholder.includes('saved'),
    );
    if (SHOTS) await cell.screenshot({ path: join(SHOTS, 'audit-llm-consent.png') });
    await cell.locator('[data-testid=audit-llm-allow]').click();
    // Wait for the re-run the click starts to finish: the cell is already in 'error' (needs-consent)
    // before the click lands, so "ok or error" alone can return at once (a race seen in CI).
    await page.waitForFunction(() => {
      const a = window.benchtop!.states().a;
      return a?.status === 'ok' || (a?.status === 'error' && a.errorCode !== 'needs-consent');
    });
    await settle(page);
    const states = await page.evaluate(() => window.benchtop!.states());
    expect(states.a?.error).toBeUndefined();
    const meta = states.a.result!.meta as unknown as AuditMeta;

    const ipc = await page.evaluate(async () =>
      Array.from(
        (
          await window.benchtop!.data.query(
            'SELECT id, inferred_id, verdict, reason, judge_error FROM audit ORDER BY id',
          )
        ).arrow,
      ),
    );
    const rows = tableFromIPC(Uint8Array.from(ipc))
      .toArray()
      .map((r) => r.toJSON() as Record<string, string | null>);
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
    const [a, b, c, d] = rows;
    expect(a.inferred_id).toBe('T1');
    expect(a).toMatchObject({ verdict: 'confirm', judge_error: null });
    expect(a.reason).toBe('“Hornby electric train set with track” fits Toys > Vehicles > Trains.');
    expect(b.verdict).toBeNull();
    expect(b.judge_error).toMatch(/invalid response: not JSON: "I think this category is fine\."/);
    expect(c.verdict).toBeNull();
    expect(c.judge_error).toMatch(/timed out after 1000 ms/);
    expect(d.inferred_id).toBe('T3');
    expect(d).toMatchObject({ verdict: 'reject', reason: 'A doll is not in Toys > Dolls > Fashion Dolls.' });
    expect(meta.judge).toMatchObject({ kind: 'llm', asked: 4, confirmed: 1, rejected: 1, errors: 2 });
    expect(await cell.locator('[data-testid=audit-judge-summary]').textContent()).toMatch(
      /1 confirmed, 1 rejected, 2 errors/,
    );

    // The key reached the endpoint, and is nowhere in the notebook (what export and share links carry).
    expect(seen.length).toBe(4);
    expect(seen.every((s) => s.auth === 'Bearer sk-e2e-secret' && s.model === 'test-model')).toBe(true);
    const saved = JSON.stringify(await page.evaluate(() => window.benchtop!.notebook()));
    expect(saved).toContain(llmUrl);
    expect(saved).not.toContain('sk-e2e-secret');
    if (SHOTS) await cell.screenshot({ path: join(SHOTS, 'audit-llm-output.png') });
    expect(t.errors).toEqual([]);
    await t.context.close();
  });
});
