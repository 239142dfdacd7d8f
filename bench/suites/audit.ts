/**
 * Label audit (src/core/audit), data from ../shared/data/taxonomy (read-only):
 * - Node: category-index build time, per-query latency (p50/p95 over 2,000 perturbed Amazon titles),
 *   heap growth and serialised size at 17k categories (the eBay list: 15,110 leaves) and 35k (the eBay
 *   list tiled with perturbed copies, the way src/core/audit/__tests__/scale.test.ts grows it, cut at
 *   35,000 leaves); the kNN index over 100,000 titles (Amazon UK titles sampled and perturbed): build,
 *   per-query latency (two-phase default, and exhaustive for comparison), how many of the exhaustive
 *   20 neighbours the default finds, heap, serialised size; the end-to-end audit of the 10k Amazon
 *   titles (80 % labelled), per item; the end-to-end audit of 100,000 items that ALL carry a label
 *   (every item's kNN query runs over the other 99,999 labelled titles), total and per phase.
 * - Browser: the same index builds and queries in headless Chromium, inside a dedicated module Worker
 *   (the core modules bundled for the bench with Vite and served from the bench server, since the app's
 *   audit worker takes Arrow tables and an OPFS cache, which would time more than the index). Wall clock
 *   only; no heap figure (a page cannot read a worker's heap without cross-origin isolation).
 * - Served: the audit model (src/core/audit/artifact.ts) of the 10k-title run plus the eBay list as a
 *   second, unlabelled site, deployed to a real server in its own Node process (this file with
 *   `--serve-child`), then single-title `POST /v1/models/{name}/predict` in a closed loop of keep-alive
 *   connections (node:http): p50/p99 latency and requests per second, per site.
 * Heap deltas need `--expose-gc` (NODE_OPTIONS=--expose-gc); without it they are noisy.
 * Env: BENCH_AUDIT_SERVE_SECONDS (default 10 per site), BENCH_AUDIT_CONNECTIONS (default 8).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type AuditItem, auditItems, measure, type SiteModel } from '../../src/core/audit/audit.ts';
import { buildAuditArtifact } from '../../src/core/audit/artifact.ts';
import { type Category, CategoryIndex } from '../../src/core/audit/categoryIndex.ts';
import { KnnIndex } from '../../src/core/audit/knnIndex.ts';
import { tokenize } from '../../src/core/audit/normalize.ts';
import {
  amazonCategories,
  loadAmazon,
  loadEbay,
  rng,
  taxonomyAvailable,
  tileCategories,
} from '../../src/core/audit/__tests__/taxonomyData.ts';
import { stopChild } from '../lib/child.ts';
import { post } from '../lib/http.ts';
import { round } from '../lib/stats.ts';
import type { BenchContext, Measurement, Suite, SuiteResult } from '../lib/types.ts';

const QUERIES = 2000;
const SERVE_SECONDS = Number(process.env.BENCH_AUDIT_SERVE_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_AUDIT_CONNECTIONS ?? 8);
const TOKEN = 'bench-audit-token-0123456789abcdef';

/** JS heap plus ArrayBuffer memory (the indexes keep their postings in typed arrays, outside the heap). */
function heapMB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 1e6;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function perturbTitles(base: { title: string; path: string }[], n: number, seed: number) {
  const r = rng(seed);
  const extra = ['new', 'uk', 'pack', '2017', 'gift', 'large', 'small', 'set', 'edition', 'black'];
  return Array.from({ length: n }, () => {
    const b = base[Math.floor(r() * base.length)];
    const all = b.title.split(/\s+/);
    const words = all.filter(() => all.length < 3 || r() > 0.15);
    if (r() < 0.5) words.push(extra[Math.floor(r() * extra.length)]);
    if (r() < 0.3) words.push(String(Math.floor(r() * 1000)));
    return { title: words.join(' '), path: b.path };
  });
}

interface Timing {
  buildMs: number;
  p50Ms: number;
  p95Ms: number;
  /** Loop time ÷ queries (precise where performance.now is coarsened, as in a page). */
  meanMs: number;
}

const timing = (buildMs: number, lat: number[], wall: number): Timing => {
  lat.sort((a, b) => a - b);
  return {
    buildMs: round(buildMs, 1),
    p50Ms: round(pct(lat, 0.5), 3),
    p95Ms: round(pct(lat, 0.95), 3),
    meanMs: round(wall / lat.length, 3),
  };
};

// ---------------------------------------------------------------------------------------------------
// Browser half: the core modules in a module Worker in headless Chromium.

const WORKER_SOURCE = (root: string) => `
import { CategoryIndex } from ${JSON.stringify(join(root, 'src/core/audit/categoryIndex.ts'))};
import { KnnIndex } from ${JSON.stringify(join(root, 'src/core/audit/knnIndex.ts'))};
import { tokenize } from ${JSON.stringify(join(root, 'src/core/audit/normalize.ts'))};
self.onmessage = (e) => {
  const { kind, cats, docs, queries } = e.data;
  const t0 = performance.now();
  const lat = [];
  let build = 0;
  let q0 = 0;
  if (kind === 'categories') {
    const index = CategoryIndex.build(cats);
    build = performance.now() - t0;
    q0 = performance.now();
    for (const q of queries) { const s = performance.now(); index.search(q, 10); lat.push(performance.now() - s); }
  } else {
    const knn = new KnnIndex(docs);
    build = performance.now() - t0;
    q0 = performance.now();
    for (const q of queries) {
      const s = performance.now();
      KnnIndex.vote(knn.neighbours(tokenize(q), 20));
      lat.push(performance.now() - s);
    }
  }
  self.postMessage({ build, lat, wall: performance.now() - q0 });
};
`;

async function browserHalf(
  ctx: BenchContext,
  cases: Array<{
    key: string;
    kind: 'categories' | 'knn';
    cats?: Category[];
    docs?: { text: string; label: string }[];
  }>,
  queries: string[],
): Promise<Record<string, Timing>> {
  const dir = join(ctx.tmpDir, 'audit-browser');
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'audit-bench-worker.ts');
  writeFileSync(entry, WORKER_SOURCE(ctx.root));
  const { build } = await import('vite');
  await build({
    configFile: false,
    logLevel: 'silent',
    root: ctx.root,
    build: {
      outDir: join(dir, 'out'),
      emptyOutDir: true,
      minify: true,
      lib: { entry, formats: ['es'], fileName: () => 'audit-bench-worker.js' },
    },
  });
  writeFileSync(join(dir, 'out', 'index.html'), '<!doctype html><title>audit bench</title>');
  const server = await ctx.startServer({ extraStatic: { '/__audit/': join(dir, 'out') } });
  const browser = await ctx.browser();
  const page = await browser.newPage();
  const out: Record<string, Timing> = {};
  try {
    await page.goto(new URL('/__audit/index.html', server.url).toString());
    for (const c of cases) {
      const r = await page.evaluate(
        (msg) =>
          new Promise<{ build: number; lat: number[]; wall: number }>((resolve, reject) => {
            const w = new Worker('/__audit/audit-bench-worker.js', { type: 'module' });
            w.onmessage = (e) => {
              w.terminate();
              resolve(e.data);
            };
            w.onerror = (e) => {
              w.terminate();
              reject(new Error(e.message || 'worker error'));
            };
            w.postMessage(msg);
          }),
        { kind: c.kind, cats: c.cats, docs: c.docs, queries },
      );
      out[c.key] = timing(r.build, r.lat, r.wall);
      ctx.log(`browser ${c.key}: build ${out[c.key].buildMs} ms, mean query ${out[c.key].meanMs} ms`);
    }
  } finally {
    await page.close();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Served half: a real server in a child process, closed-loop load.

interface LoadResult {
  requests: number;
  failures: number;
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function load(port: number, path: string, bodies: string[], seconds: number): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const lat: number[] = [];
  let failures = 0;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const body = bodies[i++ % bodies.length];
        const s = performance.now();
        const status = await post(agent, port, path, body);
        lat.push(performance.now() - s);
        if (status !== 200) failures++;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  return {
    requests: lat.length,
    failures,
    reqPerS: round(lat.length / wall, 1),
    p50Ms: round(pct(lat, 0.5), 2),
    p99Ms: round(pct(lat, 0.99), 2),
    maxMs: round(lat.at(-1) ?? Number.NaN, 2),
  };
}

function spawnServer(ctx: BenchContext, modelsDir: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ctx.root, 'bench', 'suites', 'audit.ts'),
        '--serve-child',
        ctx.distDir,
        modelsDir,
      ],
      { cwd: ctx.root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let buf = '';
    const timer = setTimeout(() => reject(new Error('audit server child did not start in 120 s')), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`audit server child exited (${code})`)));
  });
}

// ---------------------------------------------------------------------------------------------------

export const suite: Suite = {
  description:
    'label audit: category index at 17k/35k and kNN over 100k titles (Node and Chromium worker), 10k-item audit, served /predict',
  async run(ctx): Promise<SuiteResult> {
    const measurements: Measurement[] = [];
    const details: Record<string, unknown> = {};
    const errors: string[] = [];
    if (!taxonomyAvailable()) return { measurements, details, errors: ['../shared/data/taxonomy not found'] };
    details.gc = typeof (globalThis as { gc?: unknown }).gc === 'function';
    // The machine is often shared: the 1-minute load average says how much to trust the timings.
    const load1 = () => round(loadavg()[0], 2);
    details.loadAverage1m = { start: load1() };
    const ebay = await loadEbay();
    const amazon = await loadAmazon();
    const labelled = amazon.filter((a) => a.path);
    const queries = perturbTitles(labelled, QUERIES, 3).map((q) => q.title);

    const sizes: Array<{ key: string; cats: Category[] }> = [];
    sizes.push({ key: '17k', cats: ebay });
    const tiled = tileCategories(ebay, 3);
    let leaves = 0;
    sizes.push({ key: '35k', cats: tiled.filter((c) => !c.leaf || ++leaves <= 35_000) });
    const node: Record<string, Timing & { heapMB: number; jsonMB: number; leaves: number }> = {};
    for (const { key, cats } of sizes) {
      try {
        const h0 = heapMB();
        const t0 = performance.now();
        const index = CategoryIndex.build(cats);
        const build = performance.now() - t0;
        const heap = heapMB() - h0;
        const lat: number[] = [];
        const q0 = performance.now();
        for (const q of queries) {
          const s = performance.now();
          index.search(q, 10);
          lat.push(performance.now() - s);
        }
        const t = timing(build, lat, performance.now() - q0);
        const jsonMB = JSON.stringify(index.toJSON()).length / 1e6;
        node[key] = { ...t, heapMB: round(heap, 1), jsonMB: round(jsonMB, 2), leaves: index.size };
        ctx.log(
          `${key}: ${index.size} leaves, build ${t.buildMs} ms, median query ${t.p50Ms} ms, ${jsonMB.toFixed(1)} MB JSON`,
        );
        measurements.push(
          {
            name: `audit.categories${key}.build_ms`,
            value: t.buildMs,
            unit: 'ms',
            target: { op: '<', value: 1000 },
          },
          {
            name: `audit.categories${key}.query_median_ms`,
            value: t.p50Ms,
            unit: 'ms',
            target: { op: '<', value: 1 },
          },
          { name: `audit.categories${key}.query_p95_ms`, value: t.p95Ms, unit: 'ms' },
          {
            name: `audit.categories${key}.heap_mb`,
            value: round(heap, 1),
            unit: 'MB',
            note: 'heapUsed + arrayBuffers delta',
          },
          {
            name: `audit.categories${key}.json_mb`,
            value: round(jsonMB, 2),
            unit: 'MB',
            note: 'serialised index',
          },
        );
      } catch (e) {
        errors.push(`categories ${key}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    details.node = node;

    const titles = perturbTitles(labelled, 100_000, 5);
    const docs = titles.map((t) => ({ text: t.title, label: t.path }));
    try {
      const h0 = heapMB();
      const t0 = performance.now();
      const knn = new KnnIndex(docs);
      const build = performance.now() - t0;
      const heap = heapMB() - h0;
      const lat: number[] = [];
      const q0 = performance.now();
      for (const q of queries) {
        const s = performance.now();
        KnnIndex.vote(knn.neighbours(tokenize(q), 20));
        lat.push(performance.now() - s);
      }
      const t = timing(build, lat, performance.now() - q0);
      const textMB = docs.reduce((n, d) => n + d.text.length, 0) / 1e6;
      // The same queries scored exhaustively (every posting of every scoring term), for the latency
      // the two phases save and for how many of the exhaustive 20 neighbours they find (a neighbour
      // counts when it is as similar as the exhaustive 20th: equal similarities are interchangeable).
      const exhaustive = new KnnIndex(docs, { candidatePostings: 0 });
      const latEx: number[] = [];
      let found = 0;
      let sameVote = 0;
      const e0 = performance.now();
      for (const q of queries) {
        const toks = tokenize(q);
        const s = performance.now();
        const want = exhaustive.neighbours(toks, 20);
        latEx.push(performance.now() - s);
        const got = knn.neighbours(toks, 20);
        const threshold = want.at(-1)?.sim ?? 0;
        found += got.filter((x) => x.sim >= threshold - 1e-6).length / Math.max(1, want.length);
        if (KnnIndex.vote(got)[0]?.label === KnnIndex.vote(want)[0]?.label) sameVote++;
      }
      const tEx = timing(0, latEx, performance.now() - e0);
      const recall = round(found / queries.length, 4);
      const voteAgreement = round(sameVote / queries.length, 4);
      details.knn100k = {
        ...t,
        heapMB: round(heap, 1),
        titlesMB: round(textMB, 2),
        exhaustive: { p50Ms: tEx.p50Ms, p95Ms: tEx.p95Ms },
        recall20VsExhaustive: recall,
        voteTop1AgreementVsExhaustive: voteAgreement,
      };
      ctx.log(
        `knn 100k: build ${t.buildMs} ms, median query ${t.p50Ms} ms (exhaustive ${tEx.p50Ms} ms), recall@20 ${recall}, vote agreement ${voteAgreement}`,
      );
      measurements.push(
        { name: 'audit.knn100k.build_ms', value: t.buildMs, unit: 'ms' },
        { name: 'audit.knn100k.query_median_ms', value: t.p50Ms, unit: 'ms' },
        { name: 'audit.knn100k.query_p95_ms', value: t.p95Ms, unit: 'ms' },
        {
          name: 'audit.knn100k.exhaustive_query_median_ms',
          value: tEx.p50Ms,
          unit: 'ms',
          note: 'every posting of every scoring term walked (the index before two-phase queries)',
        },
        {
          name: 'audit.knn100k.recall20_vs_exhaustive',
          value: recall,
          unit: 'fraction',
          note: 'share of the exhaustive 20 nearest neighbours (ties counted as found) the default query returns',
        },
        {
          name: 'audit.knn100k.vote_agreement_vs_exhaustive',
          value: voteAgreement,
          unit: 'fraction',
          note: 'queries whose top kNN vote is the exhaustive one',
        },
        { name: 'audit.knn100k.heap_mb', value: round(heap, 1), unit: 'MB' },
        {
          name: 'audit.knn100k.titles_mb',
          value: round(textMB, 2),
          unit: 'MB',
          note: 'what the audit artifact stores for the kNN (rebuilt at load)',
        },
      );
    } catch (e) {
      errors.push(`knn 100k: ${e instanceof Error ? e.message : String(e)}`);
    }

    // The 10k-title audit, kept as a deployable model (plus the eBay list as an unlabelled site).
    let artifactJson: string | undefined;
    const heldOut: string[] = [];
    try {
      const cats = amazonCategories(amazon.map((a) => a.path));
      const items: AuditItem[] = amazon.map((a, i) => ({
        id: a.id,
        title: a.title,
        site: 'amazon',
        ...(a.path && i % 5 ? { label: a.path } : {}),
      }));
      for (const it of items) if (!it.label && heldOut.length < 500) heldOut.push(it.title);
      const models: SiteModel[] = [];
      const t0 = performance.now();
      const rows = await auditItems(items, new Map([['amazon', cats]]), { onModel: (m) => models.push(m) });
      const ms = performance.now() - t0;
      ctx.log(`audit 10k items: ${ms.toFixed(0)} ms`);
      measurements.push({
        name: 'audit.amazon10k.per_item_ms',
        value: round(ms / items.length, 3),
        unit: 'ms',
      });
      const ebayOnly: SiteModel[] = [];
      await auditItems([{ id: 'e', title: queries[0], site: 'ebay' }], new Map([['ebay', ebay]]), {
        onModel: (m) => ebayOnly.push(m),
      });
      const truth = new Map(items.filter((i) => i.label).map((i) => [i.id, i.label!]));
      artifactJson = JSON.stringify(
        buildAuditArtifact({
          name: 'bench audit',
          models: [...models, ...ebayOnly],
          items: items.length,
          measure: measure(rows, truth),
        }),
      );
      measurements.push({
        name: 'audit.artifact_mb',
        value: round(artifactJson.length / 1e6, 2),
        unit: 'MB',
        note: '10k Amazon titles (8k labelled, 255 leaves) + the eBay list (15,110 leaves)',
      });
    } catch (e) {
      errors.push(`audit 10k: ${e instanceof Error ? e.message : String(e)}`);
    }

    // 100,000 items, every one labelled: the kNN's worst case (each item queries the other 99,999
    // labelled titles, leave-one-out). Items are the perturbed Amazon titles with their source's label.
    try {
      const cats = amazonCategories(amazon.map((a) => a.path));
      const items: AuditItem[] = titles.map((t, i) => ({ id: `p${i}`, title: t.title, label: t.path }));
      const phases: Record<string, number> = {};
      let phase = '';
      let since = performance.now();
      const loadStart = load1();
      const t0 = performance.now();
      const rows = await auditItems(items, new Map([['amazon', cats]]), {
        onProgress: (p) => {
          if (p.phase === phase) return;
          const now = performance.now();
          if (phase) phases[phase] = (phases[phase] ?? 0) + now - since;
          phase = p.phase;
          since = now;
        },
      });
      const ms = performance.now() - t0;
      if (phase) phases[phase] = (phases[phase] ?? 0) + performance.now() - since;
      const m = measure(rows, new Map(items.map((it) => [it.id, it.label!])));
      details.audit100kAllLabelled = {
        ms: Math.round(ms),
        // 'index' includes the kNN build (between the category index and the first training query).
        phasesMs: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v)])),
        top1VsLabels: round(m.top1, 4),
        loadAverage1m: { start: loadStart, end: load1() },
      };
      ctx.log(
        `audit 100k items, all labelled: ${(ms / 1000).toFixed(1)} s, top-1 vs labels ${m.top1.toFixed(3)}`,
      );
      measurements.push(
        {
          name: 'audit.amazon100k_all_labelled.total_s',
          value: round(ms / 1000, 1),
          unit: 's',
          target: { op: '<', value: 60 },
          note: '100,000 perturbed Amazon titles, every one labelled (kNN over 100k labelled titles, leave-one-out), Node',
        },
        { name: 'audit.amazon100k_all_labelled.per_item_ms', value: round(ms / items.length, 3), unit: 'ms' },
      );
    } catch (e) {
      errors.push(`audit 100k all labelled: ${e instanceof Error ? e.message : String(e)}`);
    }

    // Browser half.
    try {
      const browser = await browserHalf(
        ctx,
        [
          { key: 'categories17k', kind: 'categories', cats: sizes[0].cats },
          { key: 'categories35k', kind: 'categories', cats: sizes[1].cats },
          { key: 'knn100k', kind: 'knn', docs },
        ],
        queries,
      );
      details.browser = browser;
      for (const [key, t] of Object.entries(browser)) {
        measurements.push(
          { name: `audit.browser.${key}.build_ms`, value: t.buildMs, unit: 'ms' },
          {
            name: `audit.browser.${key}.query_mean_ms`,
            value: t.meanMs,
            unit: 'ms',
            note: 'loop time ÷ queries',
          },
          { name: `audit.browser.${key}.query_p95_ms`, value: t.p95Ms, unit: 'ms' },
        );
      }
    } catch (e) {
      errors.push(`browser: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }

    // Served half.
    if (artifactJson) {
      const modelsDir = mkdtempSync(join(ctx.tmpDir, 'audit-models-'));
      let child: ChildProcess | undefined;
      try {
        mkdirSync(join(modelsDir, 'audit'));
        writeFileSync(join(modelsDir, 'audit', '1.json'), artifactJson);
        const s = await spawnServer(ctx, modelsDir);
        child = s.child;
        const served: Record<string, LoadResult> = {};
        for (const site of ['amazon', 'ebay']) {
          const bodies = heldOut.map((title) => JSON.stringify({ title, site_id: site }));
          await load(s.port, '/v1/models/audit/predict', bodies.slice(0, 50), 1); // warm-up
          const r = await load(s.port, '/v1/models/audit/predict', bodies, SERVE_SECONDS);
          served[site] = r;
          ctx.log(
            `served ${site}: ${r.reqPerS} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.failures} failures`,
          );
          const what = site === 'amazon' ? '255 leaves, kNN over 8k titles, judge' : '15,110 leaves, lexical';
          measurements.push(
            { name: `audit.serve.${site}.req_per_s`, value: r.reqPerS, unit: 'req/s', note: what },
            { name: `audit.serve.${site}.p50_ms`, value: r.p50Ms, unit: 'ms' },
            { name: `audit.serve.${site}.p99_ms`, value: r.p99Ms, unit: 'ms' },
            {
              name: `audit.serve.${site}.failures`,
              value: r.failures,
              unit: 'requests',
              target: { op: '<=', value: 0 },
            },
          );
        }
        details.served = { connections: CONNECTIONS, seconds: SERVE_SECONDS, ...served };
      } catch (e) {
        errors.push(`served: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        await stopChild(child);
        rmSync(modelsDir, { recursive: true, force: true });
      }
    }
    (details.loadAverage1m as Record<string, number>).end = load1();
    return { measurements, details, errors };
  },
};

// Child mode: `node --import tsx bench/suites/audit.ts --serve-child <dist> <modelsDir>` serves the
// models directory on an ephemeral 127.0.0.1 port and prints READY <port>.
if (process.argv[2] === '--serve-child') {
  const { startServer } = await import('../../server/start.ts');
  const s = await startServer({
    distDir: process.argv[3],
    modelsDir: process.argv[4],
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
  });
  console.log(`READY ${s.port}`);
}
