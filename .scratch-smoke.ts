import { createServer } from 'vite';
import { chromium } from 'playwright-core';
const server = await createServer({ server: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
await server.listen();
const addr = server.httpServer!.address() as { port: number };
const base = `http://127.0.0.1:${addr.port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync','--disable-quic'] });
const page = await browser.newPage();
page.on('console', (m) => console.log('console:', m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
page.on('request', (r) => { if (!r.url().startsWith(base)) console.log('FOREIGN', r.url()); });
await page.goto(`${base}/tests/e2e/harness/data-harness.html`);
const out = await page.evaluate(async () => {
  const d = window.benchtop!.data;
  const t0 = performance.now();
  const info = await d.init();
  const r = await d.query('SELECT 42 AS x, \'a\' AS s');
  const csv = new TextEncoder().encode('a,b,c\n1,x,2020-01-01\n2,y,2020-01-02\n');
  const ti = await d.registerFile({ table: 'my "t"', fileName: 'small.csv', bytes: csv });
  let err = '';
  try { await d.registerFile({ table: 'r', fileName: 'ragged.csv', bytes: new TextEncoder().encode('a,b\n1,2\n3,4,5\n') }); } catch (e) { err = String((e as Error).message); }
  const pg = await d.page({ table: 'my "t"', offset: 0, limit: 10, orderBy: { column: 'a', desc: true } });
  const ex = new TextDecoder().decode(await d.exportCsv('my "t"'));
  return { info, ms: performance.now() - t0, cols: r.columns, n: r.rowCount, ti, err, pg: pg.rowCount, ex };
});
console.log(JSON.stringify(out, null, 1));
await browser.close(); await server.close();
