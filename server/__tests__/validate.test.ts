/**
 * The validator's plain-check fast path (server/validate.ts `acceptsFast`) against zod's schema of the
 * same record: over many generated records (every field kind, nullable or not, edge values, missing
 * and unknown keys) the fast path never accepts a record zod refuses, accepts the ordinary valid ones,
 * and `parse` answers exactly as before (same rows, same 400s with the same messages).
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/ml/gbdt/booster.ts';
import type { InputField } from '../../src/core/ml/pipeline/index.ts';
import { HttpError } from '../errors.ts';
import { buildValidator, MAX_STRING } from '../validate.ts';

const field = (name: string, kind: InputField['kind'], nullable: boolean): InputField => ({
  name,
  kind,
  type: 'VARCHAR',
  nullable,
});

const schema: InputField[] = [
  field('n', 'numeric', false),
  field('nn', 'numeric', true),
  field('b', 'boolean', false),
  field('d', 'datetime', true),
  field('c', 'categorical', false),
  field('t', 'text', true),
];

const values: unknown[] = [
  0,
  -0,
  3.5,
  -1e308,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  null,
  undefined,
  '',
  '3',
  'abc',
  '2021-03-04T05:06:07Z',
  '2021-02-30',
  'not a date',
  'x'.repeat(64),
  `2021-03-04T05:06:07Z${' '.repeat(50)}`,
  'x'.repeat(MAX_STRING),
  'x'.repeat(MAX_STRING + 1),
  [],
  [1],
  {},
  { a: 1 },
];

describe('validator fast path', () => {
  const v = buildValidator(schema);

  it('never accepts a record zod refuses, and accepts the valid ones it is built for', () => {
    const rand = mulberry32(7);
    const pick = () => values[Math.floor(rand() * values.length)];
    let fast = 0;
    let zodOnly = 0;
    for (let i = 0; i < 20_000; i++) {
      const r: Record<string, unknown> = {};
      for (const f of schema) {
        const u = rand();
        if (u < 0.1) continue; // missing
        r[f.name] = u < 0.55 ? typical(f, rand) : pick();
      }
      if (rand() < 0.05) r.extra = 1;
      if (rand() < 0.02) Object.defineProperty(r, '__proto__', { value: 1, enumerable: true });
      const ok = v.record.safeParse(r).success;
      if (v.acceptsFast(r)) {
        expect(ok, JSON.stringify(r)).toBe(true);
        fast++;
      } else if (ok) zodOnly++;
    }
    // Not vacuous: most valid records take the fast path (zod only sees ones with odd values).
    expect(fast).toBeGreaterThan(500);
    expect(zodOnly).toBeLessThan(fast);
    for (const bad of [
      null,
      [],
      'x',
      3,
      { ...good(), extra: 1 },
      { ...good(), n: '3' },
      { b: true, c: 'a' },
    ]) {
      expect(v.acceptsFast(bad)).toBe(false);
    }
    expect(v.acceptsFast(good())).toBe(true);
    expect(v.acceptsFast({ n: 1, b: false, c: 2 })).toBe(true); // nullable fields absent
    // A field named like an Object.prototype member, absent: zod sees the inherited function and
    // refuses; the fast path must not accept it either.
    const proto = buildValidator([field('toString', 'numeric', true)]);
    expect(proto.record.safeParse({}).success).toBe(false);
    expect(proto.acceptsFast({})).toBe(false);
    expect(proto.acceptsFast({ toString: 1 })).toBe(true);
  });

  it('parse keeps its answers: the same rows for valid bodies, the same 400 for invalid ones', () => {
    expect(v.parse(good())).toEqual({ rows: [good()], batch: false });
    expect(v.parse({ rows: [good(), good()] })).toEqual({ rows: [good(), good()], batch: true });
    const err = (body: unknown): HttpError => {
      try {
        v.parse(body);
      } catch (e) {
        if (e instanceof HttpError) return e;
        throw e;
      }
      throw new Error('accepted');
    };
    const e1 = err({ ...good(), n: '3' });
    expect(e1.status).toBe(400);
    expect(e1.fields).toEqual([{ field: 'n', problem: 'expected a finite number, got the string "3"' }]);
    const e2 = err({ rows: [good(), { ...good(), typo: 1 }] });
    expect(e2.fields).toEqual([{ field: 'rows[1].typo', problem: 'unknown field' }]);
    const e3 = err({ b: true, c: 'a' });
    expect(e3.fields).toEqual([{ field: 'n', problem: 'required' }]);
  });
});

function good(): Record<string, unknown> {
  return { n: 1.5, nn: null, b: true, d: '2021-03-04T05:06:07Z', c: 'SFO', t: 'hello' };
}

/** A value zod accepts for field f, drawn at random. */
function typical(f: InputField, rand: () => number): unknown {
  switch (f.kind) {
    case 'numeric':
      return rand() * 100 - 50;
    case 'boolean':
      return rand() < 0.5;
    case 'datetime':
      return rand() < 0.5 ? new Date(1.6e12 + rand() * 1e11).toISOString() : Math.floor(1.6e12 * rand());
    case 'categorical':
      return rand() < 0.6
        ? `c${Math.floor(rand() * 10)}`
        : rand() < 0.5
          ? Math.floor(rand() * 9)
          : rand() < 0.5;
    default:
      return `text ${rand()}`;
  }
}
