/**
 * Serving label-audit models (src/core/audit/artifact.ts, format `benchtop-audit-model`): loading one
 * for the store, validating `/predict` requests, answering them with the SAME module the notebook uses,
 * and describing them (model details, OpenAPI). The store and the routes only branch on the kind and
 * call into here.
 *
 * Request: `{"title": "...", "site_id": "...", "text": "..."}` (site_id optional when the model has one
 * site; text optional) or `{"rows": [...]}` with at most MAX_AUDIT_BATCH rows. Per row the answer is
 * the one leaf category (id, name, path), its confidence, the built-in judge's verdict and reason, and
 * the next best alternatives.
 */
import { z } from 'zod';
import {
  type AuditArtifact,
  AuditArtifactError,
  AuditInputError,
  type AuditInput,
  type AuditPrediction,
  type LoadedAuditModel,
  loadAuditArtifact,
  MAX_TITLE,
} from '../src/core/audit/artifact.ts';
import { type FieldProblem, HttpError } from './errors.ts';
import { errorResponses, oneOrBatchBody, resultOrBatchResponse } from './openapiParts.ts';
import { describe } from './validate.ts';

/**
 * Rows per batch request. Lower than the tabular limit: one audit row costs ~1 ms of CPU at tens of
 * thousands of categories, and a batch runs on the event loop without yielding.
 */
export const MAX_AUDIT_BATCH = 256;
const MAX_PROBLEMS = 50;

export interface DeployedAuditModel {
  kind: 'audit';
  name: string;
  version: number;
  /** Every version on disk (or in memory), ascending. */
  versions: number[];
  deployedAt: string;
  artifact: AuditArtifact;
  model: LoadedAuditModel;
  /** A valid request: the artifact's example (a real title) or one made from a category name. */
  example: { title: string; site_id: string };
  exampleSource: 'artifact' | 'synthesised';
}

/** Loads an audit artifact; a bad one becomes a 400 naming each JSON path. */
export function loadAuditOrReject(raw: unknown): LoadedAuditModel {
  try {
    return loadAuditArtifact(raw);
  } catch (e) {
    if (e instanceof AuditArtifactError) throw invalidArtifact(e);
    throw new HttpError(
      400,
      'invalid_artifact',
      `The audit model could not be loaded: ${(e as Error).message}`.slice(0, 500),
      [{ field: 'sites', problem: 'does not load' }],
    );
  }
}

/** The 400 for an artifact that fails validation, naming each JSON path. */
export function invalidArtifact(e: AuditArtifactError): HttpError {
  return new HttpError(
    400,
    'invalid_artifact',
    e.message.slice(0, 2000),
    e.issues.slice(0, MAX_PROBLEMS).map((i) => ({ field: i.path, problem: i.message })),
  );
}

export function auditEntry(
  name: string,
  version: number,
  versions: number[],
  model: LoadedAuditModel,
  deployedAt: string,
): DeployedAuditModel {
  const a = model.artifact;
  const given = a.example;
  const site = a.sites[0];
  return {
    kind: 'audit',
    name,
    version,
    versions: [...versions],
    deployedAt,
    artifact: a,
    model,
    example: given ?? { title: site.index.leaves[0][1], site_id: site.id },
    exampleSource: given ? 'artifact' : 'synthesised',
  };
}

export function auditSummary(m: DeployedAuditModel) {
  return {
    name: m.name,
    version: m.version,
    kind: 'audit' as const,
    task: 'label-audit',
    family: 'audit',
    created: m.artifact.createdAt,
    deployedAt: m.deployedAt,
  };
}

export function auditDetails(m: DeployedAuditModel) {
  const a = m.artifact;
  return {
    ...auditSummary(m),
    versions: m.versions,
    sites: a.sites.map((s) => ({
      id: s.id,
      categories: s.categories,
      leaves: s.leaves,
      labelled: s.labelled.texts.length,
      knn: s.knn,
      judge: s.judge,
      categoryFingerprint: s.categoryFingerprint,
      ...(s.measure ? { measure: s.measure } : {}),
    })),
    ...(a.defaultSite !== undefined ? { defaultSite: a.defaultSite } : {}),
    input: {
      title: `string, 1–${MAX_TITLE} characters (required)`,
      text: 'string, optional: other text of the item, appended to the title',
      site_id:
        a.defaultSite !== undefined
          ? `optional (default ${JSON.stringify(a.defaultSite)})`
          : `required, one of ${a.sites.map((s) => JSON.stringify(s.id)).join(', ')}`,
    },
    example: m.example,
    exampleSource: m.exampleSource,
    provenance: a.provenance,
  };
}

// ---------------------------------------------------------------------------------------------------
// Requests

const expected = (what: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? 'required' : `expected ${what}, got ${describe(iss.input)}`;

const recordSchema = z.strictObject(
  {
    title: z
      .string({ error: expected('a string') })
      .max(MAX_TITLE, `longer than ${MAX_TITLE} characters`)
      .refine((s) => s.trim().length > 0, 'empty: send the item title'),
    text: z
      .string({ error: expected('a string') })
      .max(MAX_TITLE, `longer than ${MAX_TITLE} characters`)
      .optional(),
    site_id: z
      .string({ error: expected('a string') })
      .max(200, 'longer than 200 characters')
      .optional(),
  },
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `expected an object {"title", "site_id"}, got ${describe(iss.input)}`
        : undefined,
  },
);

const pathOf = (p: readonly PropertyKey[]): string =>
  p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');

function problemsOf(error: z.ZodError, prefix: string): FieldProblem[] {
  const at = (p: string) => (prefix && p ? `${prefix}.${p}` : prefix || p || '(body)');
  const out: FieldProblem[] = [];
  for (const iss of error.issues) {
    const base = pathOf(iss.path);
    if (iss.code === 'unrecognized_keys') {
      for (const k of iss.keys)
        out.push({
          field: at(base ? `${base}.${k}` : k),
          problem: 'unknown field (known: title, text, site_id)',
        });
    } else out.push({ field: at(base), problem: iss.message });
  }
  return out;
}

function fail(fields: FieldProblem[]): never {
  const shown = fields.slice(0, MAX_PROBLEMS);
  throw new HttpError(
    400,
    'invalid_input',
    `Invalid input: ${shown
      .slice(0, 5)
      .map((f) => `${f.field}: ${f.problem}`)
      .join('; ')}${fields.length > 5 ? `; and ${fields.length - 5} more` : ''}.`,
    shown,
  );
}

/** Validates a parsed body against the model (field types, unknown fields, known sites). */
export function parseAuditRequest(
  m: DeployedAuditModel,
  body: unknown,
  maxBatch = MAX_AUDIT_BATCH,
): { rows: AuditInput[]; batch: boolean } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    fail([
      { field: '(body)', problem: `expected {"title", "site_id"} or {"rows": [...]}, got ${describe(body)}` },
    ]);
  const sites = new Set(m.model.sites);
  const known = m.model.sites.map((s) => JSON.stringify(s)).join(', ');
  const def = m.artifact.defaultSite;
  const check = (row: unknown, prefix: string, problems: FieldProblem[]): AuditInput | undefined => {
    const r = recordSchema.safeParse(row);
    if (!r.success) {
      problems.push(...problemsOf(r.error, prefix));
      return undefined;
    }
    const at = prefix ? `${prefix}.site_id` : 'site_id';
    if (r.data.site_id === undefined && def === undefined) {
      problems.push({ field: at, problem: `required: this model has several sites (${known})` });
      return undefined;
    }
    if (r.data.site_id !== undefined && !sites.has(r.data.site_id)) {
      problems.push({
        field: at,
        problem: `unknown site ${JSON.stringify(r.data.site_id)}; known sites: ${known}`,
      });
      return undefined;
    }
    return r.data;
  };
  const problems: FieldProblem[] = [];
  if (!Object.hasOwn(body, 'rows')) {
    const one = check(body, '', problems);
    if (!one) fail(problems);
    return { rows: [one], batch: false };
  }
  const extra = Object.keys(body).filter((k) => k !== 'rows');
  if (extra.length)
    fail(extra.map((k) => ({ field: k, problem: 'unknown field (a batch body has only "rows")' })));
  const rows = (body as { rows: unknown }).rows;
  if (!Array.isArray(rows))
    fail([{ field: 'rows', problem: `expected an array of requests, got ${describe(rows)}` }]);
  if (rows.length === 0) fail([{ field: 'rows', problem: 'empty: send at least one request' }]);
  if (rows.length > maxBatch) {
    throw new HttpError(
      413,
      'batch_too_large',
      `At most ${maxBatch} rows per audit request; got ${rows.length}.`,
      [{ field: 'rows', problem: `${rows.length} rows, more than ${maxBatch}` }],
    );
  }
  const out: AuditInput[] = [];
  for (let i = 0; i < rows.length && problems.length < MAX_PROBLEMS; i++) {
    const r = check(rows[i], `rows[${i}]`, problems);
    if (r) out.push(r);
  }
  if (problems.length) fail(problems);
  return { rows: out, batch: true };
}

/** Predictions for validated rows; an input the model still refuses is a 400 naming the field. */
export function predictAudit(
  m: DeployedAuditModel,
  rows: readonly AuditInput[],
  batch: boolean,
): AuditPrediction[] {
  return rows.map((r, i) => {
    try {
      return m.model.predict(r);
    } catch (e) {
      if (e instanceof AuditInputError)
        fail([{ field: batch ? `rows[${i}].${e.field}` : e.field, problem: e.message }]);
      throw e;
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// OpenAPI

type Schema = Record<string, unknown>;

const categoryRef: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    path: { type: 'array', items: { type: 'string' }, description: 'Names from the root to the leaf.' },
  },
  required: ['id', 'name', 'path'],
};

const exampleCache = new WeakMap<DeployedAuditModel, unknown>();

/** Component schemas and the predict operation of one audit model, with a real example and its answer. */
export function auditOpenApi(m: DeployedAuditModel): { schemas: Record<string, Schema>; operation: Schema } {
  const a = m.artifact;
  const siteIds = a.sites.map((s) => s.id);
  const record: Schema = {
    type: 'object',
    properties: {
      title: { type: 'string', minLength: 1, maxLength: MAX_TITLE, description: 'The item title.' },
      text: { type: 'string', maxLength: MAX_TITLE, description: 'Other text of the item (optional).' },
      site_id: {
        type: 'string',
        enum: siteIds,
        description:
          a.defaultSite !== undefined
            ? `Category list to use (optional; default ${JSON.stringify(a.defaultSite)}).`
            : 'Category list to use (required: the model has several sites).',
      },
    },
    required: a.defaultSite !== undefined ? ['title'] : ['title', 'site_id'],
    additionalProperties: false,
  };
  const row: Schema = {
    type: 'object',
    properties: {
      site_id: { type: 'string' },
      category: {
        oneOf: [categoryRef, { type: 'null' }],
        description: 'The one leaf category (null only when nothing in the list matches the title at all).',
      },
      confidence: {
        type: 'number',
        minimum: 0,
        maximum: 1,
        description: 'Softmax over the reranked candidates.',
      },
      verdict: {
        type: ['string', 'null'],
        enum: ['confirm', 'reject', null],
        description: "The built-in judge's opinion of `category` (null: no judge, the model had no labels).",
      },
      reason: { type: 'string', description: "One or two sentences: the judge's evidence." },
      alternatives: {
        type: 'array',
        items: {
          ...categoryRef,
          properties: {
            ...(categoryRef.properties as Schema),
            probability: { type: 'number', minimum: 0, maximum: 1 },
          },
          required: ['id', 'name', 'path', 'probability'],
        },
      },
    },
    required: ['site_id', 'category', 'confidence', 'verdict', 'reason', 'alternatives'],
  };
  const schemas: Record<string, Schema> = {
    [`${m.name}.Record`]: record,
    [`${m.name}.RowResult`]: row,
    [`${m.name}.Result`]: {
      ...row,
      properties: { model: { $ref: '#/components/schemas/ModelRef' }, ...(row.properties as Schema) },
      required: ['model', ...(row.required as string[])],
    },
  };
  if (!exampleCache.has(m)) {
    exampleCache.set(m, { model: { name: m.name, version: m.version }, ...m.model.predict(m.example) });
  }
  const operation: Schema = {
    summary: `Audit a title's category with ${m.name}`,
    description: `Label-audit model \`${m.name}\` v${m.version}: one leaf category out of ${a.sites
      .map((s) => `${s.leaves} (site ${JSON.stringify(s.id)})`)
      .join(', ')}, by retrieval and a reranker, with the built-in judge's verdict.`,
    operationId: `predict_${m.name.replace(/-/g, '_')}`,
    requestBody: oneOrBatchBody(
      m.name,
      MAX_AUDIT_BATCH,
      m.example,
      m.exampleSource === 'artifact' ? 'A title from the audit data' : 'A category name as title',
    ),
    responses: {
      '200': resultOrBatchResponse(
        m.name,
        'The category per row. A batch answers `{ model, results: [...] }`, in order.',
        exampleCache.get(m),
      ),
      ...errorResponses,
    },
  };
  return { schemas, operation };
}
