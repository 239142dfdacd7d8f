/**
 * 30,000+ leaves: the eBay list tiled with a perturbed copy (variant token in the name, a site token at
 * the root). Sanity bounds only (build < 10 s, median query < 5 ms); the benchmark is bench/suites/audit.ts.
 */
import { describe, expect, it } from 'vitest';
import { CategoryIndex } from '../categoryIndex.ts';
import { foldText } from '../normalize.ts';
import { loadAmazon, loadEbay, rng, taxonomyAvailable, tileCategories } from './taxonomyData.ts';

describe.skipIf(!taxonomyAvailable())('category index at 30k+ leaves', () => {
  it('builds, queries quickly and finds exact leaf names', async () => {
    const ebay = await loadEbay();
    expect(ebay.filter((c) => c.leaf).length).toBe(15110);
    const cats = tileCategories(ebay, 2);
    const leaves = cats.filter((c) => c.leaf).length;
    expect(leaves).toBeGreaterThanOrEqual(30_000);
    const t0 = performance.now();
    const index = CategoryIndex.build(cats);
    const buildMs = performance.now() - t0;
    expect(index.size).toBe(leaves);

    const titles = (await loadAmazon()).slice(0, 1000).map((d) => d.title);
    const times: number[] = [];
    for (const t of titles) {
      const s = performance.now();
      const r = index.search(t, 10);
      times.push(performance.now() - s);
      expect(r.length).toBeLessThanOrEqual(10);
    }
    times.sort((a, b) => a - b);
    const median = times[times.length >> 1];

    // Exact names: a sample of original leaves whose (decoded) name is unique among original leaves.
    const counts = new Map<string, number>();
    for (const c of ebay) if (c.leaf) counts.set(foldText(c.name), (counts.get(foldText(c.name)) ?? 0) + 1);
    const unique = ebay.filter((c) => c.leaf && counts.get(foldText(c.name)) === 1);
    const rand = rng(1);
    const sample = Array.from({ length: 500 }, () => unique[Math.floor(rand() * unique.length)]);
    let hits = 0;
    const misses: string[] = [];
    for (const c of sample) {
      const top = index.search(c.name, 1)[0];
      if (top?.id === c.id) hits++;
      else if (misses.length < 5) misses.push(`${c.name} → ${top?.name}`);
    }
    const exact = hits / sample.length;

    // Serialisation round trip gives the same answers.
    const json = JSON.stringify(index.toJSON());
    const back = CategoryIndex.fromJSON(JSON.parse(json));
    for (const t of titles.slice(0, 50)) {
      expect(back.search(t, 5).map((c) => c.id)).toEqual(index.search(t, 5).map((c) => c.id));
    }
    console.log(
      JSON.stringify({
        leaves,
        buildMs: Math.round(buildMs),
        medianQueryMs: +median.toFixed(3),
        p95QueryMs: +times[Math.floor(times.length * 0.95)].toFixed(3),
        exactNameTop1: exact,
        misses,
        jsonMB: +(json.length / 1e6).toFixed(1),
      }),
    );
    expect(buildMs).toBeLessThan(10_000);
    expect(median).toBeLessThan(5);
    expect(exact).toBeGreaterThanOrEqual(0.95);
  }, 120_000);
});
