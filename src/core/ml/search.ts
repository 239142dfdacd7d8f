/**
 * Hyperparameter search helpers (used by ./train.ts when `TrainSpec.search` is set): checking a search
 * space, drawing seeded samples from it, and the successive-halving schedule. Pure TypeScript, no DOM.
 *
 * Two strategies, both scored on validation rows only (or on the folds' validation rows under k-fold
 * training), never on test:
 * - `random`: `trials` configurations sampled from the space, each trained with the full budget;
 * - `halving`: successive halving (Jamieson & Talwalkar, "Non-stochastic Best Arm Identification and
 *   Hyperparameter Optimization", AISTATS 2016; the inner loop of Hyperband, Li et al., JMLR 2018):
 *   `trials` configurations are trained with a small budget of the family's `budgetParam` (boosting
 *   rounds, epochs), the best 1/eta go on to the next rung with eta times the budget, until one is
 *   left, trained with the full budget. See `halvingSchedule`.
 *
 * Each family declares its default space next to its defaults (`ModelFamily.searchSpace`); a spec may
 * give its own. Sampling uses the seeded PRNG of ./random.ts, so the same seed gives the same trials.
 */
import { createRng, type Rng } from './random.ts';
import type { ParamRange, SearchSpace } from './types.ts';

export type SearchKind = 'random' | 'halving';

/** Hyperparameter search settings of a training run. */
export interface SearchSpec {
  kind: SearchKind;
  /** Number of configurations sampled, ≥ 1 (random: models fitted; halving: the first rung). Default 8. */
  trials?: number;
  /** Halving only: keep the best 1/eta of each rung and multiply the budget by eta. ≥ 2; default 3. */
  eta?: number;
  /** Parameter ranges; default: the family's `searchSpace`. */
  space?: SearchSpace;
  /** Seed of the sampling; default: the run's seed. */
  seed?: number;
}

/** One trial of a search, as recorded in the artifact's provenance. */
export interface SearchTrial {
  /** 1-based. */
  trial: number;
  /** The sampled values (only the searched parameters). */
  params: Record<string, unknown>;
  /**
   * The primary metric on the validation rows (null when undefined: such a trial is not chosen). Under
   * halving: at the highest rung the configuration reached.
   */
  valid: number | null;
  /** Halving: the highest rung (1-based) the configuration reached, and its budget there. */
  rung?: number;
  budget?: number;
}

/** One rung of successive halving, as run. */
export interface HalvingRungRecord {
  /** 1-based. */
  rung: number;
  /** Value of the budget parameter every configuration of this rung was trained with. */
  budget: number;
  /** Trial numbers (1-based) trained at this rung, in the order they were trained. */
  trials: number[];
  /** Their validation scores (same order; null = undefined). */
  scores: (number | null)[];
  /** Trial numbers promoted to the next rung (the best ⌊n/eta⌋, at least 1); empty at the last rung. */
  promoted: number[];
  /** The best score of the rung (null when none is defined). */
  best: number | null;
}

/** What a search did: recorded in `ModelArtifact.provenance.search`. */
export interface SearchRecord {
  kind: SearchKind;
  /** Primary metric used to choose (on validation rows only). */
  metric: string;
  higherIsBetter: boolean;
  seed: number;
  space: SearchSpace;
  trials: SearchTrial[];
  /** 1-based index of the chosen trial (its model is the artifact's model). */
  best: number;
  /** Halving: eta, the budget parameter and the rungs as run. */
  halving?: { eta: number; budgetParam: string; rungs: HalvingRungRecord[] };
  /** k-fold training: scores are means over the folds' validation rows (the same folds the run reports). */
  scoredOn?: 'validation' | 'cv-folds';
}

export const DEFAULT_TRIALS = 8;
export const DEFAULT_ETA = 3;

/** One planned rung of successive halving. */
export interface HalvingRung {
  /** 1-based. */
  rung: number;
  /** Configurations trained at this rung. */
  configs: number;
  /** Budget (value of the family's budget parameter) per configuration. */
  budget: number;
}

/**
 * The successive-halving schedule for `n` configurations: rung sizes n, ⌊n/eta⌋, ⌊n/eta²⌋, … (each at
 * least 1) until a rung of one configuration; the budget multiplies by eta from rung to rung and the
 * last rung gets `maxBudget` (budget_i = round(maxBudget · eta^(i−R)), at least `minBudget`). So the
 * winner is trained exactly as a plain run would be, and the first rung costs about 1/eta^R of it.
 */
export function halvingSchedule(n: number, eta: number, maxBudget: number, minBudget = 1): HalvingRung[] {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`Successive halving needs at least 1 configuration (got ${n}).`);
  if (!Number.isFinite(eta) || eta < 2) throw new Error(`Successive halving needs eta ≥ 2 (got ${eta}).`);
  if (!Number.isFinite(maxBudget) || maxBudget < 1)
    throw new Error(`Successive halving needs a budget of at least 1 (got ${maxBudget}).`);
  const sizes = [n];
  while (sizes[sizes.length - 1] > 1) sizes.push(Math.max(1, Math.floor(sizes[sizes.length - 1] / eta)));
  const R = sizes.length - 1;
  return sizes.map((configs, i) => ({
    rung: i + 1,
    configs,
    budget: Math.max(Math.min(minBudget, maxBudget), Math.round(maxBudget * eta ** (i - R))),
  }));
}

/**
 * Order of candidates by score, best first: undefined (NaN / null) scores last, ties by position (so
 * the result is deterministic). Returns indices into `scores`.
 */
export function rankScores(scores: readonly (number | null)[], higherIsBetter: boolean): number[] {
  const key = (i: number) => {
    const s = scores[i];
    return s === null || !Number.isFinite(s) ? Number.NEGATIVE_INFINITY : higherIsBetter ? s : -s;
  };
  return scores.map((_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
}

/** Throws a readable error when a range is malformed. */
export function checkSpace(space: SearchSpace): void {
  const entries = Object.entries(space);
  if (entries.length === 0) throw new Error('The hyperparameter search space is empty.');
  for (const [name, r] of entries) {
    if (r.type === 'choice') {
      if (!Array.isArray(r.values) || r.values.length === 0)
        throw new Error(`Search space "${name}": a choice needs at least one value.`);
      continue;
    }
    if (!['float', 'int', 'logfloat'].includes(r.type))
      throw new Error(`Search space "${name}": unknown type "${String(r.type)}".`);
    const { min, max } = r;
    if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max))
      throw new Error(`Search space "${name}": ${r.type} needs finite min and max.`);
    if (min > max) throw new Error(`Search space "${name}": min ${min} > max ${max}.`);
    if (r.type === 'logfloat' && !(min > 0))
      throw new Error(`Search space "${name}": logfloat needs min > 0.`);
  }
}

/** One value of a range. */
export function sampleRange(r: ParamRange, rng: Rng): unknown {
  const min = r.min ?? 0;
  const max = r.max ?? 1;
  switch (r.type) {
    case 'choice': {
      const values = r.values ?? [];
      return structuredCloneJson(values[rng.int(values.length)]);
    }
    case 'int':
      return Math.ceil(min) + rng.int(Math.floor(max) - Math.ceil(min) + 1);
    case 'logfloat':
      return Math.exp(Math.log(min) + rng.next() * (Math.log(max) - Math.log(min)));
    default:
      return min + rng.next() * (max - min);
  }
}

const structuredCloneJson = (v: unknown): unknown =>
  v === undefined || typeof v !== 'object' || v === null ? v : JSON.parse(JSON.stringify(v));

/** `count` seeded samples of the space (parameters in sorted-name order, so key order does not matter). */
export function sampleSpace(space: SearchSpace, count: number, seed: number): Record<string, unknown>[] {
  checkSpace(space);
  const rng = createRng(seed);
  const names = Object.keys(space).sort();
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const p: Record<string, unknown> = {};
    for (const n of names) p[n] = sampleRange(space[n], rng);
    out.push(p);
  }
  return out;
}
