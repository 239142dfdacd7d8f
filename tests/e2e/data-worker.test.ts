/**
 * The data worker in real headless Chromium, through the real dataClient (tests/e2e/harness serves a
 * page that sets `window.benchtop.data`, the name the app uses). Checks: good fixtures load with the
 * row counts and types native DuckDB finds; every bad fixture fails with its expected message and the
 * worker still answers; flights-3m.parquet ingests and groups; cancel works; checked casts name the
 * first bad value; the page requests nothing from any other origin.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import type { Browser, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFileSize } from '../../workers/ingest/precheck.ts';
import { launchChromium } from '../../tools/chromium.ts';

const ROOT = join(import.meta.dirname, '../..');
const FIX = join(ROOT, 'tests/fixtures');
const FLIGHTS = join(ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet');
const CSV_1M = join(tmpdir(), `benchtop-flights-1m-${process.pid}.csv`);

interface BadCase {
  file: string;
  pattern: string;
  sizeOnly?: number;
}
interface Outcome {
  ok: boolean;
  message?: string;
  info?: { rowCount: number; columns: { name: string; type: string }[] };
  ms: number;
}

let server: ViteDevServer;
let browser: Browser;
let page: Page;
let origin: string;
let native: DuckDBConnection;
const foreign: string[] = [];
/** Files the page can fetch at /__fixture/<key>: served from Node by page.route, not through JSON. */
const served = new Map<string, string>();

async function nativeRows(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await native.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

/** Ingest a served file in the page; returns the outcome instead of throwing. */
function ingest(key: string, fileName: string, table: string): Promise<Outcome> {
  return page.evaluate(
    async ({ key, fileName, table }) => {
      const bytes = new Uint8Array(await (await fetch(`/__fixture/${key}`)).arrayBuffer());
      const t0 = performance.now();
      try {
        const info = await window.benchtop!.data.registerFile({ table, fileName, bytes });
        return { ok: true, info, ms: performance.now() - t0 };
      } catch (e) {
        return { ok: false, message: (e as Error).message, ms: performance.now() - t0 };
      }
    },
    { key, fileName, table },
  );
}

/** Run SQL in the page; the (small) Arrow result comes back as base64 and is decoded here in Node. */
async function query(sql: string): Promise<Record<string, unknown>[]> {
  const b64 = await page.evaluate(async (sql) => {
    const r = await window.benchtop!.data.query(sql);
    let s = '';
    for (const byte of r.arrow) s += String.fromCharCode(byte);
    return btoa(s);
  }, sql);
  return tableFromIPC(Buffer.from(b64, 'base64'))
    .toArray()
    .map((row: { toJSON(): Record<string, unknown> }) =>
      Object.fromEntries(
        Object.entries(row.toJSON()).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]),
      ),
    );
}

beforeAll(async () => {
  const db = await DuckDBInstance.create(':memory:');
  native = await db.connect();
  await native.run('SET autoinstall_known_extensions=false');
  await native.run('SET autoload_known_extensions=false');
  // A 1M-row CSV cut from flights-3m, for the CSV ingest timing.
  await native.run(`COPY (SELECT * FROM read_parquet('${FLIGHTS}') LIMIT 1000000) TO '${CSV_1M}' (HEADER)`);

  server = await createServer({ root: ROOT, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
  await server.listen();
  const addr = server.httpServer!.address() as { port: number };
  origin = `http://127.0.0.1:${addr.port}`;
  browser = await launchChromium();
  const context = await browser.newContext();
  context.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });
  page = await context.newPage();
  await page.route('**/__fixture/**', async (route) => {
    const key = decodeURIComponent(new URL(route.request().url()).pathname.replace('/__fixture/', ''));
    const path = served.get(key);
    if (!path) return route.fulfill({ status: 404 });
    return route.fulfill({ status: 200, body: readFileSync(path), contentType: 'application/octet-stream' });
  });
  await page.goto(`${origin}/tests/e2e/harness/data-harness.html`);
  const info = await page.evaluate(() => window.benchtop!.data.init());
  console.log(`DuckDB ${info.version} (${info.bundle}) ready in ${info.ms} ms`);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  native?.closeSync();
  rmSync(CSV_1M, { force: true });
});

describe('good fixtures', () => {
  const expected = JSON.parse(readFileSync(join(FIX, 'good/expected.json'), 'utf8')) as Record<
    string,
    { rows: number; types: Record<string, string> }
  >;
  for (const [file, want] of Object.entries(expected)) {
    it(file, async () => {
      served.set(`good/${file}`, join(FIX, 'good', file));
      const out = await ingest(`good/${file}`, file, `good_${file.replace(/\W/g, '_')}`);
      expect(out.message).toBeUndefined();
      const types = Object.fromEntries(out.info!.columns.map((c) => [c.name, c.type]));
      expect(out.info!.rowCount).toBe(want.rows);
      expect(types).toEqual(want.types);
      // Independent answer from native DuckDB for the formats it reads itself.
      const path = join(FIX, 'good', file);
      const reader = file.endsWith('.parquet')
        ? `read_parquet('${path}')`
        : file.endsWith('.csv') || file.endsWith('.tsv')
          ? `read_csv('${path}', header = true, sample_size = -1)`
          : file.endsWith('json')
            ? `read_json('${path}')`
            : undefined;
      if (!reader) return;
      const [{ n }] = await nativeRows(`SELECT count(*)::INTEGER AS n FROM ${reader}`);
      expect(out.info!.rowCount).toBe(n);
      if (file.endsWith('json')) return; // native read_json makes STRUCT/LIST types; ours are documented in json.ts
      const nativeTypes = await nativeRows(
        `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${reader})`,
      );
      expect(types).toEqual(Object.fromEntries(nativeTypes.map((r) => [r.column_name, r.column_type])));
    });
  }

  it('small.parquet values match native DuckDB', async () => {
    const sql = (from: string) =>
      `SELECT sum(i64)::BIGINT AS a, round(sum(dbl), 3) AS b, count(s)::INTEGER AS c, min(ts)::VARCHAR AS d, max(d)::VARCHAR AS e, sum(f32)::DOUBLE AS f, sum(price)::VARCHAR AS g FROM ${from}`;
    const [mine] = await query(sql('good_small_parquet'));
    const [theirs] = await nativeRows(sql(`read_parquet('${join(FIX, 'good/small.parquet')}')`));
    expect(mine).toEqual({ ...theirs, a: Number(theirs.a) });
  });
});

describe('bad fixtures', () => {
  const { cases } = JSON.parse(readFileSync(join(FIX, 'bad/expected.json'), 'utf8')) as { cases: BadCase[] };
  for (const c of cases) {
    it(c.file, async () => {
      if (c.sizeOnly !== undefined) {
        // Size-only: the main thread checks before reading any bytes.
        expect(() => checkFileSize(c.file, c.sizeOnly!)).toThrow(new RegExp(c.pattern));
        return;
      }
      served.set(`bad/${c.file}`, join(FIX, 'bad', c.file));
      const out = await ingest(`bad/${c.file}`, c.file, 'bad_table');
      expect(out.ok).toBe(false);
      expect(out.message).toMatch(new RegExp(c.pattern));
      expect(await query('SELECT 41 + 1 AS x')).toEqual([{ x: 42 }]);
    });
  }
  it('a failed ingest leaves no staging tables behind', async () => {
    const tables = await page.evaluate(() => window.benchtop!.data.listTables());
    expect(tables.map((t) => t.name).filter((n) => n.startsWith('__benchtop') || n === 'bad_table')).toEqual(
      [],
    );
  });
});

describe('big files', () => {
  it('flights-3m.parquet ingests and groups like native DuckDB', async () => {
    served.set('flights', FLIGHTS);
    const out = await ingest('flights', 'flights-3m.parquet', 'flights');
    console.log(
      `flights-3m.parquet (${statSync(FLIGHTS).size} bytes, 3,000,000 rows): ingest ${Math.round(out.ms)} ms`,
    );
    expect(out.message).toBeUndefined();
    expect(out.info!.rowCount).toBe(3_000_000);
    const sql = (from: string) =>
      `SELECT origin, count(*)::INTEGER AS n, round(avg(delay), 6) AS d FROM ${from} GROUP BY origin ORDER BY n DESC, origin LIMIT 5`;
    const t0 = Date.now();
    const mine = await query(sql('flights'));
    console.log(`GROUP BY over 3M rows: ${Date.now() - t0} ms (round trip)`);
    expect(mine).toEqual(await nativeRows(sql(`read_parquet('${FLIGHTS}')`)));
    const [{ ts }] = await query(`SELECT min(date)::VARCHAR AS ts FROM flights`);
    const [{ ts: nts }] = await nativeRows(`SELECT min(date)::VARCHAR AS ts FROM read_parquet('${FLIGHTS}')`);
    expect(ts).toBe(nts);
  });

  it('pages near the end and sorted pages of 3M rows are fast', async () => {
    const r = await page.evaluate(async () => {
      const d = window.benchtop!.data;
      let t0 = performance.now();
      const tail = await d.page({ table: 'flights', offset: 2_999_990, limit: 50 });
      const tailMs = performance.now() - t0;
      t0 = performance.now();
      const sorted = await d.page({
        table: 'flights',
        offset: 100,
        limit: 50,
        orderBy: { column: 'delay', desc: true },
      });
      return { tail: tail.rowCount, tailMs, sorted: sorted.rowCount, sortedMs: performance.now() - t0 };
    });
    console.log(
      `page at offset 2,999,990: ${Math.round(r.tailMs)} ms; sorted page: ${Math.round(r.sortedMs)} ms`,
    );
    expect(r.tail).toBe(10);
    expect(r.sorted).toBe(50);
    expect(r.tailMs).toBeLessThan(2000);
    expect(r.sortedMs).toBeLessThan(5000);
  });

  it('a 1M-row CSV ingests with the types native DuckDB finds', async () => {
    served.set('csv1m', CSV_1M);
    const out = await ingest('csv1m', 'flights-1m.csv', 'flights_csv');
    console.log(
      `flights-1m.csv (${statSync(CSV_1M).size} bytes, 1,000,000 rows): ingest ${Math.round(out.ms)} ms`,
    );
    expect(out.message).toBeUndefined();
    expect(out.info!.rowCount).toBe(1_000_000);
    const nativeTypes = await nativeRows(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_csv('${CSV_1M}', sample_size = -1))`,
    );
    expect(out.info!.columns).toEqual(nativeTypes.map((r) => ({ name: r.column_name, type: r.column_type })));
  });
});

describe('queries', () => {
  it('cancel stops a slow query with "Query cancelled" and the next query works', async () => {
    const r = await page.evaluate(async () => {
      const d = window.benchtop!.data;
      const slow = d.query(
        'SELECT sum(a.range * b.range) AS s FROM range(200000) a, range(200000) b',
        'slow-1',
      );
      await new Promise((res) => setTimeout(res, 700));
      const t0 = performance.now();
      const cancelled = await d.cancel('slow-1');
      let message = '';
      try {
        await slow;
      } catch (e) {
        message = (e as Error).message;
      }
      const afterMs = performance.now() - t0;
      const next = await d.query('SELECT 7 AS x', 'next-1');
      return { cancelled, message, afterMs, next: next.rowCount, again: await d.cancel('slow-1') };
    });
    console.log(`cancel took effect after ${Math.round(r.afterMs)} ms`);
    expect(r.cancelled).toBe(true);
    expect(r.message).toMatch(/Query cancelled/);
    expect(r.next).toBe(1);
    expect(r.again).toBe(false);
  });

  it('setColumnType names the first value that does not convert', async () => {
    served.set('cast', join(FIX, 'good/small.tsv'));
    await ingest('cast', 'small.tsv', 'cities');
    const r = await page.evaluate(async () => {
      const d = window.benchtop!.data;
      const msg = async (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: Error) => e.message,
        );
      await d.query(
        `CREATE OR REPLACE TABLE casts AS SELECT * FROM (VALUES ('1'), ('2'), ('x7'), (NULL), ('y')) t("my ""v""")`,
      );
      return {
        bad: await msg(d.setColumnType('casts', 'my "v"', 'BIGINT')),
        injection: await msg(d.setColumnType('casts', 'my "v"', 'INTEGER); DROP TABLE casts; --')),
        missing: await msg(d.setColumnType('casts', 'nope', 'BIGINT')),
        good: await d.setColumnType('cities', 'population', 'DOUBLE'),
        still: (await d.describe('casts')).columns[0].type,
      };
    });
    expect(r.bad).toBe(
      'Column "my "v"" of table "casts": cannot convert to BIGINT: 2 values do not convert; the first is "x7" in row 3.',
    );
    expect(r.injection).toMatch(/is not a type Benchtop can convert to/);
    expect(r.missing).toMatch(/there is no such column/);
    expect(r.good.columns.find((c) => c.name === 'population')?.type).toBe('DOUBLE');
    expect(r.still).toBe('VARCHAR');
  });

  it('exportCsv round-trips, createTableAs and dropTable work, identifiers are quoted', async () => {
    const r = await page.evaluate(async () => {
      const d = window.benchtop!.data;
      const t = await d.createTableAs('odd "name"; x', 'SELECT 1 AS "a,b", \'say "hi"\' AS s');
      const csv = new TextDecoder().decode(await d.exportCsv('odd "name"; x'));
      await d.dropTable('odd "name"; x');
      const left = (await d.listTables()).some((x) => x.name === 'odd "name"; x');
      return { t, csv, left };
    });
    expect(r.t.columns).toEqual([
      { name: 'a,b', type: 'INTEGER' },
      { name: 's', type: 'VARCHAR' },
    ]);
    expect(r.csv).toBe('"a,b",s\n1,"say ""hi"""\n');
    expect(r.left).toBe(false);
  });

  it('SQL errors are specific, and extension autoload stays off', async () => {
    const r = await page.evaluate(async () => {
      const d = window.benchtop!.data;
      const msg = async (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: Error) => e.message,
        );
      return {
        typo: await msg(d.query('SELEC 1')),
        ext: await msg(d.query("SELECT * FROM read_parquet('x.parquet')")),
        unlock: await msg(d.query('SET autoload_known_extensions=true')),
      };
    });
    expect(r.typo).toMatch(/syntax error/i);
    expect(r.ext).not.toBe('ok');
    expect(r.unlock).toMatch(/lock/i);
  });

  it('nothing was requested from another origin', () => {
    expect(foreign).toEqual([]);
  });
});
