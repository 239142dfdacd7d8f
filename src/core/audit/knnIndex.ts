/**
 * Nearest neighbours over labelled titles: TF-IDF cosine over word tokens and character 3-grams,
 * scored through an inverted index. Neighbours vote for their label, weighted by similarity.
 */
import { charNgrams, tokenize } from './normalize.ts';
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
  /** Query terms in more than this fraction of documents are skipped (speed; default 0.2). */
  maxDfFraction?: number;
}

function rawTerms(tokens: readonly string[], charWeight: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of tokens) m.set('w' + t, (m.get('w' + t) ?? 0) + 1);
  if (charWeight > 0) for (const g of charNgrams(tokens, 3)) m.set('c' + g, (m.get('c' + g) ?? 0) + 1);
  return m;
}

export class KnnIndex {
  private readonly vocab = new Vocab();
  private readonly idf: Float32Array;
  private readonly postings: Postings;
  private readonly acc: Accumulator;
  private readonly labelIds: Int32Array;
  readonly labels: string[];
  private readonly charWeight: number;
  private readonly maxDf: number;

  constructor(docs: readonly LabelledDoc[], opts: KnnOptions = {}) {
    this.charWeight = opts.charWeight ?? 0.5;
    const labelMap = new Map<string, number>();
    this.labels = [];
    this.labelIds = new Int32Array(docs.length);
    const raw: TermCounts[] = [];
    for (let i = 0; i < docs.length; i++) {
      const d = docs[i];
      let l = labelMap.get(d.label);
      if (l === undefined) {
        l = this.labels.length;
        labelMap.set(d.label, l);
        this.labels.push(d.label);
      }
      this.labelIds[i] = l;
      const m = rawTerms(tokenize(d.text), this.charWeight);
      const ids = new Int32Array(m.size);
      const counts = new Float32Array(m.size);
      let j = 0;
      for (const [t, c] of m) {
        ids[j] = this.vocab.id(t, true);
        counts[j++] = c;
      }
      raw.push({ ids, counts });
    }
    const n = docs.length;
    this.maxDf = Math.max(50, Math.floor((opts.maxDfFraction ?? 0.2) * n));
    this.postings = buildPostings(this.vocab.size, raw);
    const df = docFreqs(this.postings);
    this.idf = new Float32Array(this.vocab.size);
    for (let t = 0; t < this.vocab.size; t++) {
      const block = this.vocab.terms[t][0] === 'c' ? this.charWeight : 1;
      this.idf[t] = (Math.log((n + 1) / (df[t] + 1)) + 1) * block;
    }
    const norm = new Float32Array(n);
    const p = this.postings;
    for (let t = 0; t < this.vocab.size; t++) {
      for (let q = p.offsets[t]; q < p.offsets[t + 1]; q++) {
        const w = (1 + Math.log(p.weights[q])) * this.idf[t];
        p.weights[q] = w;
        norm[p.docs[q]] += w * w;
      }
    }
    for (let q = 0; q < p.docs.length; q++) p.weights[q] /= Math.sqrt(norm[p.docs[q]]) || 1;
    this.acc = new Accumulator(n);
  }

  get size(): number {
    return this.labelIds.length;
  }

  labelOf(doc: number): string {
    return this.labels[this.labelIds[doc]];
  }

  /** The k most similar labelled documents; `exclude` (a document index) is never returned. */
  neighbours(tokens: readonly string[], k = 20, exclude = -1): Neighbour[] {
    const m = rawTerms(tokens, this.charWeight);
    const q: Array<[number, number]> = [];
    let qn = 0;
    for (const [t, c] of m) {
      const id = this.vocab.id(t, false);
      const w = (1 + Math.log(c)) * (id >= 0 ? this.idf[id] : Math.log(this.size + 1) + 1);
      qn += w * w;
      if (id >= 0) q.push([id, w]);
    }
    qn = Math.sqrt(qn) || 1;
    const acc = this.acc;
    try {
      for (const [id, w] of q) {
        if (this.postings.offsets[id + 1] - this.postings.offsets[id] > this.maxDf) continue;
        acc.addTerm(this.postings, id, w / qn);
      }
      const s = acc.scores;
      const top = topK(
        acc.touched,
        acc.count,
        (i) => s[i],
        k,
        (i) => i === exclude,
      );
      return top.ids.map((d, r) => ({ doc: d, sim: top.scores[r], label: this.labels[this.labelIds[d]] }));
    } finally {
      acc.reset();
    }
  }

  /** Compact JSON (typed arrays as base64), e.g. for an OPFS cache; `fromJSON` gives identical answers. */
  toJSON(): SerializedKnnIndex {
    return {
      version: 1,
      terms: this.vocab.terms,
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
    };
  }

  static fromJSON(s: SerializedKnnIndex): KnnIndex {
    if (s.version !== 1) throw new Error(`KnnIndex: unsupported version ${String(s.version)}`);
    const labelIds = base64ToInt32(s.labelIds);
    // Bypasses the constructor (which builds from documents): every field is restored as serialised.
    const k = Object.create(KnnIndex.prototype) as KnnIndex;
    Object.assign(k, {
      vocab: Vocab.fromTerms(s.terms),
      idf: base64ToFloat32(s.idf),
      postings: {
        offsets: base64ToInt32(s.postings[0]),
        docs: base64ToInt32(s.postings[1]),
        weights: base64ToFloat32(s.postings[2]),
      },
      acc: new Accumulator(labelIds.length),
      labelIds,
      labels: s.labels,
      charWeight: s.charWeight,
      maxDf: s.maxDf,
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

export interface SerializedKnnIndex {
  version: 1;
  terms: string[];
  idf: string;
  postings: [string, string, string];
  labelIds: string;
  labels: string[];
  charWeight: number;
  maxDf: number;
}
