/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2), O(T·L·D²) per row. Conditional expectations
 * E[f(x) | x_S] follow the training cover of each node (rows that reached it), so
 * Σ contributions + base = raw margin exactly (up to floating point), where base is the
 * cover-weighted mean leaf value of every tree plus the init score.
 */
import { type CompiledEnsemble, goesLeft } from './predict.ts';

/** Expected raw output of tree t over the training rows (cover-weighted mean of its leaves). */
export function treeExpectation(e: CompiledEnsemble, t: number): number {
  const root = e.root[t];
  let sum = 0;
  const stack = [root];
  while (stack.length) {
    const n = stack.pop() as number;
    if (e.left[n] < 0) sum += e.value[n] * e.cover[n];
    else stack.push(e.left[n], e.right[n]);
  }
  return sum / e.cover[root];
}

function treeDepth(e: CompiledEnsemble, node: number): number {
  if (e.left[node] < 0) return 0;
  return 1 + Math.max(treeDepth(e, e.left[node]), treeDepth(e, e.right[node]));
}

/** Path storage for one tree walk: regions of growing length, one per recursion depth. */
class PathBuffers {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  pweight: Float64Array;
  constructor(maxDepth: number) {
    const size = ((maxDepth + 2) * (maxDepth + 3)) / 2;
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.pweight = new Float64Array(size);
  }
}

function extendPath(
  p: PathBuffers,
  o: number,
  depth: number,
  zero: number,
  one: number,
  feature: number,
): void {
  const pw = p.pweight;
  p.feature[o + depth] = feature;
  p.zero[o + depth] = zero;
  p.one[o + depth] = one;
  pw[o + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    pw[o + i + 1] += (one * pw[o + i] * (i + 1)) / (depth + 1);
    pw[o + i] = (zero * pw[o + i] * (depth - i)) / (depth + 1);
  }
}

function unwindPath(p: PathBuffers, o: number, depth: number, index: number): void {
  const pw = p.pweight;
  const one = p.one[o + index];
  const zero = p.zero[o + index];
  let next = pw[o + depth];
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = pw[o + i];
      pw[o + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (pw[o + i] * zero * (depth - i)) / (depth + 1);
    } else {
      pw[o + i] = (pw[o + i] * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[o + i] = p.feature[o + i + 1];
    p.zero[o + i] = p.zero[o + i + 1];
    p.one[o + i] = p.one[o + i + 1];
  }
}

function unwoundPathSum(p: PathBuffers, o: number, depth: number, index: number): number {
  const pw = p.pweight;
  const one = p.one[o + index];
  const zero = p.zero[o + index];
  let next = pw[o + depth];
  let total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (depth + 1)) / ((i + 1) * one);
      total += tmp;
      next = pw[o + i] - (tmp * zero * (depth - i)) / (depth + 1);
    } else {
      total += pw[o + i] / zero / ((depth - i) / (depth + 1));
    }
  }
  return total;
}

function recurse(
  e: CompiledEnsemble,
  x: Float32Array,
  xBase: number,
  phi: Float64Array,
  node: number,
  p: PathBuffers,
  parentOffset: number,
  depth: number,
  parentZero: number,
  parentOne: number,
  parentFeature: number,
): void {
  // This level's path region follows the parent's (which has `depth` entries).
  const o = parentOffset + depth;
  for (let i = 0; i < depth; i++) {
    p.feature[o + i] = p.feature[parentOffset + i];
    p.zero[o + i] = p.zero[parentOffset + i];
    p.one[o + i] = p.one[parentOffset + i];
    p.pweight[o + i] = p.pweight[parentOffset + i];
  }
  extendPath(p, o, depth, parentZero, parentOne, parentFeature);
  if (e.left[node] < 0) {
    const v = e.value[node];
    for (let i = 1; i <= depth; i++) {
      const w = unwoundPathSum(p, o, depth, i);
      phi[p.feature[o + i]] += w * (p.one[o + i] - p.zero[o + i]) * v;
    }
    return;
  }
  const f = e.feature[node];
  const left = goesLeft(e, node, x[xBase + f]);
  const hot = left ? e.left[node] : e.right[node];
  const cold = left ? e.right[node] : e.left[node];
  const w = e.cover[node];
  let incomingZero = 1;
  let incomingOne = 1;
  let d = depth;
  let k = 0;
  for (; k <= d; k++) if (p.feature[o + k] === f) break;
  if (k !== d + 1) {
    incomingZero = p.zero[o + k];
    incomingOne = p.one[o + k];
    unwindPath(p, o, d, k);
    d -= 1;
  }
  recurse(e, x, xBase, phi, hot, p, o, d + 1, (e.cover[hot] / w) * incomingZero, incomingOne, f);
  recurse(e, x, xBase, phi, cold, p, o, d + 1, (e.cover[cold] / w) * incomingZero, 0, f);
}

/**
 * Contributions of each feature to the raw margin of class `cls` for the row at `xBase` in `x`
 * (row-major), plus the base value. `init` = the model's init score per class.
 */
export function treeShap(
  e: CompiledEnsemble,
  init: Float64Array,
  nFeatures: number,
  x: Float32Array,
  xBase: number,
  cls = 0,
): { base: number; values: Float64Array } {
  const phi = new Float64Array(nFeatures);
  let base = init[cls];
  let maxDepth = 0;
  for (let t = cls; t < e.nTrees; t += e.k) maxDepth = Math.max(maxDepth, treeDepth(e, e.root[t]));
  const p = new PathBuffers(maxDepth + 1);
  // The root's feature slot (−1) is never credited; phi gets only indices 1..depth.
  for (let t = cls; t < e.nTrees; t += e.k) {
    base += treeExpectation(e, t);
    recurse(e, x, xBase, phi, e.root[t], p, 0, 0, 1, 1, -1);
  }
  return { base, values: phi };
}
