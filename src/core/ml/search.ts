/**
 * Random hyperparameter search helpers (used by ./train.ts when `TrainSpec.search` is set): checking a
 * search space and drawing seeded samples from it. Pure TypeScript, no DOM.
 *
 * Each family declares its default space next to its defaults (`ModelFamily.searchSpace`); a spec may
 * give its own. Sampling uses the seeded PRNG of ./random.ts, so the same seed gives the same trials.
 */
import { createRng, type Rng } from './random.ts';
import type { ParamRange, SearchSpace } from './types.ts';

/** Random search settings of a training run. */
export interface SearchSpec {
  kind: 'random';
  /** Number of trials (models fitted), ≥ 1. Default 8. */
  trials?: number;
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
  /** The primary metric on the validation rows (null when undefined: such a trial is not chosen). */
  valid: number | null;
}

/** What a search did: recorded in `ModelArtifact.provenance.search`. */
export interface SearchRecord {
  kind: 'random';
  /** Primary metric used to choose (on validation rows only). */
  metric: string;
  higherIsBetter: boolean;
  seed: number;
  space: SearchSpace;
  trials: SearchTrial[];
  /** 1-based index of the chosen trial (its model is the artifact's model). */
  best: number;
}

export const DEFAULT_TRIALS = 8;

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
