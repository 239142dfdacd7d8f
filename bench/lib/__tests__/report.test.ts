import { describe, expect, it } from 'vitest';
import { evaluate } from '../report.ts';
import type { Measurement } from '../types.ts';

const m = (value: number | null, op: '<=' | '<' | '>=', target: number): Measurement => ({
  name: 'x',
  value,
  unit: '×',
  target: { op, value: target },
});

describe('evaluate', () => {
  it('compares the value with the target in the direction of its op, the bound itself included or not', () => {
    expect(evaluate(m(20, '>=', 20)).pass).toBe(true);
    expect(evaluate(m(19.9, '>=', 20)).pass).toBe(false);
    expect(evaluate(m(3, '<=', 3)).pass).toBe(true);
    expect(evaluate(m(3, '<', 3)).pass).toBe(false);
    expect(evaluate(m(2.9, '<', 3)).pass).toBe(true);
  });

  it('gives no verdict without a finite value, and leaves measurements without a target alone', () => {
    expect(evaluate(m(null, '>=', 20)).pass).toBeNull();
    expect(evaluate(m(Number.NaN, '<=', 1)).pass).toBeNull();
    expect(evaluate({ name: 'y', value: 1, unit: 'ms' }).pass).toBeUndefined();
  });
});
