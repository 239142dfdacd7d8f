/**
 * Retrieval accuracy on 10,000 Amazon UK titles: categories = the 255 distinct paths (leaves) and their
 * prefixes; 20 % of the labelled items held out by id (seeded hash), the rest keep their label. Compared
 * with a plain TF-IDF nearest-neighbour baseline computed here.
 */
import { describe, expect, it } from 'vitest';
import { type AuditItem, auditItems, measure } from '../audit.ts';
import type { Category } from '../categoryIndex.ts';
import { tokenize } from '../normalize.ts';
import { type AmazonItem, amazonCategories, loadAmazon, rng, taxonomyAvailable } from './taxonomyData.ts';

function heldOut(id: string, seed = 7): boolean {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % 100 < 20;
}

/** Plain TF-IDF (words, no n-grams) cosine nearest neighbour: top-1 = nearest label, top-5 = first 5 labels. */
function tfidfBaseline(train: AmazonItem[], test: AmazonItem[]): { top1: number; top5: number } {
  const docs = train.map((t) => tokenize(t.title, { stem: false }));
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const n = docs.length;
  const vec = (toks: string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const t of toks) m.set(t, (m.get(t) ?? 0) + 1);
    let s = 0;
    for (const [t, c] of m) {
      const w = (1 + Math.log(c)) * (Math.log((n + 1) / ((df.get(t) ?? 0) + 1)) + 1);
      m.set(t, w);
      s += w * w;
    }
    for (const [t, w] of m) m.set(t, w / Math.sqrt(s || 1));
    return m;
  };
  const inv = new Map<string, Array<[number, number]>>();
  docs.forEach((d, i) => {
    for (const [t, w] of vec(d)) {
      const l = inv.get(t);
      if (l) l.push([i, w]);
      else inv.set(t, [[i, w]]);
    }
  });
  let t1 = 0;
  let t5 = 0;
  for (const q of test) {
    const s = new Map<number, number>();
    for (const [t, w] of vec(tokenize(q.title, { stem: false })))
      for (const [d, dw] of inv.get(t) ?? []) s.set(d, (s.get(d) ?? 0) + w * dw);
    const ranked = [...s].sort((a, b) => b[1] - a[1]);
    const labels: string[] = [];
    for (const [d] of ranked) {
      const l = train[d].path;
      if (!labels.includes(l)) labels.push(l);
      if (labels.length === 5) break;
    }
    if (labels[0] === q.path) t1++;
    if (labels.includes(q.path)) t5++;
  }
  return { top1: t1 / test.length, top5: t5 / test.length };
}

describe.skipIf(!taxonomyAvailable())('audit on Amazon UK titles', () => {
  it('beats a TF-IDF nearest-neighbour baseline on held-out items; flags corrupted labels', async () => {
    const data = await loadAmazon();
    const cats: Category[] = amazonCategories(data.map((d) => d.path));
    expect(cats.filter((c) => c.leaf).length).toBe(255);
    const labelled = data.filter((d) => d.path);
    const test = labelled.filter((d) => heldOut(d.id));
    const train = labelled.filter((d) => !heldOut(d.id));

    // 5 % of the training labels corrupted to a random other leaf: the audit should flag them.
    const leaves = cats.filter((c) => c.leaf).map((c) => c.id);
    const rand = rng(42);
    const givenLabel = new Map<string, string>();
    for (const d of train) {
      let l = d.path;
      if (rand() < 0.05) {
        do l = leaves[Math.floor(rand() * leaves.length)];
        while (l === d.path);
      }
      givenLabel.set(d.id, l);
    }
    const items: AuditItem[] = data.map((d) => ({
      id: d.id,
      title: d.title,
      ...(givenLabel.has(d.id) ? { label: givenLabel.get(d.id)! } : {}),
    }));
    const progress: number[] = [];
    const t0 = performance.now();
    const rows = await auditItems(items, new Map([['amazon.co.uk', cats]]), {
      onProgress: (p) => {
        if (p.phase === 'infer') progress.push(p.done);
      },
    });
    const ms = performance.now() - t0;
    expect(rows).toHaveLength(items.length);
    expect(rows.every((r) => r.inferredId !== null)).toBe(true);
    expect(progress.at(-1)).toBe(items.length);

    const depth = new Map(cats.map((c) => [c.id, c.path.length]));
    const truthTest = new Map(test.map((d) => [d.id, d.path]));
    const mine = measure(rows, truthTest, (_s, id) => depth.get(id) ?? 0);
    const truthTrain = new Map(train.map((d) => [d.id, d.path]));
    const audit = measure(rows, truthTrain);
    const base = tfidfBaseline(
      train.map((d) => ({ ...d, path: givenLabel.get(d.id)! })),
      test,
    );
    // Lexical only (no labels at all): the label-free path.
    const unlabelled = await auditItems(
      test.map((d) => ({ id: d.id, title: d.title })),
      new Map([['amazon.co.uk', cats]]),
    );
    const lex = measure(unlabelled, truthTest);
    console.log(
      JSON.stringify(
        {
          items: items.length,
          heldOut: test.length,
          ms: Math.round(ms),
          pipeline: { top1: mine.top1, top5: mine.top5, byDepth: mine.byDepth },
          baselineTfidfNN: base,
          lexicalOnly: { top1: lex.top1, top5: lex.top5 },
          leaveOneOutOnLabelled: { top1: audit.top1, top5: audit.top5, mismatch: audit.mismatch },
        },
        null,
        1,
      ),
    );
    expect(mine.top1).toBeGreaterThanOrEqual(base.top1);
    expect(mine.top5).toBeGreaterThanOrEqual(base.top5);
    expect(mine.top1).toBeGreaterThan(0.5);
    expect(audit.mismatch.recall ?? 0).toBeGreaterThan(0.5);
  }, 180_000);
});
