/**
 * Ingest + GROUP BY in DuckDB-WASM (the real built app in headless Chromium) against native DuckDB
 * in the same run, plus time to the default notebook's first table and the initial JS payload.
 *
 * Targets (issue): WASM ≤ 3× native for ingest and query; first table < 3 s; initial payload
 * < 400 kB gzip with DuckDB and TF.js loaded lazily in their workers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureCsv } from '../lib/csvgen.ts';
import { NativeDuckDB, type Samples } from '../lib/native.ts';
import { recordPageErrors, waitForBenchtop, withTimeout } from '../lib/page.ts';
import { entryPayload, heavyLibrariesIn } from '../lib/payload.ts';
import { median, round } from '../lib/stats.ts';
import type { BenchContext, Measurement, Suite, SuiteResult } from '../lib/types.ts';

const RUNS = 3;
const FIRST_TABLE_RUNS = 3;
const RATIO_TARGET = { op: '<=', value: 3 } as const;
const BENCH_PREFIX = '/__bench/';

interface Dataset {
  key: string;
  table: string;
  reader: 'read_parquet' | 'read_csv';
  /** Path for native DuckDB. */
  path: string;
  /** Same bytes, as the page fetches them from the bench server. */
  url: string;
  fileName: string;
  groupBy: string;
}

function datasets(ctx: BenchContext, csvPath: string): Dataset[] {
  return [
    {
      key: 'flights3m',
      table: 'bench_flights',
      reader: 'read_parquet',
      path: join(ctx.distDir, 'datasets', 'flights-3m.parquet'),
      url: '/datasets/flights-3m.parquet',
      fileName: 'flights-3m.parquet',
      groupBy:
        'SELECT origin, count(*) AS n, avg(delay) AS avg_delay, max(distance) AS max_distance FROM bench_flights GROUP BY origin',
    },
    {
      key: 'csv100mb',
      table: 'bench_csv',
      reader: 'read_csv',
      path: csvPath,
      url: BENCH_PREFIX + basename(csvPath),
      fileName: basename(csvPath),
      groupBy:
        'SELECT category, count(*) AS n, avg(amount) AS avg_amount, sum(qty) AS sum_qty FROM bench_csv GROUP BY category',
    },
  ];
}

// ---------------------------------------------------------------------------------------------- native

interface NativeResult {
  version: string;
  threads: number;
  ingest: Record<string, Samples>;
  groupBy: Record<string, Samples>;
}

async function runNative(sets: Dataset[], threads?: number): Promise<NativeResult> {
  const db = await NativeDuckDB.open(threads);
  try {
    const out: NativeResult = { version: db.version, threads: db.threads, ingest: {}, groupBy: {} };
    for (const d of sets) {
      out.ingest[d.key] = await db.ingest(d.table, d.reader, d.path, RUNS);
      out.groupBy[d.key] = await db.query(d.groupBy, RUNS);
    }
    return out;
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------- wasm

interface WasmIngest extends Samples {
  fetchMs: number;
  bytes: number;
  columns: Array<{ name: string; type: string }>;
}
interface WasmQuery extends Samples {
  /** DuckDB's own time inside the worker (QueryResult.ms), per sample. */
  workerMs: number[];
}
interface WasmResult {
  readyMs: number;
  ingest: Record<string, WasmIngest>;
  groupBy: Record<string, WasmQuery>;
}

/** Fetch the file once into the page (timed separately), kept for the repeated ingests. */
async function fetchIntoPage(page: Page, url: string): Promise<{ fetchMs: number; bytes: number }> {
  return page.evaluate(async (u) => {
    const t0 = performance.now();
    const res = await fetch(u);
    if (!res.ok) throw new Error(`fetch ${u}: HTTP ${res.status}`);
    const buf = await res.arrayBuffer();
    const fetchMs = performance.now() - t0;
    const g = globalThis as unknown as { __benchFiles?: Map<string, ArrayBuffer> };
    g.__benchFiles ??= new Map();
    g.__benchFiles.set(u, buf);
    return { fetchMs, bytes: buf.byteLength };
  }, url);
}

/** One registerFile call on a fresh copy of the bytes; only the call itself is timed. */
async function ingestOnce(
  page: Page,
  d: Dataset,
): Promise<{ ms: number; rowCount: number; columns: WasmIngest['columns'] }> {
  return page.evaluate(
    async ({ url, table, fileName }) => {
      const g = globalThis as unknown as { __benchFiles: Map<string, ArrayBuffer> };
      // A copy per run: the worker may take ownership of (transfer) the buffer it is given.
      const bytes = new Uint8Array(g.__benchFiles.get(url)!.slice(0));
      const t0 = performance.now();
      const info = await window.benchtop!.data.registerFile({ table, fileName, bytes });
      const ms = performance.now() - t0;
      return { ms, rowCount: info.rowCount, columns: info.columns };
    },
    { url: d.url, table: d.table, fileName: d.fileName },
  );
}

async function queryOnce(
  page: Page,
  sql: string,
): Promise<{ ms: number; workerMs: number; rowCount: number }> {
  return page.evaluate(async (q) => {
    const t0 = performance.now();
    const r = await window.benchtop!.data.query(q);
    return { ms: performance.now() - t0, workerMs: r.ms, rowCount: r.rowCount };
  }, sql);
}

async function runWasm(
  ctx: BenchContext,
  browser: Browser,
  sets: Dataset[],
  benchDir: string,
): Promise<WasmResult> {
  const server = await ctx.startServer({ extraStatic: { [BENCH_PREFIX]: benchDir } });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const pageErrors = recordPageErrors(page);
    await page.goto(server.url);
    const readyMs = await waitForBenchtop(page, pageErrors);
    const out: WasmResult = { readyMs, ingest: {}, groupBy: {} };
    for (const d of sets) {
      ctx.log(`wasm: ${d.key} fetch + ${RUNS}× registerFile`);
      const { fetchMs, bytes } = await withTimeout(fetchIntoPage(page, d.url), 120_000, `fetch ${d.url}`);
      const samplesMs: number[] = [];
      let last: Awaited<ReturnType<typeof ingestOnce>> | undefined;
      for (let i = 0; i < RUNS; i++) {
        last = await withTimeout(ingestOnce(page, d), 600_000, `registerFile ${d.fileName}`);
        samplesMs.push(last.ms);
      }
      out.ingest[d.key] = {
        samplesMs,
        medianMs: median(samplesMs),
        rowCount: last!.rowCount,
        columns: last!.columns,
        fetchMs,
        bytes,
      };
      ctx.log(`wasm: ${d.key} GROUP BY (1 warm-up + ${RUNS})`);
      await withTimeout(queryOnce(page, d.groupBy), 120_000, `query ${d.key}`);
      const q: Array<{ ms: number; workerMs: number; rowCount: number }> = [];
      for (let i = 0; i < RUNS; i++)
        q.push(await withTimeout(queryOnce(page, d.groupBy), 120_000, `query ${d.key}`));
      out.groupBy[d.key] = {
        samplesMs: q.map((s) => s.ms),
        medianMs: median(q.map((s) => s.ms)),
        workerMs: q.map((s) => s.workerMs),
        rowCount: q[q.length - 1].rowCount,
      };
      // Free the bytes before the next file: 100 MB copies add up in one tab.
      await page.evaluate((u) => {
        (globalThis as unknown as { __benchFiles: Map<string, ArrayBuffer> }).__benchFiles.delete(u);
      }, d.url);
      await page.evaluate((t) => window.benchtop!.data.dropTable(t), d.table);
    }
    return out;
  } finally {
    await context.close();
  }
}

// ------------------------------------------------------------------------------------- first table

interface LoadedResource {
  url: string;
  initiatorType: string;
  transferSize: number;
  encodedBodySize: number;
  startMs: number;
}

interface FirstTableRun {
  ms: number;
  /** What the document itself (not its workers) had loaded when the table appeared. */
  mainThread: LoadedResource[];
  /** Worker script URLs the page started. */
  workers: string[];
  /** Every .wasm response seen, from any thread. */
  wasm: Array<{ url: string; contentEncoding: string | null }>;
  /** Main-thread scripts that contain DuckDB-WASM or TF.js code, or .wasm fetched by the document. */
  heavyOnMainThread: string[];
}

/** Time from navigation start to a visible table view with at least one row, in a fresh profile. */
async function firstTableOnce(ctx: BenchContext, browser: Browser, url: string): Promise<FirstTableRun> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const pageErrors = recordPageErrors(page);
    const workers: string[] = [];
    const wasm: FirstTableRun['wasm'] = [];
    page.on('worker', (w) => workers.push(w.url()));
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.endsWith('.wasm')) {
        wasm.push({ url: r.url(), contentEncoding: r.headers()['content-encoding'] ?? null });
      }
    });
    await page.goto(url, { waitUntil: 'commit' });
    let ms: number;
    try {
      const handle = await page.waitForFunction(
        () => {
          for (const view of document.querySelectorAll('[data-testid="table-view"]')) {
            const row = view.querySelector('[data-testid="table-row"]');
            if (view.checkVisibility() && row?.checkVisibility()) return performance.now();
          }
          return 0;
        },
        undefined,
        { polling: 'raf', timeout: 30_000 },
      );
      ms = (await handle.jsonValue()) as number;
    } catch {
      const hint = pageErrors.length ? ` Page errors: ${pageErrors.slice(0, 5).join(' | ')}` : '';
      throw new Error(
        `no visible [data-testid="table-view"] with a [data-testid="table-row"] within 30 s of loading ${url}.${hint}`,
      );
    }
    const mainThread = await page.evaluate(() =>
      performance.getEntriesByType('resource').map((e) => {
        const r = e as PerformanceResourceTiming;
        return {
          url: r.name,
          initiatorType: r.initiatorType,
          transferSize: r.transferSize,
          encodedBodySize: r.encodedBodySize,
          startMs: r.startTime,
        };
      }),
    );
    const workerPaths = new Set(workers.map((w) => new URL(w).pathname));
    const heavyOnMainThread: string[] = [];
    for (const r of mainThread) {
      const path = new URL(r.url).pathname;
      if (workerPaths.has(path)) continue;
      if (path.endsWith('.wasm')) heavyOnMainThread.push(`${path} (wasm fetched by the document)`);
      if (path.endsWith('.js') && path.startsWith('/assets/')) {
        const file = join(ctx.distDir, path);
        if (!existsSync(file)) continue;
        for (const lib of heavyLibrariesIn(readFileSync(file, 'utf8')))
          heavyOnMainThread.push(`${path} contains ${lib}`);
      }
    }
    return { ms, mainThread, workers, wasm, heavyOnMainThread };
  } finally {
    await context.close();
  }
}

async function runFirstTable(ctx: BenchContext, browser: Browser): Promise<FirstTableRun[]> {
  const server = await ctx.startServer();
  const runs: FirstTableRun[] = [];
  for (let i = 0; i < FIRST_TABLE_RUNS; i++) {
    runs.push(await firstTableOnce(ctx, browser, server.url));
    ctx.log(`first table: run ${i + 1}: ${round(runs[i].ms)} ms`);
  }
  return runs;
}

// ------------------------------------------------------------------------------------------ suite

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function run(ctx: BenchContext): Promise<SuiteResult> {
  const errors: string[] = [];
  const details: Record<string, unknown> = { runs: RUNS };
  const measurements: Measurement[] = [];

  const parquet = join(ctx.distDir, 'datasets', 'flights-3m.parquet');
  if (!existsSync(parquet)) throw new Error(`${parquet} is missing: run \`npm run build\` first.`);
  ctx.log('csv: generating (or reusing) the 100 MB CSV');
  const csv = ensureCsv(ctx.tmpDir);
  details.csv = csv;
  const sets = datasets(ctx, csv.path);

  ctx.log('native: default threads');
  const native = await runNative(sets);
  ctx.log('native: 1 thread (WASM runs single-threaded)');
  const native1 = await runNative(sets, 1);
  details.native = native;
  details.native1Thread = native1;

  let wasm: WasmResult | undefined;
  try {
    wasm = await runWasm(ctx, await ctx.browser(), sets, ctx.tmpDir);
    details.wasm = wasm;
    details.wasmNote =
      'registerFile is timed in the page with performance.now(); it includes handing the bytes to the data worker (a structured-clone copy unless the proxy transfers them). The fetch from the server is reported separately.';
  } catch (e) {
    errors.push(`wasm: ${errorText(e)}`);
  }

  const ratio = (w: number | undefined, n: number): number | null =>
    w === undefined ? null : round(w / n, 2);
  for (const d of sets) {
    const ni = native.ingest[d.key];
    const wi = wasm?.ingest[d.key];
    measurements.push(
      {
        name: `ingest.${d.key}.native_ms`,
        value: round(ni.medianMs),
        unit: 'ms',
        note: `${ni.rowCount} rows`,
      },
      { name: `ingest.${d.key}.wasm_ms`, value: wi ? round(wi.medianMs) : null, unit: 'ms' },
      {
        name: `ingest.${d.key}.ratio`,
        value: ratio(wi?.medianMs, ni.medianMs),
        unit: '×',
        target: RATIO_TARGET,
      },
      {
        name: `ingest.${d.key}.ratio_vs_native_1thread`,
        value: ratio(wi?.medianMs, native1.ingest[d.key].medianMs),
        unit: '×',
      },
      { name: `ingest.${d.key}.page_fetch_ms`, value: wi ? round(wi.fetchMs) : null, unit: 'ms' },
    );
    const ng = native.groupBy[d.key];
    const wg = wasm?.groupBy[d.key];
    measurements.push(
      { name: `groupby.${d.key}.native_ms`, value: round(ng.medianMs, 2), unit: 'ms' },
      { name: `groupby.${d.key}.wasm_ms`, value: wg ? round(wg.medianMs, 2) : null, unit: 'ms' },
      {
        name: `groupby.${d.key}.ratio`,
        value: ratio(wg?.medianMs, ng.medianMs),
        unit: '×',
        target: RATIO_TARGET,
      },
      {
        name: `groupby.${d.key}.ratio_vs_native_1thread`,
        value: ratio(wg?.medianMs, native1.groupBy[d.key].medianMs),
        unit: '×',
      },
    );
    // Same rows and groups on both sides, or the timings compare different work.
    if (wi && wi.rowCount !== ni.rowCount) {
      errors.push(`${d.key}: WASM loaded ${wi.rowCount} rows, native ${ni.rowCount}`);
    }
    if (wg && wg.rowCount !== ng.rowCount) {
      errors.push(`${d.key}: WASM GROUP BY returned ${wg.rowCount} groups, native ${ng.rowCount}`);
    }
  }

  let firstTable: FirstTableRun[] | undefined;
  try {
    firstTable = await runFirstTable(ctx, await ctx.browser());
    details.firstTable = firstTable;
  } catch (e) {
    errors.push(`first table: ${errorText(e)}`);
  }
  measurements.push({
    name: 'first_table_ms',
    value: firstTable ? round(median(firstTable.map((r) => r.ms))) : null,
    unit: 'ms',
    target: { op: '<', value: 3000 },
    note: `median of ${FIRST_TABLE_RUNS} cold loads (fresh browser context each)`,
  });

  const payload = entryPayload(ctx.distDir);
  details.payload = payload;
  measurements.push({
    name: 'initial_payload_gzip_kB',
    value: round(payload.totalGzipBytes / 1000),
    unit: 'kB',
    target: { op: '<', value: 400 },
    note: `JS ${round(payload.jsGzipBytes / 1000)} kB + CSS ${round(payload.cssGzipBytes / 1000)} kB, gzip -9`,
  });
  const heavy = [
    ...payload.files.flatMap((f) => f.heavy.map((lib) => `${f.url} (entry chunk) contains ${lib}`)),
    ...(firstTable?.flatMap((r) => r.heavyOnMainThread) ?? []),
  ];
  details.heavyOnMainThread = [...new Set(heavy)];
  measurements.push({
    name: 'heavy_libs_on_main_thread',
    value: new Set(heavy).size,
    unit: 'count',
    target: { op: '<=', value: 0 },
    note: `DuckDB-WASM / TF.js code in entry chunks${firstTable ? ', or code/.wasm fetched by the document before the first table' : ' (browser check did not run)'}`,
  });

  return { measurements, details, errors };
}

export const suite: Suite = {
  description: 'DuckDB-WASM vs native ingest and GROUP BY; time to first table; initial JS payload',
  run,
};
