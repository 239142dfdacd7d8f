/**
 * Growing one regression tree on gradients/hessians over binned data (LightGBM-style).
 *
 * - Growth: leaf-wise (best-first: always split the open leaf with the largest gain, up to
 *   `maxLeaves`) or depth-wise (split level by level; also capped by `maxLeaves`).
 * - Split gain with L2 regularisation λ: G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), subject to
 *   min_data_in_leaf, min_sum_hessian and gain > min_gain_to_split. Leaf value −G/(H+λ) × lr.
 * - Missing values (bin 0): numeric splits try missing-left and missing-right and keep the better;
 *   when a node has no missing rows, NaN follows the child with more rows.
 * - Categorical features: LightGBM's approach: few categories → one-vs-rest; otherwise sort the
 *   categories by G/(H + catSmooth), scan prefixes from both ends (≤ maxCatThreshold categories on
 *   the left, each category with ≥ minDataPerGroup rows, λ + catL2), and store the left code set.
 *   Missing, rare and unseen codes go right.
 * The result is a plain `Tree` (JSON-able arrays) whose tests use raw values (thresholds, code sets),
 * so prediction never needs the bins.
 */
import type { BinnedData } from './binning.ts';
import { buildHistogram, type HistogramPool, subtractHistogram } from './histogram.ts';

/** A trained tree as plain arrays, one entry per node; node 0 is the root. */
export interface Tree {
  /** Split feature, −1 for leaves. */
  feature: number[];
  /** Numeric split: `x <= threshold` goes left (raw value). 0 for categorical splits and leaves. */
  threshold: number[];
  /** 1 if missing (NaN; for categoricals also unseen/invalid codes) goes left. */
  defaultLeft: number[];
  /** Categorical split: the category codes that go left (sorted); empty for numeric splits/leaves. */
  catLeft: number[][];
  /** Child node indices; −1 for leaves. */
  left: number[];
  right: number[];
  /** Leaf output (raw margin, learning rate applied); 0 for internal nodes. */
  value: number[];
  /** Training rows that reached the node (after bagging): the cover used by TreeSHAP. */
  cover: number[];
}

export interface TreeParams {
  maxLeaves: number;
  /** ≤ 0: unlimited. */
  maxDepth: number;
  leafwise: boolean;
  minDataInLeaf: number;
  minSumHessian: number;
  lambdaL2: number;
  minGainToSplit: number;
  learningRate: number;
  catSmooth: number;
  catL2: number;
  maxCatThreshold: number;
  minDataPerGroup: number;
  maxCatToOnehot: number;
}

interface Split {
  /** Gain over the unsplit node (already minus the parent term). */
  gain: number;
  feature: number;
  /** Numeric: last bin going left. */
  bin: number;
  defaultLeft: boolean;
  isCat: boolean;
  /** Bin → 1 if it goes left (missing bin included), for the feature's bins. */
  goLeft: Uint8Array;
  GL: number;
  HL: number;
  CL: number;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  G: number;
  H: number;
  C: number;
  hist: Float64Array | null;
  split: Split | null;
}

/** Per-call scratch for the categorical scan. */
const catOrder = new Int32Array(256);
const catScore = new Float64Array(256);

export class TreeGrower {
  private readonly scratch: Uint32Array;
  constructor(
    private readonly data: BinnedData,
    private readonly pool: HistogramPool,
    private readonly p: TreeParams,
  ) {
    this.scratch = new Uint32Array(data.rows);
  }

  /**
   * Grow one tree on rows `indices[0..count)` (partitioned in place). Returns the tree and, per
   * leaf node, the row range it ended with (`leafRanges[node] = [start, end]`).
   */
  grow(
    grad: Float32Array,
    hess: Float32Array,
    indices: Uint32Array,
    count: number,
    used: Int32Array,
  ): { tree: Tree; leafStart: Int32Array; leafEnd: Int32Array } {
    const p = this.p;
    const data = this.data;
    const allUsed = used.length === data.nFeatures;
    const tree: Tree = {
      feature: [-1],
      threshold: [0],
      defaultLeft: [0],
      catLeft: [[]],
      left: [-1],
      right: [-1],
      value: [0],
      cover: [count],
    };
    let G = 0;
    let H = 0;
    for (let i = 0; i < count; i++) {
      const r = indices[i];
      G += grad[r];
      H += hess[r];
    }
    const root: Leaf = { node: 0, start: 0, end: count, depth: 0, G, H, C: count, hist: null, split: null };
    const leaves: Leaf[] = [root];
    if (this.canSplit(root)) {
      root.hist = this.pool.get();
      buildHistogram(root.hist, data, grad, hess, indices, 0, count, used, allUsed);
      root.split = this.findBestSplit(root, used);
    }
    while (leaves.length < p.maxLeaves) {
      let pick = -1;
      for (let i = 0; i < leaves.length; i++) {
        const s = leaves[i].split;
        if (!s) continue;
        if (pick < 0) {
          pick = i;
          continue;
        }
        const b = leaves[pick];
        const l = leaves[i];
        const better = p.leafwise
          ? s.gain > (b.split as Split).gain
          : l.depth < b.depth || (l.depth === b.depth && s.gain > (b.split as Split).gain);
        if (better) pick = i;
      }
      if (pick < 0) break;
      const leaf = leaves[pick];
      const s = leaf.split as Split;
      const mid = this.partition(indices, leaf.start, leaf.end, s);
      const ln = tree.feature.length;
      const rn = ln + 1;
      const fb = data.features[s.feature];
      tree.feature[leaf.node] = s.feature;
      tree.defaultLeft[leaf.node] = s.defaultLeft ? 1 : 0;
      if (s.isCat) {
        const codes: number[] = [];
        for (let b = 1; b < fb.nBins; b++) if (s.goLeft[b]) for (const c of fb.binCodes[b]) codes.push(c);
        codes.sort((a, b) => a - b);
        tree.catLeft[leaf.node] = codes;
        tree.threshold[leaf.node] = 0;
      } else {
        tree.threshold[leaf.node] = fb.upper[s.bin];
      }
      tree.left[leaf.node] = ln;
      tree.right[leaf.node] = rn;
      for (const n of [ln, rn]) {
        tree.feature[n] = -1;
        tree.threshold[n] = 0;
        tree.defaultLeft[n] = 0;
        tree.catLeft[n] = [];
        tree.left[n] = -1;
        tree.right[n] = -1;
        tree.value[n] = 0;
      }
      const CL = mid - leaf.start;
      const CR = leaf.end - mid;
      tree.cover[ln] = CL;
      tree.cover[rn] = CR;
      const lLeaf: Leaf = {
        node: ln,
        start: leaf.start,
        end: mid,
        depth: leaf.depth + 1,
        G: s.GL,
        H: s.HL,
        C: CL,
        hist: null,
        split: null,
      };
      const rLeaf: Leaf = {
        node: rn,
        start: mid,
        end: leaf.end,
        depth: leaf.depth + 1,
        G: leaf.G - s.GL,
        H: leaf.H - s.HL,
        C: CR,
        hist: null,
        split: null,
      };
      leaves[pick] = lLeaf;
      leaves.push(rLeaf);
      const room = leaves.length < p.maxLeaves;
      const lCan = room && this.canSplit(lLeaf);
      const rCan = room && this.canSplit(rLeaf);
      const parentHist = leaf.hist as Float64Array;
      if (lCan || rCan) {
        const smallIsLeft = CL <= CR;
        const small = smallIsLeft ? lLeaf : rLeaf;
        const large = smallIsLeft ? rLeaf : lLeaf;
        const sh = this.pool.get();
        buildHistogram(sh, data, grad, hess, indices, small.start, small.end, used, allUsed);
        subtractHistogram(parentHist, sh, data, used, allUsed);
        small.hist = sh;
        large.hist = parentHist;
        for (const c of [lLeaf, rLeaf]) {
          if (c === lLeaf ? lCan : rCan) c.split = this.findBestSplit(c, used);
          if (!c.split && c.hist) {
            this.pool.release(c.hist);
            c.hist = null;
          }
        }
      } else {
        this.pool.release(parentHist);
      }
      leaf.hist = null;
    }
    const leafStart = new Int32Array(tree.feature.length).fill(-1);
    const leafEnd = new Int32Array(tree.feature.length).fill(-1);
    const lr = p.learningRate;
    for (const l of leaves) {
      if (l.hist) this.pool.release(l.hist);
      l.hist = null;
      tree.value[l.node] = (-l.G / (l.H + p.lambdaL2)) * lr;
      leafStart[l.node] = l.start;
      leafEnd[l.node] = l.end;
    }
    return { tree, leafStart, leafEnd };
  }

  private canSplit(l: Leaf): boolean {
    const p = this.p;
    if (p.maxDepth > 0 && l.depth >= p.maxDepth) return false;
    return l.C >= 2 * Math.max(1, p.minDataInLeaf) && l.H >= 2 * p.minSumHessian;
  }

  /** Stable in-place partition of `indices[start..end)`: left rows first. Returns the boundary. */
  private partition(indices: Uint32Array, start: number, end: number, s: Split): number {
    const bins = this.data.bins;
    const F = this.data.nFeatures;
    const f = s.feature;
    const goLeft = s.goLeft;
    const tmp = this.scratch;
    let w = start;
    let k = 0;
    // Branch-free: splits send rows left/right unpredictably, so write both and advance one.
    for (let i = start; i < end; i++) {
      const r = indices[i];
      const l = goLeft[bins[r * F + f]];
      indices[w] = r;
      tmp[k] = r;
      w += l;
      k += 1 - l;
    }
    indices.set(tmp.subarray(0, k), w);
    return w;
  }

  private findBestSplit(leaf: Leaf, used: Int32Array): Split | null {
    const p = this.p;
    const data = this.data;
    const hist = leaf.hist as Float64Array;
    const lambda = p.lambdaL2;
    const parentGain = (leaf.G * leaf.G) / (leaf.H + lambda);
    let best: Split | null = null;
    let bestGain = p.minGainToSplit;
    for (let j = 0; j < used.length; j++) {
      const f = used[j];
      const fb = data.features[f];
      const o = data.binOffset[f] * 3;
      const s =
        fb.kind === 'categorical'
          ? this.bestCategorical(hist, o, fb.nBins, leaf, f, parentGain)
          : this.bestNumeric(hist, o, fb.nBins, leaf, f, parentGain);
      if (s && s.gain > bestGain) {
        best = s;
        bestGain = s.gain;
      }
    }
    return best;
  }

  private bestNumeric(
    hist: Float64Array,
    o: number,
    nb: number,
    leaf: Leaf,
    f: number,
    parentGain: number,
  ): Split | null {
    const p = this.p;
    const lambda = p.lambdaL2;
    const minData = Math.max(1, p.minDataInLeaf);
    const minHess = p.minSumHessian;
    const { G, H, C } = leaf;
    const Gm = hist[o];
    const Hm = hist[o + 1];
    const Cm = hist[o + 2];
    let bestGain = Number.NEGATIVE_INFINITY;
    let bestBin = -1;
    let bestMissLeft = false;
    let bGL = 0;
    let bHL = 0;
    let bCL = 0;
    for (let pass = 0; pass < (Cm > 0 ? 2 : 1); pass++) {
      let gl = pass === 1 ? Gm : 0;
      let hl = pass === 1 ? Hm : 0;
      let cl = pass === 1 ? Cm : 0;
      for (let t = 1; t < nb - 1; t++) {
        const q = o + t * 3;
        gl += hist[q];
        hl += hist[q + 1];
        cl += hist[q + 2];
        if (cl < minData || hl < minHess) continue;
        const cr = C - cl;
        const hr = H - hl;
        if (cr < minData || hr < minHess) break;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda);
        if (gain > bestGain) {
          bestGain = gain;
          bestBin = t;
          bestMissLeft = pass === 1;
          bGL = gl;
          bHL = hl;
          bCL = cl;
        }
      }
    }
    if (bestBin < 0) return null;
    // No missing rows here: NaN follows the bigger child.
    const defaultLeft = Cm > 0 ? bestMissLeft : bCL > C - bCL;
    const goLeft = new Uint8Array(nb);
    goLeft[0] = defaultLeft ? 1 : 0;
    for (let t = 1; t <= bestBin; t++) goLeft[t] = 1;
    return {
      gain: bestGain - parentGain,
      feature: f,
      bin: bestBin,
      defaultLeft,
      isCat: false,
      goLeft,
      GL: bGL,
      HL: bHL,
      CL: bCL,
    };
  }

  private bestCategorical(
    hist: Float64Array,
    o: number,
    nb: number,
    leaf: Leaf,
    f: number,
    parentGain: number,
  ): Split | null {
    const p = this.p;
    const minData = Math.max(1, p.minDataInLeaf);
    const minHess = p.minSumHessian;
    const { G, H, C } = leaf;
    let nonEmpty = 0;
    for (let b = 1; b < nb; b++) if (hist[o + b * 3 + 2] > 0) nonEmpty++;
    let bestGain = Number.NEGATIVE_INFINITY;
    let bGL = 0;
    let bHL = 0;
    let bCL = 0;
    let goLeft: Uint8Array | null = null;
    if (nonEmpty <= p.maxCatToOnehot) {
      // One category vs the rest.
      const lambda = p.lambdaL2;
      let bestBin = -1;
      for (let b = 1; b < nb; b++) {
        const q = o + b * 3;
        const gl = hist[q];
        const hl = hist[q + 1];
        const cl = hist[q + 2];
        if (cl < minData || hl < minHess) continue;
        const cr = C - cl;
        const hr = H - hl;
        if (cr < minData || hr < minHess) continue;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda);
        if (gain > bestGain) {
          bestGain = gain;
          bestBin = b;
          bGL = gl;
          bHL = hl;
          bCL = cl;
        }
      }
      if (bestBin < 0) return null;
      goLeft = new Uint8Array(nb);
      goLeft[bestBin] = 1;
    } else {
      const lambda = p.lambdaL2 + p.catL2;
      let used = 0;
      for (let b = 1; b < nb; b++) {
        const q = o + b * 3;
        if (hist[q + 2] >= p.minDataPerGroup) {
          catOrder[used] = b;
          catScore[used] = hist[q] / (hist[q + 1] + p.catSmooth);
          used++;
        }
      }
      if (used < 2) return null;
      // Insertion sort by score (≤ 254 entries).
      for (let i = 1; i < used; i++) {
        const b = catOrder[i];
        const sc = catScore[i];
        let k = i - 1;
        while (k >= 0 && catScore[k] > sc) {
          catOrder[k + 1] = catOrder[k];
          catScore[k + 1] = catScore[k];
          k--;
        }
        catOrder[k + 1] = b;
        catScore[k + 1] = sc;
      }
      const maxNum = Math.min(p.maxCatThreshold, (used + 1) >> 1);
      let bestDir = 0;
      let bestCount = 0;
      for (let dir = 0; dir < 2; dir++) {
        let gl = 0;
        let hl = 0;
        let cl = 0;
        let group = 0;
        for (let i = 0; i < used && i < maxNum; i++) {
          const b = catOrder[dir === 0 ? i : used - 1 - i];
          const q = o + b * 3;
          gl += hist[q];
          hl += hist[q + 1];
          cl += hist[q + 2];
          group += hist[q + 2];
          if (cl < minData || hl < minHess) continue;
          const cr = C - cl;
          const hr = H - hl;
          if (cr < minData || hr < minHess || cr < p.minDataPerGroup) break;
          if (group < p.minDataPerGroup) continue;
          group = 0;
          const gr = G - gl;
          const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda);
          if (gain > bestGain) {
            bestGain = gain;
            bestDir = dir;
            bestCount = i + 1;
            bGL = gl;
            bHL = hl;
            bCL = cl;
          }
        }
      }
      if (bestCount === 0) return null;
      goLeft = new Uint8Array(nb);
      for (let i = 0; i < bestCount; i++) goLeft[catOrder[bestDir === 0 ? i : used - 1 - i]] = 1;
    }
    return {
      gain: bestGain - parentGain,
      feature: f,
      bin: -1,
      defaultLeft: false,
      isCat: true,
      goLeft,
      GL: bGL,
      HL: bHL,
      CL: bCL,
    };
  }
}
