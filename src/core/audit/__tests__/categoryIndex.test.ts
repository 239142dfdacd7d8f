/**
 * The category index against a straightforward construction written here (per leaf: word counts in a
 * Map — name twice plus every path word — and character 3-gram strings of the name plus the parent's at
 * half weight; CSR postings; BM25 impacts; L2-normalised gram TF-IDF), and its search against the
 * straightforward scoring of those postings (Maps, the generic `topK`). The optimised build (memoised
 * tokens, integer-coded grams, flat arrays) must serialise to the same index, and its search must give
 * the same candidates in the same order with the same scores.
 */
import { describe, expect, it } from 'vitest';
import {
  type Category,
  CategoryIndex,
  lexicalScore,
  type SerializedCategoryIndex,
} from '../categoryIndex.ts';
import { charNgrams, tokenize } from '../normalize.ts';
import {
  Accumulator,
  base64ToFloat32,
  base64ToInt32,
  buildPostings,
  docFreqs,
  type Postings,
  type TermCounts,
  topK,
  typedToBase64,
  Vocab,
} from '../sparse.ts';
import { loadAmazon, loadEbay, rng, taxonomyAvailable, tileCategories } from './taxonomyData.ts';

function referenceBuild(categories: readonly Category[]): SerializedCategoryIndex {
  const leaves = categories.filter((c) => c.leaf);
  const words = new Vocab();
  const grams = new Vocab();
  const wdocs: TermCounts[] = [];
  const gdocs: TermCounts[] = [];
  const toCounts = (m: Map<number, number>): TermCounts => ({
    ids: Int32Array.from(m.keys()),
    counts: Float32Array.from(m.values()),
  });
  let maxDepth = 1;
  for (const c of leaves) {
    maxDepth = Math.max(maxDepth, c.path.length);
    const m = new Map<number, number>();
    for (const t of tokenize(c.name)) {
      const id = words.id(t, true);
      m.set(id, (m.get(id) ?? 0) + 2);
    }
    for (const p of c.path)
      for (const t of tokenize(p)) {
        const id = words.id(t, true);
        m.set(id, (m.get(id) ?? 0) + 1);
      }
    wdocs.push(toCounts(m));
    const g = new Map<number, number>();
    for (const t of charNgrams(tokenize(c.name), 3)) {
      const id = grams.id(t, true);
      g.set(id, (g.get(id) ?? 0) + 1);
    }
    const parent = c.path.length >= 2 ? c.path[c.path.length - 2] : '';
    for (const t of parent ? charNgrams(tokenize(parent), 3) : []) {
      const id = grams.id(t, true);
      g.set(id, (g.get(id) ?? 0) + 0.5);
    }
    gdocs.push(toCounts(g));
  }
  const n = leaves.length;
  const word = buildPostings(words.size, wdocs);
  const wdf = docFreqs(word);
  const wordIdf = new Float32Array(words.size);
  for (let t = 0; t < words.size; t++) wordIdf[t] = Math.log(1 + (n - wdf[t] + 0.5) / (wdf[t] + 0.5));
  const dl = new Float32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    dl[i] = wdocs[i].counts.reduce((a, b) => a + b, 0);
    total += dl[i];
  }
  const avgdl = total / Math.max(1, n);
  for (let t = 0; t < words.size; t++)
    for (let p = word.offsets[t]; p < word.offsets[t + 1]; p++) {
      const tf = word.weights[p];
      word.weights[p] =
        (wordIdf[t] * (tf * 2.2)) / (tf + 1.2 * (1 - 0.75 + (0.75 * dl[word.docs[p]]) / avgdl));
    }
  const gram = buildPostings(grams.size, gdocs);
  const gdf = docFreqs(gram);
  const gramIdf = new Float32Array(grams.size);
  for (let t = 0; t < grams.size; t++) gramIdf[t] = Math.log((n + 1) / (gdf[t] + 1)) + 1;
  const norm = new Float32Array(n);
  for (let t = 0; t < grams.size; t++)
    for (let p = gram.offsets[t]; p < gram.offsets[t + 1]; p++) {
      const w = (1 + Math.log(gram.weights[p])) * gramIdf[t];
      gram.weights[p] = w;
      norm[gram.docs[p]] += w * w;
    }
  for (let p = 0; p < gram.docs.length; p++) gram.weights[p] /= Math.sqrt(norm[gram.docs[p]]) || 1;
  const enc = (p: Postings): [string, string, string] => [
    typedToBase64(p.offsets),
    typedToBase64(p.docs),
    typedToBase64(p.weights),
  ];
  return {
    version: 1,
    leaves: leaves.map((c) => [c.id, c.name, c.path, c.site]),
    words: words.terms,
    grams: grams.terms,
    wordIdf: typedToBase64(wordIdf),
    gramIdf: typedToBase64(gramIdf),
    word: enc(word),
    gram: enc(gram),
    maxDepth,
  };
}

/** The straightforward search over a serialised index: ids and lexical scores of the top k. */
function referenceSearch(s: SerializedCategoryIndex): (query: string, k: number) => Array<[string, number]> {
  const dec = (p: [string, string, string]): Postings => ({
    offsets: base64ToInt32(p[0]),
    docs: base64ToInt32(p[1]),
    weights: base64ToFloat32(p[2]),
  });
  const word = dec(s.word);
  const gram = dec(s.gram);
  const gramIdf = base64ToFloat32(s.gramIdf);
  const words = Vocab.fromTerms(s.words);
  const grams = Vocab.fromTerms(s.grams);
  const n = s.leaves.length;
  return (query, k) => search(query, k);
  function search(query: string, k: number): Array<[string, number]> {
    const accW = new Accumulator(n);
    const accC = new Accumulator(n);
    const tokens = tokenize(query);
    for (const t of new Set(tokens)) {
      const id = words.id(t, false);
      if (id >= 0) accW.addTerm(word, id, 1);
    }
    const qg = new Map<number, number>();
    const all = charNgrams(tokens, 3);
    for (const g of all) {
      const id = grams.id(g, false);
      if (id >= 0) qg.set(id, (qg.get(id) ?? 0) + 1);
    }
    let qn = 0;
    for (const [id, tf] of qg) {
      const w = (1 + Math.log(tf)) * gramIdf[id];
      qg.set(id, w);
      qn += w * w;
    }
    qn = Math.sqrt(qn + Math.max(0, all.length - qg.size) * 4) || 1;
    for (const [id, w] of qg) accC.addTerm(gram, id, w / qn);
    const pool = Math.max(k, 40);
    const byW = topK(accW.touched, accW.count, (i) => accW.scores[i], pool);
    const byC = topK(accC.touched, accC.count, (i) => accC.scores[i], pool);
    const qset = new Set(tokens);
    const overlap = (ts: string[]): number => {
      const u = [...new Set(ts)];
      return u.length ? u.filter((t) => qset.has(t)).length / u.length : 0;
    };
    const out = [...new Set([...byW.ids, ...byC.ids])].map((d) => {
      const [id, name, path] = s.leaves[d];
      const score = lexicalScore(
        {
          bm25: accW.scores[d],
          bm25Norm: accW.scores[d] / (byW.scores[0] || 1),
          bm25Rank: byW.ids.indexOf(d) < 0 ? pool : byW.ids.indexOf(d),
          charSim: accC.scores[d],
          charRank: byC.ids.indexOf(d) < 0 ? pool : byC.ids.indexOf(d),
          depth: path.length,
          nameOverlap: overlap(tokenize(name)),
          pathOverlap: overlap(path.flatMap((p) => tokenize(p))),
        },
        s.maxDepth,
      );
      return [id, score] as [string, number];
    });
    return out.sort((a, b) => b[1] - a[1]).slice(0, k);
  }
}

const small: Category[] = [
  { id: '1', name: 'Toys &amp; Games', path: ['Toys &amp; Games'], leaf: false },
  { id: '2', name: 'Model Trains', path: ['Toys &amp; Games', 'Model Trains'], leaf: true },
  { id: '3', name: 'Dolls', path: ['Toys &amp; Games', 'Dolls'], leaf: true },
  { id: '4', name: 'Crème Brûlée Dishes', path: ['Kitchen', 'Crème Brûlée Dishes'], leaf: true },
  { id: '5', name: 'X-Ray Goggles', path: ['Science', 'X-Ray Goggles'], leaf: true },
  { id: '6', name: 'A', path: ['Letters', 'A'], leaf: true },
];

describe('category index: optimised build and search = the straightforward ones', () => {
  it('on a small list (entities, accents, one-letter names)', () => {
    const index = CategoryIndex.build(small);
    expect(JSON.stringify(index.toJSON())).toBe(JSON.stringify(referenceBuild(small)));
    for (const q of ['model train set', 'creme brulee dish', 'x ray goggles', 'a', 'doll house', 'zzz']) {
      const got = index.search(q, 5).map((c) => [c.id, c.score]);
      expect(got).toEqual(referenceSearch(index.toJSON())(q, 5));
    }
  });

  it.skipIf(!taxonomyAvailable())(
    'on the eBay list and a 35k tiled copy, over 300 perturbed Amazon titles',
    async () => {
      const ebay = await loadEbay();
      const titles = (await loadAmazon()).map((a) => a.title).filter(Boolean);
      const r = rng(11);
      const queries = Array.from({ length: 300 }, () => {
        const words = titles[Math.floor(r() * titles.length)].split(/\s+/);
        return words.filter(() => r() > 0.2).join(' ');
      });
      let leaves = 0;
      const tiled = tileCategories(ebay, 3).filter((c) => !c.leaf || ++leaves <= 35_000);
      for (const cats of [ebay, tiled]) {
        const index = CategoryIndex.build(cats);
        const ref = referenceBuild(cats);
        expect(JSON.stringify(index.toJSON()) === JSON.stringify(ref)).toBe(true);
        const search = referenceSearch(ref);
        for (const q of queries) {
          const got = index.search(q, 10).map((c) => [c.id, c.score]);
          expect(got).toEqual(search(q, 10));
        }
      }
    },
    120_000,
  );
});
