/**
 * Validation of notebook documents from storage, imports and share links, and the id generators.
 *
 * `parseNotebook` is the single door into the app for a document: it migrates old versions, refuses
 * future ones with a clear message, and reports every problem with its JSON path so a hand-edited
 * file can be fixed. Cell `config`s are only checked to be objects here; each cell kind's `parse`
 * (src/core/cells/registry.ts) validates its own config, because the core does not know the kinds.
 *
 * The JSON Schema in docs/notebook.schema.json is generated from these zod schemas
 * (tools/gen-notebook-schema.ts); docs/notebook-format.md describes the format for people.
 */
import { z } from 'zod';
import { type CellDoc, type DataRef, NOTEBOOK_FORMAT_VERSION, type NotebookDoc } from './types.ts';

/**
 * Cell ids are short and file-name safe: the headless runner writes `<cell id>.json`, and ids arrive
 * in share links from strangers, so `../x` must never be one.
 */
export const CELL_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const isoDateTime = (what: string) =>
  z.iso
    .datetime({ offset: true, error: 'expected an ISO-8601 date-time such as 2024-05-01T12:00:00.000Z' })
    .meta({ description: `${what} (ISO-8601, with Z or an offset).` });

/** Where a data source's bytes come from (see `DataRef` in ./types.ts). For cell kinds to reuse. */
export const dataRefSchema = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('bundled'),
        id: z.string().min(1).meta({ description: 'Dataset id in datasets/manifest.json.' }),
      })
      .meta({ description: 'A dataset shipped with the app.' }),
    z
      .object({
        type: z.literal('file'),
        name: z.string().min(1).meta({ description: 'File name when the notebook was made.' }),
        size: z.number().int().nonnegative().meta({ description: 'Size in bytes.' }),
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lower-case hex digits' })
          .meta({ description: 'SHA-256 of the content, lower-case hex.' }),
      })
      .meta({
        description:
          'A file the user dropped. Only its identity travels; a receiver must drop the same file.',
      }),
    z
      .object({
        type: z.literal('url'),
        url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
      })
      .meta({ description: 'Fetched from the web, only after the user consents.' }),
  ])
  .meta({ title: 'DataRef' }) satisfies z.ZodType<DataRef>;

export const cellSchema = z
  .object({
    id: z
      .string()
      .regex(CELL_ID_PATTERN, { error: 'expected 1 to 64 letters, digits, "-" or "_"' })
      .meta({ description: 'Unique within the notebook; stable across edits.' }),
    kind: z.string().min(1).meta({ description: 'Cell kind: markdown, source, sql, table, …' }),
    config: z
      .record(z.string(), z.unknown())
      .meta({ description: "Kind-specific settings, validated by the kind's own schema." }),
    collapsed: z.boolean().optional().meta({ description: 'UI only: the cell body is folded.' }),
  })
  .meta({ id: 'Cell', title: 'Cell' }) satisfies z.ZodType<CellDoc>;

export const notebookSchema = z
  .object({
    format: z.literal('benchtop-notebook').meta({ description: 'Marks the file as a Benchtop notebook.' }),
    version: z
      .literal(NOTEBOOK_FORMAT_VERSION)
      .meta({ description: 'Format version; older versions are migrated on load, newer ones refused.' }),
    id: z
      .string()
      .min(1)
      .max(128)
      .meta({ description: 'Notebook id (a UUID for notebooks made by Benchtop).' }),
    title: z.string(),
    createdAt: isoDateTime('When the notebook was created'),
    updatedAt: isoDateTime('When the notebook was last changed'),
    cells: z.array(cellSchema).meta({ description: 'Cells in notebook order.' }),
  })
  .superRefine((doc, ctx) => {
    // Ids key the dependency graph and the run state; a repeated one would silently merge two cells.
    const first = new Map<string, number>();
    doc.cells.forEach((cell, i) => {
      const prev = first.get(cell.id);
      if (prev === undefined) first.set(cell.id, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['cells', i, 'id'],
          message: `repeats the id of cells[${prev}]`,
        });
    });
  })
  .meta({
    title: 'Benchtop notebook',
    description: 'A Benchtop notebook document (.benchtop.json). See docs/notebook-format.md.',
  }) satisfies z.ZodType<NotebookDoc>;

/** A step from format version N (the key) to N + 1. It receives and returns raw JSON objects. */
export type Migration = (doc: Record<string, unknown>) => Record<string, unknown>;

/**
 * Migrations by the version they upgrade from. Empty while version 1 is the only one; when the format
 * changes, bump NOTEBOOK_FORMAT_VERSION and add `1: (doc) => …` here (see docs/notebook-format.md).
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {};

/**
 * Bring a raw document to `target` (the current version) by applying each step in turn. Refuses a
 * document from a newer version of Benchtop, and versions that are not positive integers.
 */
export function migrate(
  doc: Record<string, unknown>,
  steps: Readonly<Record<number, Migration>> = MIGRATIONS,
  target: number = NOTEBOOK_FORMAT_VERSION,
): Record<string, unknown> {
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new Error(
      `Not a valid Benchtop notebook: version: expected a positive integer, got ${describeValue(version)}`,
    );
  }
  if (version > target) {
    throw new Error(
      `This notebook was saved by a newer version of Benchtop (format version ${version}); ` +
        `this version reads format versions up to ${target}. Update Benchtop to open it.`,
    );
  }
  let current = doc;
  for (let v = version; v < target; v++) {
    const step = steps[v];
    if (!step) throw new Error(`Cannot open format version ${v} notebooks: no migration to version ${v + 1}`);
    current = { ...step(current), version: v + 1 };
  }
  return current;
}

/** Validate (and migrate) a document; throws an Error listing every problem with its JSON path. */
export function parseNotebook(json: unknown): NotebookDoc {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`Not a Benchtop notebook: expected a JSON object, got ${describeValue(json)}`);
  }
  const raw = json as Record<string, unknown>;
  if (raw.format !== 'benchtop-notebook') {
    throw new Error(
      'Not a Benchtop notebook: "format" should be "benchtop-notebook", ' +
        `got ${describeValue(raw.format)}`,
    );
  }
  const migrated = migrate(raw);
  const result = notebookSchema.safeParse(migrated);
  if (result.success) return result.data;
  throw new Error(formatIssues(result.error.issues, migrated));
}

/** The most problems listed in one message; a wholly wrong file would otherwise produce hundreds. */
const MAX_LISTED = 20;

function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  const lines = issues
    .slice(0, MAX_LISTED)
    .map((issue) => `- ${formatPath(issue.path)}: ${describeIssue(issue, input)}`);
  if (issues.length > MAX_LISTED) lines.push(`- …and ${issues.length - MAX_LISTED} more`);
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return `Not a valid Benchtop notebook (${count}):\n${lines.join('\n')}`;
}

/** `['cells', 3, 'kind']` → `cells[3].kind`; keys that are not plain words are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(document)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const { found, value } = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = issue.expected === 'record' ? 'object' : issue.expected;
      return found ? `expected ${expected}, got ${describeValue(value)}` : `missing (expected ${expected})`;
    }
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(value)}`;
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options)) {
        return `expected ${issue.options.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(value)}`;
      }
      return issue.message;
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return 'must not be empty';
      return issue.message;
    default:
      return issue.message;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let cur: unknown = input;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, key))
      return { found: false, value: undefined };
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: cur };
}

/** A short, readable description of a JSON value for error messages. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

/** A new notebook id: a random UUID. */
export function newNotebookId(): string {
  return globalThis.crypto.randomUUID();
}

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A new cell id: 8 random base-36 characters (36^8 ≈ 2.8e12, so collisions within a notebook are
 * practically impossible; `taken` makes them impossible).
 */
export function newCellId(taken?: ReadonlySet<string>): string {
  for (;;) {
    let id = '';
    while (id.length < 8) {
      for (const b of globalThis.crypto.getRandomValues(new Uint8Array(16))) {
        // 252 = 7 × 36: dropping 252…255 keeps every character equally likely.
        if (b < 252 && id.length < 8) id += BASE36[b % 36];
      }
    }
    if (!taken?.has(id)) return id;
  }
}

/** The JSON Schema (draft 2020-12) of the document, with the DataRef shape under `$defs`. */
export function notebookJsonSchema(): Record<string, unknown> {
  const { $schema, ...dataRef } = z.toJSONSchema(dataRefSchema, { target: 'draft-2020-12', io: 'input' });
  const doc = z.toJSONSchema(notebookSchema, { target: 'draft-2020-12', io: 'input' });
  return {
    $schema,
    ...doc,
    $defs: { ...(doc.$defs as Record<string, unknown> | undefined), DataRef: dataRef },
  };
}
