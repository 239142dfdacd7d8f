/**
 * Retrieval index over a category list: BM25 over the leaf name (counted twice) plus every word of the
 * path, and character 3-gram TF-IDF cosine over the leaf name (and, at half weight, its parent) for fuzzy
 * matches. Postings are CSR typed arrays; only leaves are indexed and returned.
 */
import { tokenize } from './normalize.ts';
import {
  Accumulator,
  base64ToFloat32,
  base64ToInt32,
  docFreqs,
  FlatDocs,
  forEachGram,
  GramVocab,
  gramAt,
  type Postings,
  topKTyped,
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

/** `tokenize` of each distinct string once (names and path parts repeat across a category list). */
class TokenMemo {
  private readonly m = new Map<string, string[]>();
  of(s: string): string[] {
    let t = this.m.get(s);
    if (!t) {
      t = tokenize(s);
      this.m.set(s, t);
    }
    return t;
  }
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
  private readonly grams: GramVocab;
  private readonly wordIdf: Float32Array;
  private readonly gramIdf: Float32Array;
  /** Postings weights are full BM25 impacts (idf included). */
  private readonly word: Postings;
  /** Postings weights are L2-normalised TF-IDF. */
  private readonly gram: Postings;
  readonly maxDepth: number;
  /** Distinct words of each leaf's name and path, made on first use (a query needs tens of leaves). */
  private readonly nameTokens: Array<string[] | undefined>;
  private readonly pathTokens: Array<string[] | undefined>;
  private readonly byId = new Map<string, number>();
  private accW: Accumulator;
  private accC: Accumulator;
  private topIds = new Int32Array(0);
  private topScores = new Float64Array(0);

  private constructor(
    leaves: Category[],
    words: Vocab,
    grams: GramVocab,
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
    this.nameTokens = new Array(leaves.length);
    this.pathTokens = new Array(leaves.length);
    leaves.forEach((c, i) => {
      if (!this.byId.has(c.id)) this.byId.set(c.id, i);
    });
    this.accW = new Accumulator(leaves.length);
    this.accC = new Accumulator(leaves.length);
  }

  get size(): number {
    return this.leaves.length;
  }

  private nameWords(i: number): string[] {
    let t = this.nameTokens[i];
    if (!t) {
      t = [...new Set(tokenize(this.leaves[i].name))];
      this.nameTokens[i] = t;
    }
    return t;
  }

  private pathWords(i: number): string[] {
    let t = this.pathTokens[i];
    if (!t) {
      t = [...new Set(this.leaves[i].path.flatMap((p) => tokenize(p)))];
      this.pathTokens[i] = t;
    }
    return t;
  }

  indexOfId(id: string): number {
    return this.byId.get(id) ?? -1;
  }

  /**
   * One pass over the leaves into flat (document → term) arrays, then CSR postings. Names and path
   * parts repeat across a list (every sibling shares the parent path), so each distinct string is
   * tokenised, and its word and 3-gram ids looked up, once. Term ids are assigned in the same order as
   * a leaf-by-leaf walk (name, then path; name grams, then parent grams), so the index, its
   * serialisation and every search result are those of the straightforward construction.
   */
  static build(categories: readonly Category[]): CategoryIndex {
    const leaves = categories.filter((c) => c.leaf);
    const n = leaves.length;
    const words = new Vocab();
    const grams = new GramVocab();
    const tokens = new TokenMemo();
    const wordIdsOf = new Map<string, Int32Array>();
    const gramIdsOf = new Map<string, Int32Array>();
    const wordsOf = (s: string): Int32Array => {
      let ids = wordIdsOf.get(s);
      if (!ids) {
        const toks = tokens.of(s);
        ids = new Int32Array(toks.length);
        for (let i = 0; i < toks.length; i++) ids[i] = words.id(toks[i], true);
        wordIdsOf.set(s, ids);
      }
      return ids;
    };
    const gramsOf = (s: string): Int32Array => {
      let ids = gramIdsOf.get(s);
      if (!ids) {
        const out: number[] = [];
        forEachGram(tokens.of(s), (code, tok, start) => {
          out.push(code >= 0 ? grams.idOfCode(code, true) : grams.id(gramAt(tok, start), true));
        });
        ids = Int32Array.from(out);
        gramIdsOf.set(s, ids);
      }
      return ids;
    };
    const wf = new FlatDocs(n);
    const gf = new FlatDocs(n);
    let maxDepth = 1;
    for (let i = 0; i < n; i++) {
      const c = leaves[i];
      maxDepth = Math.max(maxDepth, c.path.length);
      // Words: the leaf name counted twice, plus every word of the path (which ends with the name).
      wf.addAll(wordsOf(c.name), 2);
      for (const p of c.path) wf.addAll(wordsOf(p), 1);
      wf.endDoc();
      // Grams: the leaf name's, plus the parent's at half weight.
      gf.addAll(gramsOf(c.name), 1);
      const parent = c.path.length >= 2 ? c.path[c.path.length - 2] : '';
      if (parent) gf.addAll(gramsOf(parent), 0.5);
      gf.endDoc();
    }
    // BM25 impacts.
    const word = wf.postings(words.size);
    const wdf = docFreqs(word);
    const wordIdf = new Float32Array(words.size);
    for (let t = 0; t < words.size; t++) wordIdf[t] = Math.log(1 + (n - wdf[t] + 0.5) / (wdf[t] + 0.5));
    const dl = new Float32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = wf.offsets[i]; j < wf.offsets[i + 1]; j++) s += wf.counts[j];
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
    // Character TF-IDF, L2-normalised per document (norms summed in term order, as always).
    const gram = gf.postings(grams.size);
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
      // Query gram vector: (1 + ln tf) · idf, normalised (grams in first-occurrence order, so the
      // float sums below are always done in the same order).
      const qg = new Map<number, number>();
      let nGrams = 0;
      forEachGram(tokens, (code, tok, start) => {
        nGrams++;
        const id = code >= 0 ? this.grams.idOfCode(code, false) : this.grams.id(gramAt(tok, start), false);
        if (id >= 0) qg.set(id, (qg.get(id) ?? 0) + 1);
      });
      let qn = 0;
      for (const [id, tf] of qg) {
        const w = (1 + Math.log(tf)) * this.gramIdf[id];
        qg.set(id, w);
        qn += w * w;
      }
      // Unknown query grams count in the norm too (a query with many unseen grams is less similar).
      const unseen = nGrams - qg.size;
      qn += Math.max(0, unseen) * 4;
      qn = Math.sqrt(qn) || 1;
      for (const [id, w] of qg) accC.addTerm(this.gram, id, w / qn);

      const sw = accW.scores;
      const sc = accC.scores;
      const byW = this.top(accW, pool);
      const byC = this.top(accC, pool);
      const ids = [...new Set([...byW.ids, ...byC.ids])];
      const maxW = byW.scores[0] || 1;
      const qset = new Set(tokens);
      const rankW = new Map(byW.ids.map((d, r) => [d, r]));
      const rankC = new Map(byC.ids.map((d, r) => [d, r]));
      const out: Candidate[] = ids.map((d) => {
        const c = this.leaves[d];
        const nt = this.nameWords(d);
        const pt = this.pathWords(d);
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

  /** The `pool` best of an accumulator, as `topK` would give them (same order, ties included). */
  private top(acc: Accumulator, pool: number): { ids: number[]; scores: number[] } {
    if (this.topIds.length < pool) {
      this.topIds = new Int32Array(pool);
      this.topScores = new Float64Array(pool);
    }
    const n = topKTyped(acc.touched, acc.count, acc.scores, pool, -1, this.topIds, this.topScores);
    return { ids: Array.from(this.topIds.subarray(0, n)), scores: Array.from(this.topScores.subarray(0, n)) };
  }

  /** Features of a given leaf for `tokens` (for a candidate that came from elsewhere, e.g. kNN). */
  featuresFor(index: number, tokens: readonly string[], ref: Candidate[]): CandidateFeatures {
    const qset = new Set(tokens);
    const nt = this.nameWords(index);
    const pt = this.pathWords(index);
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
      GramVocab.fromTerms(s.grams),
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
