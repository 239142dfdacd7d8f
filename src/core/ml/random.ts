/**
 * A small seeded PRNG (mulberry32) used everywhere reproducibility matters: splits, folds, shuffles,
 * initialisations. Pure 32-bit integer arithmetic (`Math.imul`, `>>>`), so the same seed gives the same
 * sequence in every browser, worker and Node version.
 */

/** A seeded random source. Every method advances the same underlying state. */
export interface Rng {
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** Uniform integer in [0, n) (n ≥ 1; 0 when n ≤ 1). */
  int(n: number): number;
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<A extends MutableArrayLike>(array: A): A;
  /** Standard normal deviate (Box–Muller). */
  normal(): number;
}

/** Anything indexable and writable: plain arrays and typed arrays. */
export interface MutableArrayLike {
  length: number;
  [index: number]: unknown;
}

/** Normalises any number (negative, fractional, huge) to a 32-bit unsigned seed. */
export function seedOf(seed: number): number {
  if (!Number.isFinite(seed)) return 0;
  const s = Math.trunc(seed);
  const lo = s >>> 0;
  const hi = Math.floor(s / 4294967296);
  // Small seeds (including negative ones) map as `s >>> 0`; the high part of huge seeds is folded in.
  return hi === 0 || hi === -1 ? lo : (lo ^ (hi >>> 0) ^ 0x9e3779b9) >>> 0;
}

/** Creates a mulberry32 generator. */
export function createRng(seed: number): Rng {
  let a = seedOf(seed);
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => (n <= 1 ? 0 : Math.floor(next() * Math.floor(n)));
  return {
    next,
    int,
    shuffle<A extends MutableArrayLike>(array: A): A {
      for (let i = array.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = array[i];
        array[i] = array[j];
        array[j] = tmp;
      }
      return array;
    },
    normal(): number {
      return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    },
  };
}

/**
 * A stateless 32-bit integer hash of (value, seed) (murmur3 finaliser). Used where an assignment must
 * depend only on a row index, not on visiting order (e.g. out-of-fold target-encoding folds).
 */
export function hash32(value: number, seed: number): number {
  let h = (seedOf(value) ^ Math.imul(seedOf(seed) ^ 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
