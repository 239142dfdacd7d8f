/**
 * The model artifact: one versioned JSON document holding everything needed to predict from raw
 * records — the fitted feature pipeline, the model family's state, the input schema, training
 * summaries, metrics and provenance. Written by the training worker (./train.ts), read by the
 * browser's predict panel and by the Node server with this same module (no DOM, no worker APIs).
 * The format is documented field by field in docs/model-artifact.md.
 */
import { z } from 'zod';
import { type TextTerms, termContributions } from '../eval/terms.ts';
import { featuresOf, transformRecord } from './pipeline/index.ts';
import type { FittedPipeline, InputField, ModelKind, RecordWarning, SummaryStats } from './pipeline/index.ts';
import { modelFamily } from './registry.ts';
import type { CvRecord } from './cv.ts';
import type { SearchRecord } from './search.ts';
import type { Explanation, FeatureInfo, Matrix, Prediction, Task, TrainedModel } from './types.ts';

export const ARTIFACT_FORMAT = 'benchtop-model';
export const ARTIFACT_VERSION = 1;

/** Distribution of the target on the training rows. */
export type TargetDistribution =
  | { kind: 'binary' | 'multiclass'; counts: Record<string, number> }
  | { kind: 'regression'; mean: number; std: number; min: number; max: number };

export interface ModelArtifact {
  format: 'benchtop-model';
  version: 1;
  /** Human name (e.g. `churn — gbdt`). */
  name: string;
  /** ISO 8601 time the model was trained. */
  createdAt: string;
  task: Task;
  /** Target column name. */
  target: string;
  /**
   * Class labels (binary: [negative, positive]; multiclass: class index → label). Absent for regression.
   * A binary prediction is P(classes[1]).
   */
  classes?: string[];
  /** The input columns a record may carry (pipeline.inputSchema). */
  inputSchema: InputField[];
  /** The fitted feature pipeline (training-only state stripped). */
  pipeline: FittedPipeline;
  model: {
    /** Registered family id (src/core/ml/registry.ts). */
    family: string;
    /** Which matrix the family consumes: `dense` (scaled, one-hot) or `gbdt` (raw, integer categories). */
    matrix: ModelKind;
    /** Hyperparameters used (defaults merged). */
    params: Record<string, unknown>;
    /** The family's serialised state (`TrainedModel.state`). */
    state: unknown;
  };
  trainingSummary: SummaryStats & { target: TargetDistribution };
  /** Metrics by name (see metrics.ts); NaN metrics are left out. Test metrics are never used for selection. */
  metrics: { valid: Record<string, number>; test: Record<string, number> };
  provenance: {
    notebookId?: string;
    cellId?: string;
    /** Fingerprint of the table the model was trained on. */
    tableFingerprint: string;
    seed: number;
    /** TF.js backend used for training (`cpu`, `wasm`, `webgl`, `webgpu`), or `js` for pure-TS families. */
    backend: string;
    /** The split spec and its row counts. */
    split: {
      kind: string;
      seed: number;
      fractions: { train: number; valid: number; test: number };
      column?: string;
      rows: { train: number; valid: number; test: number };
    };
    /** Input columns, in pipeline order. */
    featureColumns: string[];
    /** Class weights used in the fit (TrainSpec.classWeight), per class index; absent = none. */
    classWeight?: { kind: 'balanced'; weights: number[] };
    /** The hyperparameter search that chose this model (TrainSpec.search); absent = none. */
    search?: SearchRecord;
    /** K-fold training (split kind `kfold`): per-fold metrics (no loss curves), mean ± std, final budget. */
    cv?: CvRecord;
    /** Wall times of the training stages, ms. */
    durationsMs: Record<string, number>;
    benchtopVersion: string;
  };
}

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const inputField = z.object({
  name: z.string(),
  kind: z.enum(['numeric', 'categorical', 'boolean', 'datetime', 'text']),
  type: z.string(),
  categories: z.array(z.string()).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  nullable: z.boolean(),
});

const pipelineSchema = z
  .object({
    version: z.literal(1),
    task: z.enum(['binary', 'multiclass', 'regression']).nullable(),
    options: z.object({}).loose(),
    columns: z.array(z.object({ name: z.string(), kind: z.string(), type: z.string() }).loose()).min(1),
    trainRows: z.number(),
    trainFingerprint: z.string(),
    notes: z.array(z.string()),
  })
  .loose();

export const artifactSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  version: z.literal(ARTIFACT_VERSION),
  name: z.string(),
  createdAt: z.string(),
  task: z.enum(['binary', 'multiclass', 'regression']),
  target: z.string(),
  classes: z.array(z.string()).optional(),
  inputSchema: z.array(inputField),
  pipeline: pipelineSchema,
  model: z.object({
    family: z.string().min(1),
    matrix: z.enum(['dense', 'gbdt']),
    params: z.record(z.string(), z.unknown()),
    state: z.unknown().refine((s) => s !== undefined && s !== null, 'expected the model state'),
  }),
  trainingSummary: z
    .object({
      rows: z.number(),
      columns: z.array(z.object({ name: z.string(), kind: z.string() }).loose()),
      target: z.union([
        z.object({ kind: z.enum(['binary', 'multiclass']), counts: z.record(z.string(), z.number()) }),
        z.object({
          kind: z.literal('regression'),
          mean: z.number(),
          std: z.number(),
          min: z.number(),
          max: z.number(),
        }),
      ]),
    })
    .loose(),
  metrics: z.object({ valid: z.record(z.string(), finite), test: z.record(z.string(), finite) }),
  provenance: z
    .object({
      notebookId: z.string().optional(),
      cellId: z.string().optional(),
      tableFingerprint: z.string(),
      seed: z.number(),
      backend: z.string(),
      split: z
        .object({
          kind: z.string(),
          seed: z.number(),
          fractions: z.object({ train: z.number(), valid: z.number(), test: z.number() }),
          column: z.string().optional(),
          rows: z.object({ train: z.number(), valid: z.number(), test: z.number() }),
        })
        .loose(),
      featureColumns: z.array(z.string()),
      durationsMs: z.record(z.string(), z.number()),
      benchtopVersion: z.string(),
    })
    .loose(),
});

/** Thrown by `parseArtifact`: `issues` name the JSON path of each problem (e.g. `model.family`). */
export class ArtifactError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ArtifactError';
  }
}

const pathOf = (p: readonly PropertyKey[]) =>
  p.length === 0
    ? '(root)'
    : p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');

/**
 * Validate a model artifact (a JSON string or an already parsed value). Rejects with an `ArtifactError`
 * whose message lists each problem with its path, e.g.
 * `Invalid model artifact: model.family: expected string, received number`.
 */
export function parseArtifact(json: unknown): ModelArtifact {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new ArtifactError(`Invalid model artifact: not JSON (${(e as Error).message}).`);
    }
  }
  if (value && typeof value === 'object') {
    const v = value as { format?: unknown; version?: unknown };
    if (v.format !== ARTIFACT_FORMAT) {
      throw new ArtifactError(
        `Invalid model artifact: format: expected "${ARTIFACT_FORMAT}", got ${JSON.stringify(v.format)}.`,
        [{ path: 'format', message: 'not a Benchtop model' }],
      );
    }
    if (typeof v.version === 'number' && v.version > ARTIFACT_VERSION) {
      throw new ArtifactError(
        `Model artifact version ${v.version} is newer than this Benchtop understands (${ARTIFACT_VERSION}); update Benchtop.`,
        [{ path: 'version', message: 'unsupported version' }],
      );
    }
  }
  const r = artifactSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message }));
    throw new ArtifactError(
      `Invalid model artifact: ${issues
        .slice(0, 5)
        .map((i) => `${i.path}: ${i.message}`)
        .join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}.`,
      issues,
    );
  }
  const a = r.data as unknown as ModelArtifact;
  if (a.task !== 'regression' && !(a.classes && a.classes.length >= 2)) {
    throw new ArtifactError('Invalid model artifact: classes: a classifier needs at least 2 class labels.', [
      { path: 'classes', message: 'missing' },
    ]);
  }
  return a;
}

/** One record's prediction. */
export interface RecordPrediction {
  /**
   * binary: [P(classes[1])]; multiclass: P(class c) for each class; regression: [value]
   * (the family's `Prediction` row).
   */
  output: number[];
  /** Classification: the predicted label (binary: P ≥ 0.5 → classes[1]). */
  label?: string;
  /** Classification: probability per class label. */
  probabilities?: Record<string, number>;
  /** Regression: the predicted value. */
  value?: number;
}

export interface RecordResult {
  prediction: RecordPrediction;
  /** Unseen categories, out-of-range values, imputed missing values (from the pipeline). */
  warnings: RecordWarning[];
}

export interface LoadedModel {
  artifact: ModelArtifact;
  model: TrainedModel;
  /** Encoded features of the matrix the model sees. */
  features: FeatureInfo[];
  /** Records (column → raw value) → the same matrix `transform` would make → the model. */
  encodeRecords(records: Record<string, unknown>[]): { X: Matrix; warnings: RecordWarning[][] };
  /** Predict raw records. Extra fields are ignored; absent fields count as missing (and warn). */
  predictRecords(records: Record<string, unknown>[]): Promise<RecordResult[]>;
  /** Predict an already encoded matrix (from `pipeline.transform` with `artifact.model.matrix`). */
  predictMatrix(X: Matrix): Promise<Prediction>;
  /**
   * Contributions for one record in raw space; undefined when the family has no explain. `terms`
   * (optional, additive): per text column, its contribution split per term present in the record
   * (top `opts.terms`, default 10; see src/core/eval/terms.ts); absent when the model has no text column.
   */
  explainRecord?(
    record: Record<string, unknown>,
    opts?: { classIndex?: number; terms?: number },
  ): Promise<Explanation & { features: FeatureInfo[]; warnings: RecordWarning[]; terms?: TextTerms[] }>;
}

/** Turn one row of a `Prediction` into labels and probabilities. */
export function describePrediction(
  task: Task,
  p: Prediction,
  row: number,
  classes: string[] | undefined,
): RecordPrediction {
  if (task === 'regression') return { output: [p[row]], value: p[row] };
  const labels = classes ?? [];
  if (task === 'binary') {
    const q = p[row];
    return {
      output: [q],
      label: labels[q >= 0.5 ? 1 : 0],
      probabilities: { [labels[0]]: 1 - q, [labels[1]]: q },
    };
  }
  const k = labels.length;
  const output = Array.from(p.subarray(row * k, row * k + k));
  let best = 0;
  for (let c = 1; c < k; c++) if (output[c] > output[best]) best = c;
  return {
    output,
    label: labels[best],
    probabilities: Object.fromEntries(labels.map((l, c) => [l, output[c]])),
  };
}

/** Validate an artifact and rebuild its model through the family registry. */
export async function loadArtifact(json: unknown): Promise<LoadedModel> {
  const artifact = parseArtifact(json);
  const family = modelFamily(artifact.model.family);
  const model = await family.load(artifact.model.state, artifact.task);
  const mode = artifact.model.matrix;
  const pipeline = artifact.pipeline;
  const features = featuresOf(pipeline, mode);
  const encodeRecords = (records: Record<string, unknown>[]) => {
    const cols = features.length;
    const data = new Float32Array(records.length * cols);
    const warnings: RecordWarning[][] = [];
    records.forEach((rec, i) => {
      if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
        throw new Error(`Record ${i} is not an object of column → value.`);
      }
      const r = transformRecord(pipeline, rec, mode);
      data.set(r.row, i * cols);
      warnings.push(r.warnings);
    });
    return { X: { rows: records.length, cols, data, features } satisfies Matrix, warnings };
  };
  const loaded: LoadedModel = {
    artifact,
    model,
    features,
    encodeRecords,
    predictMatrix: (X) => model.predict(X),
    async predictRecords(records) {
      if (records.length === 0) return [];
      const { X, warnings } = encodeRecords(records);
      const p = await model.predict(X);
      return records.map((_, i) => ({
        prediction: describePrediction(artifact.task, p, i, artifact.classes),
        warnings: warnings[i],
      }));
    },
  };
  if (model.explain) {
    const explain = model.explain.bind(model);
    const hasText = features.some((f) => f.term !== undefined);
    loaded.explainRecord = async (record, opts) => {
      const { X, warnings } = encodeRecords([record]);
      const e = await explain(X, 0, opts?.classIndex !== undefined ? { classIndex: opts.classIndex } : {});
      const out = { ...e, features, warnings: warnings[0] };
      return hasText
        ? { ...out, terms: termContributions(features, e.values, X.data, { top: opts?.terms ?? 10 }) }
        : out;
    };
  }
  return loaded;
}
