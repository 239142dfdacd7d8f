/**
 * Merges the candidates of the category index and the kNN vote into one list per item, describes each
 * candidate by a small feature vector and picks ONE leaf: with labels, a conditional-logit (softmax
 * logistic regression) scorer learned on labelled items; without labels, the lexical score with a
 * path-depth prior. Confidence is the softmax over the candidates' scores.
 */
import { type Candidate, type CategoryIndex, lexicalScore } from './categoryIndex.ts';
import type { Vote } from './knnIndex.ts';

export const FEATURE_NAMES = [
  'bm25Norm',
  'bm25RankInv',
  'charSim',
  'charRankInv',
  'nameOverlap',
  'pathOverlap',
  'knnShare',
  'knnMaxSim',
  'knnCount',
  'depth',
  'freqPrior',
  'inLexical',
  'knnTop1',
  'lexical',
] as const;
export const N_FEATURES = FEATURE_NAMES.length;

export interface RerankCandidate {
  index: number;
  id: string;
  name: string;
  path: string[];
  x: Float32Array;
}

export interface Alternative {
  categoryId: string;
  name: string;
  path: string[];
  score: number;
  probability: number;
}

export interface Decision {
  categoryId: string;
  confidence: number;
  alternatives: Alternative[];
}

/** Category-frequency prior from label counts (log-scaled to 0..1). */
export interface FrequencyPrior {
  counts: Map<string, number>;
  max: number;
}

export function buildCandidates(
  index: CategoryIndex,
  tokens: readonly string[],
  lexical: Candidate[],
  votes: readonly Vote[],
  prior: FrequencyPrior | null,
  /** Label of the item itself, removed from the frequency prior (leave-one-out). */
  ownLabel: string | undefined,
  k: number,
): RerankCandidate[] {
  const byIndex = new Map<number, { c: Candidate | null; v: Vote | null; lex: boolean }>();
  for (const c of lexical) byIndex.set(c.index, { c, v: null, lex: true });
  for (const v of votes) {
    const i = index.indexOfId(v.label);
    if (i < 0) continue;
    const e = byIndex.get(i);
    if (e) e.v = v;
    else byIndex.set(i, { c: null, v, lex: false });
  }
  const top1 = votes.length ? votes[0].label : null;
  const logMax = prior ? Math.log1p(prior.max) : 1;
  const out: RerankCandidate[] = [];
  for (const [i, e] of byIndex) {
    const leaf = index.leaves[i];
    const f = e.c ? e.c.features : index.featuresFor(i, tokens, lexical);
    let cnt = prior ? (prior.counts.get(leaf.id) ?? 0) : 0;
    if (ownLabel !== undefined && ownLabel === leaf.id) cnt = Math.max(0, cnt - 1);
    const x = new Float32Array(N_FEATURES);
    x[0] = f.bm25Norm;
    x[1] = 1 / (1 + f.bm25Rank);
    x[2] = f.charSim;
    x[3] = 1 / (1 + f.charRank);
    x[4] = f.nameOverlap;
    x[5] = f.pathOverlap;
    x[6] = e.v ? e.v.share : 0;
    x[7] = e.v ? e.v.maxSim : 0;
    x[8] = e.v ? e.v.count / Math.max(1, k) : 0;
    x[9] = f.depth / Math.max(1, index.maxDepth);
    x[10] = prior ? Math.log1p(cnt) / logMax : 0;
    x[11] = e.lex ? 1 : 0;
    x[12] = top1 === leaf.id ? 1 : 0;
    x[13] = lexicalScore(f, index.maxDepth);
    out.push({ index: i, id: leaf.id, name: leaf.name, path: leaf.path, x });
  }
  return out;
}

/** Linear scorer over candidate features. */
export class Scorer {
  constructor(readonly weights: Float32Array) {}
  score(x: Float32Array): number {
    let s = 0;
    for (let j = 0; j < x.length; j++) s += this.weights[j] * x[j];
    return s;
  }
  /** Label-free default: the lexical score, scaled so the softmax is not flat. */
  static lexical(): Scorer {
    const w = new Float32Array(N_FEATURES);
    w[13] = 12;
    return new Scorer(w);
  }
}

export interface TrainGroup {
  candidates: RerankCandidate[];
  /** Position of the true leaf among the candidates, or -1 when it is missing (group skipped). */
  target: number;
}

/** Conditional logit: softmax over each group's candidates, Adam, L2. */
export function trainScorer(
  groups: readonly TrainGroup[],
  opts: { iterations?: number; l2?: number } = {},
): Scorer {
  const iters = opts.iterations ?? 150;
  const l2 = opts.l2 ?? 1e-3;
  const usable = groups.filter((g) => g.target >= 0 && g.candidates.length > 1);
  const w = Scorer.lexical().weights.slice();
  if (!usable.length) return new Scorer(w);
  const m = new Float64Array(N_FEATURES);
  const v = new Float64Array(N_FEATURES);
  const g = new Float64Array(N_FEATURES);
  const lr = 0.1;
  const s: number[] = [];
  for (let it = 1; it <= iters; it++) {
    g.fill(0);
    for (const grp of usable) {
      const cs = grp.candidates;
      s.length = cs.length;
      let mx = -Infinity;
      for (let c = 0; c < cs.length; c++) {
        let z = 0;
        const x = cs[c].x;
        for (let j = 0; j < N_FEATURES; j++) z += w[j] * x[j];
        s[c] = z;
        if (z > mx) mx = z;
      }
      let sum = 0;
      for (let c = 0; c < cs.length; c++) {
        s[c] = Math.exp(s[c] - mx);
        sum += s[c];
      }
      for (let c = 0; c < cs.length; c++) {
        const d = s[c] / sum - (c === grp.target ? 1 : 0);
        const x = cs[c].x;
        for (let j = 0; j < N_FEATURES; j++) g[j] += d * x[j];
      }
    }
    for (let j = 0; j < N_FEATURES; j++) {
      const gj = g[j] / usable.length + l2 * w[j];
      m[j] = 0.9 * m[j] + 0.1 * gj;
      v[j] = 0.999 * v[j] + 0.001 * gj * gj;
      const mh = m[j] / (1 - 0.9 ** it);
      const vh = v[j] / (1 - 0.999 ** it);
      w[j] -= (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
  return new Scorer(w);
}

/** Scores the candidates and returns the single best leaf, its softmax confidence and the top 5. */
export function decide(
  cands: readonly RerankCandidate[],
  scorer: Scorer,
  nAlternatives = 5,
): Decision | null {
  if (!cands.length) return null;
  const scored = cands.map((c) => ({ c, s: scorer.score(c.x) }));
  // Ties: prefer the shallower path index order for determinism (stable on index).
  scored.sort((a, b) => b.s - a.s || a.c.index - b.c.index);
  const mx = scored[0].s;
  let sum = 0;
  const e = scored.map((x) => {
    const v = Math.exp(x.s - mx);
    sum += v;
    return v;
  });
  const alternatives: Alternative[] = scored.slice(0, nAlternatives).map((x, i) => ({
    categoryId: x.c.id,
    name: x.c.name,
    path: x.c.path,
    score: x.s,
    probability: e[i] / sum,
  }));
  return { categoryId: scored[0].c.id, confidence: e[0] / sum, alternatives };
}
