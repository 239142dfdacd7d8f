/**
 * `GET /openapi.json`: an OpenAPI 3.1 document generated from the deployed models. Every model gets
 * its own `POST /v1/models/<name>/predict` with a request schema built from its `inputSchema` (the same
 * rules validate.ts enforces), a response schema for its task, and a real example: the artifact's
 * example record (or one synthesised from the training summary) and the response the model actually
 * gives for it.
 */
import type { InputField } from '../src/core/ml/pipeline/index.ts';
import { auditOpenApi } from './auditPredict.ts';
import { errorResponses, oneOrBatchBody, resultOrBatchResponse } from './openapiParts.ts';
import type { DeployedModel, ModelStore } from './store/store.ts';
import { predictRows } from './predict.ts';
import { DEFAULT_TOP_K } from './routes/models.ts';
import { MAX_BATCH, MAX_STRING } from './validate.ts';

type Schema = Record<string, unknown>;

function fieldSchema(f: InputField): Schema {
  const nullable = (t: string | string[]) => (f.nullable ? [...(Array.isArray(t) ? t : [t]), 'null'] : t);
  const range =
    f.min !== undefined && f.max !== undefined
      ? ` Training range ${f.min} … ${f.max}; values outside it are accepted with an \`out-of-range\` warning.`
      : '';
  switch (f.kind) {
    case 'numeric':
      return { type: nullable('number'), description: `Numeric (${f.type}).${range}` };
    case 'boolean':
      return { type: nullable('boolean'), description: `Boolean (${f.type}).` };
    case 'datetime':
      return {
        type: nullable(['string', 'number']),
        description: `Date-time (${f.type}): an ISO 8601 string or epoch milliseconds.${range ? ' Training range in epoch ms:' + range.slice(15) : ''}`,
      };
    case 'categorical':
      return {
        type: nullable(['string', 'number', 'boolean']),
        maxLength: MAX_STRING,
        description: `Category (${f.type}); ${f.categories?.length ?? 0} training levels. An unseen level is accepted with an \`unseen-category\` warning.`,
        ...(f.categories?.length ? { examples: f.categories.slice(0, 20) } : {}),
      };
    default:
      return {
        type: nullable('string'),
        maxLength: MAX_STRING,
        description: `Free text (${f.type}), TF-IDF encoded.`,
      };
  }
}

function recordSchema(m: DeployedModel): Schema {
  const properties: Record<string, Schema> = {};
  for (const f of m.artifact.inputSchema) properties[f.name] = fieldSchema(f);
  return {
    type: 'object',
    properties,
    required: m.artifact.inputSchema.filter((f) => !f.nullable).map((f) => f.name),
    additionalProperties: false,
    description:
      'One record. Nullable fields may be null or absent (imputed, with a `missing-imputed` warning).',
  };
}

function predictionSchema(m: DeployedModel): Schema {
  const classes = m.artifact.classes ?? [];
  const probs = {
    type: 'object',
    properties: Object.fromEntries(classes.map((l) => [l, { type: 'number', minimum: 0, maximum: 1 }])),
    required: classes,
  };
  switch (m.artifact.task) {
    case 'binary':
      return {
        type: 'object',
        properties: {
          label: { type: 'string', enum: classes },
          probability: { type: 'number', description: `P(${classes[1]})` },
          probabilities: probs,
        },
        required: ['label', 'probability', 'probabilities'],
      };
    case 'multiclass':
      return {
        type: 'object',
        properties: { label: { type: 'string', enum: classes }, probabilities: probs },
        required: ['label', 'probabilities'],
      };
    default:
      return { type: 'object', properties: { value: { type: 'number' } }, required: ['value'] };
  }
}

const cachedExamples = new WeakMap<DeployedModel, unknown>();

async function responseExample(m: DeployedModel): Promise<unknown> {
  if (!cachedExamples.has(m)) {
    const { results } = await predictRows(
      m,
      [m.example],
      Math.min(DEFAULT_TOP_K, m.artifact.inputSchema.length),
    );
    cachedExamples.set(m, { model: { name: m.name, version: m.version }, ...results[0] });
  }
  return cachedExamples.get(m);
}

async function predictOperation(m: DeployedModel, summaryText: string): Promise<Schema> {
  const source =
    m.exampleSource === 'artifact'
      ? 'from the training data'
      : 'synthesised from training medians / most frequent levels';
  return {
    summary: summaryText,
    description: `${m.artifact.task} model \`${m.name}\` v${m.version} (${m.artifact.model.family}), target \`${m.artifact.target}\`.`,
    operationId: `predict_${m.name.replace(/-/g, '_')}`,
    parameters: [{ $ref: '#/components/parameters/top_k' }],
    requestBody: oneOrBatchBody(m.name, MAX_BATCH, m.example, `One record (${source})`),
    responses: {
      '200': resultOrBatchResponse(
        m.name,
        'Prediction(s). A batch answers `{ model, results: [...] }`, one per row, in order.',
        await responseExample(m),
      ),
      ...errorResponses,
    },
  };
}

export async function buildOpenApi(
  store: ModelStore,
  defaultModel: DeployedModel | undefined,
  version: string,
): Promise<Schema> {
  const models = store.list();
  const schemas: Record<string, Schema> = {
    ModelRef: {
      type: 'object',
      properties: { name: { type: 'string' }, version: { type: 'integer' } },
      required: ['name', 'version'],
    },
    Warning: {
      type: 'object',
      properties: {
        field: { type: 'string' },
        code: { type: 'string', enum: ['unseen-category', 'out-of-range', 'missing-imputed'] },
        message: { type: 'string' },
      },
      required: ['field', 'code', 'message'],
    },
    Explanation: {
      type: 'object',
      description:
        'SHAP contributions per input column (signed, in `space`); base + Σ contributions + rest = the raw output.',
      properties: {
        base: { type: 'number' },
        space: { type: 'string', enum: ['log-odds', 'margin', 'value'] },
        class: { type: 'string' },
        contributions: {
          type: 'array',
          items: {
            type: 'object',
            properties: { feature: { type: 'string' }, value: { type: 'number' } },
            required: ['feature', 'value'],
          },
        },
        rest: { type: 'number' },
      },
      required: ['base', 'space', 'contributions', 'rest'],
    },
    Error: {
      type: 'object',
      properties: {
        error: {
          type: 'object',
          properties: {
            code: { type: 'string' },
            message: { type: 'string' },
            fields: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, problem: { type: 'string' } },
                required: ['field', 'problem'],
              },
            },
          },
          required: ['code', 'message'],
        },
      },
      required: ['error'],
    },
  };
  const paths: Record<string, Schema> = {};
  for (const m of models) {
    schemas[`${m.name}.Record`] = recordSchema(m);
    const row = {
      type: 'object',
      properties: {
        prediction: predictionSchema(m),
        explanation: { $ref: '#/components/schemas/Explanation' },
        warnings: { type: 'array', items: { $ref: '#/components/schemas/Warning' } },
      },
      required: ['prediction', 'warnings'],
    };
    schemas[`${m.name}.RowResult`] = row;
    schemas[`${m.name}.Result`] = {
      ...row,
      properties: { model: { $ref: '#/components/schemas/ModelRef' }, ...row.properties },
      required: ['model', ...row.required],
    };
    paths[`/v1/models/${m.name}/predict`] = { post: await predictOperation(m, `Predict with ${m.name}`) };
  }
  // Label-audit models: their own request ({title, site_id}) and answer (one category + the judge's reason).
  for (const m of store.listAudit()) {
    const { schemas: s, operation } = auditOpenApi(m);
    Object.assign(schemas, s);
    paths[`/v1/models/${m.name}/predict`] = { post: operation };
  }
  if (defaultModel) {
    paths['/predict'] = {
      post: await predictOperation(defaultModel, `Predict with the default model (now ${defaultModel.name})`),
    };
    (paths['/predict'].post as Schema).operationId = 'predict_default';
  }
  const bearer = [{ bearer: [] }];
  paths['/v1/models'] = {
    get: {
      summary: 'List deployed models',
      responses: {
        '200': {
          description: '`{ models: [{ name, version, task, family, created, deployedAt }], default }`',
        },
      },
    },
    post: {
      summary: 'Deploy a model artifact (docs/model-artifact.md) as the next version',
      security: bearer,
      parameters: [
        { name: 'name', in: 'query', schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } },
      ],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        '201': { description: '`{ name, version }`' },
        '401': { description: 'no token' },
        '403': { description: 'wrong token' },
        ...errorResponses,
      },
    },
  };
  paths['/v1/models/{name}'] = {
    parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
    get: {
      summary: 'Model details: input schema, metrics, versions, example',
      responses: { '200': { description: 'details' }, '404': errorResponses['404'] },
    },
    delete: {
      summary: 'Delete a model (every version)',
      security: bearer,
      responses: { '200': { description: '`{ name, deleted: true }`' }, '404': errorResponses['404'] },
    },
  };
  paths['/v1/models/{name}/drift'] = {
    parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
    get: {
      summary: 'Drift of recent requests vs training (PSI, Jensen–Shannon)',
      responses: { '200': { description: 'drift report' }, '404': errorResponses['404'] },
    },
  };
  paths['/healthz'] = {
    get: { summary: 'Liveness', responses: { '200': { description: '`{ status, version, uptimeS }`' } } },
  };
  paths['/metrics'] = {
    get: {
      summary: 'Prometheus metrics',
      responses: { '200': { description: 'text/plain; version=0.0.4' } },
    },
  };
  const errorResponse = (d: string) => ({
    description: d,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Benchtop model server',
      version,
      description: 'Predictions with SHAP explanations from models trained in the Benchtop notebook.',
    },
    paths,
    components: {
      schemas,
      parameters: {
        top_k: {
          name: 'top_k',
          in: 'query',
          description: `Contributions returned per row (default ${DEFAULT_TOP_K}; 0 = no explanation).`,
          schema: { type: 'integer', minimum: 0, default: DEFAULT_TOP_K },
        },
      },
      responses: {
        BadRequest: errorResponse('Invalid input; `error.fields` names each offending field.'),
        NotFound: errorResponse('No such model.'),
        TooLarge: errorResponse('Body over the byte limit, or more than 1,000 rows.'),
        UnsupportedMediaType: errorResponse('Content-Type is not application/json.'),
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The deploy token printed at start (or BENCHTOP_TOKEN).',
        },
      },
    },
  };
}
