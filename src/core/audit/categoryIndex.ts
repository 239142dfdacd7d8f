/**
 * Retrieval index over a category list: BM25 over the leaf name (counted twice) plus every word of the
 * path, and character 3-gram TF-IDF cosine over the leaf name (and, at half weight, its parent) for fuzzy
 * matches. Postings are CSR typed arrays; only leaves are indexed and returned.
 */
import { charNgrams, tokenize } from './normalize.ts';
import {
  Accumulator,
  base64ToFloat32,
  base64ToInt32,
  buildPostings,
  countTerms,
  docFreqs,
  type Postings,
  type TermCounts,
  toTermCounts,
  topK,
  typedToBase64,
  Vocab,
} from './sparse.ts';

export interface Category {
  id: string;
  name: string;
  /** Names from the root to this category (the last one is `name`). */
  path: string[];
  leaf: boolean;
  site?: string;
}

export interface CandidateFeatures {
  bm25: number;
  /** bm25 / best bm25 of the query (0..1). */
  bm25Norm: number;
  /** 0-based rank by bm25 among the candidates. */
  bm25Rank: number;
  /** Character n-gram cosine (0..1). */
  charSim: number;
  charRank: number;
  depth: number;
  /** Fraction of the leaf name's words found in the query. */
  nameOverlap: number;
  /** Fraction of the path's distinct words found in the query. */
  pathOverlap: number;
}

export interface Candidate {
  /** Index of the leaf in the index (0..size-1). */
  index: number;
  id: string;
  name: string;
  path: string[];
  /** Lexical score used for ordering. */
  score: number;
  features: CandidateFeatures;
}

export interface SearchOptions {
  /** Candidates taken from each of the two scorers before merging (default max(k, 40)). */
  pool?: number;
}

const K1 = 1.2;
const B = 0.75;
const NGRAM = 3;

interface Serialized {
  version: 1;
  leaves: Array<[string, string, string[], string | undefined]>;
  words: string[];
  grams: string[];
  wordIdf: string;
  gramIdf: string;
  word: [string, string, string];
  gram: [string, string, string];
  maxDepth: number;
}

function encodePostings(p: Postings): [string, string, string] {
  return [typedToBase64(p.offsets), typedToBase64(p.docs), typedToBase64(p.weights)];
}
function decodePostings(s: [string, string, string]): Postings {
  return { offsets: base64ToInt32(s[0]), docs: base64ToInt32(s[1]), weights: base64ToFloat32(s[2]) };
}

export class CategoryIndex {
  readonly leaves: Category[];
  private readonly words: Vocab;
  private readonly grams: Vocab;
  private readonly wordIdf: Float32Array;
  private readonly gramIdf: Float32Array;
  /** Postings weights are full BM25 impacts (idf included). */
  private readonly word: Postings;
  /** Postings weights are L2-normalised TF-IDF. */
  private readonly gram: Postings;
  readonly maxDepth: number;
  private readonly nameTokens: string[][];
  private readonly pathTokens: string[][];
  private readonly byId = new Map<string, number>();
  private accW: Accumulator;
  private accC: Accumulator;

  private constructor(
    leaves: Category[],
    words: Vocab,
    grams: Vocab,
    wordIdf: Float32Array,
    gramIdf: Float32Array,
    word: Postings,
    gram: Postings,
    maxDepth: number,
  ) {
    this.leaves = leaves;
    this.words = words;
    this.grams = grams;
    this.wordIdf = wordIdf;
    this.gramIdf = gramIdf;
    this.word = word;
    this.gram = gram;
    this.maxDepth = maxDepth;
    this.nameTokens = leaves.map((c) => [...new Set(tokenize(c.name))]);
    this.pathTokens = leaves.map((c) => [...new Set(c.path.flatMap((p) => tokenize(p)))]);
    leaves.forEach((c, i) => {
      if (!this.byId.has(c.id)) this.byId.set(c.id, i);
    });
    this.accW = new Accumulator(leaves.length);
    this.accC = new Accumulator(leaves.length);
  }

  get size(): number {
    return this.leaves.length;
  }

  indexOfId(id: string): number {
    return this.byId.get(id) ?? -1;
  }

  static build(categories: readonly Category[]): CategoryIndex {
    const leaves = categories.filter((c) => c.leaf);
    const words = new Vocab();
    const grams = new Vocab();
    const wdocs: TermCounts[] = [];
    const gdocs: TermCounts[] = [];
    let maxDepth = 1;
    for (const c of leaves) {
      maxDepth = Math.max(maxDepth, c.path.length);
      const name = tokenize(c.name);
      const m = countTerms(name, words, true, 2);
      for (const p of c.path)
        for (const t of tokenize(p)) m.set(words.id(t, true), (m.get(words.id(t, true)) ?? 0) + 1);
      wdocs.push(toTermCounts(m));
      const g = countTerms(charNgrams(name, NGRAM), grams, true);
      const parent = c.path.length >= 2 ? c.path[c.path.length - 2] : '';
      if (parent) {
        for (const t of charNgrams(tokenize(parent), NGRAM)) {
          const id = grams.id(t, true);
          g.set(id, (g.get(id) ?? 0) + 0.5);
        }
      }
      gdocs.push(toTermCounts(g));
    }
    const n = leaves.length;
    // BM25 impacts.
    const word = buildPostings(words.size, wdocs);
    const wdf = docFreqs(word);
    const wordIdf = new Float32Array(words.size);
    for (let t = 0; t < words.size; t++) wordIdf[t] = Math.log(1 + (n - wdf[t] + 0.5) / (wdf[t] + 0.5));
    const dl = new Float32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (const c of wdocs[i].counts) s += c;
      dl[i] = s;
      total += s;
    }
    const avgdl = total / Math.max(1, n);
    for (let t = 0; t < words.size; t++) {
      for (let p = word.offsets[t]; p < word.offsets[t + 1]; p++) {
        const tf = word.weights[p];
        const d = word.docs[p];
        word.weights[p] = (wordIdf[t] * (tf * (K1 + 1))) / (tf + K1 * (1 - B + (B * dl[d]) / avgdl));
      }
    }
    // Character TF-IDF, L2-normalised per document.
    const gram = buildPostings(grams.size, gdocs);
    const gdf = docFreqs(gram);
    const gramIdf = new Float32Array(grams.size);
    for (let t = 0; t < grams.size; t++) gramIdf[t] = Math.log((n + 1) / (gdf[t] + 1)) + 1;
    const norm = new Float32Array(n);
    for (let t = 0; t < grams.size; t++) {
      for (let p = gram.offsets[t]; p < gram.offsets[t + 1]; p++) {
        const w = (1 + Math.log(gram.weights[p])) * gramIdf[t];
        gram.weights[p] = w;
        norm[gram.docs[p]] += w * w;
      }
    }
    for (let p = 0; p < gram.docs.length; p++) gram.weights[p] /= Math.sqrt(norm[gram.docs[p]]) || 1;
    return new CategoryIndex(leaves, words, grams, wordIdf, gramIdf, word, gram, maxDepth);
  }

  /** Top-k leaves for `query`, best first by lexical score, with features for reranking. */
  search(query: string, k = 10, opts: SearchOptions = {}): Candidate[] {
    const tokens = tokenize(query);
    return this.searchTokens(tokens, k, opts);
  }

  searchTokens(tokens: readonly string[], k = 10, opts: SearchOptions = {}): Candidate[] {
    const pool = Math.max(k, opts.pool ?? 40);
    const accW = this.accW;
    const accC = this.accC;
    try {
      for (const t of new Set(tokens)) {
        const id = this.words.id(t, false);
        if (id >= 0) accW.addTerm(this.word, id, 1);
      }
      // Query gram vector: (1 + ln tf) · idf, normalised.
      const qg = new Map<number, number>();
      for (const g of charNgrams(tokens, NGRAM)) {
        const id = this.grams.id(g, false);
        if (id >= 0) qg.set(id, (qg.get(id) ?? 0) + 1);
      }
      let qn = 0;
      for (const [id, tf] of qg) {
        const w = (1 + Math.log(tf)) * this.gramIdf[id];
        qg.set(id, w);
        qn += w * w;
      }
      // Unknown query grams count in the norm too (a query with many unseen grams is less similar).
      const unseen = charNgrams(tokens, NGRAM).length - [...qg.values()].length;
      qn += Math.max(0, unseen) * 4;
      qn = Math.sqrt(qn) || 1;
      for (const [id, w] of qg) accC.addTerm(this.gram, id, w / qn);

      const sw = accW.scores;
      const sc = accC.scores;
      const byW = topK(accW.touched, accW.count, (i) => sw[i], pool);
      const byC = topK(accC.touched, accC.count, (i) => sc[i], pool);
      const ids = [...new Set([...byW.ids, ...byC.ids])];
      const maxW = byW.scores[0] || 1;
      const qset = new Set(tokens);
      const rankW = new Map(byW.ids.map((d, r) => [d, r]));
      const rankC = new Map(byC.ids.map((d, r) => [d, r]));
      const out: Candidate[] = ids.map((d) => {
        const c = this.leaves[d];
        const nt = this.nameTokens[d];
        const pt = this.pathTokens[d];
        let no = 0;
        for (const t of nt) if (qset.has(t)) no++;
        let po = 0;
        for (const t of pt) if (qset.has(t)) po++;
        const features: CandidateFeatures = {
          bm25: sw[d],
          bm25Norm: sw[d] / maxW,
          bm25Rank: rankW.get(d) ?? pool,
          charSim: sc[d],
          charRank: rankC.get(d) ?? pool,
          depth: c.path.length,
          nameOverlap: nt.length ? no / nt.length : 0,
          pathOverlap: pt.length ? po / pt.length : 0,
        };
        return {
          index: d,
          id: c.id,
          name: c.name,
          path: c.path,
          score: lexicalScore(features, this.maxDepth),
          features,
        };
      });
      out.sort((a, b) => b.score - a.score);
      return out.slice(0, k);
    } finally {
      accW.reset();
      accC.reset();
    }
  }

  /** Features of a given leaf for `tokens` (for a candidate that came from elsewhere, e.g. kNN). */
  featuresFor(index: number, tokens: readonly string[], ref: Candidate[]): CandidateFeatures {
    const qset = new Set(tokens);
    const nt = this.nameTokens[index];
    const pt = this.pathTokens[index];
    let no = 0;
    for (const t of nt) if (qset.has(t)) no++;
    let po = 0;
    for (const t of pt) if (qset.has(t)) po++;
    const maxW = ref.length ? Math.max(...ref.map((c) => c.features.bm25)) || 1 : 1;
    const bm = this.bm25Of(index, qset);
    return {
      bm25: bm,
      bm25Norm: bm / maxW,
      bm25Rank: ref.length + 1,
      charSim: 0,
      charRank: ref.length + 1,
      depth: this.leaves[index].path.length,
      nameOverlap: nt.length ? no / nt.length : 0,
      pathOverlap: pt.length ? po / pt.length : 0,
    };
  }

  private bm25Of(index: number, qset: Set<string>): number {
    let s = 0;
    for (const t of qset) {
      const id = this.words.id(t, false);
      if (id < 0) continue;
      const a = this.word.offsets[id];
      const b = this.word.offsets[id + 1];
      // Postings are in document order: binary search.
      let lo = a;
      let hi = b - 1;
      while (lo <= hi) {
        const m = (lo + hi) >> 1;
        const d = this.word.docs[m];
        if (d === index) {
          s += this.word.weights[m];
          break;
        }
        if (d < index) lo = m + 1;
        else hi = m - 1;
      }
    }
    return s;
  }

  toJSON(): Serialized {
    return {
      version: 1,
      leaves: this.leaves.map((c) => [c.id, c.name, c.path, c.site]),
      words: this.words.terms,
      grams: this.grams.terms,
      wordIdf: typedToBase64(this.wordIdf),
      gramIdf: typedToBase64(this.gramIdf),
      word: encodePostings(this.word),
      gram: encodePostings(this.gram),
      maxDepth: this.maxDepth,
    };
  }

  static fromJSON(s: Serialized): CategoryIndex {
    if (s.version !== 1) throw new Error(`CategoryIndex: unsupported version ${String(s.version)}`);
    const leaves: Category[] = s.leaves.map(([id, name, path, site]) =>
      site === undefined ? { id, name, path, leaf: true } : { id, name, path, leaf: true, site },
    );
    return new CategoryIndex(
      leaves,
      Vocab.fromTerms(s.words),
      Vocab.fromTerms(s.grams),
      base64ToFloat32(s.wordIdf),
      base64ToFloat32(s.gramIdf),
      decodePostings(s.word),
      decodePostings(s.gram),
      s.maxDepth,
    );
  }
}

export type SerializedCategoryIndex = ReturnType<CategoryIndex['toJSON']>;

/** Label-free score: BM25 (normalised) and character similarity, name overlap, a small depth prior. */
export function lexicalScore(f: CandidateFeatures, maxDepth: number): number {
  return (
    0.55 * f.bm25Norm + 0.3 * f.charSim + 0.15 * f.nameOverlap + 0.05 * (f.depth / Math.max(1, maxDepth))
  );
}
