/**
 * The model API:
 *   POST   /v1/models?name=<name>          deploy an artifact as the next version (token)
 *   GET    /v1/models                      list: name, latest version, task, created
 *   GET    /v1/models/{name}               input schema, metrics, versions, example
 *   DELETE /v1/models/{name}               remove every version (token)
 *   POST   /v1/models/{name}/predict       one record or {"rows": [...]} (≤ 1,000)
 *   POST   /predict                        the same, on the default model
 *   GET    /v1/models/{name}/drift         PSI / Jensen–Shannon of recent requests vs training
 * Client mistakes are thrown as HttpError and answered by app.onError as JSON 4xx.
 */
import { type Context, Hono } from 'hono';
import { isAuditArtifactJson } from '../../src/core/audit/artifact.ts';
import {
  auditDetails,
  auditSummary,
  type DeployedAuditModel,
  parseAuditRequest,
  predictAudit,
} from '../auditPredict.ts';
import { requireToken } from '../auth.ts';
import { readJsonBody } from '../body.ts';
import { HttpError, jsonError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { computeDrift } from '../store/drift.ts';
import { type DeployedModel, MODEL_NAME, type ModelStore } from '../store/store.ts';
import { predictRows } from '../predict.ts';

export interface ModelApiOptions {
  store: ModelStore;
  metrics: Metrics;
  token: string;
  /** Model answering POST /predict; default: the most recently deployed. */
  defaultModel?: string;
  /** Byte cap on predict bodies. Default 1 MiB. */
  maxPredictBytes?: number;
  /** Byte cap on deployed artifacts. Default 64 MiB. */
  maxModelBytes?: number;
  /** Largest `rows` batch. Default 1,000. */
  maxBatch?: number;
}

export const DEFAULT_TOP_K = 5;

/** Retry-After of the 503 answered while a model found on disk is still loading. */
const RETRY_AFTER_S = 2;

function notFound(name: string): HttpError {
  return new HttpError(404, 'model_not_found', `No model named ${JSON.stringify(name.slice(0, 100))}.`, [
    { field: 'name', problem: 'no such model' },
  ]);
}

export function summary(m: DeployedModel) {
  return {
    name: m.name,
    version: m.version,
    kind: 'tabular' as const,
    task: m.artifact.task,
    family: m.artifact.model.family,
    created: m.artifact.createdAt,
    deployedAt: m.deployedAt,
  };
}

function parseTopK(c: Context, inputs: number): number {
  const raw = c.req.query('top_k');
  if (raw === undefined) return Math.min(DEFAULT_TOP_K, inputs);
  if (!/^\d{1,4}$/.test(raw)) {
    throw new HttpError(400, 'invalid_query', 'top_k must be a whole number ≥ 0 (0 = no explanation).', [
      { field: 'top_k', problem: 'expected a whole number ≥ 0' },
    ]);
  }
  return Math.min(Number(raw), inputs);
}

export function modelRoutes(opts: ModelApiOptions): Hono {
  const { store, metrics } = opts;
  const auth = requireToken(opts.token);
  const maxPredictBytes = opts.maxPredictBytes ?? 1024 * 1024;
  const maxModelBytes = opts.maxModelBytes ?? 64 * 1024 * 1024;
  const app = new Hono();

  const lookup = (name: string): DeployedModel => {
    const m = MODEL_NAME.test(name) ? store.get(name) : undefined;
    if (!m && store.getAudit(name)) {
      throw new HttpError(
        400,
        'unsupported_for_kind',
        `${JSON.stringify(name)} is a label-audit model: this endpoint is for tabular models.`,
        [{ field: 'name', problem: 'a label-audit model' }],
      );
    }
    if (!m) throw notFound(name);
    return m;
  };

  const defaultModel = (): DeployedModel => {
    if (opts.defaultModel) {
      const m = store.get(opts.defaultModel);
      if (!m) {
        throw new HttpError(
          404,
          'model_not_found',
          `The default model ${JSON.stringify(opts.defaultModel)} (BENCHTOP_DEFAULT_MODEL) is not deployed.`,
        );
      }
      return m;
    }
    const m = store.latest();
    if (!m)
      throw new HttpError(
        404,
        'model_not_found',
        'No model is deployed yet: POST an artifact to /v1/models.',
      );
    return m;
  };

  /**
   * Load `name` from the shared directory if another instance deployed it and this one has not seen it
   * yet (store.resolve). A 503 response while it is still loading; undefined when the caller can go on
   * with `lookup` / `getAudit` (which 404 if the name is nowhere).
   */
  const resolveOr503 = async (c: Context, name: string): Promise<Response | undefined> => {
    const found = await store.resolve(name);
    if (found?.kind !== 'loading') return undefined;
    c.header('Retry-After', String(RETRY_AFTER_S));
    return jsonError(
      c,
      503,
      'model_loading',
      `Model ${JSON.stringify(name)} is still loading (deployed on another instance); retry in ${RETRY_AFTER_S} s.`,
    );
  };

  /** Tabular predict requests begun and not yet answered: the explanation pool's `alone` hint. */
  let predicting = 0;
  const alone = () => predicting === 1;
  const predict = async (c: Context, m: DeployedModel) => {
    predicting++;
    try {
      return await predictTabular(c, m);
    } finally {
      predicting--;
    }
  };
  const predictTabular = async (c: Context, m: DeployedModel) => {
    // The entry `m` was taken once: a redeploy during this request swaps the store's entry, not ours.
    const topK = parseTopK(c, m.artifact.inputSchema.length);
    const body = await readJsonBody(c, { maxBytes: maxPredictBytes, maxDepth: 32 });
    const { rows, batch } = m.validator.parse(body);
    const { results, outputs } = await predictRows(m, rows, topK, store.explainer, { alone });
    metrics.predicted(m.name, m.artifact.task, outputs, {
      classes: m.artifact.classes,
      range:
        m.artifact.trainingSummary.target.kind === 'regression'
          ? [m.artifact.trainingSummary.target.min, m.artifact.trainingSummary.target.max]
          : undefined,
    });
    const t = new Date().toISOString();
    m.log.append(rows.map((x, i) => ({ t, v: m.version, x, y: outputs[i] })));
    const model = { name: m.name, version: m.version };
    c.header('Cache-Control', 'no-store');
    return batch ? c.json({ model, results }) : c.json({ model, ...results[0] });
  };

  // Label-audit models (server/auditPredict.ts): same body rules, their own request and answer shape.
  const predictAuditModel = async (c: Context, m: DeployedAuditModel) => {
    const body = await readJsonBody(c, { maxBytes: maxPredictBytes, maxDepth: 32 });
    const { rows, batch } = parseAuditRequest(m, body);
    const results = predictAudit(m, rows, batch);
    const verdicts = results.map((r) => r.verdict);
    metrics.predictedAudit(m.name, verdicts);
    const model = { name: m.name, version: m.version };
    c.header('Cache-Control', 'no-store');
    return batch ? c.json({ model, results }) : c.json({ model, ...results[0] });
  };

  app.post('/v1/models', auth, async (c) => {
    const raw = await readJsonBody(c, { maxBytes: maxModelBytes, maxDepth: 64 });
    const given = c.req.query('name');
    let name = given;
    if (name === undefined) {
      const an = (raw as { name?: unknown } | null)?.name;
      name =
        typeof an === 'string'
          ? an
              .toLowerCase()
              .replace(/[^a-z0-9_-]+/g, '-')
              .replace(/^[-_]+|[-_]+$/g, '')
          : '';
      if (!MODEL_NAME.test(name)) {
        throw new HttpError(
          400,
          'invalid_name',
          'Give the model a name: POST /v1/models?name=<name> (a-z, 0-9, _ and -).',
          [{ field: 'name', problem: 'missing' }],
        );
      }
    }
    const m = isAuditArtifactJson(raw) ? await store.deployAudit(name, raw) : await store.deploy(name, raw);
    c.header('Location', `/v1/models/${m.name}`);
    return c.json({ name: m.name, version: m.version }, 201);
  });

  app.get('/v1/models', (c) => {
    c.header('Cache-Control', 'no-store');
    let def: string | null = null;
    try {
      def = defaultModel().name;
    } catch {
      def = null;
    }
    const models = [...store.list().map(summary), ...store.listAudit().map(auditSummary)];
    models.sort((a, b) => a.name.localeCompare(b.name));
    return c.json({ models, default: def });
  });

  app.get('/v1/models/:name', async (c) => {
    const busy = await resolveOr503(c, c.req.param('name'));
    if (busy) return busy;
    const audit = store.getAudit(c.req.param('name'));
    if (audit) {
      c.header('Cache-Control', 'no-store');
      return c.json(auditDetails(audit));
    }
    const m = lookup(c.req.param('name'));
    const a = m.artifact;
    c.header('Cache-Control', 'no-store');
    return c.json({
      ...summary(m),
      versions: m.versions,
      target: a.target,
      ...(a.classes ? { classes: a.classes } : {}),
      inputSchema: a.inputSchema,
      metrics: a.metrics,
      trainingRows: a.trainingSummary.rows,
      example: m.example,
      exampleSource: m.exampleSource,
      provenance: {
        tableFingerprint: a.provenance.tableFingerprint,
        seed: a.provenance.seed,
        split: a.provenance.split,
        benchtopVersion: a.provenance.benchtopVersion,
      },
    });
  });

  app.delete('/v1/models/:name', auth, async (c) => {
    const name = c.req.param('name');
    if (!(await store.remove(name))) throw notFound(name);
    metrics.dropModel(name);
    return c.json({ name, deleted: true });
  });

  app.post('/v1/models/:name/predict', async (c) => {
    const name = c.req.param('name');
    // A name not in memory may have been deployed by another instance on the shared directory: look
    // on disk and wait for its load (store.resolve), so even the first request is answered. Either
    // kind: the file says which.
    const busy = await resolveOr503(c, name);
    if (busy) return busy;
    const audit = store.getAudit(name);
    return audit ? predictAuditModel(c, audit) : predict(c, lookup(name));
  });
  app.post('/predict', async (c) => {
    if (opts.defaultModel) {
      const busy = await resolveOr503(c, opts.defaultModel);
      if (busy) return busy;
    }
    // A label-audit model answers /predict only when BENCHTOP_DEFAULT_MODEL names it.
    const audit = opts.defaultModel ? store.getAudit(opts.defaultModel) : undefined;
    return audit ? predictAuditModel(c, audit) : predict(c, defaultModel());
  });

  app.get('/v1/models/:name/drift', async (c) => {
    const busy = await resolveOr503(c, c.req.param('name'));
    if (busy) return busy;
    c.header('Cache-Control', 'no-store');
    return c.json(await computeDrift(lookup(c.req.param('name'))));
  });

  return app;
}
