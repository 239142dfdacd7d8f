/**
 * Request validation for /predict, built once per deployed model from its `inputSchema` (zod).
 *
 * Per input kind (values in JSON):
 * - numeric: a finite number (`"3"` is refused: numbers as strings are a client bug, not data);
 * - boolean: `true` / `false`;
 * - datetime: an ISO 8601 string that `Date.parse` reads, or epoch milliseconds;
 * - categorical: a string (≤ MAX_STRING chars), number or boolean. A category not seen in training is
 *   accepted: every encoder has an "unseen" bucket, and the response carries an `unseen-category` warning;
 * - text: a string of at most MAX_STRING characters.
 * Nullable fields (the training data had missing values) may be `null` or absent: the pipeline imputes
 * them and the response warns `missing-imputed`. Other fields are required. Unknown fields are refused
 * by name (a typo would otherwise silently become "missing").
 */
import { z } from 'zod';
import type { InputField } from '../src/core/ml/pipeline/index.ts';
import { type FieldProblem, HttpError } from './errors.ts';

export const MAX_STRING = 10_000;
export const MAX_BATCH = 1000;
/** Problems listed in one error response at most. */
const MAX_PROBLEMS = 50;

const required = (what: string) => (iss: { input?: unknown }) =>
  iss.input === undefined
    ? 'required'
    : iss.input === null
      ? `null is not allowed (never missing in training); expected ${what}`
      : `expected ${what}, got ${describe(iss.input)}`;

/** A client value in an error message: its kind, and the value itself when short. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string')
    return v.length > 40 ? `a string of ${v.length} characters` : `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function fieldSchema(f: InputField): z.ZodType {
  let s: z.ZodType;
  switch (f.kind) {
    case 'numeric':
      s = z
        .number({ error: required('a finite number') })
        .refine(Number.isFinite, 'expected a finite number');
      break;
    case 'boolean':
      s = z.boolean({ error: required('true or false') });
      break;
    case 'datetime':
      s = z.union(
        [
          z.number().refine(Number.isFinite),
          z
            .string()
            .max(64)
            .refine((v) => Number.isFinite(Date.parse(v))),
        ],
        { error: required('an ISO 8601 date-time string or epoch milliseconds') },
      );
      break;
    case 'categorical':
      s = z.union([z.string().max(MAX_STRING), z.number().refine(Number.isFinite), z.boolean()], {
        error: required(`a category (string of at most ${MAX_STRING} characters)`),
      });
      break;
    default:
      s = z.string({ error: required('a string') }).max(MAX_STRING, `longer than ${MAX_STRING} characters`);
  }
  return f.nullable ? s.nullable().optional() : s;
}

const pathOf = (p: readonly PropertyKey[]): string =>
  p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');

export interface ParsedRequest {
  rows: Record<string, unknown>[];
  /** The body was `{"rows": [...]}`. */
  batch: boolean;
}

export interface RecordValidator {
  /** The zod schema of one record. */
  record: z.ZodType;
  /** Validate a parsed body: one record, or `{ rows: [...] }`. Throws HttpError (400 / 413). */
  parse(body: unknown): ParsedRequest;
  /** The plain-check fast path alone: true only for records `record` accepts (false: ask zod). */
  acceptsFast(record: unknown): boolean;
}

/** A present, non-null value of field `f` that `fieldSchema(f)` certainly accepts. */
function fastCheck(f: InputField): (v: unknown) => boolean {
  switch (f.kind) {
    case 'numeric':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'datetime':
      return (v) =>
        typeof v === 'number'
          ? Number.isFinite(v)
          : typeof v === 'string' && v.length <= 64 && Number.isFinite(Date.parse(v));
    case 'categorical':
      return (v) =>
        typeof v === 'string'
          ? v.length <= MAX_STRING
          : typeof v === 'number'
            ? Number.isFinite(v)
            : typeof v === 'boolean';
    default:
      return (v) => typeof v === 'string' && v.length <= MAX_STRING;
  }
}

export function buildValidator(schema: readonly InputField[], maxBatch = MAX_BATCH): RecordValidator {
  const shape: Record<string, z.ZodType> = {};
  for (const f of schema) shape[f.name] = fieldSchema(f);
  const record = z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `expected an object of field → value, got ${describe(iss.input)}`
        : undefined,
  });
  const names = new Set(schema.map((f) => f.name));
  const known = schema.map((f) => f.name).join(', ');

  const problemsOf = (error: z.ZodError, prefix: string): FieldProblem[] => {
    const out: FieldProblem[] = [];
    for (const iss of error.issues) {
      const base = pathOf(iss.path);
      const at = (p: string) => (prefix && p ? `${prefix}.${p}` : prefix || p || '(body)');
      if (iss.code === 'unrecognized_keys') {
        for (const k of iss.keys)
          out.push({ field: at(base ? `${base}.${k}` : k), problem: 'unknown field' });
      } else {
        out.push({ field: at(base), problem: iss.message });
      }
    }
    return out;
  };

  const fail = (fields: FieldProblem[]): never => {
    const shown = fields.slice(0, MAX_PROBLEMS);
    const unknown = shown.some((f) => f.problem === 'unknown field');
    throw new HttpError(
      400,
      'invalid_input',
      `Invalid input: ${shown
        .slice(0, 5)
        .map((f) => `${f.field}: ${f.problem}`)
        .join(
          '; ',
        )}${fields.length > 5 ? `; and ${fields.length - 5} more` : ''}.${unknown ? ` The model's inputs are: ${known.slice(0, 2000)}.` : ''}`,
      shown,
    );
  };

  // The hot path: a well-formed record is accepted by plain type checks (zod's own parse cost about
  // as much as the rest of a plain request's JSON handling). Anything they do not accept goes to zod,
  // which accepts or explains it, so the rules and messages stay zod's; `acceptsFast` only ever
  // accepts what `record` accepts (tested value by value in __tests__/validate.test.ts).
  const checks = schema.map((f) => ({ name: f.name, ok: fastCheck(f), nullable: f.nullable === true }));
  const nFields = checks.length;
  const acceptsFast = (r: unknown): boolean => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return false;
    const o = r as Record<string, unknown>;
    let present = 0;
    for (let i = 0; i < nFields; i++) {
      const c = checks[i];
      const v = o[c.name];
      if (v === undefined && !Object.hasOwn(o, c.name)) {
        if (!c.nullable) return false;
        continue;
      }
      present++;
      if (v === null || v === undefined ? !c.nullable : !c.ok(v)) return false;
    }
    // No field beyond the schema's (strictObject refuses unknown keys).
    return Object.keys(o).length === present;
  };

  return {
    record,
    acceptsFast,
    parse(body) {
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return fail([
          {
            field: '(body)',
            problem: `expected a JSON object (one record) or {"rows": [...]}, got ${describe(body)}`,
          },
        ]);
      }
      const isBatch = Object.hasOwn(body, 'rows') && !names.has('rows');
      if (!isBatch) {
        if (acceptsFast(body)) return { rows: [body as Record<string, unknown>], batch: false };
        const r = record.safeParse(body);
        if (!r.success) return fail(problemsOf(r.error, ''));
        return { rows: [body as Record<string, unknown>], batch: false };
      }
      const extra = Object.keys(body).filter((k) => k !== 'rows');
      if (extra.length)
        fail(extra.map((k) => ({ field: k, problem: 'unknown field (a batch body has only "rows")' })));
      const rows = (body as { rows: unknown }).rows;
      if (!Array.isArray(rows))
        return fail([{ field: 'rows', problem: `expected an array of records, got ${describe(rows)}` }]);
      if (rows.length === 0) return fail([{ field: 'rows', problem: 'empty: send at least one record' }]);
      if (rows.length > maxBatch) {
        throw new HttpError(
          413,
          'batch_too_large',
          `At most ${maxBatch} rows per request; got ${rows.length}.`,
          [{ field: 'rows', problem: `${rows.length} rows, more than ${maxBatch}` }],
        );
      }
      const problems: FieldProblem[] = [];
      rows.forEach((row, i) => {
        if (problems.length >= MAX_PROBLEMS || acceptsFast(row)) return;
        const r = record.safeParse(row);
        if (!r.success) problems.push(...problemsOf(r.error, `rows[${i}]`));
      });
      if (problems.length) fail(problems);
      return { rows: rows as Record<string, unknown>[], batch: true };
    },
  };
}
