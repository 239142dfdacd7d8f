/**
 * The profile cell on real tables: flights-3m (3,000,000 rows, target `delay`) and the Olist orders ×
 * reviews join (target `review_score`), in the real built app in headless Chromium (DuckDB-WASM), against
 * the same profiler (`profileTable`, the same SQL) run on native DuckDB in the same run.
 *
 * Targets (issue): a 3-million-row table profiles in a few seconds (< 5 s in the browser); native
 * single-thread (closest to WASM) < 3 s.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Browser } from 'playwright-core';
import type { NotebookDoc } from '../../src/core/notebook/types.ts';
import { profileTable } from '../../src/core/profile/profile.ts';
import type { Profile } from '../../src/core/profile/types.ts';
import { recordPageErrors, waitForBenchtop, withTimeout } from '../lib/page.ts';
import { median, round } from '../lib/stats.ts';
import type { BenchContext, Measurement, Suite, SuiteResult } from '../lib/types.ts';

const RUNS = 3;
const ORDERS = 'olist_orders_dataset.csv';
const REVIEWS = 'olist_order_reviews_dataset.csv';
const JOIN = (o: string, r: string) =>
  `SELECT o.*, r.review_id, r.review_score, r.review_comment_title, r.review_comment_message, r.review_creation_date, r.review_answer_timestamp FROM ${o} o JOIN ${r} r ON r.order_id = o.order_id`;

interface Case {
  key: string;
  target: string;
  /** Native: make table `t` to profile. */
  nativeSetup: string;
  /** Browser: the notebook (profile cell id `p`) and the files it needs. */
  doc: NotebookDoc;
  files: Record<string, Buffer>;
}

function notebook(id: string, cells: NotebookDoc['cells']): NotebookDoc {
  const now = new Date().toISOString();
  return { format: 'benchtop-notebook', version: 1, id, title: id, createdAt: now, updatedAt: now, cells };
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

function cases(ctx: BenchContext): Case[] {
  const parquet = join(ctx.distDir, 'datasets', 'flights-3m.parquet');
  if (!existsSync(parquet)) throw new Error(`${parquet} is missing: run \`npm run build\` first.`);
  const olist = resolve(ctx.root, '..', 'shared', 'data', 'olist');
  const files: Record<string, Buffer> = {
    [ORDERS]: readFileSync(join(olist, ORDERS)),
    [REVIEWS]: readFileSync(join(olist, REVIEWS)),
  };
  const ref = (f: string) => ({
    type: 'file' as const,
    name: f,
    size: files[f].byteLength,
    sha256: createHash('sha256').update(files[f]).digest('hex'),
  });
  const csv = (f: string) => `read_csv(${lit(join(olist, f))}, header=true)`;
  return [
    {
      key: 'flights3m',
      target: 'delay',
      nativeSetup: `CREATE OR REPLACE TABLE t AS SELECT * FROM read_parquet(${lit(parquet)})`,
      doc: notebook('bench-profile-flights', [
        { id: 's', kind: 'source', config: { name: 'flights', ref: { type: 'bundled', id: 'flights-3m' } } },
        { id: 'p', kind: 'profile', config: { input: 'flights', target: 'delay' } },
      ]),
      files: {},
    },
    {
      key: 'olist',
      target: 'review_score',
      nativeSetup: `CREATE OR REPLACE TABLE t AS ${JOIN(csv(ORDERS), csv(REVIEWS))}`,
      doc: notebook('bench-profile-olist', [
        { id: 'o', kind: 'source', config: { name: 'orders', ref: ref(ORDERS) } },
        { id: 'r', kind: 'source', config: { name: 'reviews', ref: ref(REVIEWS) } },
        { id: 'j', kind: 'sql', config: { name: 'order_reviews', sql: JOIN('orders', 'reviews') } },
        { id: 'p', kind: 'profile', config: { input: 'order_reviews', target: 'review_score' } },
      ]),
      files,
    },
  ];
}

// ---------------------------------------------------------------------------------------------- native

interface NativeProfile {
  threads: number;
  samplesMs: number[];
  medianMs: number;
  rows: number;
  queries: number;
}

async function runNative(c: Case, threads?: number): Promise<NativeProfile> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    // Parquet and CSV are built in; never let a benchmark reach for the network.
    await conn.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false');
    if (threads !== undefined) await conn.run(`SET threads=${threads}`);
    const t = (await conn.runAndReadAll("SELECT current_setting('threads') AS t")).getRowObjects()[0].t;
    await conn.run(c.nativeSetup);
    const columns = (await conn.runAndReadAll('DESCRIBE t'))
      .getRowObjects()
      .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const run = async (sql: string) =>
      (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    await profileTable(run, 't', columns, { target: c.target }); // warm-up
    const samplesMs: number[] = [];
    let last: Profile | undefined;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      last = await profileTable(run, 't', columns, { target: c.target });
      samplesMs.push(performance.now() - t0);
    }
    return {
      threads: Number(t),
      samplesMs,
      medianMs: median(samplesMs),
      rows: last!.rows,
      queries: last!.queries,
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

// ---------------------------------------------------------------------------------------------- wasm

interface WasmProfile {
  /** The profile cell's own run time (CellRunState.ms), per run. */
  samplesMs: number[];
  medianMs: number;
  /** `Profile.ms` (inside profileTable), per run. */
  profileMs: number[];
  rows: number;
  queries: number;
  approximate: Profile['approximate'] | null;
}

async function runWasm(ctx: BenchContext, browser: Browser, c: Case): Promise<WasmProfile> {
  const server = await ctx.startServer();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const pageErrors = recordPageErrors(page);
    await page.goto(server.url);
    await waitForBenchtop(page, pageErrors);
    await page.evaluate((d) => window.benchtop!.openNotebook(d), c.doc);
    for (const [name, bytes] of Object.entries(c.files)) {
      await page.evaluate(
        ([n, b64]) =>
          window.benchtop!.provideFile(
            n,
            Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)),
          ),
        [name, bytes.toString('base64')] as const,
      );
    }
    const samplesMs: number[] = [];
    const profileMs: number[] = [];
    let profile: Profile | undefined;
    // The first runAll loads the data too; then each run re-runs every cell (the profile cell's own
    // time is what is measured). One warm-up, then RUNS timed.
    for (let i = 0; i <= RUNS; i++) {
      const states = await withTimeout(
        page.evaluate(() => window.benchtop!.runAll()),
        600_000,
        `runAll ${c.key}`,
      );
      const p = states.p;
      if (p?.status !== 'ok')
        throw new Error(`profile cell: ${p?.status}: ${p?.error ?? ''} ${pageErrors.join(' | ')}`);
      profile = p.result?.meta?.profile as Profile;
      if (i === 0) continue;
      samplesMs.push(p.ms ?? Number.NaN);
      profileMs.push(profile.ms);
      ctx.log(`wasm ${c.key}: run ${i}: cell ${round(p.ms ?? Number.NaN)} ms, profileTable ${profile.ms} ms`);
    }
    return {
      samplesMs,
      medianMs: median(samplesMs),
      profileMs,
      rows: profile!.rows,
      queries: profile!.queries,
      approximate: profile!.approximate ?? null,
    };
  } finally {
    await context.close();
  }
}

// ------------------------------------------------------------------------------------------ suite

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function run(ctx: BenchContext): Promise<SuiteResult> {
  const errors: string[] = [];
  const details: Record<string, unknown> = { runs: RUNS };
  const measurements: Measurement[] = [];
  for (const c of cases(ctx)) {
    ctx.log(`native ${c.key}: 1 thread`);
    const n1 = await runNative(c, 1);
    ctx.log(`native ${c.key}: default threads`);
    const n = await runNative(c);
    let w: WasmProfile | undefined;
    try {
      w = await runWasm(ctx, await ctx.browser(), c);
    } catch (e) {
      errors.push(`wasm ${c.key}: ${errorText(e)}`);
    }
    details[c.key] = { native1Thread: n1, native: n, wasm: w };
    if (w && w.rows !== n1.rows) errors.push(`${c.key}: WASM profiled ${w.rows} rows, native ${n1.rows}`);
    const big = c.key === 'flights3m';
    measurements.push(
      {
        name: `profile.${c.key}.wasm_ms`,
        value: w ? round(w.medianMs) : null,
        unit: 'ms',
        ...(big ? { target: { op: '<' as const, value: 5000 } } : {}),
        note: `${n1.rows} rows, target ${c.target}; profile cell run time in Chromium, median of ${RUNS}`,
      },
      {
        name: `profile.${c.key}.native_1thread_ms`,
        value: round(n1.medianMs),
        unit: 'ms',
        ...(big ? { target: { op: '<' as const, value: 3000 } } : {}),
        note: `profileTable with native DuckDB, SET threads=1; ${n1.queries} queries`,
      },
      {
        name: `profile.${c.key}.native_ms`,
        value: round(n.medianMs),
        unit: 'ms',
        note: `${n.threads} threads`,
      },
      {
        name: `profile.${c.key}.ratio_vs_native_1thread`,
        value: w ? round(w.medianMs / n1.medianMs, 2) : null,
        unit: '×',
      },
      { name: `profile.${c.key}.ratio`, value: w ? round(w.medianMs / n.medianMs, 2) : null, unit: '×' },
    );
  }
  return { measurements, details, errors };
}

export const suite: Suite = {
  description: 'Profile cell (flights-3m, Olist join) in DuckDB-WASM vs the same SQL on native DuckDB',
  run,
};
