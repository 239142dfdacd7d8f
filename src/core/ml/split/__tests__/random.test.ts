import { describe, expect, it } from 'vitest';
import { createRng, hash32, seedOf } from '../../random.ts';

describe('random (mulberry32)', () => {
  it('is deterministic with known first values (same on every platform)', () => {
    const r = createRng(42);
    const first = [r.next(), r.next(), r.next()];
    // mulberry32(42) reference values.
    expect(first.map((x) => Math.round(x * 4294967296))).toEqual(
      (() => {
        let a = 42;
        return [0, 1, 2].map(() => {
          a = (a + 0x6d2b79f5) >>> 0;
          let t = a;
          t = Math.imul(t ^ (t >>> 15), t | 1);
          t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
          return (t ^ (t >>> 14)) >>> 0;
        });
      })(),
    );
    expect(createRng(42).next()).toBe(first[0]);
    expect(createRng(43).next()).not.toBe(first[0]);
  });

  it('int(n) stays in range and covers it; shuffle is a permutation, reproducible', () => {
    const r = createRng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const x = r.int(7);
      expect(Number.isInteger(x) && x >= 0 && x < 7).toBe(true);
      seen.add(x);
    }
    expect(seen.size).toBe(7);
    const a = createRng(9).shuffle(Array.from({ length: 50 }, (_, i) => i));
    const b = createRng(9).shuffle(Uint32Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(b)).toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('seeds and hashes', () => {
    expect(seedOf(-1)).toBe(0xffffffff);
    expect(seedOf(2 ** 33 + 5)).not.toBe(seedOf(5));
    expect(hash32(1, 2)).toBe(hash32(1, 2));
    expect(hash32(1, 2)).not.toBe(hash32(2, 2));
    expect(hash32(1, 2)).not.toBe(hash32(1, 3));
  });
});
