/**
 * TreeSHAP's algorithms against each other: the pattern path (the default: leaf tables, Fast TreeSHAP
 * v2 style, one scalar per pattern, for leaves with few distinct path features; per-row credits for the
 * others), the pattern
 * path with every leaf credited per row ('direct'), and the linear walk (the previous algorithm, still
 * used for trees with a leaf of more than 30 distinct path features) on random trees: random structure
 * and depth, numeric and categorical splits, features repeated on paths, missing values and unseen
 * codes in the rows, several classes. Brute force checks the default in gbdt.test.ts; here the point is
 * that swapping one for another changes nothing beyond rounding.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../booster.ts';
import { compileTrees } from '../predict.ts';
import type { Tree } from '../tree.ts';
import { TABLE_BUDGET, treeShap, treeShapLayout } from '../treeshap.ts';

type Rand = () => number;

/** A random tree over `nFeatures` features (the first `nCat` categorical with `codes` codes). */
function randomTree(
  rand: Rand,
  o: { nFeatures: number; nCat: number; codes: number; maxDepth: number; pSplit: number },
): Tree {
  const t: Tree = {
    feature: [],
    threshold: [],
    defaultLeft: [],
    catLeft: [],
    left: [],
    right: [],
    value: [],
    cover: [],
  };
  const add = (cover: number): number => {
    t.feature.push(-1);
    t.threshold.push(0);
    t.defaultLeft.push(0);
    t.catLeft.push([]);
    t.left.push(-1);
    t.right.push(-1);
    t.value.push(0);
    t.cover.push(cover);
    return t.feature.length - 1;
  };
  const grow = (node: number, depth: number): void => {
    const cover = t.cover[node];
    if (depth >= o.maxDepth || cover < 2 || (depth > 0 && rand() > o.pSplit)) {
      t.value[node] = (rand() - 0.5) * 2;
      return;
    }
    const f = Math.floor(rand() * o.nFeatures);
    t.feature[node] = f;
    t.defaultLeft[node] = rand() < 0.5 ? 1 : 0;
    if (f < o.nCat) {
      const cats: number[] = [];
      for (let c = 0; c < o.codes; c++) if (rand() < 0.4) cats.push(c);
      if (cats.length === 0) cats.push(Math.floor(rand() * o.codes));
      t.catLeft[node] = cats;
    } else t.threshold[node] = rand() * 10;
    const leftCover = Math.max(1, Math.min(cover - 1, Math.round(cover * (0.1 + 0.8 * rand()))));
    const l = add(leftCover);
    const r = add(cover - leftCover);
    t.left[node] = l;
    t.right[node] = r;
    grow(l, depth + 1);
    grow(r, depth + 1);
  };
  grow(add(200 + Math.floor(rand() * 5000)), 0);
  return t;
}

/** Rows with missing values, codes out of range and fractional codes among the normal values. */
function randomRows(rand: Rand, n: number, nFeatures: number, nCat: number, codes: number): Float32Array {
  const x = new Float32Array(n * nFeatures);
  for (let i = 0; i < x.length; i++) {
    const f = i % nFeatures;
    const u = rand();
    if (u < 0.08) x[i] = Number.NaN;
    else if (f < nCat) x[i] = u < 0.12 ? codes + 3 : u < 0.14 ? 1.5 : Math.floor(rand() * codes);
    else x[i] = rand() * 10;
  }
  return x;
}

function compare(trees: Tree[], k: number, nFeatures: number, x: Float32Array, rows: number): number {
  const e = compileTrees(trees, k);
  const init = Float64Array.from({ length: k }, (_, c) => c * 0.1);
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    for (let cls = 0; cls < k; cls++) {
      const a = treeShap(e, init, nFeatures, x, r * nFeatures, cls, 'auto');
      const d = treeShap(e, init, nFeatures, x, r * nFeatures, cls, 'direct');
      const b = treeShap(e, init, nFeatures, x, r * nFeatures, cls, 'linear');
      expect(a.base).toBe(b.base);
      for (let f = 0; f < nFeatures; f++) {
        expect(Number.isFinite(a.values[f])).toBe(true);
        worst = Math.max(worst, Math.abs(a.values[f] - b.values[f]), Math.abs(d.values[f] - b.values[f]));
      }
    }
  }
  return worst;
}

/**
 * A caterpillar: every internal node has a leaf on its left, `depth` distinct features down the spine
 * (its leaves have d = 1..depth distinct path features).
 */
function caterpillar(depth: number, last: number): Tree {
  const t: Tree = {
    feature: [],
    threshold: [],
    defaultLeft: [],
    catLeft: [],
    left: [],
    right: [],
    value: [],
    cover: [],
  };
  let cover = 1 << 20;
  for (let d = 0; d <= depth; d++) {
    const spine = t.feature.length;
    const isLeaf = d === depth;
    t.feature.push(isLeaf ? -1 : d);
    t.threshold.push(isLeaf ? 0 : 5);
    t.defaultLeft.push(d % 2);
    t.catLeft.push([]);
    t.value.push(isLeaf ? last : 0);
    t.cover.push(cover);
    if (isLeaf) {
      t.left.push(-1);
      t.right.push(-1);
      break;
    }
    // Left: a leaf; right: the rest of the spine (next index + 1).
    t.left.push(spine + 1);
    t.right.push(spine + 2);
    t.feature.push(-1);
    t.threshold.push(0);
    t.defaultLeft.push(0);
    t.catLeft.push([]);
    t.left.push(-1);
    t.right.push(-1);
    t.value.push(d / 10 - 0.8);
    t.cover.push(cover / 4);
    cover -= cover / 4;
  }
  return t;
}

describe('TreeSHAP leaf tables', () => {
  it('tables and direct credits equal the linear walk to 1e-9 on random trees (numeric, categorical, missing, repeated features)', () => {
    const rand = mulberry32(11);
    for (const shape of [
      { nFeatures: 3, nCat: 1, codes: 5, maxDepth: 12, pSplit: 0.85, k: 1 },
      { nFeatures: 8, nCat: 2, codes: 40, maxDepth: 9, pSplit: 0.75, k: 1 },
      { nFeatures: 12, nCat: 3, codes: 12, maxDepth: 7, pSplit: 0.9, k: 3 },
      { nFeatures: 1, nCat: 0, codes: 0, maxDepth: 6, pSplit: 1, k: 2 },
    ]) {
      const trees = Array.from({ length: 40 }, () => randomTree(rand, shape));
      const e = compileTrees(trees, shape.k);
      expect(treeShapLayout(e)).toMatchObject({ patternTrees: trees.length, linearTrees: 0 });
      expect(treeShapLayout(e).tableLeaves).toBeGreaterThan(0);
      expect(treeShapLayout(e).repeatPairedLeaves).toBeGreaterThan(0);
      if (shape.nFeatures > 1)
        expect(treeShapLayout(e).pairedLeaves).toBeGreaterThan(treeShapLayout(e).repeatPairedLeaves);
      const x = randomRows(rand, 30, shape.nFeatures, shape.nCat, shape.codes);
      expect(compare(trees, shape.k, shape.nFeatures, x, 30)).toBeLessThan(1e-9);
    }
  });

  it('keeps a tree with more than 30 distinct features on a path on the linear walk, same values', () => {
    const depth = 31;
    const t = caterpillar(depth, 0.7);
    const rand = mulberry32(3);
    const small = randomTree(rand, { nFeatures: depth, nCat: 0, codes: 0, maxDepth: 5, pSplit: 1 });
    const e = compileTrees([t, small], 1);
    expect(treeShapLayout(e)).toMatchObject({ patternTrees: 1, linearTrees: 1 });
    const x = randomRows(rand, 20, depth, 0, 0);
    expect(compare([t, small], 1, depth, x, 20)).toBeLessThan(1e-9);
  });

  it('over the table budget, leaves with many distinct path features are credited per row, same values', () => {
    // Σ 2^d over the leaves of d ≤ 16 (TABLE_MAX_D) of a depth-17 caterpillar is 131,070 doubles; five
    // of them (655,350) are more than TABLE_BUDGET (2^19): the cut falls below 16, their shallow leaves
    // get tables, their deep ones direct credits.
    const rand = mulberry32(8);
    const small = randomTree(rand, { nFeatures: 17, nCat: 0, codes: 0, maxDepth: 4, pSplit: 1 });
    const trees = [0.3, 0.9, -0.4, 0.1, 0.6].map((v) => caterpillar(17, v));
    trees.splice(2, 0, small);
    const e = compileTrees(trees, 1);
    const layout = treeShapLayout(e);
    expect(layout.patternTrees).toBe(6);
    expect(layout.tableBytes).toBeLessThanOrEqual(TABLE_BUDGET * 8);
    expect(layout.tableMaxD).toBeGreaterThanOrEqual(4);
    expect(layout.tableMaxD).toBeLessThan(16);
    expect(layout.tableLeaves).toBeGreaterThan(0);
    expect(layout.directLeaves).toBeGreaterThan(0);
    const x = randomRows(rand, 8, 17, 0, 0);
    expect(compare(trees, 1, 17, x, 8)).toBeLessThan(1e-9);
  });

  it('credits a leaf below a zero-cover split directly (the table identity divides by z), same values as direct', () => {
    // A hand-made artifact can have a child no training row reached: z = 0 for its leaves. The linear
    // walk divides by φ there too, so the reference here is the direct per-row formula (no division).
    const rand = mulberry32(21);
    const shape = { nFeatures: 5, nCat: 1, codes: 6, maxDepth: 6, pSplit: 0.9 };
    const trees = Array.from({ length: 12 }, () => randomTree(rand, shape));
    const t = trees[3];
    const node = t.left.findIndex((l) => l >= 0 && t.left[l] < 0);
    expect(node).toBeGreaterThanOrEqual(0);
    t.cover[t.left[node]] = 0; // a leaf no training row reached: z = 0 on its path
    const e = compileTrees(trees, 1);
    expect(treeShapLayout(e).directLeaves).toBeGreaterThan(0);
    const x = randomRows(rand, 20, 5, 1, 6);
    const init = new Float64Array([0]);
    for (let r = 0; r < 20; r++) {
      const a = treeShap(e, init, 5, x, r * 5, 0, 'auto');
      const d = treeShap(e, init, 5, x, r * 5, 0, 'direct');
      for (let f = 0; f < 5; f++) {
        expect(Number.isFinite(a.values[f])).toBe(true);
        expect(Math.abs(a.values[f] - d.values[f])).toBeLessThan(1e-9);
      }
    }
  });

  it('credits sibling leaf pairs like single leaves, below a new and a repeated feature, x on and off the path', () => {
    // Root x0 ≤ 5; left: x0 ≤ 2 (a repeated feature: its leaves' pattern bit is off for x0 > 5, and
    // else set on one leaf or the other); right: x1 ≤ 5 (a new feature). Leaves only at depth 2: two pairs.
    const t: Tree = {
      feature: [0, 0, 1, -1, -1, -1, -1],
      threshold: [5, 2, 5, 0, 0, 0, 0],
      defaultLeft: [1, 0, 1, 0, 0, 0, 0],
      catLeft: [[], [], [], [], [], [], []],
      left: [1, 3, 5, -1, -1, -1, -1],
      right: [2, 4, 6, -1, -1, -1, -1],
      value: [0, 0, 0, 0.7, -0.2, 1.3, -0.9],
      cover: [100, 60, 40, 25, 35, 10, 30],
    };
    const e = compileTrees([t], 1);
    expect(treeShapLayout(e)).toMatchObject({ tableLeaves: 4, pairedLeaves: 4, repeatPairedLeaves: 2 });
    const rows: number[][] = [];
    for (const x0 of [1, 3, 7, Number.NaN]) for (const x1 of [1, 7, Number.NaN]) rows.push([x0, x1]);
    const x = Float32Array.from(rows.flat());
    expect(compare([t], 1, 2, x, rows.length)).toBeLessThan(1e-12);
    // And against the exact Shapley values of this two-feature tree (the cover-weighted value function).
    const leafMean = (keep: (n: number) => boolean, row: number[]): number => {
      const walk = (n: number): number => {
        if (t.left[n] < 0) return t.value[n];
        const f = t.feature[n];
        if (keep(f)) {
          const v = row[f];
          const left = Number.isNaN(v) ? t.defaultLeft[n] === 1 : v <= t.threshold[n];
          return walk(left ? t.left[n] : t.right[n]);
        }
        return (t.cover[t.left[n]] * walk(t.left[n]) + t.cover[t.right[n]] * walk(t.right[n])) / t.cover[n];
      };
      return walk(0);
    };
    for (const row of rows) {
      const v = (s: number[]) => leafMean((f) => s.includes(f), row);
      const phi0 = 0.5 * (v([0]) - v([]) + v([0, 1]) - v([1]));
      const phi1 = 0.5 * (v([1]) - v([]) + v([0, 1]) - v([0]));
      const got = treeShap(e, new Float64Array([0]), 2, Float32Array.from(row), 0).values;
      expect(Math.abs(got[0] - phi0)).toBeLessThan(1e-12);
      expect(Math.abs(got[1] - phi1)).toBeLessThan(1e-12);
    }
  });

  it('is additive on the table path: base + Σ contributions = the raw margin', () => {
    const rand = mulberry32(5);
    const shape = { nFeatures: 6, nCat: 2, codes: 9, maxDepth: 10, pSplit: 0.8 };
    const trees = Array.from({ length: 60 }, () => randomTree(rand, shape));
    const e = compileTrees(trees, 1);
    const x = randomRows(rand, 25, 6, 2, 9);
    for (let r = 0; r < 25; r++) {
      const { base, values } = treeShap(e, new Float64Array([0.3]), 6, x, r * 6);
      let margin = 0.3;
      for (let t = 0; t < e.nTrees; t++) {
        let n = e.root[t];
        while (e.left[n] >= 0) {
          const v = x[r * 6 + e.feature[n]];
          const cs = e.catStart[n];
          let left: boolean;
          if (cs < 0) left = v <= e.threshold[n] || (Number.isNaN(v) && e.defaultLeft[n] === 1);
          else if (v >= 0 && v < e.catWords[n] * 32 && v === Math.floor(v))
            left = ((e.catBits[cs + (v >> 5)] >>> (v & 31)) & 1) === 1;
          else left = e.defaultLeft[n] === 1;
          n = left ? e.left[n] : e.right[n];
        }
        margin += e.value[n];
      }
      expect(Math.abs(values.reduce((a, b) => a + b, base) - margin)).toBeLessThan(1e-9);
    }
  });
});
