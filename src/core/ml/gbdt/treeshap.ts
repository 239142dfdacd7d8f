/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature
 * attribution for tree ensembles"): the same values as their Algorithm 2, computed in O(T·N·Q)
 * per row (N nodes per tree, Q ≈ depth/2 quadrature points) instead of O(T·L·D²). Conditional
 * expectations E[f(x) | x_S] follow the training cover of each node (rows that reached it), so
 * Σ contributions + base = raw margin exactly (up to floating point), where base is the
 * cover-weighted mean leaf value of every tree plus the init score.
 *
 * Formulation (as in Linear TreeSHAP, Yu et al. 2022): a leaf's path holds one entry per distinct
 * feature, with zero fraction z (cover share of the path's splits on it) and one fraction o ∈ {0, 1}
 * (whether x follows all of them). Algorithm 2's permutation weights are the Beta integrals
 * j!(D−j)!/(D+1)! = ∫₀¹ t^j (1−t)^{D−j} dt, so the leaf's credit to entry i is
 *   (o_i − z_i) · v · ∫₀¹ Π_{k≠i} (z_k (1−t) + o_k t) dt,
 * a polynomial of degree < depth: Gauss–Legendre with ⌊depth/2⌋ + 1 points is exact. Credits are
 * linear in v·Π, so each node only keeps G(t_q) = Π over its path (top-down) and H(t_q) = Σ over
 * the leaves below of v·G_leaf (bottom-up), and credits each edge once: ∫ H_child / φ_edge. A
 * feature split again below merges its entry (z·z', o·o'); that edge also cancels the ancestor
 * entry's credit for the leaves below it (−(o_a − z_a)·∫ H_child/φ_a).
 *
 * Speed: no allocation while walking (one module-level workspace of typed arrays, reused across
 * trees, rows and calls); per-ensemble constants (each tree's expectation and depth, each node's
 * child cover ratios) cached in a WeakMap on the CompiledEnsemble, which lives as long as the model;
 * numeric, missing and categorical routing inlined on the ensemble's arrays (the rules of
 * predict.ts `goesLeft`). 300 trees × 31 leaves, 30 features: 4.3 → 1.25 ms CPU per row in Node.
 *
 * Pattern path (the default): Fast TreeSHAP v2 (Yang 2021, "Fast TreeSHAP: Accelerating SHAP Value
 * Computation for Trees", arXiv:2109.09847) observes that a leaf's credits depend on the row only
 * through WHICH of its d path features x follows (the o_i above: a pattern s of d bits). Per row, a
 * tree then routes each internal node once and propagates patterns top-down (one AND per node, see
 * Tables), and each leaf adds its d credits (o_i − z_i)·v·∫ Π_{k≠i} φ_k, which are
 * - looked up, for leaves with few distinct path features. Since z(1−t) + t + (1/z − 1)·z(1−t) = 1,
 *   ∫ Π_{k≠i} φ_k = F(s | bit i) + (1/z_i − 1)·F(s & ~bit i) with F(s) = v·∫ Π_k φ_k (all positive
 *   terms: no cancellation), so a leaf's table holds one scalar per pattern — 2^d doubles, not the
 *   d·2^d of a table of credits — and each credit is two lookups. Σ 2^d within TABLE_BUDGET (4 MiB),
 *   the cut `tableMaxD` chosen per model;
 * - looked up per pair, for two sibling leaves with tables (see Pairs, fillPairTables): their paths
 *   differ only in the parent's split, so the credits of every other entry share their factor
 *   (o_i − z_i) and one table of F_left + F_right serves both (plus a table of the parent entry's
 *   two credits): 2d − 1 lookups per pair instead of 4d. On the flights model 2,878 pairs cover 5,756
 *   of its 9,300 leaves;
 * - computed, for the other leaves: the formula for the one pattern, O(d·Q), prefix/suffix products.
 * No quadrature over the tree's nodes per row. A tree with a leaf of more than 30 distinct path
 * features (patterns are 32-bit masks) keeps the linear walk. All give the same values up to rounding
 * (tested to 1e-9 on random trees). Built on a model's first explanation (the server warms each model
 * before it takes traffic). Table credits are written to a buffer in leaf order and summed per feature
 * at the end (adding each into phi[feature] at once made every add wait on the previous store to the
 * same slot: with 9 features that chain cost more than the lookups).
 * On the serving bench's 300-tree, 31-leaf flights model (9 features; 42k leaf entries; tables for
 * every leaf, 2.0 MB), CPU per row in Node on the shared 2-core machine, old and new code alternating
 * in one process (bench/lib/profilePredict.ts profiles the whole request path): linear walk 1.7–1.8 ms; the previous pattern path (tables of d·2^d
 * credits for d ≤ 5, 5.1 MB; a DRAM miss per leaf, and per-row quadrature for the other 15 %)
 * 0.85–1.05 ms; one table per leaf 0.55–0.6 ms (routing ≈ 0.2, credits ≈ 0.3); with sibling pairs
 * merged (tables 2.7 MB: a pair below a repeated feature needs 2^(d+1) per table) 0.46–0.48 ms
 * (−16 to −18 % against the per-leaf tables, same run).
 */
import type { CompiledEnsemble } from './predict.ts';

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

/** Per-ensemble constants for TreeSHAP, computed on first use. */
interface Prepared {
  /** Per tree: expectation (cover-weighted mean leaf value) and depth (edges, root to deepest leaf). */
  expectation: Float64Array;
  depth: Int32Array;
  /** Per internal node: cover[left] / cover[node] and cover[right] / cover[node]. */
  zeroLeft: Float64Array;
  zeroRight: Float64Array;
  /** Largest split feature index. */
  maxFeature: number;
  /** Leaf tables (built with the rest, on first use). */
  tables: Tables;
}

const prepared = new WeakMap<CompiledEnsemble, Prepared>();

function prepare(e: CompiledEnsemble): Prepared {
  let p = prepared.get(e);
  if (p) return p;
  const nNodes = e.left.length;
  const zeroLeft = new Float64Array(nNodes);
  const zeroRight = new Float64Array(nNodes);
  for (let n = 0; n < nNodes; n++) {
    const l = e.left[n];
    if (l < 0) continue;
    const r = e.right[n];
    zeroLeft[n] = e.cover[l] / e.cover[n];
    zeroRight[n] = e.cover[r] / e.cover[n];
  }
  const expectation = new Float64Array(e.nTrees);
  const depth = new Int32Array(e.nTrees);
  const nodeDepth = new Int32Array(nNodes);
  for (let t = 0; t < e.nTrees; t++) {
    expectation[t] = treeExpectation(e, t);
    // Children come after their parent within a tree, but walk explicitly to not rely on it.
    const stack = [e.root[t]];
    nodeDepth[e.root[t]] = 0;
    let maxD = 0;
    while (stack.length) {
      const n = stack.pop() as number;
      const d = nodeDepth[n];
      if (e.left[n] < 0) {
        if (d > maxD) maxD = d;
      } else {
        nodeDepth[e.left[n]] = d + 1;
        nodeDepth[e.right[n]] = d + 1;
        stack.push(e.left[n], e.right[n]);
      }
    }
    depth[t] = maxD;
  }
  let maxFeature = -1;
  for (let n = 0; n < nNodes; n++) if (e.feature[n] > maxFeature) maxFeature = e.feature[n];
  p = { expectation, depth, zeroLeft, zeroRight, maxFeature, tables: EMPTY_TABLES };
  p.tables = buildTables(e, p);
  prepared.set(e, p);
  return p;
}

// ---- Leaf tables (Fast TreeSHAP v2 style; see the header) ----

/**
 * Doubles (Σ 2^d over table leaves) one ensemble's tables may take: 2^19 = 4 MiB. Leaves with more
 * distinct path features than fit get their credits computed per row instead (directLeaves).
 */
export const TABLE_BUDGET = 1 << 19;
/** Tables only for leaves with at most this many distinct path features (2^d patterns each). */
const TABLE_MAX_D = 16;
/** Patterns are 32-bit masks: a tree with a leaf of more distinct path features keeps the linear walk. */
const PATTERN_MAX_D = 30;
/** Local node indices are packed above 11 bits of an int32 (`leafInfo`): larger trees keep the linear walk. */
const PATTERN_MAX_INNER = 1 << 20;
/**
 * A leaf with a zero fraction below this is credited directly: the table identity divides by z (and
 * covers are row counts, so real trees stay far above it).
 */
const MIN_ZERO = 1e-100;

/**
 * The trees on the pattern path, flattened. A leaf's entries are its path's distinct features in first-seen order
 * from the root, so every leaf below a node shares the entry numbers of the node's own path: a row's
 * pattern s (bit i: x follows every split on entry i) is propagated top-down once per tree instead of
 * being rebuilt per leaf.
 *
 * Tree t's internal nodes, in preorder, are `innerStart[t]` .. `innerStart[t + 1] − 1` (local index j
 * = position − innerStart[t]; the root is j = 0); its leaves are `leafStart[t]` .. `leafStart[t + 1] − 1`,
 * sibling pairs first (left child, then right; until `pairEnd[t]`), then the other table leaves, then from
 * `leafSplit[t]` the directly credited ones (each group sorted by d). A tree on the
 * linear walk has none.
 *
 * Table leaf l holds F_l(s) = v·∫₀¹ Π_k (z_k(1−t) + s_k·t) dt for every pattern s of its d entries
 * (at `leafTab[l] + s`). Since z(1−t) + t + (1/z − 1)·z(1−t) = 1, the integral without entry i is
 * F(s with bit i set) + c_i·F(s with bit i clear), c_i = (1 − z_i)/z_i, so entry i's credit is
 *   (o_i − z_i)·(F(s | bit i) + c_i·F(s & ~bit i)):
 * two lookups in a table d times smaller than one of the d credits per pattern. The credits are summed
 * feature by feature over `pairs` (one per table leaf and entry, grouped by class and feature), so
 * each feature's sum stays in a register: scattering d credits per leaf into phi[feature] made every
 * add wait on the previous store to the same slot.
 */
interface Tables {
  patterned: Uint8Array;
  innerStart: Int32Array;
  leafStart: Int32Array;
  /** Tree t's leaves from `leafSplit[t]` on are credited directly (no table). */
  leafSplit: Int32Array;
  /** Tree t's leaves `leafStart[t]` .. `pairEnd[t]` − 1 are sibling pairs (left, right; see Pairs). */
  pairEnd: Int32Array;
  tableMaxD: number;
  /** Per internal node: routing copied from the ensemble (compact, in walk order). */
  innerFeature: Int32Array;
  innerThreshold: Float64Array;
  /**
   * Per internal node, packed (one load instead of five): parent's local index << 8 | categorical << 7 |
   * missing goes right (1 − defaultLeft) << 6 | right child of its parent << 5 | the parent's entry.
   */
  innerInfo: Int32Array;
  /** Tree t's categorical nodes: `catStart[t]` .. `catStart[t + 1] − 1`, local index and ensemble node. */
  catStart: Int32Array;
  catLocal: Int32Array;
  catNode: Int32Array;
  /** Per leaf, packed: parent's local index << 11 | d << 6 | right child << 5 | the parent's entry. */
  leafInfo: Int32Array;
  /** Per leaf: d, first entry in `feat`, table offset (−1: direct). */
  leafD: Int32Array;
  leafFeat: Int32Array;
  leafTab: Int32Array;
  /** Per leaf entry: the feature, its zero fraction z and c = (1 − z)/z; per leaf: its value v. */
  feat: Int32Array;
  leafZero: Float64Array;
  leafC: Float64Array;
  leafValue: Float64Array;
  /** F_l(s) per table leaf and pattern. */
  tab: Float64Array;
  /**
   * Table leaf entries grouped by class and feature (nFeat = max split feature + 1): group
   * g = c·nFeat + f is `pairPos[pairStart[g]]` .. `pairPos[pairStart[g + 1] − 1]`, positions in `feat`.
   */
  nFeat: number;
  pairStart: Int32Array;
  pairPos: Int32Array;
  /** Most internal nodes in one table tree (scratch size). */
  maxInner: number;
}

function emptyTables(nTrees: number): Tables {
  return {
    patterned: new Uint8Array(nTrees),
    innerStart: new Int32Array(nTrees + 1),
    leafStart: new Int32Array(nTrees + 1),
    leafSplit: new Int32Array(nTrees),
    pairEnd: new Int32Array(nTrees),
    tableMaxD: 0,
    innerFeature: new Int32Array(0),
    innerThreshold: new Float64Array(0),
    innerInfo: new Int32Array(0),
    catStart: new Int32Array(nTrees + 1),
    catLocal: new Int32Array(0),
    catNode: new Int32Array(0),
    leafInfo: new Int32Array(0),
    leafD: new Int32Array(0),
    leafFeat: new Int32Array(0),
    leafTab: new Int32Array(0),
    feat: new Int32Array(0),
    leafZero: new Float64Array(0),
    leafC: new Float64Array(0),
    leafValue: new Float64Array(0),
    tab: new Float64Array(0),
    nFeat: 0,
    pairStart: new Int32Array(1),
    pairPos: new Int32Array(0),
    maxInner: 0,
  };
}

const EMPTY_TABLES = emptyTables(0);

/** One leaf as found by the build walk. */
interface LeafInfo {
  value: number;
  parent: number;
  isRight: number;
  /** Distinct path features in first-seen order, and each one's zero fraction (product of cover ratios). */
  feats: number[];
  zero: number[];
  /** Whether it gets a table (set once the cut is known). */
  table: boolean;
  /**
   * Its sibling, when both children of its parent are tableable leaves (see Pairs), and whether the
   * parent's feature is new on the path (a pair's tables take 2·2^d doubles, else 2·2^(d+1)).
   */
  sibling: LeafInfo | null;
  freshParent: boolean;
}

interface InnerInfo {
  node: number;
  parent: number;
  isRight: number;
  entry: number;
  /** Whether its feature is new on the path (else its entry merges an ancestor's: see Pairs). */
  fresh: boolean;
}

/**
 * Preorder walk of tree t: its internal nodes and leaves (with entries), or null if a leaf has too many
 * distinct path features or the tree too many nodes for the pattern path.
 */
function walkTree(
  e: CompiledEnsemble,
  p: Prepared,
  t: number,
): { inner: InnerInfo[]; leaves: LeafInfo[] } | null {
  const inner: InnerInfo[] = [];
  const leaves: LeafInfo[] = [];
  // Explicit stack (trees can be deep). Each frame: node, parent local index, side, path entries.
  type Frame = { node: number; parent: number; isRight: number; feats: number[]; zero: number[] };
  const stack: Frame[] = [{ node: e.root[t], parent: -1, isRight: 0, feats: [], zero: [] }];
  while (stack.length) {
    const { node, parent, isRight, feats, zero } = stack.pop() as Frame;
    if (e.left[node] < 0) {
      if (feats.length > PATTERN_MAX_D) return null;
      leaves.push({
        value: e.value[node],
        parent,
        isRight,
        feats,
        zero,
        table: false,
        sibling: null,
        freshParent: false,
      });
      continue;
    }
    const f = e.feature[node];
    const entry = feats.indexOf(f);
    const local = inner.length;
    if (local >= PATTERN_MAX_INNER) return null;
    inner.push({ node, parent, isRight, entry: entry < 0 ? feats.length : entry, fresh: entry < 0 });
    for (const side of [1, 0]) {
      // Right pushed first so the left subtree comes next in preorder.
      const ratio = side ? p.zeroRight[node] : p.zeroLeft[node];
      const cf = feats.slice();
      const cz = zero.slice();
      if (entry < 0) {
        cf.push(f);
        cz.push(ratio);
      } else cz[entry] = ratio * cz[entry]; // the linear walk's merge order: z·z'
      stack.push({
        node: side ? e.right[node] : e.left[node],
        parent: local,
        isRight: side,
        feats: cf,
        zero: cz,
      });
    }
  }
  // Sibling leaves (both children of one parent), for the pair tables.
  const byParent = new Map<number, LeafInfo>();
  for (const l of leaves) {
    if (!tableable(l)) continue;
    const other = byParent.get(l.parent);
    if (!other) {
      byParent.set(l.parent, l);
      continue;
    }
    l.sibling = other;
    other.sibling = l;
    l.freshParent = other.freshParent = inner[l.parent].fresh;
  }
  return { inner, leaves };
}

/** Whether a leaf's zero fractions allow the table identity (which divides by each z). */
const tableable = (l: LeafInfo): boolean => l.zero.every((z) => z >= MIN_ZERO);

function buildTables(e: CompiledEnsemble, p: Prepared): Tables {
  const T = emptyTables(e.nTrees);
  const inner: InnerInfo[] = [];
  const leaves: LeafInfo[] = [];
  const leafTree: number[] = [];
  const catLocal: number[] = [];
  const catNode: number[] = [];
  const walks = Array.from({ length: e.nTrees }, (_, t) =>
    e.left[e.root[t]] >= 0 ? walkTree(e, p, t) : null,
  );
  // The table cut: the largest D with Σ over (tableable) leaves of d ≤ D of their table doubles within
  // the budget (2^d; a leaf of a pair below a repeated feature 2^(d+1), see Pairs).
  const perD = new Float64Array(PATTERN_MAX_D + 1);
  for (const w of walks)
    for (const l of w?.leaves ?? [])
      if (tableable(l))
        perD[l.feats.length] += 2 ** (l.feats.length + +(l.sibling !== null && !l.freshParent));
  let entries = 0;
  T.tableMaxD = 0;
  for (let d = 1; d <= TABLE_MAX_D && entries + perD[d] <= TABLE_BUDGET; d++) {
    entries += perD[d];
    T.tableMaxD = d;
  }
  for (let t = 0; t < e.nTrees; t++) {
    const w = walks[t];
    if (w) {
      T.patterned[t] = 1;
      T.maxInner = Math.max(T.maxInner, w.inner.length);
      inner.push(...w.inner);
      w.inner.forEach((n, j) => {
        if (e.catStart[n.node] >= 0) {
          catLocal.push(j);
          catNode.push(n.node);
        }
      });
      for (const l of w.leaves) l.table = l.feats.length <= T.tableMaxD && tableable(l);
      // Pairs first (left child, then right), then the other table leaves, then the direct ones; each
      // by d (runs of equal trip counts). Siblings have the same d: both get tables or neither.
      const pairs = w.leaves.filter((l) => l.table && l.sibling !== null && l.isRight === 0);
      pairs.sort((a, b) => a.feats.length - b.feats.length);
      const rest = w.leaves.filter((l) => !(l.table && l.sibling !== null));
      for (const l of rest) l.sibling = null;
      rest.sort((a, b) => +b.table - +a.table || a.feats.length - b.feats.length);
      T.pairEnd[t] = leaves.length + 2 * pairs.length;
      T.leafSplit[t] = T.pairEnd[t] + rest.filter((l) => l.table).length;
      for (const l of [...pairs.flatMap((l) => [l, l.sibling as LeafInfo]), ...rest]) {
        leaves.push(l);
        leafTree.push(t);
      }
    }
    T.innerStart[t + 1] = inner.length;
    T.leafStart[t + 1] = leaves.length;
    T.catStart[t + 1] = catLocal.length;
  }
  T.catLocal = Int32Array.from(catLocal);
  T.catNode = Int32Array.from(catNode);
  const nInner = inner.length;
  T.innerFeature = new Int32Array(nInner);
  T.innerThreshold = new Float64Array(nInner);
  T.innerInfo = new Int32Array(nInner);
  for (let t = 0; t < e.nTrees; t++) {
    const i0 = T.innerStart[t];
    for (let k = i0; k < T.innerStart[t + 1]; k++) {
      const n = inner[k];
      T.innerFeature[k] = e.feature[n.node];
      T.innerThreshold[k] = e.threshold[n.node];
      // The root (parent −1) is routed outside the packed loop; keep its parent bits at 0.
      T.innerInfo[k] =
        (Math.max(n.parent, 0) << 8) |
        ((e.catStart[n.node] < 0 ? 0 : 1) << 7) |
        ((1 - e.defaultLeft[n.node]) << 6) |
        (n.isRight << 5) |
        (n.parent < 0 ? 0 : inner[i0 + n.parent].entry);
    }
  }
  const nLeaves = leaves.length;
  T.leafInfo = new Int32Array(nLeaves);
  T.leafD = new Int32Array(nLeaves);
  T.leafFeat = new Int32Array(nLeaves);
  T.leafTab = new Int32Array(nLeaves);
  let nFeat = 0;
  for (const l of leaves) nFeat += l.feats.length;
  T.feat = new Int32Array(nFeat);
  T.leafZero = new Float64Array(nFeat);
  T.leafValue = new Float64Array(nLeaves);
  T.tab = new Float64Array(entries);
  T.nFeat = p.maxFeature + 1;
  // Pairs (table leaf, entry), counted per group (class, feature) then placed in leaf order.
  const groups = e.k * T.nFeat;
  const pairStart = new Int32Array(groups + 1);
  let f0 = 0;
  let off = 0;
  leaves.forEach((l, k) => {
    const d = l.feats.length;
    const t = leafTree[k];
    T.leafInfo[k] = (l.parent << 11) | (d << 6) | (l.isRight << 5) | inner[T.innerStart[t] + l.parent].entry;
    T.leafD[k] = d;
    T.leafFeat[k] = f0;
    T.feat.set(l.feats, f0);
    T.leafZero.set(l.zero, f0);
    T.leafValue[k] = l.value;
    f0 += d;
    if (l.table && l.sibling !== null) {
      // A pair: the left child (first) holds G, the right one K; credits only at the left's entries.
      if (l.isRight === 1) return;
      const size = fillPairTables(d, inner[T.innerStart[t] + l.parent], l, l.sibling, T.tab, off);
      T.leafTab[k] = off;
      T.leafTab[k + 1] = off + size;
      off += 2 * size;
      const cls = leafTree[k] % e.k;
      for (const f of l.feats) pairStart[cls * T.nFeat + f + 1]++;
    } else if (l.table) {
      T.leafTab[k] = off;
      fillLeafTable(d, l.zero, l.value, T.tab, off);
      off += 2 ** d;
      const cls = leafTree[k] % e.k;
      for (const f of l.feats) pairStart[cls * T.nFeat + f + 1]++;
    } else T.leafTab[k] = -1;
  });
  for (let g = 0; g < groups; g++) pairStart[g + 1] += pairStart[g];
  const nPairs = pairStart[groups];
  T.pairStart = pairStart;
  T.pairPos = new Int32Array(nPairs);
  T.leafC = T.leafZero.map((z) => (1 - z) / z);
  const fill = pairStart.slice(0, groups);
  leaves.forEach((l, k) => {
    if (!l.table || (l.sibling !== null && l.isRight === 1)) return;
    const cls = leafTree[k] % e.k;
    l.feats.forEach((f, i) => {
      T.pairPos[fill[cls * T.nFeat + f]++] = T.leafFeat[k] + i;
    });
  });
  return T;
}

/**
 * A leaf's table: tab[off + s] = v·∫₀¹ Π_k (z_k(1−t) + o_k·t) dt over its d entries, o_k = bit k of s.
 * The integrand has degree d, so ⌊d/2⌋ + 1 Gauss–Legendre points are exact.
 */
function fillLeafTable(d: number, zero: number[], v: number, tab: Float64Array, off: number): void {
  const g = gaussLegendre(quadraturePoints(d));
  const nq = g.t.length;
  const patterns = 2 ** d;
  for (let s = 0; s < patterns; s++) {
    let sum = 0;
    for (let q = 0; q < nq; q++) {
      const t = g.t[q];
      const u = g.u[q];
      let prod = g.w[q];
      for (let k = 0; k < d; k++) prod *= zero[k] * u + ((s >> k) & 1) * t;
      sum += prod;
    }
    tab[off + s] = v * sum;
  }
}

/**
 * Pairs: sibling leaves L (left child) and R (right) of one parent have the same d entries, the same
 * z and c on every entry but the parent's (entry e), and patterns that differ only in bit e: with a
 * = the parent's pattern bit e (1 when its feature is new on the path) and r = 1 when x goes right,
 * L's bit e is a·(1 − r) and R's a·r. So one index per row covers both, idx = (the parent's pattern
 * without bit e) | (a·r) << e | (1 − a) << d (bit d only when the feature repeats: a is always 1
 * otherwise), and for every entry i ≠ e the two leaves' credits share their factor (o_i − z_i):
 *   credit_i = (o_i − z_i)·(G(idx | bit i) + c_i·G(idx & ~bit i)), G(idx) = F_L(s_L) + F_R(s_R),
 * while entry e's two credits (on the same feature) are tabulated as K(idx). A pair costs 2d − 1
 * lookups and 2(d − 1) multiplies instead of 4d and 4d, in tables of the same size (2·2^d) when the feature is
 * new, twice that when it repeats. Fills G at `off` and K after it; returns the size of each.
 */
function fillPairTables(
  d: number,
  parent: InnerInfo,
  L: LeafInfo,
  R: LeafInfo,
  tab: Float64Array,
  off: number,
): number {
  const n = 2 ** d;
  const FL = new Float64Array(n);
  const FR = new Float64Array(n);
  fillLeafTable(d, L.zero, L.value, FL, 0);
  fillLeafTable(d, R.zero, R.value, FR, 0);
  const e = parent.entry;
  const be = 1 << e;
  const zL = L.zero[e];
  const zR = R.zero[e];
  const cL = (1 - zL) / zL;
  const cR = (1 - zR) / zR;
  const size = parent.fresh ? n : 2 * n;
  for (let idx = 0; idx < size; idx++) {
    const p = idx & (n - 1);
    let sL: number;
    let sR: number;
    if (idx >= n) {
      // a = 0: x left the path on this feature above, both leaves have bit e clear.
      if (p & be) continue; // unreachable index (a = 0 implies a·r = 0)
      sL = p;
      sR = p;
    } else {
      sR = p;
      sL = p ^ be;
    }
    const oL = (sL >> e) & 1;
    const oR = (sR >> e) & 1;
    tab[off + idx] = FL[sL] + FR[sR];
    tab[off + size + idx] =
      (oL - zL) * (FL[sL | be] + cL * FL[sL & ~be]) + (oR - zR) * (FR[sR | be] + cR * FR[sR & ~be]);
  }
  return size;
}

/**
 * Per-row scratch for the table path: routing (1 = right) and pattern per local internal node, and
 * the credit of each table leaf entry.
 */
let routeBuf = new Int32Array(0);
let patternBuf = new Int32Array(0);
let creditBuf = new Float64Array(0);

/**
 * Tree t (not on the linear walk) for the current row: route its internal nodes and propagate patterns
 * (routeTree); write each table leaf entry's credit (o_i − z_i)·(F(s | bit i) + c_i·F(s & ~bit i)) to
 * creditBuf at its position in `feat` (summed per feature by sumCredits); credit the other leaves
 * directly into PHI (`allDirect`: every leaf directly, for tests). Written without data-dependent
 * branches where it matters (numeric routing, pattern updates): a mispredicted branch per node cost
 * more than the arithmetic.
 */
function patternTree(T: Tables, t: number, allDirect: boolean): void {
  routeTree(T, t);
  const split = allDirect ? T.leafStart[t] : T.leafSplit[t];
  const R = routeBuf;
  const S = patternBuf;
  const { leafInfo, leafFeat, leafTab, tab, leafZero, leafC } = T;
  const cr = creditBuf;
  const pairEnd = allDirect ? T.leafStart[t] : T.pairEnd[t];
  for (let l = T.leafStart[t]; l < pairEnd; l += 2) {
    // A sibling pair (see Pairs): one index, shared credits at the left leaf's entries.
    const info = leafInfo[l];
    const par = info >> 11;
    const d = (info >> 6) & 31;
    const e = info & 31;
    const sp = S[par];
    const a = (sp >> e) & 1;
    const idx = (sp & ((1 << d) - 1) & ~(1 << e)) | ((a & R[par]) << e) | ((1 - a) << d);
    const base = leafTab[l];
    const fs = leafFeat[l];
    for (let i = 0; i < e; i++) {
      const b = 1 << i;
      cr[fs + i] =
        (((idx >> i) & 1) - leafZero[fs + i]) *
        (tab[base + (idx | b)] + leafC[fs + i] * tab[base + (idx & ~b)]);
    }
    for (let i = e + 1; i < d; i++) {
      const b = 1 << i;
      cr[fs + i] =
        (((idx >> i) & 1) - leafZero[fs + i]) *
        (tab[base + (idx | b)] + leafC[fs + i] * tab[base + (idx & ~b)]);
    }
    cr[fs + e] = tab[leafTab[l + 1] + idx];
  }
  for (let l = pairEnd; l < split; l++) {
    const info = leafInfo[l];
    const par = info >> 11;
    const d = (info >> 6) & 31;
    const s = S[par] & ~((R[par] ^ ((info >> 5) & 1)) << (info & 31)) & ((1 << d) - 1);
    const base = leafTab[l];
    const fs = leafFeat[l];
    for (let i = 0; i < d; i++) {
      const b = 1 << i;
      cr[fs + i] =
        (((s >> i) & 1) - leafZero[fs + i]) * (tab[base + (s | b)] + leafC[fs + i] * tab[base + (s & ~b)]);
    }
  }
  const { leafD, feat, leafValue } = T;
  const phi = PHI;
  const pre = dPre;
  const acc = dAcc;
  const zs = dZero;
  const os = dOne;
  for (let l = split, end = T.leafStart[t + 1]; l < end; l++) {
    const info = leafInfo[l];
    const par = info >> 11;
    const d = leafD[l];
    const s = S[par] & ~((R[par] ^ ((info >> 5) & 1)) << (info & 31));
    const fs = leafFeat[l];
    for (let i = 0; i < d; i++) {
      zs[i] = leafZero[fs + i];
      os[i] = (s >> i) & 1;
      acc[i] = 0;
    }
    // (o_i − z_i)·v·∫ Π_{k≠i} φ_k for this one pattern: Π_{k≠i} as prefix × suffix (no division).
    let g = dGauss[d];
    if (!g) {
      g = gaussLegendre(quadraturePoints(d));
      dGauss[d] = g;
    }
    for (let q = 0; q < g.t.length; q++) {
      const tq = g.t[q];
      const uq = g.u[q];
      pre[0] = 1;
      for (let k = 0; k < d; k++) pre[k + 1] = pre[k] * (zs[k] * uq + os[k] * tq);
      let suf = g.w[q];
      for (let i = d - 1; i >= 0; i--) {
        acc[i] += pre[i] * suf;
        suf *= zs[i] * uq + os[i] * tq;
      }
    }
    const v = leafValue[l];
    for (let i = 0; i < d; i++) phi[feat[fs + i]] += (os[i] - zs[i]) * v * acc[i];
  }
}

/**
 * Add the table credits of class `cls`'s trees (creditBuf, from patternTree) to PHI, feature by
 * feature: each sum stays in a register (adding each credit into phi[feature] as it was computed made
 * every add wait on the previous store to the same slot).
 */
function sumCredits(T: Tables, cls: number): void {
  const { pairStart, pairPos, nFeat } = T;
  const cr = creditBuf;
  const phi = PHI;
  for (let f = 0; f < nFeat; f++) {
    const g = cls * nFeat + f;
    let sum = 0;
    for (let p = pairStart[g], end = pairStart[g + 1]; p < end; p++) sum += cr[pairPos[p]];
    phi[f] += sum;
  }
}

/** Scratch for directly credited leaves (up to PATTERN_MAX_D entries). */
const dPre = new Float64Array(PATTERN_MAX_D + 1);
const dAcc = new Float64Array(PATTERN_MAX_D);
const dZero = new Float64Array(PATTERN_MAX_D);
const dOne = new Float64Array(PATTERN_MAX_D);
/** Per d: the Gauss–Legendre rule for a leaf with d entries. */
const dGauss: { t: Float64Array; u: Float64Array; w: Float64Array }[] = [];

/**
 * Route tree t's internal nodes for the current row (routeBuf: 1 = right) and propagate patterns
 * top-down (patternBuf: the parent's, with the parent's entry cleared where x leaves the path).
 * Categorical nodes are routed in their own loop first (the rules of predict.ts `goesLeft`): mixed in,
 * the numeric/categorical branch mispredicts.
 */
function routeTree(T: Tables, t: number): void {
  const R = routeBuf;
  const S = patternBuf;
  const x = X;
  const xb = XB;
  const i0 = T.innerStart[t];
  const n = T.innerStart[t + 1] - i0;
  const { catNode, catLocal } = T;
  const { feature, catStart, catWords, catBits, defaultLeft } = E;
  for (let c = T.catStart[t], end = T.catStart[t + 1]; c < end; c++) {
    const node = catNode[c];
    const v = x[xb + feature[node]];
    let r = 1 - defaultLeft[node];
    if (v >= 0 && v < catWords[node] * 32 && v === Math.floor(v)) {
      r = 1 - ((catBits[catStart[node] + (v >> 5)] >>> (v & 31)) & 1);
    }
    R[catLocal[c]] = r;
  }
  const { innerFeature, innerThreshold, innerInfo } = T;
  S[0] = -1;
  for (let j = 0; j < n; j++) {
    const k = i0 + j;
    const info = innerInfo[k];
    if (j > 0) {
      const par = info >> 8;
      S[j] = S[par] & ~((R[par] ^ ((info >> 5) & 1)) << (info & 31));
    }
    const v = x[xb + innerFeature[k]];
    let r = +(v > innerThreshold[k]);
    if (Number.isNaN(v)) r = (info >> 6) & 1; // missing
    const cat = -((info >> 7) & 1);
    R[j] = (r & ~cat) | (R[j] & cat);
  }
}

// ---- Gauss–Legendre quadrature on [0, 1] ----

const gaussCache = new Map<number, { t: Float64Array; u: Float64Array; w: Float64Array }>();

/** n-point Gauss–Legendre nodes and weights on [0, 1] (exact for polynomials of degree ≤ 2n − 1), and 1 − t. */
function gaussLegendre(n: number): { t: Float64Array; u: Float64Array; w: Float64Array } {
  const hit = gaussCache.get(n);
  if (hit) return hit;
  const t = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Newton on P_n from the Chebyshev-like initial guess (Numerical Recipes gauleg).
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = 0;
      for (let j = 0; j < n; j++) {
        const p2 = p1;
        p1 = p0;
        p0 = ((2 * j + 1) * z * p1 - j * p2) / (j + 1);
      }
      dp = (n * (z * p0 - p1)) / (z * z - 1);
      const dz = p0 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    t[i] = (1 - z) / 2;
    w[i] = 1 / ((1 - z * z) * dp * dp);
  }
  const g = { t, u: t.map((ti) => 1 - ti), w };
  gaussCache.set(n, g);
  return g;
}

// ---- Shared workspace (single-threaded: every call runs to completion before the next). ----

/** Levels × quadrature points the workspace holds. */
let capLevels = 0;
let capN = 0;
/** Per level (stride capN): the path product G(t_q) and the subtree sum H(t_q) = Σ v·G_leaf. */
let gBuf = new Float64Array(0);
let hBuf = new Float64Array(0);
/** Per feature: whether it is on the current path, and its entry's zero and one fractions. */
let onPath = new Uint8Array(0);
let curZero = new Float64Array(0);
let curOne = new Float64Array(0);

// Per-call inputs, set by treeShap before walking (saves passing them through every frame).
const EMPTY_X: Float32Array = new Float32Array(0);
const EMPTY_PHI = new Float64Array(0);
let E: CompiledEnsemble;
let P: Prepared;
let X = EMPTY_X;
let XB = 0;
let PHI = EMPTY_PHI;
/** Quadrature of the tree being walked. */
let QN = 0;
let QT: Float64Array = new Float64Array(0);
let QW: Float64Array = new Float64Array(0);
/** 1 − t_q. */
let QU: Float64Array = new Float64Array(0);

function ensureCapacity(levels: number, n: number, nFeatures: number): void {
  if (levels > capLevels || n > capN) {
    capLevels = Math.max(levels, capLevels);
    capN = Math.max(n, capN);
    gBuf = new Float64Array(capLevels * capN);
    hBuf = new Float64Array(capLevels * capN);
  }
  if (nFeatures > onPath.length) {
    onPath = new Uint8Array(nFeatures);
    curZero = new Float64Array(nFeatures);
    curOne = new Float64Array(nFeatures);
  }
}

/**
 * Walk internal node `node` at `level` (its path product in gBuf[level]); leaves its subtree sum
 * H in hBuf[level]. For each child edge with feature f, entry factor φ(t) = z(1−t) + o·t:
 * φ[f] += (o − z)·∫ H_child/φ; when f was already on the path (entry φ_a, merged into φ), the
 * ancestor edge's credit also covered this child's leaves with φ_a, which no longer applies to
 * them: φ[f] −= (o_a − z_a)·∫ H_child/φ_a cancels it.
 */
function visit(node: number, level: number): void {
  const e = E;
  const f = e.feature[node];
  // Routing, as predict.ts goesLeft: numeric x <= threshold; categorical bitset; else defaultLeft.
  const v = X[XB + f];
  const cs = e.catStart[node];
  let goLeft: boolean;
  if (cs < 0) goLeft = v <= e.threshold[node] || (Number.isNaN(v) && e.defaultLeft[node] === 1);
  else if (v >= 0 && v < e.catWords[node] * 32 && v === Math.floor(v)) {
    goLeft = ((e.catBits[cs + (v >> 5)] >>> (v & 31)) & 1) === 1;
  } else goLeft = e.defaultLeft[node] === 1;

  const n = QN;
  const qt = QT;
  const qu = QU;
  const qw = QW;
  const G = gBuf;
  const H = hBuf;
  const g0 = level * capN;
  const g1 = g0 + capN;
  const had = onPath[f];
  const za = had ? curZero[f] : 1;
  const oa = had ? curOne[f] : 1;
  for (let q = 0; q < n; q++) H[g0 + q] = 0;
  // Σ_q w_q G(t_q): a leaf child's credit when f is new on the path (∫ v·G·φ/φ = v·∫ G).
  let sumG = Number.NaN;
  for (let c = 0; c < 2; c++) {
    const isLeft = c === 0;
    const child = isLeft ? e.left[node] : e.right[node];
    const zc = (isLeft ? P.zeroLeft[node] : P.zeroRight[node]) * za;
    const oc = isLeft === goLeft ? oa : 0;
    if (!had && e.left[child] < 0) {
      const val = e.value[child];
      if (Number.isNaN(sumG)) {
        sumG = 0;
        for (let q = 0; q < n; q++) sumG += qw[q] * G[g0 + q];
      }
      PHI[f] += (oc - zc) * val * sumG;
      for (let q = 0; q < n; q++) H[g0 + q] += val * G[g0 + q] * (zc * qu[q] + oc * qt[q]);
      continue;
    }
    if (had) {
      for (let q = 0; q < n; q++) {
        G[g1 + q] = (G[g0 + q] * (zc * qu[q] + oc * qt[q])) / (za * qu[q] + oa * qt[q]);
      }
    } else {
      for (let q = 0; q < n; q++) G[g1 + q] = G[g0 + q] * (zc * qu[q] + oc * qt[q]);
    }
    if (e.left[child] < 0) {
      const val = e.value[child];
      for (let q = 0; q < n; q++) H[g1 + q] = val * G[g1 + q];
    } else {
      onPath[f] = 1;
      curZero[f] = zc;
      curOne[f] = oc;
      visit(child, level + 1);
    }
    let s = 0;
    for (let q = 0; q < n; q++) s += (qw[q] * H[g1 + q]) / (zc * qu[q] + oc * qt[q]);
    let credit = (oc - zc) * s;
    if (had) {
      let sa = 0;
      for (let q = 0; q < n; q++) sa += (qw[q] * H[g1 + q]) / (za * qu[q] + oa * qt[q]);
      credit -= (oa - za) * sa;
    }
    PHI[f] += credit;
    for (let q = 0; q < n; q++) H[g0 + q] += H[g1 + q];
  }
  onPath[f] = had;
  curZero[f] = za;
  curOne[f] = oa;
}

/** How an ensemble is explained (tests, bench). */
export function treeShapLayout(e: CompiledEnsemble): {
  /** Trees on the pattern path, and on the linear walk (a leaf with > 30 distinct path features). */
  patternTrees: number;
  linearTrees: number;
  /** Leaves credited by table lookup (d ≤ tableMaxD) and directly per row. */
  tableLeaves: number;
  directLeaves: number;
  /** Table leaves credited as sibling pairs (two per pair), of which below a feature repeated on the path. */
  pairedLeaves: number;
  repeatPairedLeaves: number;
  tableMaxD: number;
  tableBytes: number;
} {
  const T = prepare(e).tables;
  let patternTrees = 0;
  let tableLeaves = 0;
  let pairedLeaves = 0;
  let repeatPairedLeaves = 0;
  for (let t = 0; t < e.nTrees; t++) {
    patternTrees += T.patterned[t];
    if (!T.patterned[t]) continue;
    tableLeaves += T.leafSplit[t] - T.leafStart[t];
    pairedLeaves += T.pairEnd[t] - T.leafStart[t];
    // A repeated feature's pair tables are 2^(d+1) each: K starts that far after G.
    for (let l = T.leafStart[t]; l < T.pairEnd[t]; l += 2)
      if (T.leafTab[l + 1] - T.leafTab[l] > 2 ** T.leafD[l]) repeatPairedLeaves += 2;
  }
  return {
    patternTrees,
    linearTrees: e.nTrees - patternTrees,
    tableLeaves,
    directLeaves: T.leafD.length - tableLeaves,
    pairedLeaves,
    repeatPairedLeaves,
    tableMaxD: T.tableMaxD,
    tableBytes: T.tab.byteLength,
  };
}

/** 'auto': leaf tables where built, else the linear walk; 'linear': the linear walk only (tests, bench). */
export type TreeShapMethod = 'auto' | 'linear' | 'direct';

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
  method: TreeShapMethod = 'auto',
): { base: number; values: Float64Array } {
  const prep = prepare(e);
  const T = prep.tables;
  const tables = method !== 'linear';
  const direct = method === 'direct';
  if (tables && T.maxInner > routeBuf.length) {
    routeBuf = new Int32Array(T.maxInner);
    patternBuf = new Int32Array(T.maxInner);
  }
  if (tables && T.feat.length > creditBuf.length) creditBuf = new Float64Array(T.feat.length);
  const phi = new Float64Array(nFeatures);
  let base = init[cls];
  let maxDepth = 0;
  for (let t = cls; t < e.nTrees; t += e.k) {
    base += prep.expectation[t];
    if (prep.depth[t] > maxDepth) maxDepth = prep.depth[t];
  }
  ensureCapacity(maxDepth + 1, quadraturePoints(maxDepth), Math.max(nFeatures, prep.maxFeature + 1));
  E = e;
  P = prep;
  X = x;
  XB = xBase;
  PHI = phi;
  try {
    for (let t = cls; t < e.nTrees; t += e.k) {
      const root = e.root[t];
      // A tree that is a single leaf credits nothing (its value is all in the base).
      if (e.left[root] < 0) continue;
      if (tables && T.patterned[t] === 1) {
        patternTree(T, t, direct);
        continue;
      }
      const g = gaussLegendre(quadraturePoints(prep.depth[t]));
      QN = g.t.length;
      QT = g.t;
      QW = g.w;
      QU = g.u;
      for (let q = 0; q < QN; q++) gBuf[q] = 1;
      visit(root, 0);
    }
    if (tables && !direct) sumCredits(T, cls);
  } finally {
    // Drop references to the caller's arrays; after an exception the path flags may be left set.
    X = EMPTY_X;
    PHI = EMPTY_PHI;
    onPath.fill(0);
  }
  return { base, values: phi };
}

/**
 * Quadrature points for a tree of depth D: every integrand is a polynomial of degree ≤ D − 1 in t
 * (one factor per path feature but the credited one), so ⌊D/2⌋ + 1 points (exact to degree D + 1)
 * integrate it exactly.
 */
function quadraturePoints(depth: number): number {
  return (depth >> 1) + 1;
}
