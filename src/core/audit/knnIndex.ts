/**
 * Nearest neighbours over labelled titles: TF-IDF cosine over word tokens and character 3-grams.
 * Neighbours vote for their label, weighted by similarity.
 *
 * A query does not walk every posting list of its terms: with 100,000 labelled titles the character
 * 3-grams of common words (" th", "ing") each list tens of thousands of titles, and summing them all
 * cost ~160,000 postings per query. Instead, two phases:
 * 1. Candidates: the query's terms in increasing document frequency (the most selective first, "index
 *    elimination", Manning, Raghavan & Schütze, Introduction to Information Retrieval, 2008, §7.1.2),
 *    accumulated term at a time until a budget of postings is spent (accumulator limiting as in
 *    Moffat & Zobel, "Self-indexing inverted files for fast text retrieval", ACM TOIS 14(4), 1996).
 * 2. Exact scores: the best `rescore` candidates by that partial score are scored over ALL the query's
 *    terms through a forward (document → terms) index, and the k best returned.
 * Scores are the exact cosine of the documents returned; what is approximate is only which documents
 * are considered. `neighboursWithBound` reports the MaxScore bound (Turtle & Flood, "Query evaluation:
 * strategies and optimizations", IP&M 31(6), 1995): when the k-th exact score reaches the best score any
 * unconsidered document could have, the answer is provably the exhaustive one. Queries whose terms fit in
 * the budget are scored exhaustively, as before.
 */
import { tokenize } from './normalize.ts';
import {
  base64ToFloat32,
  base64ToInt32,
  forEachGram,
  gramSymbol,
  GramVocab,
  gramAt,
  type Postings,
  topKTyped,
  typedToBase64,
} from './sparse.ts';

export interface LabelledDoc {
  text: string;
  label: string;
}

export interface Neighbour {
  doc: number;
  sim: number;
  label: string;
}

export interface Vote {
  label: string;
  /** Sum of neighbour similarities for this label. */
  vote: number;
  /** vote / total vote of all neighbours (0..1). */
  share: number;
  /** Highest single neighbour similarity for this label. */
  maxSim: number;
  count: number;
}

export interface KnnOptions {
  /** Weight of the character n-gram block relative to words (default 0.5). */
  charWeight?: number;
  /** Query terms in more than this fraction of documents (at least 50) are left out of the score (default 0.2). */
  maxDfFraction?: number;
  /**
   * Postings walked to gather candidates, rarest terms first (default 5,000). A query whose terms
   * list fewer postings in all is scored exhaustively. 0 or Infinity: always exhaustive.
   */
  candidatePostings?: number;
  /** Candidates (best by partial score) scored exactly over all query terms (default 64). */
  rescore?: number;
}

export const KNN_DEFAULTS = {
  charWeight: 0.5,
  maxDfFraction: 0.2,
  candidatePostings: 5000,
  rescore: 64,
} as const satisfies Required<KnnOptions>;

/** What `neighboursWithBound` knows about a query's answer. */
export interface KnnSearchInfo {
  /** Postings walked in phase 1. */
  postings: number;
  /** Every scoring term was walked: the answer is the exhaustive one. */
  exhaustive: boolean;
  /** Not exhaustive, but the MaxScore bound proves the k returned are the exhaustive k best. */
  certified: boolean;
}

/** Term ids with counts for one text: parallel arrays, sorted by id. */
interface TermBag {
  ids: Int32Array;
  counts: Float64Array;
  n: number;
  /** Terms of the text not in the vocabulary (query side only). */
  unknown: number;
}

export class KnnIndex {
  /** Term strings by id: `w<word>` or `c<3-gram>` (what is serialised). */
  private readonly terms: string[];
  private readonly wordIds: Map<string, number>;
  private readonly grams: GramVocab;
  private readonly idf: Float32Array;
  /** Term → documents (document order), weights L2-normalised TF-IDF. */
  private readonly postings: Postings;
  /** Document → terms, the same weights (exact scoring of candidates). */
  private readonly forward: Postings;
  /** Largest weight in each term's postings (the MaxScore bound). */
  private readonly maxWeight: Float32Array;
  private readonly labelIds: Int32Array;
  readonly labels: string[];
  private readonly charWeight: number;
  private readonly maxDf: number;
  private readonly budget: number;
  private readonly rescoreN: number;
  // Per-query scratch, reused (queries are synchronous, so one set per index suffices).
  /** Partial scores by document (0 = untouched) and the documents touched, reset after each query. */
  private readonly scores: Float32Array;
  private readonly touched: Int32Array;
  private readonly qWeight: Float64Array;
  private scratchIds = new Int32Array(256);
  private topIds = new Int32Array(0);
  private topScores = new Float64Array(0);
  private readonly exact: Float32Array;

  constructor(docs: readonly LabelledDoc[], opts: KnnOptions = {}) {
    this.charWeight = opts.charWeight ?? KNN_DEFAULTS.charWeight;
    this.budget = budgetOf(opts.candidatePostings);
    this.rescoreN = Math.max(1, Math.floor(opts.rescore ?? KNN_DEFAULTS.rescore));
    const labelMap = new Map<string, number>();
    this.labels = [];
    this.labelIds = new Int32Array(docs.length);
    this.terms = [];
    this.wordIds = new Map();
    this.grams = new GramVocab(this.terms, 'c');
    const n = docs.length;
    // One pass over the documents straight into a forward CSR (term ids sorted per document, counts).
    const fOff = new Int32Array(n + 1);
    let fTerm = new Int32Array(Math.max(1024, n * 48));
    let fCount = new Float32Array(fTerm.length);
    let df = new Int32Array(1024);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = docs[i];
      let l = labelMap.get(d.label);
      if (l === undefined) {
        l = this.labels.length;
        labelMap.set(d.label, l);
        this.labels.push(d.label);
      }
      this.labelIds[i] = l;
      const bag = this.bag(tokenize(d.text), true);
      if (total + bag.n > fTerm.length) {
        const cap = Math.max(total + bag.n, Math.ceil(fTerm.length * 1.5));
        fTerm = grow(fTerm, cap);
        const c = new Float32Array(cap);
        c.set(fCount.subarray(0, total));
        fCount = c;
      }
      if (this.terms.length > df.length) df = grow(df, Math.max(this.terms.length, df.length * 2));
      for (let j = 0; j < bag.n; j++) {
        fTerm[total] = bag.ids[j];
        fCount[total++] = bag.counts[j];
        df[bag.ids[j]]++;
      }
      fOff[i + 1] = total;
    }
    const nTerms = this.terms.length;
    this.maxDf = Math.max(50, Math.floor((opts.maxDfFraction ?? KNN_DEFAULTS.maxDfFraction) * n));
    this.idf = new Float32Array(nTerms);
    for (let t = 0; t < nTerms; t++) {
      const block = this.terms[t].charCodeAt(0) === 99 /* c */ ? this.charWeight : 1;
      this.idf[t] = (Math.log((n + 1) / (df[t] + 1)) + 1) * block;
    }
    // Weights (1 + ln tf) · idf, L2-normalised per document; computed once, document by document.
    const fW = new Float32Array(total);
    for (let i = 0; i < n; i++) {
      let norm = 0;
      for (let j = fOff[i]; j < fOff[i + 1]; j++) {
        const w = (1 + Math.log(fCount[j])) * this.idf[fTerm[j]];
        fW[j] = w;
        norm += w * w;
      }
      const inv = 1 / (Math.sqrt(norm) || 1);
      for (let j = fOff[i]; j < fOff[i + 1]; j++) fW[j] *= inv;
    }
    this.forward = { offsets: fOff, docs: fTerm.slice(0, total), weights: fW };
    this.postings = transpose(this.forward, nTerms);
    this.maxWeight = maxWeights(this.postings);
    this.scores = new Float32Array(n);
    this.touched = new Int32Array(n);
    this.qWeight = new Float64Array(nTerms);
    this.exact = new Float32Array(n);
  }

  get size(): number {
    return this.labelIds.length;
  }

  labelOf(doc: number): string {
    return this.labels[this.labelIds[doc]];
  }

  /** Term ids and counts of `tokens` (words, then 3-grams), adding unseen terms when `add`. */
  private bag(tokens: readonly string[], add: boolean): TermBag {
    let ids = this.scratchIds;
    let m = 0;
    let unknown = 0;
    const need = tokens.length * 8;
    for (const t of tokens) {
      if (m + t.length + 3 > ids.length) {
        ids = grow(ids, Math.max(ids.length * 2, m + t.length + 3, need));
        this.scratchIds = ids;
      }
      let id = this.wordIds.get(t);
      if (id === undefined && add) {
        id = this.terms.length;
        this.wordIds.set(t, id);
        this.terms.push('w' + t);
      }
      if (id === undefined) unknown++;
      else ids[m++] = id;
      if (this.charWeight <= 0) continue;
      // The token's 3-grams, as `charNgrams` makes them (padded with a space each side).
      const n = t.length;
      let a = 0;
      let b = n ? gramSymbol(t.charCodeAt(0)) : -1;
      const last = Math.max(1, n);
      for (let i = 1; i <= last; i++) {
        const c = i < n ? gramSymbol(t.charCodeAt(i)) : n ? 0 : -1;
        const code = a < 0 || b < 0 || c < 0 ? -1 : n === 1 ? b * 37 : a * 1369 + b * 37 + c;
        const g = code >= 0 ? this.grams.idOfCode(code, add) : this.grams.id(gramAt(t, i - 1), add);
        if (g < 0) unknown++;
        else ids[m++] = g;
        a = b;
        b = c;
      }
    }
    // Distinct ids with their counts (sorted: a title has tens of terms).
    const sorted = ids.subarray(0, m).sort();
    const outIds = new Int32Array(m);
    const counts = new Float64Array(m);
    let k = 0;
    for (let i = 0; i < m; i++) {
      if (k > 0 && outIds[k - 1] === sorted[i]) counts[k - 1]++;
      else {
        outIds[k] = sorted[i];
        counts[k++] = 1;
      }
    }
    return { ids: outIds, counts, n: k, unknown };
  }

  /** The k most similar labelled documents; `exclude` (a document index) is never returned. */
  neighbours(tokens: readonly string[], k = 20, exclude = -1): Neighbour[] {
    return this.neighboursWithBound(tokens, k, exclude).neighbours;
  }

  /** `neighbours`, plus how the answer was found (exhaustive, certified by the bound, or neither). */
  neighboursWithBound(
    tokens: readonly string[],
    k = 20,
    exclude = -1,
  ): { neighbours: Neighbour[]; info: KnnSearchInfo } {
    const bag = this.bag(tokens, false);
    const { offsets } = this.postings;
    // Query weights; the norm counts every term, known or not (a query with many unseen terms is less
    // similar to everything), including those too common to score.
    let qn = 0;
    const qIds = new Int32Array(bag.n);
    const qW = new Float64Array(bag.n);
    // Sort keys: posting length (rarest first), then position.
    const keys = new Float64Array(bag.n);
    let nq = 0;
    for (let j = 0; j < bag.n; j++) {
      const id = bag.ids[j];
      const w = (1 + Math.log(bag.counts[j])) * this.idf[id];
      qn += w * w;
      const len = offsets[id + 1] - offsets[id];
      if (len > this.maxDf) continue;
      qIds[nq] = id;
      qW[nq] = w;
      keys[nq] = len * 1048576 + nq;
      nq++;
    }
    qn += this.unknownNorm(tokens, bag.unknown);
    qn = Math.sqrt(qn) || 1;
    const sortedKeys = keys.subarray(0, nq).sort();
    const order = new Int32Array(nq);
    for (let j = 0; j < nq; j++) order[j] = sortedKeys[j] % 1048576;
    for (let j = 0; j < nq; j++) qW[j] /= qn;
    const sc = this.scores;
    const touched = this.touched;
    let nt = 0;
    const qw = this.qWeight;
    const nTop = Math.max(k, this.rescoreN);
    if (this.topIds.length < nTop + 1) {
      this.topIds = new Int32Array(nTop + 1);
      this.topScores = new Float64Array(nTop + 1);
    }
    const topIds = this.topIds;
    const topScores = this.topScores;
    let walked = 0;
    let used = 0;
    try {
      // Phase 1: accumulate the rarest terms while the budget lasts (and at least until there are
      // enough candidates to rescore).
      const pDocs = this.postings.docs;
      const pW = this.postings.weights;
      for (; used < order.length; used++) {
        const id = qIds[order[used]];
        const a = offsets[id];
        const b = offsets[id + 1];
        if (walked + (b - a) > this.budget && nt > nTop) break;
        const w = qW[order[used]];
        for (let p = a; p < b; p++) {
          const d = pDocs[p];
          if (sc[d] === 0) touched[nt++] = d;
          sc[d] += w * pW[p];
        }
        walked += b - a;
      }
      const info: KnnSearchInfo = { postings: walked, exhaustive: used === order.length, certified: false };
      let count: number;
      let ids: Int32Array;
      let scores: Float64Array;
      if (info.exhaustive) {
        // Every scoring term walked: the accumulator holds exact scores.
        count = topKTyped(touched, nt, sc, k, exclude, topIds, topScores);
        ids = topIds;
        scores = topScores;
      } else {
        // Phase 2: the best candidates by partial score, rescored over all terms (forward index).
        const nc = topKTyped(touched, nt, sc, nTop + 1, exclude, topIds, topScores);
        // Any document outside the rescored set scores at most its partial score (≤ the first one left
        // out, or 0 when untouched) plus the most the unwalked terms can add.
        let rest = 0;
        for (let u = used; u < nq; u++) rest += qW[order[u]] * this.maxWeight[qIds[order[u]]];
        const leftOut = nc > nTop ? topScores[nTop] : 0;
        const cand = Math.min(nc, nTop);
        for (let j = 0; j < nq; j++) qw[qIds[j]] = qW[j];
        const fOff = this.forward.offsets;
        const fTerm = this.forward.docs;
        const fW = this.forward.weights;
        const exact = this.exact;
        for (let c = 0; c < cand; c++) {
          const d = topIds[c];
          let s = 0;
          const end = fOff[d + 1];
          for (let p = fOff[d]; p < end; p++) s += qw[fTerm[p]] * fW[p];
          exact[d] = s;
        }
        for (let j = 0; j < nq; j++) qw[qIds[j]] = 0;
        const candIds = topIds.slice(0, cand);
        ids = new Int32Array(k);
        scores = new Float64Array(k);
        count = topKTyped(candIds, cand, exact, k, exclude, ids, scores);
        info.certified = count === k && scores[k - 1] >= leftOut + rest;
      }
      const out: Neighbour[] = new Array(count);
      for (let r = 0; r < count; r++) {
        const d = ids[r];
        out[r] = { doc: d, sim: scores[r], label: this.labels[this.labelIds[d]] };
      }
      return { neighbours: out, info };
    } finally {
      for (let i = 0; i < nt; i++) sc[touched[i]] = 0;
    }
  }

  /** Norm contribution of the query's terms that are not in the vocabulary (tf counted per term). */
  private unknownNorm(tokens: readonly string[], unknown: number): number {
    if (unknown === 0) return 0;
    const unseen = Math.log(this.size + 1) + 1;
    const seen = new Map<string, number>();
    for (const t of tokens) if (!this.wordIds.has(t)) seen.set('w' + t, (seen.get('w' + t) ?? 0) + 1);
    if (this.charWeight > 0) {
      forEachGram(tokens, (code, tok, start) => {
        const id = code >= 0 ? this.grams.idOfCode(code, false) : this.grams.id(gramAt(tok, start), false);
        if (id < 0) {
          const g = 'c' + gramAt(tok, start);
          seen.set(g, (seen.get(g) ?? 0) + 1);
        }
      });
    }
    let s = 0;
    for (const c of seen.values()) {
      const w = (1 + Math.log(c)) * unseen;
      s += w * w;
    }
    return s;
  }

  /** Compact JSON (typed arrays as base64), e.g. for an OPFS cache; `fromJSON` gives identical answers. */
  toJSON(): SerializedKnnIndex {
    return {
      version: 2,
      terms: this.terms,
      idf: typedToBase64(this.idf),
      postings: [
        typedToBase64(this.postings.offsets),
        typedToBase64(this.postings.docs),
        typedToBase64(this.postings.weights),
      ],
      labelIds: typedToBase64(this.labelIds),
      labels: this.labels,
      charWeight: this.charWeight,
      maxDf: this.maxDf,
      candidatePostings: Number.isFinite(this.budget) ? this.budget : 0,
      rescore: this.rescoreN,
    };
  }

  static fromJSON(s: SerializedKnnIndex): KnnIndex {
    if (s.version !== 2) throw new Error(`KnnIndex: unsupported version ${String(s.version)}`);
    const labelIds = base64ToInt32(s.labelIds);
    const postings: Postings = {
      offsets: base64ToInt32(s.postings[0]),
      docs: base64ToInt32(s.postings[1]),
      weights: base64ToFloat32(s.postings[2]),
    };
    // The forward index by transposing the postings (the same weights, so the same scores).
    return KnnIndex.fromParts({
      terms: s.terms,
      idf: base64ToFloat32(s.idf),
      postings,
      forward: transpose(postings, labelIds.length),
      maxWeight: maxWeights(postings),
      labelIds,
      labels: s.labels,
      charWeight: s.charWeight,
      maxDf: s.maxDf,
      candidatePostings: s.candidatePostings,
      rescore: s.rescore,
    });
  }

  /**
   * Every built field as plain data: strings and typed arrays, nothing to recompute. Structured-clone
   * it out of a worker_thread (transferring the typed arrays' buffers) and `fromParts` on the other side
   * is an index giving identical answers, at the cost of rebuilding the term → id maps only.
   */
  toParts(): KnnIndexParts {
    return {
      terms: this.terms,
      idf: this.idf,
      postings: this.postings,
      forward: this.forward,
      maxWeight: this.maxWeight,
      labelIds: this.labelIds,
      labels: this.labels,
      charWeight: this.charWeight,
      maxDf: this.maxDf,
      candidatePostings: Number.isFinite(this.budget) ? this.budget : 0,
      rescore: this.rescoreN,
    };
  }

  static fromParts(p: KnnIndexParts): KnnIndex {
    const wordIds = new Map<string, number>();
    const grams = new GramVocab(p.terms, 'c');
    restoreTerms(p.terms, 0, p.terms.length, wordIds, grams);
    return KnnIndex.assemble(p, wordIds, grams);
  }

  /**
   * `fromParts`, rebuilding the term → id maps `slice` terms at a time with `await pause()` between
   * slices (a server thread lets other requests run: ~100 ms in one piece at 70,000 terms on a busy
   * 2-core machine).
   */
  static async fromPartsInSlices(
    p: KnnIndexParts,
    pause: () => Promise<void>,
    slice = 10_000,
  ): Promise<KnnIndex> {
    const wordIds = new Map<string, number>();
    const grams = new GramVocab(p.terms, 'c');
    for (let i = 0; i < p.terms.length; i += slice) {
      restoreTerms(p.terms, i, Math.min(p.terms.length, i + slice), wordIds, grams);
      await pause();
    }
    return KnnIndex.assemble(p, wordIds, grams);
  }

  private static assemble(p: KnnIndexParts, wordIds: Map<string, number>, grams: GramVocab): KnnIndex {
    // Bypasses the constructor (which builds from documents): every field is restored as given.
    const n = p.labelIds.length;
    const k = Object.create(KnnIndex.prototype) as KnnIndex;
    Object.assign(k, {
      terms: p.terms,
      wordIds,
      grams,
      idf: p.idf,
      postings: p.postings,
      forward: p.forward,
      maxWeight: p.maxWeight,
      labelIds: p.labelIds,
      labels: p.labels,
      charWeight: p.charWeight,
      maxDf: p.maxDf,
      budget: budgetOf(p.candidatePostings),
      rescoreN: p.rescore,
      scores: new Float32Array(n),
      touched: new Int32Array(n),
      qWeight: new Float64Array(p.terms.length),
      scratchIds: new Int32Array(256),
      topIds: new Int32Array(0),
      topScores: new Float64Array(0),
      exact: new Float32Array(n),
    });
    return k;
  }

  /** Similarity-weighted votes of the neighbours, best first. */
  static vote(neighbours: readonly Neighbour[], power = 2): Vote[] {
    const m = new Map<string, Vote>();
    let total = 0;
    for (const nb of neighbours) {
      const w = nb.sim ** power;
      total += w;
      const v = m.get(nb.label);
      if (v) {
        v.vote += w;
        v.maxSim = Math.max(v.maxSim, nb.sim);
        v.count++;
      } else m.set(nb.label, { label: nb.label, vote: w, share: 0, maxSim: nb.sim, count: 1 });
    }
    const out = [...m.values()];
    for (const v of out) v.share = total > 0 ? v.vote / total : 0;
    return out.sort((a, b) => b.vote - a.vote);
  }
}

/** Registers terms [from, to) in the word map or the gram vocabulary, by their `w`/`c` prefix. */
function restoreTerms(
  terms: readonly string[],
  from: number,
  to: number,
  wordIds: Map<string, number>,
  grams: GramVocab,
): void {
  for (let i = from; i < to; i++) {
    const t = terms[i];
    if (t.charCodeAt(0) === 99 /* c */) grams.restore(t.slice(1), i);
    else wordIds.set(t.slice(1), i);
  }
}

function budgetOf(p: number | undefined): number {
  const b = p ?? KNN_DEFAULTS.candidatePostings;
  return b > 0 && Number.isFinite(b) ? b : Number.POSITIVE_INFINITY;
}

function grow(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}

/** CSR transpose: rows of `m` become columns (the rows of the result are in increasing order). */
function transpose(m: Postings, nCols: number): Postings {
  const nRows = m.offsets.length - 1;
  const offsets = new Int32Array(nCols + 1);
  for (let p = 0; p < m.docs.length; p++) offsets[m.docs[p] + 1]++;
  for (let c = 0; c < nCols; c++) offsets[c + 1] += offsets[c];
  const docs = new Int32Array(m.docs.length);
  const weights = new Float32Array(m.docs.length);
  const fill = offsets.slice(0, nCols);
  for (let r = 0; r < nRows; r++) {
    for (let p = m.offsets[r]; p < m.offsets[r + 1]; p++) {
      const at = fill[m.docs[p]]++;
      docs[at] = r;
      weights[at] = m.weights[p];
    }
  }
  return { offsets, docs, weights };
}

function maxWeights(p: Postings): Float32Array {
  const n = p.offsets.length - 1;
  const out = new Float32Array(n);
  for (let t = 0; t < n; t++) {
    let m = 0;
    for (let i = p.offsets[t]; i < p.offsets[t + 1]; i++) if (p.weights[i] > m) m = p.weights[i];
    out[t] = m;
  }
  return out;
}

export interface SerializedKnnIndex {
  version: 2;
  terms: string[];
  idf: string;
  postings: [string, string, string];
  labelIds: string;
  labels: string[];
  charWeight: number;
  maxDf: number;
  /** Phase-1 budget; 0 = exhaustive. */
  candidatePostings: number;
  rescore: number;
}

/** A built index as plain data (`toParts` / `fromParts`): what a worker_thread hands back. */
export interface KnnIndexParts {
  terms: string[];
  idf: Float32Array;
  postings: Postings;
  forward: Postings;
  maxWeight: Float32Array;
  labelIds: Int32Array;
  labels: string[];
  charWeight: number;
  maxDf: number;
  /** Phase-1 budget; 0 = exhaustive. */
  candidatePostings: number;
  rescore: number;
}
