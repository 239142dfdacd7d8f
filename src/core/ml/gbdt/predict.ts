/**
 * Fast prediction: every tree of the ensemble flattened into shared typed arrays. Nodes test raw
 * feature values (numeric threshold, categorical code bitset), so no binning is needed and unseen
 * data works: NaN, negative/non-integer codes and codes outside the bitset follow `defaultLeft`.
 */
import type { Matrix } from '../types.ts';
import type { Tree } from './tree.ts';

export interface CompiledEnsemble {
  /** Trees per round (k for multiclass); tree t belongs to class t % k. */
  k: number;
  nTrees: number;
  /** Root node index of each tree. */
  root: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  defaultLeft: Uint8Array;
  /** Categorical nodes: first word in `catBits` (−1 for numeric nodes), and word count. */
  catStart: Int32Array;
  catWords: Int32Array;
  catBits: Uint32Array;
  /** Children (global node indices); −1 for leaves. */
  left: Int32Array;
  right: Int32Array;
  /** `child[2n]` = left, `child[2n + 1]` = right: branch-free descent. */
  child: Int32Array;
  value: Float64Array;
  cover: Float64Array;
}

export function compileTrees(trees: Tree[], k: number): CompiledEnsemble {
  let nNodes = 0;
  let nWords = 0;
  for (const t of trees) {
    nNodes += t.feature.length;
    for (const c of t.catLeft) if (c.length) nWords += (c[c.length - 1] >> 5) + 1;
  }
  const e: CompiledEnsemble = {
    k,
    nTrees: trees.length,
    root: new Int32Array(trees.length),
    feature: new Int32Array(nNodes),
    threshold: new Float64Array(nNodes),
    defaultLeft: new Uint8Array(nNodes),
    catStart: new Int32Array(nNodes).fill(-1),
    catWords: new Int32Array(nNodes),
    catBits: new Uint32Array(nWords),
    left: new Int32Array(nNodes),
    right: new Int32Array(nNodes),
    child: new Int32Array(2 * nNodes),
    value: new Float64Array(nNodes),
    cover: new Float64Array(nNodes),
  };
  let base = 0;
  let w = 0;
  trees.forEach((t, ti) => {
    e.root[ti] = base;
    for (let i = 0; i < t.feature.length; i++) {
      const g = base + i;
      e.feature[g] = t.feature[i];
      e.threshold[g] = t.threshold[i];
      e.defaultLeft[g] = t.defaultLeft[i];
      e.left[g] = t.left[i] < 0 ? -1 : base + t.left[i];
      e.right[g] = t.right[i] < 0 ? -1 : base + t.right[i];
      e.child[2 * g] = e.left[g];
      e.child[2 * g + 1] = e.right[g];
      e.value[g] = t.value[i];
      e.cover[g] = t.cover[i];
      const cats = t.catLeft[i];
      if (t.left[i] >= 0 && cats.length) {
        const words = (cats[cats.length - 1] >> 5) + 1;
        e.catStart[g] = w;
        e.catWords[g] = words;
        for (const c of cats) e.catBits[w + (c >> 5)] |= 1 << (c & 31);
        w += words;
      }
    }
    base += t.feature.length;
  });
  return e;
}

/** Leaf node reached by row `rowBase` of `data` (row-major, `data[rowBase + f]`) in tree `t`. */
export function leafOf(e: CompiledEnsemble, t: number, data: Float32Array, rowBase: number): number {
  const { feature, threshold, defaultLeft, catStart, catWords, catBits, child } = e;
  let node = e.root[t];
  let f = feature[node];
  while (f >= 0) {
    const v = data[rowBase + f];
    const cs = catStart[node];
    // 0 = left, 1 = right, computed without a data-dependent branch on the numeric path.
    let right: number;
    if (cs < 0) {
      right = +(v > threshold[node]);
      if (Number.isNaN(v)) right = 1 - defaultLeft[node];
    } else if (v >= 0 && v < catWords[node] * 32 && v === Math.floor(v)) {
      right = 1 - ((catBits[cs + (v >> 5)] >>> (v & 31)) & 1);
    } else right = 1 - defaultLeft[node];
    node = child[2 * node + right];
    f = feature[node];
  }
  return node;
}

/**
 * Raw scores (n × k, row-major) for trees `[from, to)` added onto `out` (which the caller fills with
 * the init scores, or previous trees' sums).
 */
export function addRawScores(
  e: CompiledEnsemble,
  X: Matrix,
  out: Float64Array,
  from = 0,
  to = e.nTrees,
): void {
  const { rows, cols, data } = X;
  const k = e.k;
  const value = e.value;
  for (let r = 0; r < rows; r++) {
    const rb = r * cols;
    const ob = r * k;
    for (let t = from; t < to; t++) out[ob + (t % k)] += value[leafOf(e, t, data, rb)];
  }
}

/** Raw margins for every row: init + Σ trees. */
export function rawScores(
  e: CompiledEnsemble,
  init: Float64Array,
  X: Matrix,
  nTrees = e.nTrees,
): Float64Array {
  const k = e.k;
  const out = new Float64Array(X.rows * k);
  for (let r = 0; r < X.rows; r++) for (let c = 0; c < k; c++) out[r * k + c] = init[c];
  addRawScores(e, X, out, 0, nTrees);
  return out;
}

/** Whether value `v` goes to the left child of internal node `node`. */
export function goesLeft(e: CompiledEnsemble, node: number, v: number): boolean {
  const cs = e.catStart[node];
  if (cs < 0) return v <= e.threshold[node] || (Number.isNaN(v) && e.defaultLeft[node] === 1);
  if (v >= 0 && v < e.catWords[node] * 32 && v === Math.floor(v)) {
    return ((e.catBits[cs + (v >> 5)] >>> (v & 31)) & 1) === 1;
  }
  return e.defaultLeft[node] === 1;
}
