/**
 * Building blocks for the audit indexes: a term vocabulary, a CSR inverted index over typed arrays,
 * a reusable score accumulator and a top-k selector.
 */

export class Vocab {
  readonly ids = new Map<string, number>();
  readonly terms: string[] = [];
  /** Id of `t`, adding it when `add` is set; -1 when unknown. */
  id(t: string, add: boolean): number {
    let i = this.ids.get(t);
    if (i === undefined) {
      if (!add) return -1;
      i = this.terms.length;
      this.ids.set(t, i);
      this.terms.push(t);
    }
    return i;
  }
  get size(): number {
    return this.terms.length;
  }
  static fromTerms(terms: string[]): Vocab {
    const v = new Vocab();
    for (const t of terms) v.id(t, true);
    return v;
  }
}

/** Term counts of one document, as parallel arrays. */
export interface TermCounts {
  ids: Int32Array;
  counts: Float32Array;
}

export function countTerms(
  terms: readonly string[],
  vocab: Vocab,
  add: boolean,
  weight = 1,
): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of terms) {
    const id = vocab.id(t, add);
    if (id >= 0) m.set(id, (m.get(id) ?? 0) + weight);
  }
  return m;
}

export function toTermCounts(m: Map<number, number>): TermCounts {
  const ids = new Int32Array(m.size);
  const counts = new Float32Array(m.size);
  let i = 0;
  for (const [k, v] of m) {
    ids[i] = k;
    counts[i++] = v;
  }
  return { ids, counts };
}

/** Postings in CSR form: term t's postings are `docs/weights[offsets[t] .. offsets[t+1])`. */
export interface Postings {
  offsets: Int32Array;
  docs: Int32Array;
  weights: Float32Array;
}

/** CSR postings from per-document (term, weight) lists. */
export function buildPostings(nTerms: number, docs: readonly TermCounts[]): Postings {
  const offsets = new Int32Array(nTerms + 1);
  for (const d of docs) for (let j = 0; j < d.ids.length; j++) offsets[d.ids[j] + 1]++;
  for (let t = 0; t < nTerms; t++) offsets[t + 1] += offsets[t];
  const total = offsets[nTerms];
  const pd = new Int32Array(total);
  const pw = new Float32Array(total);
  const fill = offsets.slice(0, nTerms);
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i];
    for (let j = 0; j < d.ids.length; j++) {
      const p = fill[d.ids[j]]++;
      pd[p] = i;
      pw[p] = d.counts[j];
    }
  }
  return { offsets, docs: pd, weights: pw };
}

/** Document frequencies from CSR offsets. */
export function docFreqs(p: Postings): Int32Array {
  const n = p.offsets.length - 1;
  const df = new Int32Array(n);
  for (let t = 0; t < n; t++) df[t] = p.offsets[t + 1] - p.offsets[t];
  return df;
}

/** Dense score array plus the list of touched documents, reused across queries. */
export class Accumulator {
  readonly scores: Float32Array;
  readonly touched: Int32Array;
  count = 0;
  constructor(n: number) {
    this.scores = new Float32Array(n);
    this.touched = new Int32Array(n);
  }
  /** Adds `qw × weight` for every posting of `t`. */
  addTerm(p: Postings, t: number, qw: number): void {
    const { scores, touched } = this;
    const end = p.offsets[t + 1];
    for (let i = p.offsets[t]; i < end; i++) {
      const d = p.docs[i];
      if (scores[d] === 0) touched[this.count++] = d;
      scores[d] += qw * p.weights[i];
    }
  }
  reset(): void {
    for (let i = 0; i < this.count; i++) this.scores[this.touched[i]] = 0;
    this.count = 0;
  }
}

/** Indices of the k largest `score(i)` over `ids`, best first. Skips ids where `skip(i)` holds. */
export function topK(
  ids: Int32Array,
  count: number,
  score: (i: number) => number,
  k: number,
  skip?: (i: number) => boolean,
): { ids: number[]; scores: number[] } {
  // Min-heap of size k.
  const hi: number[] = [];
  const hs: number[] = [];
  const sift = (i: number): void => {
    const n = hs.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && hs[l] < hs[m]) m = l;
      if (r < n && hs[r] < hs[m]) m = r;
      if (m === i) return;
      [hs[i], hs[m]] = [hs[m], hs[i]];
      [hi[i], hi[m]] = [hi[m], hi[i]];
      i = m;
    }
  };
  for (let j = 0; j < count; j++) {
    const id = ids[j];
    if (skip?.(id)) continue;
    const s = score(id);
    if (hs.length < k) {
      hs.push(s);
      hi.push(id);
      let c = hs.length - 1;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (hs[p] <= hs[c]) break;
        [hs[p], hs[c]] = [hs[c], hs[p]];
        [hi[p], hi[c]] = [hi[c], hi[p]];
        c = p;
      }
    } else if (s > hs[0]) {
      hs[0] = s;
      hi[0] = id;
      sift(0);
    }
  }
  const order = hs.map((_, i) => i).sort((a, b) => hs[b] - hs[a]);
  return { ids: order.map((i) => hi[i]), scores: order.map((i) => hs[i]) };
}

/** Base64 of a typed array's bytes (for compact JSON). */
export function typedToBase64(a: Int32Array | Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export const base64ToInt32 = (b64: string): Int32Array => new Int32Array(base64ToBytes(b64).buffer);
export const base64ToFloat32 = (b64: string): Float32Array => new Float32Array(base64ToBytes(b64).buffer);
