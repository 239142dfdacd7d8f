/**
 * Building blocks for the audit indexes: a term vocabulary (and one for character 3-grams keyed by an
 * integer code), CSR inverted indexes over typed arrays built from flat per-document arrays, a reusable
 * score accumulator and top-k selectors.
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

/**
 * Documents as flat (term, count) arrays, added one after another; `postings` turns them into CSR
 * postings (the same as `buildPostings` over per-document lists) without an object per document.
 * A term repeated within a document is summed into one entry.
 */
export class FlatDocs {
  offsets: Int32Array;
  ids = new Int32Array(1024);
  counts = new Float32Array(1024);
  private n = 0;
  private docs = 0;
  /** Slot of each term in the current document (valid when `stamp[t] === docs + 1`). */
  private slot = new Int32Array(1024);
  private stamp = new Int32Array(1024);

  constructor(nDocs: number) {
    this.offsets = new Int32Array(nDocs + 1);
  }

  add(t: number, c: number): void {
    if (t >= this.stamp.length) {
      const size = Math.max(t + 1, this.stamp.length * 2);
      this.stamp = growInt32(this.stamp, size);
      this.slot = growInt32(this.slot, size);
    }
    if (this.stamp[t] === this.docs + 1) {
      this.counts[this.slot[t]] += c;
      return;
    }
    if (this.n === this.ids.length) {
      this.ids = growInt32(this.ids, this.n * 2);
      const counts = new Float32Array(this.n * 2);
      counts.set(this.counts);
      this.counts = counts;
    }
    this.stamp[t] = this.docs + 1;
    this.slot[t] = this.n;
    this.ids[this.n] = t;
    this.counts[this.n++] = c;
  }

  addAll(ts: Int32Array, c: number): void {
    for (let i = 0; i < ts.length; i++) this.add(ts[i], c);
  }

  endDoc(): void {
    this.offsets[++this.docs] = this.n;
  }

  /** CSR postings over `nTerms` terms; each term's postings in document order, weights = counts. */
  postings(nTerms: number): Postings {
    const offsets = new Int32Array(nTerms + 1);
    for (let j = 0; j < this.n; j++) offsets[this.ids[j] + 1]++;
    for (let t = 0; t < nTerms; t++) offsets[t + 1] += offsets[t];
    const pd = new Int32Array(this.n);
    const pw = new Float32Array(this.n);
    const fill = offsets.slice(0, nTerms);
    for (let d = 0; d < this.docs; d++) {
      for (let j = this.offsets[d]; j < this.offsets[d + 1]; j++) {
        const p = fill[this.ids[j]]++;
        pd[p] = d;
        pw[p] = this.counts[j];
      }
    }
    return { offsets, docs: pd, weights: pw };
  }
}

function growInt32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
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

/**
 * The k largest `scores[id]` over `ids[0..count)`, best first, skipping the id `exclude`: `topK` without
 * a callback per id or an array per call (the kNN query's hot loop). Fills `outIds`/`outScores` (length
 * ≥ k) and returns how many it found. The same selection and order as `topK`, ties included.
 */
export function topKTyped(
  ids: Int32Array,
  count: number,
  scores: Float32Array,
  k: number,
  exclude: number,
  outIds: Int32Array,
  outScores: Float64Array,
): number {
  // Min-heap of size k over (score, id) in outScores/outIds; sorted in place at the end.
  let n = 0;
  for (let j = 0; j < count; j++) {
    const id = ids[j];
    if (id === exclude) continue;
    const s = scores[id];
    if (n < k) {
      let c = n++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (outScores[p] <= s) break;
        outScores[c] = outScores[p];
        outIds[c] = outIds[p];
        c = p;
      }
      outScores[c] = s;
      outIds[c] = id;
    } else if (s > outScores[0]) {
      siftDown(outScores, outIds, n, s, id);
    }
  }
  // Best first; equal scores keep their heap order (a stable sort, as `topK` does: same answers).
  for (let i = 1; i < n; i++) {
    const s = outScores[i];
    const id = outIds[i];
    let j = i - 1;
    while (j >= 0 && outScores[j] < s) {
      outScores[j + 1] = outScores[j];
      outIds[j + 1] = outIds[j];
      j--;
    }
    outScores[j + 1] = s;
    outIds[j + 1] = id;
  }
  return n;
}

/** Puts (s, id) at the root of the min-heap of size n and sifts it down. */
function siftDown(hs: Float64Array, hi: Int32Array, n: number, s: number, id: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const m = r < n && hs[r] < hs[l] ? r : l;
    if (hs[m] >= s) break;
    hs[i] = hs[m];
    hi[i] = hi[m];
    i = m;
  }
  hs[i] = s;
  hi[i] = id;
}

export const GRAM_CODES = 37 * 37 * 37;

/** Symbol of a character code in the 3-gram alphabet: space 0, a–z 1–26, 0–9 27–36; -1 otherwise. */
export function gramSymbol(c: number): number {
  if (c >= 97 && c <= 122) return c - 96;
  if (c >= 48 && c <= 57) return c - 21;
  return c === 32 ? 0 : -1;
}

const SYMBOL_CHARS = ' abcdefghijklmnopqrstuvwxyz0123456789';

function codeToGram(code: number): string {
  return (
    SYMBOL_CHARS[Math.floor(code / 1369)] + SYMBOL_CHARS[Math.floor(code / 37) % 37] + SYMBOL_CHARS[code % 37]
  );
}

/** Code of the 3 characters of `s` at `i`, or -1 when one is outside the alphabet. */
export function gramCode(s: string, i: number): number {
  const a = gramSymbol(s.charCodeAt(i));
  const b = gramSymbol(s.charCodeAt(i + 1));
  const c = gramSymbol(s.charCodeAt(i + 2));
  return a < 0 || b < 0 || c < 0 ? -1 : a * 1369 + b * 37 + c;
}

/**
 * Ids of character 3-grams without a string per gram. The tokenizer's alphabet (space, a–z, 0–9) has
 * 37 symbols, so a 3-gram is a number below 37³ and its id one typed-array read; grams with any other
 * character (only possible for tokens that did not come from `tokenize`) fall back to a Map by string.
 * `terms` holds the gram strings in id order (what the indexes serialise).
 */
export class GramVocab {
  private readonly byCode = new Int32Array(GRAM_CODES).fill(-1);
  private readonly other = new Map<string, number>();
  /**
   * `terms` may be shared with other kinds of terms (the kNN index keeps words and grams in one id
   * space): a new gram's id is `terms.length`, and it is pushed as `prefix + gram`.
   */
  constructor(
    readonly terms: string[] = [],
    private readonly prefix = '',
  ) {}

  get size(): number {
    return this.terms.length;
  }

  /** Id of the gram with code `code` (see `gramCode`), adding it when `add` is set; -1 when unknown. */
  idOfCode(code: number, add: boolean): number {
    let i = this.byCode[code];
    if (i < 0 && add) {
      i = this.terms.length;
      this.byCode[code] = i;
      this.terms.push(this.prefix + codeToGram(code));
    }
    return i;
  }

  /** Id of the gram string `g` (any characters), adding it when `add` is set; -1 when unknown. */
  id(g: string, add: boolean): number {
    const code = g.length === 3 ? gramCode(g, 0) : -1;
    if (code >= 0) return this.idOfCode(code, add);
    let i = this.other.get(g);
    if (i === undefined) {
      if (!add) return -1;
      i = this.terms.length;
      this.other.set(g, i);
      this.terms.push(this.prefix + g);
    }
    return i;
  }

  /** Registers `g` under `id` when loading a serialised index (`terms` already holds it). */
  restore(g: string, id: number): void {
    const code = g.length === 3 ? gramCode(g, 0) : -1;
    if (code >= 0) this.byCode[code] = id;
    else this.other.set(g, id);
  }

  static fromTerms(terms: string[]): GramVocab {
    const v = new GramVocab(terms);
    for (let i = 0; i < terms.length; i++) v.restore(terms[i], i);
    return v;
  }
}

/**
 * Calls `visit(code, token, start)` for each character 3-gram of `charNgrams(tokens, 3)`, in the same
 * order, without building the strings: `code` is the gram's code, or -1 when a character is outside the
 * alphabet, in which case the gram is `padded(token).slice(start, start + 3)` (`gramAt`).
 */
export function forEachGram(
  tokens: readonly string[],
  visit: (code: number, token: string, start: number) => void,
): void {
  for (const t of tokens) {
    const n = t.length;
    if (n === 0) {
      visit(-1, t, 0);
      continue;
    }
    // Padded token ` t `: symbols s0 (space), t[0..n), space.
    let a = 0;
    let b = gramSymbol(t.charCodeAt(0));
    if (n === 1) {
      visit(b < 0 ? -1 : b * 37, t, 0);
      continue;
    }
    for (let i = 1; i <= n; i++) {
      const c = i < n ? gramSymbol(t.charCodeAt(i)) : 0;
      visit(a < 0 || b < 0 || c < 0 ? -1 : a * 1369 + b * 37 + c, t, i - 1);
      a = b;
      b = c;
    }
  }
}

/** The padded-token 3-gram `forEachGram` reported at (token, start). */
export function gramAt(token: string, start: number): string {
  const p = ` ${token} `;
  return p.length <= 3 ? p : p.slice(start, start + 3);
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
