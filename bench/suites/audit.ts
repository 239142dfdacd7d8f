/**
 * Label audit core (src/core/audit) in Node: category-index build time, per-query latency and heap
 * growth at 17k categories (the eBay list) and 35k (the eBay list tiled with perturbed copies), and the
 * kNN index over 100k titles (Amazon UK titles sampled and perturbed). Plus the end-to-end audit of the
 * 10k Amazon titles (80 % labelled). Browser half: not measured yet (the same code runs in a worker).
 * Data from ../shared/data/taxonomy (read-only).
 */
import { auditItems } from '../../src/core/audit/audit.ts';
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
import type { Measurement, Suite, SuiteResult } from '../lib/types.ts';

const QUERIES = 2000;

function heapMB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1e6;
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

export const suite: Suite = {
  description: 'label audit core in Node: category index at 17k/35k, kNN over 100k titles, 10k-item audit',
  async run(ctx): Promise<SuiteResult> {
    const measurements: Measurement[] = [];
    const details: Record<string, unknown> = {};
    const errors: string[] = [];
    if (!taxonomyAvailable()) return { measurements, details, errors: ['../shared/data/taxonomy not found'] };
    const ebay = await loadEbay();
    const amazon = await loadAmazon();
    const labelled = amazon.filter((a) => a.path);
    const queries = perturbTitles(labelled, QUERIES, 3).map((q) => q.title);

    const sizes: Array<{ key: string; cats: Category[] }> = [];
    sizes.push({ key: '17k', cats: ebay });
    const tiled = tileCategories(ebay, 3);
    let leaves = 0;
    sizes.push({ key: '35k', cats: tiled.filter((c) => !c.leaf || ++leaves <= 35_000) });
    for (const { key, cats } of sizes) {
      try {
        const h0 = heapMB();
        const t0 = performance.now();
        const index = CategoryIndex.build(cats);
        const build = performance.now() - t0;
        const heap = heapMB() - h0;
        const times: number[] = [];
        for (const q of queries) {
          const s = performance.now();
          index.search(q, 10);
          times.push(performance.now() - s);
        }
        times.sort((a, b) => a - b);
        ctx.log(
          `${key}: ${index.size} leaves, build ${build.toFixed(0)} ms, median query ${pct(times, 0.5).toFixed(3)} ms`,
        );
        measurements.push(
          {
            name: `audit.categories${key}.build_ms`,
            value: build,
            unit: 'ms',
            target: { op: '<', value: 1000 },
          },
          {
            name: `audit.categories${key}.query_median_ms`,
            value: pct(times, 0.5),
            unit: 'ms',
            target: { op: '<', value: 1 },
          },
          { name: `audit.categories${key}.query_p95_ms`, value: pct(times, 0.95), unit: 'ms' },
          {
            name: `audit.categories${key}.heap_mb`,
            value: heap,
            unit: 'MB',
            note: 'heapUsed delta (gc if --expose-gc)',
          },
        );
        details[`categories${key}`] = { leaves: index.size, all: cats.length };
      } catch (e) {
        errors.push(`categories ${key}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }

    try {
      const titles = perturbTitles(labelled, 100_000, 5);
      const h0 = heapMB();
      const t0 = performance.now();
      const knn = new KnnIndex(titles.map((t) => ({ text: t.title, label: t.path })));
      const build = performance.now() - t0;
      const heap = heapMB() - h0;
      const times: number[] = [];
      for (const q of queries) {
        const toks = tokenize(q);
        const s = performance.now();
        KnnIndex.vote(knn.neighbours(toks, 20));
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      ctx.log(`knn 100k: build ${build.toFixed(0)} ms, median query ${pct(times, 0.5).toFixed(3)} ms`);
      measurements.push(
        { name: 'audit.knn100k.build_ms', value: build, unit: 'ms' },
        { name: 'audit.knn100k.query_median_ms', value: pct(times, 0.5), unit: 'ms' },
        { name: 'audit.knn100k.query_p95_ms', value: pct(times, 0.95), unit: 'ms' },
        { name: 'audit.knn100k.heap_mb', value: heap, unit: 'MB' },
      );
    } catch (e) {
      errors.push(`knn 100k: ${e instanceof Error ? e.message : String(e)}`);
    }

    try {
      const cats = amazonCategories(amazon.map((a) => a.path));
      const items = amazon.map((a, i) => ({
        id: a.id,
        title: a.title,
        ...(a.path && i % 5 ? { label: a.path } : {}),
      }));
      const t0 = performance.now();
      await auditItems(items, new Map([['amazon', cats]]));
      const ms = performance.now() - t0;
      ctx.log(`audit 10k items: ${ms.toFixed(0)} ms`);
      measurements.push({ name: 'audit.amazon10k.per_item_ms', value: ms / items.length, unit: 'ms' });
    } catch (e) {
      errors.push(`audit 10k: ${e instanceof Error ? e.message : String(e)}`);
    }
    details.browser = 'not measured (Node only)';
    return { measurements, details, errors };
  },
};
