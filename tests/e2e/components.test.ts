/**
 * E2E for the UI components (TableView, CodeEditor, Markdown) on tests/e2e/harness/components.html,
 * served by a Vite dev server started here, in headless Chromium via playwright-core.
 * Screenshots go to /tmp/bt-e2e-*.png for a look.
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../tools/chromium.ts';

const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const ROWS = 3_000_000;

let server: ViteDevServer;
let browser: Browser;
let page: Page;
const external: string[] = [];

interface Harness {
  rows: number;
  rowAt(i: number): unknown[];
  pageCalls: { offset: number; limit: number; orderBy?: { column: string; desc: boolean } }[];
  runs: number;
  editorValue: string;
  renderMarkdown(src: string): string;
  scrollToRow(i: number): void;
}
declare const window: Window & { __harness: Harness; __pwned?: number };

const num = (s: string) => Number(s.replace(/,/g, ''));

/** Wait until no placeholder rows are left in the table. */
async function settled() {
  // Let the scroll event and the re-render happen first (they run on the next frame).
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction(() => document.querySelectorAll('.bt-table [aria-busy="true"]').length === 0);
  await page.waitForTimeout(30);
}

/** Rows fully or partly visible in the viewport below the sticky header: gutter labels and cell texts. */
async function visibleRows() {
  return page.evaluate(() => {
    const vp = document.querySelector('.bt-table .viewport') as HTMLElement;
    const r = vp.getBoundingClientRect();
    const headerBottom = (document.querySelector('.bt-table .thead') as HTMLElement).getBoundingClientRect()
      .bottom;
    return [...document.querySelectorAll('.bt-table .tr')]
      .map((el) => ({ el, b: el.getBoundingClientRect() }))
      .filter(({ b }) => b.bottom > headerBottom + 1 && b.top < r.top + vp.clientHeight - 1)
      .sort((a, b) => a.b.top - b.b.top)
      .map(({ el, b }) => ({
        label: (el.querySelector('.gutter') as HTMLElement).textContent!.trim(),
        cells: [...el.querySelectorAll('.td:not(.gutter)')].map((c) => (c.textContent ?? '').trim()),
        bottom: b.bottom,
        top: b.top,
      }));
  });
}

const rowElementCount = () => page.evaluate(() => document.querySelectorAll('.bt-table .tr').length);

beforeAll(async () => {
  server = await createServer({
    root: ROOT,
    configFile: `${ROOT}/vite.config.ts`,
    logLevel: 'warn',
    // Own dep cache; no HMR/watching, so edits elsewhere in the tree cannot reload the page mid-test.
    cacheDir: `${ROOT}/node_modules/.vite-e2e-components`,
    optimizeDeps: {
      entries: ['tests/e2e/harness/components.html'],
      include: [
        'svelte',
        'apache-arrow',
        'marked',
        'dompurify',
        '@codemirror/state',
        '@codemirror/view',
        '@codemirror/language',
        '@codemirror/commands',
        '@codemirror/autocomplete',
        '@codemirror/lang-sql',
        '@lezer/highlight',
      ],
    },
    server: { port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  const port = (server.httpServer!.address() as AddressInfo).port;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  page.on('request', (r) => {
    if (!r.url().startsWith(`http://127.0.0.1:${port}/`) && !r.url().startsWith('data:'))
      external.push(r.url());
  });
  await page.goto(`http://127.0.0.1:${port}/tests/e2e/harness/components.html`);
  await page.waitForSelector('.bt-table .tr [role="gridcell"]');
  await settled();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('TableView over 3,000,000 rows', () => {
  it('renders the first rows, header badges and footer', async () => {
    const rows = await visibleRows();
    expect(rows[0].label).toBe('1');
    const first = (await page.evaluate(() => window.__harness.rowAt(0))) as unknown[];
    expect(num(rows[0].cells[0])).toBe(1);
    expect(rows[0].cells[1]).toBe(first[1] === null ? 'null' : String(first[1]));
    const badges = await page.$$eval('.bt-table .th .badge', (els) => els.map((e) => e.textContent));
    expect(badges).toEqual(['int', 'int', 'float', 'text', 'date', 'time', 'bool', 'int', 'text']);
    const footer = (await page.textContent('.bt-table .tfoot .count'))!.replace(/\s+/g, ' ');
    expect(footer).toBe('3,000,000 rows · 9 columns');
    expect(await rowElementCount()).toBeLessThan(200);
    await page.locator('.bt-table').screenshot({ path: '/tmp/bt-e2e-table-top.png' });
  });

  it('scrolls to the very last row (scaled scroll) with a bounded DOM', async () => {
    await page.$eval('.bt-table .viewport', (el) => {
      el.scrollTop = el.scrollHeight;
    });
    await settled();
    const rows = await visibleRows();
    const last = rows[rows.length - 1];
    expect(last.label).toBe('3,000,000');
    expect(num(last.cells[0])).toBe(ROWS);
    // BIGINT beyond 2^53 shown exactly.
    expect(last.cells[7]).toBe(
      (9_007_199_254_740_993n + BigInt(ROWS - 1) * 1_000_003n).toLocaleString('en-US'),
    );
    // The last row ends exactly at the bottom of the viewport.
    const vpBottom = await page.$eval(
      '.bt-table .viewport',
      (el) => el.getBoundingClientRect().top + el.clientHeight,
    );
    expect(Math.abs(last.bottom - vpBottom)).toBeLessThanOrEqual(1);
    expect(await rowElementCount()).toBeLessThan(200);
    const scrollHeight = await page.$eval('.bt-table .viewport', (el) => el.scrollHeight);
    expect(scrollHeight).toBeLessThanOrEqual(8_000_000 + 100);
    await page.locator('.bt-table').screenshot({ path: '/tmp/bt-e2e-table-end.png' });
  });

  it('keyboard: Home, PageDown and End move in row space', async () => {
    await page.focus('.bt-table .viewport');
    await page.keyboard.press('Home');
    await settled();
    expect((await visibleRows())[0].label).toBe('1');
    await page.keyboard.press('PageDown');
    await settled();
    const after = num((await visibleRows())[0].label);
    expect(after).toBeGreaterThan(5);
    expect(after).toBeLessThan(20);
    await page.keyboard.press('End');
    await settled();
    const rows = await visibleRows();
    expect(rows[rows.length - 1].label).toBe('3,000,000');
  });

  it('jumps to the middle and shows the right data', async () => {
    await page.evaluate(() => window.__harness.scrollToRow(1_500_000));
    await settled();
    const rows = await visibleRows();
    expect(rows[0].label).toBe('1,500,001');
    const expected = (await page.evaluate(() => window.__harness.rowAt(1_500_000))) as unknown[];
    expect(num(rows[0].cells[0])).toBe(1_500_001);
    expect(rows[0].cells[3]).toBe(expected[3]);
    expect(await rowElementCount()).toBeLessThan(200);
  });

  it('sorts a numeric column asc → desc → none through page(orderBy), values checked', async () => {
    const score = '.bt-table .th[data-col="score"] .th-btn';
    const check = async (desc: boolean) => {
      const rows = await visibleRows();
      expect(rows[0].label).toBe('1');
      const scores = rows.map((r) => num(r.cells[1]));
      expect(scores[0]).toBe(desc ? 999 : 0);
      for (let k = 1; k < scores.length; k++) {
        if (desc) expect(scores[k]).toBeLessThanOrEqual(scores[k - 1]);
        else expect(scores[k]).toBeGreaterThanOrEqual(scores[k - 1]);
      }
      // The ids shown really have those scores.
      for (const r of rows) {
        const data = (await page.evaluate(
          (i) => window.__harness.rowAt(i),
          num(r.cells[0]) - 1,
        )) as unknown[];
        expect(data[1]).toBe(num(r.cells[1]));
      }
      const call = await page.evaluate(() => window.__harness.pageCalls.at(-1));
      expect(call?.orderBy).toEqual({ column: 'score', desc });
    };

    await page.click(score);
    await settled();
    await check(false);
    expect(await page.getAttribute('.bt-table .th[data-col="score"]', 'aria-sort')).toBe('ascending');

    await page.click(score);
    await settled();
    await check(true);
    expect((await page.textContent('.bt-table .tfoot'))!.replace(/\s+/g, ' ')).toContain(
      'sorted by score descending',
    );
    await page.locator('.bt-table').screenshot({ path: '/tmp/bt-e2e-table-sorted.png' });

    // NULLS LAST: the end of the descending order is nulls.
    await page.$eval('.bt-table .viewport', (el) => {
      el.scrollTop = el.scrollHeight;
    });
    await settled();
    const tail = await visibleRows();
    expect(tail[tail.length - 1].cells[1]).toBe('null');

    await page.click(score);
    await settled();
    expect(await page.getAttribute('.bt-table .th[data-col="score"]', 'aria-sort')).toBe('none');
    const rows = await visibleRows();
    expect(rows[0].label).toBe('1');
    expect(num(rows[0].cells[0])).toBe(1);
    expect(await page.textContent('.bt-table .tfoot')).not.toContain('sorted by');
  });

  it('scrolls horizontally with a sticky row gutter', async () => {
    await page.$eval('.bt-table .viewport', (el) => {
      el.scrollLeft = 10_000;
    });
    await page.waitForTimeout(50);
    const [vpLeft, gutterLeft] = await page.evaluate(() => [
      (document.querySelector('.bt-table .viewport') as HTMLElement).getBoundingClientRect().left,
      (document.querySelector('.bt-table .tr .gutter') as HTMLElement).getBoundingClientRect().left,
    ]);
    expect(Math.abs(gutterLeft - vpLeft)).toBeLessThanOrEqual(1);
    await page.locator('.bt-table').screenshot({ path: '/tmp/bt-e2e-table-right.png' });
    await page.$eval('.bt-table .viewport', (el) => {
      el.scrollLeft = 0;
    });
  });
});

describe('CodeEditor', () => {
  it('completes tables from the schema', async () => {
    await page.click('#editor .cm-content');
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('SELECT * FROM sa');
    await completionContains('sales');
    await page.screenshot({
      path: '/tmp/bt-e2e-editor-completion.png',
      clip: await clipAround('#editor', 220),
    });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.__harness.editorValue.endsWith('FROM sales'));
    await page.keyboard.type(' WHERE sc');
    // Unqualified columns of the tables in FROM, with the table as detail.
    await completionContains('score');
    expect(await page.textContent('.cm-tooltip-autocomplete li[aria-selected]')).toContain('sales');
    await page.keyboard.press('Escape');
  });

  it('Shift+Enter and Mod+Enter call onRun and insert no newline', async () => {
    const before = await page.evaluate(() => ({
      v: window.__harness.editorValue,
      runs: window.__harness.runs,
    }));
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.press('Control+Enter');
    const after = await page.evaluate(() => ({
      v: window.__harness.editorValue,
      runs: window.__harness.runs,
    }));
    expect(after.runs).toBe(before.runs + 2);
    expect(after.v).toBe(before.v);
    const docText = await page.evaluate(() =>
      [...document.querySelectorAll('#editor .cm-line')].map((l) => l.textContent).join('\n'),
    );
    expect(docText).toBe(after.v);
  });
});

describe('Markdown', () => {
  it('renders the sample without scripts, handlers, javascript: links or remote images', async () => {
    const md = page.locator('#markdown');
    expect(await md.locator('h1').textContent()).toBe('Quarterly review');
    expect(await md.locator('table td').count()).toBeGreaterThan(0);
    expect(await md.locator('script').count()).toBe(0);
    expect(await md.locator('[onerror]').count()).toBe(0);
    expect(await md.locator('a[href^="javascript"]').count()).toBe(0);
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(await md.locator('.md-blocked-image').textContent()).toBe(
      '[remote image blocked: https://evil.example/track.png]',
    );
    expect(await md.locator('a[href="https://example.com/docs"]').getAttribute('rel')).toBe(
      'noopener noreferrer',
    );
    expect(await md.locator('a[href="https://example.com/docs"]').getAttribute('target')).toBe('_blank');
    expect(await md.locator('.md-task').count()).toBe(2);
    await md.screenshot({ path: '/tmp/bt-e2e-markdown.png' });
  });

  it('renderMarkdown sanitises hostile input', async () => {
    const cases = await page.evaluate(() => {
      const r = window.__harness.renderMarkdown;
      return {
        script: r('hi <script>alert(1)</script>'),
        onerror: r('<img src="/ok.png" onerror="alert(1)">'),
        jsLink: r('[x](javascript:alert(1)) <a href="JaVaScRiPt:alert(2)">y</a>'),
        svg: r('<svg><script>alert(1)</script></svg><iframe src="https://evil.example"></iframe>'),
        remote: r(
          '![a](https://evil.example/a.png) <img src="//evil.example/b.png" srcset="https://evil.example/c.png 2x">',
        ),
        local: r(`![a](/logo.png) ![b](${location.origin}/x.png) ![c](data:image/png;base64,iVBORw0KGgo=)`),
        style: r('<p style="background:url(https://evil.example/s.png)">s</p><style>p{}</style>'),
        link: r('[doc](https://example.com) [here](#section)'),
      };
    });
    expect(cases.script).not.toContain('<script');
    expect(cases.script).toContain('hi');
    expect(cases.onerror).not.toContain('onerror');
    expect(cases.onerror).toContain('src="/ok.png"');
    expect(cases.jsLink.toLowerCase()).not.toContain('javascript:');
    expect(cases.svg).not.toMatch(/<svg|<script|<iframe/);
    expect(cases.remote).not.toContain('<img');
    expect(cases.remote).toContain('[remote image blocked: https://evil.example/a.png]');
    expect(cases.remote).toContain('[remote image blocked: //evil.example/b.png]');
    expect(cases.remote).not.toContain('srcset');
    expect((cases.local.match(/<img /g) ?? []).length).toBe(3);
    expect(cases.style).not.toMatch(/style|evil/);
    expect(cases.link).toContain('href="https://example.com" target="_blank" rel="noopener noreferrer"');
    expect(cases.link).toContain('<a href="#section">');
  });

  it('made no request outside the dev server', () => {
    expect(external).toEqual([]);
  });
});

/** Wait until the completion popup lists `label` (it updates as typing goes on). */
async function completionContains(label: string) {
  await page.waitForFunction(
    (l) =>
      [...document.querySelectorAll('.cm-tooltip-autocomplete .cm-completionLabel')].some(
        (e) => e.textContent === l,
      ),
    label,
    { timeout: 5000 },
  );
}

async function clipAround(selector: string, extraBelow: number) {
  const b = (await page.locator(selector).boundingBox())!;
  return {
    x: Math.max(0, b.x - 12),
    y: Math.max(0, b.y - 12),
    width: b.width + 24,
    height: b.height + 24 + extraBelow,
  };
}
