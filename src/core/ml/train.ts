/**
 * Training orchestration, pure (no DOM, no worker APIs): the training worker calls `trainModel` with
 * the decoded table; tests call it in Node.
 *
 * table → split (train / valid / test) → feature pipeline fitted on the TRAIN rows only → matrices →
 * family.fit(train, valid for early stopping) → metrics on valid and test → `ModelArtifact`.
 * The test part is never used for fitting, early stopping or any choice: only for the reported metrics.
 *
 * K-fold (`split.kind === 'kfold'`): a held-out test part, then for each fold the pipeline and the model
 * are fitted on that fold's training rows only and scored on its validation rows (per-fold metrics,
 * mean ± std in `cv`); then the final pipeline and model are fitted on every non-test row — with the
 * budget (boosting rounds / epochs) from the folds' early stopping when a fold stopped early, else the
 * configured one (`cv.final` says which) — and scored on test once. `metrics.valid` is the fold mean.
 *
 * Options: balanced class weights (`classWeight`, counted on each fit's training rows) and a seeded
 * hyperparameter search (`search`: random, or successive halving over the family's budget; scored on
 * validation, or on the folds' mean under k-fold; see ./search.ts). The baseline (majority class /
 * mean) is always fitted as well, for comparison.
 */
import { version as benchtopVersion } from '../../../package.json';
import type { ModelArtifact, TargetDistribution } from './artifact.ts';
import { computeMetrics, higherIsBetter, primaryMetric } from './metrics.ts';
import {
  fitPipeline,
  inferKinds,
  type ModelKind,
  type PipelineSpec,
  stripTrainingState,
  summaryStats,
  transform,
  inputSchema,
  type FittedPipeline,
} from './pipeline/index.ts';
import { modelFamily } from './registry.ts';
import { type CvFold, type CvRecord, bestStepOf, finalBudget, foldStats } from './cv.ts';
import { abortError } from './families/linear.ts';
import {
  DEFAULT_ETA,
  DEFAULT_TRIALS,
  type HalvingRungRecord,
  halvingSchedule,
  rankScores,
  type SearchRecord,
  type SearchSpec,
  sampleSpace,
} from './search.ts';
import { holdoutRows, kfoldRows } from './split/index.ts';
import type { AnySplitSpec, KFoldSummary, SplitSummary } from './split/index.ts';
import { analyseTarget } from './split/target.ts';
import type {
  ColumnarTable,
  ColumnValues,
  Dataset,
  LossPoint,
  Progress,
  Task,
  TrainedModel,
} from './types.ts';

export type { CvFold, CvRecord } from './cv.ts';
export type { SearchRecord, SearchSpec } from './search.ts';

/** What to train. Plain data: crosses the worker boundary as is. */
export interface TrainSpec {
  /** Target column. */
  target: string;
  /** Task; default `detectTask(target values)`. */
  task?: Task;
  /**
   * Feature columns with their kinds (what the pipeline encodes) plus pipeline options. Columns may be
   * given by name only in `featureColumns`; their kinds are then inferred (`inferKinds`).
   */
  pipeline?: PipelineSpec;
  /** Feature column names, used when `pipeline.columns` is absent or empty. Default: every column but the target. */
  featureColumns?: string[];
  /**
   * Train / valid / test split, or k-fold cross-validation with a held-out test part (`kind: 'kfold'`:
   * per-fold fits and metrics, then a final refit on all non-test rows; see the module comment).
   */
  split: AnySplitSpec;
  /** Registered family id: `baseline`, `linear`, `mlp`, `gbdt`, … */
  family: string;
  /** Hyperparameters (merged over the family's defaults). */
  params?: Record<string, unknown>;
  /**
   * Class weights for imbalanced classification (ignored for regression). `balanced`: a row of class c
   * weighs n / (k · n_c), counted on the TRAIN rows only (n rows, k classes). The weights go to the
   * family as `Dataset.weight` (GBDT scales gradients and hessians, linear / MLP weight the per-row
   * loss); the validation rows get the same per-class weights, so early stopping watches the loss that
   * is minimised. The baseline ignores them, and the reported metrics are unweighted. Default `none`.
   */
  classWeight?: 'none' | 'balanced';
  /**
   * Hyperparameter search: `trials` configurations sampled (seeded) from `space` (default: the family's
   * `searchSpace`) over `params`, scored by the task's primary metric on the VALIDATION rows (k-fold:
   * the mean over the folds' validation rows); `random` fits each with the full budget, `halving` runs
   * successive halving over the family's `budgetParam` (./search.ts). The best configuration's model is
   * kept (k-fold: refitted on all non-test rows), and only it is evaluated on test. A holdout split
   * needs validation rows. Recorded in `provenance.search`.
   */
  search?: SearchSpec;
  /** Seed of the model (initialisation, shuffles, bagging). The split has its own seed in `split.seed`. */
  seed: number;
  /** Artifact name; default `<target> — <family>`. */
  name?: string;
  notebookId?: string;
  cellId?: string;
  /** Fingerprint of the table (the worker hashes the Arrow bytes); default: a hash of the decoded table. */
  tableFingerprint?: string;
}

export interface TrainOptions {
  /** TF.js backend in use, recorded in the artifact (`js` when none matters). */
  backend?: string;
  signal?: AbortSignal;
  onProgress?(p: Progress): void;
  /** Clock (tests). */
  now?: () => number;
}

export interface TrainOutput {
  artifact: ModelArtifact;
  lossCurve: LossPoint[];
  /** The baseline's metrics on the same valid / test rows. */
  baseline: { valid: Record<string, number>; test: Record<string, number> };
  split: SplitSummary | KFoldSummary;
  durationsMs: Record<string, number>;
  /** The hyperparameter search, when one ran (also in `artifact.provenance.search`). */
  search?: SearchRecord;
  /** K-fold training: per-fold metrics (with loss curves), mean ± std, the final refit's budget. */
  cv?: CvRecord;
}

/**
 * Balanced class weights n / (k · n_c) from the training targets (class indices 0..k-1); a class
 * absent from train gets weight 0 (it has no rows to weigh anyway). Returns the weight per class.
 */
export function balancedClassWeights(y: Float32Array, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (const v of y) if (v >= 0 && v < k) counts[v]++;
  const n = y.length;
  return counts.map((c) => (c > 0 ? n / (k * c) : 0));
}

/** Per-row weights from per-class weights. */
export function rowWeights(y: Float32Array, perClass: Float64Array): Float32Array {
  const w = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) w[i] = perClass[y[i]] ?? 0;
  return w;
}

/** Largest number of distinct values a numeric target may have and still be read as multiclass. */
const MAX_CLASSES = 50;

/**
 * Guess the task from the target's values: `binary` with exactly 2 distinct non-missing values;
 * `multiclass` with 3..50 distinct values that are non-numeric (strings/booleans) or small integers
 * (0..1000); `regression` for other numbers. Non-numeric targets with more than 50 distinct values
 * are still `multiclass` (there is nothing to regress on); the UI should warn.
 */
export function detectTask(values: ColumnValues | ArrayLike<unknown>): Task {
  const distinct = new Set<unknown>();
  let numeric = true;
  let smallInt = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0 || v > 1000) smallInt = false;
    } else numeric = false;
    if (distinct.size <= MAX_CLASSES) distinct.add(typeof v === 'string' ? v : String(v));
    else if (numeric) break;
  }
  if (distinct.size === 2) return 'binary';
  if (!numeric) return 'multiclass';
  return smallInt && distinct.size <= MAX_CLASSES && distinct.size > 2 ? 'multiclass' : 'regression';
}

/** FNV-1a (32-bit) of the table's names, types and values: a cheap fingerprint for provenance. */
export function fingerprintTable(table: ColumnarTable): string {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  };
  mix(String(table.rowCount));
  for (const name of Object.keys(table.columns).sort()) {
    mix(`\u0000${name}\u0000${table.types[name] ?? ''}`);
    const col = table.columns[name];
    for (let i = 0; i < col.length; i++) mix(`${col[i]}\u0001`);
  }
  return `fnv1a:${h.toString(16).padStart(8, '0')}`;
}

/** Which matrix a family consumes: GBDT wants raw values and integer categories, the rest dense. */
export function matrixKindFor(familyId: string): ModelKind {
  return familyId === 'gbdt' ? 'gbdt' : 'dense';
}

function targetDistribution(task: Task, y: Float32Array, classes: string[] | undefined): TargetDistribution {
  if (task !== 'regression') {
    const counts: Record<string, number> = {};
    for (const l of classes ?? []) counts[l] = 0;
    for (const v of y) {
      const l = (classes ?? [])[v] ?? String(v);
      counts[l] = (counts[l] ?? 0) + 1;
    }
    return { kind: task, counts };
  }
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of y) {
    mean += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  mean /= Math.max(1, y.length);
  let s2 = 0;
  for (const v of y) s2 += (v - mean) ** 2;
  return { kind: 'regression', mean, std: Math.sqrt(s2 / Math.max(1, y.length)), min, max };
}

/** Drop NaN metrics (undefined, e.g. AUC with one class) so the artifact stays valid JSON numbers. */
const finiteOnly = (m: Record<string, number>) =>
  Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));

function gather(y: Float64Array, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]];
  return out;
}

/** Release a live model's TF.js memory (the MLP's weights); no-op for pure-JS families. */
const free = (m: TrainedModel | undefined) => (m as { dispose?: () => void } | undefined)?.dispose?.();

/** A candidate's score on validation (or the folds' mean), with what the caller may keep. */
interface Scored {
  score: number | null;
  /** Holdout: the fitted model (the caller keeps or frees it). */
  model?: TrainedModel;
  /** K-fold: the folds, scored (their models are already freed). */
  folds?: CvFold[];
}

/** Train one model end to end; see the module comment. */
export async function trainModel(
  table: ColumnarTable,
  spec: TrainSpec,
  opts: TrainOptions = {},
): Promise<TrainOutput> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const durationsMs: Record<string, number> = {};
  const lap = (key: string, since: number) => {
    durationsMs[key] = Math.round((now() - since) * 10) / 10;
    return now();
  };
  const checkCancel = () => {
    if (opts.signal?.aborted) throw abortError();
  };
  const targetCol = table.columns[spec.target];
  if (!targetCol) throw new Error(`Target column "${spec.target}" not found.`);
  const family = modelFamily(spec.family);
  const task = spec.task ?? detectTask(targetCol);
  if (!family.tasks.includes(task)) throw new Error(`Model family "${family.id}" cannot do ${task}.`);

  // Target → numbers (binary 0/1 with classes[1] positive; multiclass label index; regression value).
  const info = analyseTarget(targetCol, table.rowCount, task);
  let classes: string[] | undefined;
  if (task === 'binary') {
    const labels = info.labels ?? [];
    if (labels.length !== 2) {
      throw new Error(
        `A binary target needs exactly 2 distinct values; "${spec.target}" has ${labels.length}.`,
      );
    }
    const pos = info.positiveLabel!;
    classes = [labels.find((l) => l !== pos)!, pos];
  } else if (task === 'multiclass') {
    classes = info.labels ?? [];
    if (classes.length < 2)
      throw new Error(
        `A multiclass target needs at least 2 classes; "${spec.target}" has ${classes.length}.`,
      );
  }
  const yAll = info.values; // NaN = missing target
  const hasTarget = (r: number) => Number.isFinite(yAll[r]);
  const keep = (rows: Uint32Array) => rows.filter(hasTarget);
  const k = classes?.length;
  const metric = primaryMetric(task);
  const higher = higherIsBetter(metric);

  // Split; rows with a missing target are dropped from every part.
  let t = now();
  let splitSummary: SplitSummary | KFoldSummary;
  /** Rows the final model is fitted on (holdout: train; k-fold: every non-test row). */
  let trainRows: Uint32Array;
  let validRows = new Uint32Array(0);
  let testRows: Uint32Array;
  let folds: { train: Uint32Array; valid: Uint32Array }[] | undefined;
  if (spec.split.kind === 'kfold') {
    const cv = kfoldRows(table, targetCol, spec.split, task);
    folds = cv.folds.map((f) => ({ train: keep(f.train), valid: keep(f.valid) }));
    const empty = folds.findIndex((f) => f.train.length === 0 || f.valid.length === 0);
    if (empty >= 0)
      throw new Error(
        `Fold ${empty + 1} of ${folds.length} has no rows with a target to ${folds[empty].train.length === 0 ? 'fit on' : 'score on'}: use fewer folds.`,
      );
    const rest: number[] = [];
    // A loop, not push(...f.valid): spreading a 100k-row fold overflows the call stack in Chromium.
    for (const f of folds) for (const r of f.valid) rest.push(r);
    trainRows = Uint32Array.from(rest).sort();
    testRows = keep(cv.test);
    splitSummary = cv.summary;
  } else {
    const split = holdoutRows(table, targetCol, spec.split, task);
    trainRows = keep(split.train);
    validRows = keep(split.valid);
    testRows = keep(split.test);
    splitSummary = split.summary;
  }
  if (trainRows.length === 0) throw new Error('The training part has no rows with a target.');
  t = lap('split', t);

  const columns =
    spec.pipeline?.columns && spec.pipeline.columns.length > 0
      ? spec.pipeline.columns
      : inferKinds(table, { exclude: [spec.target] })
          .filter((c) => !spec.featureColumns || spec.featureColumns.includes(c.name))
          .map(({ name, kind }) => ({ name, kind }));
  if (columns.some((c) => c.name === spec.target)) throw new Error('The target cannot also be a feature.');
  if (columns.length === 0) throw new Error('No feature columns to train on.');
  const pipelineSpec: PipelineSpec = { ...spec.pipeline, columns };
  const yTable = Float32Array.from(yAll);
  const mode = matrixKindFor(family.id);
  /** The pipeline fitted on `fitRows` ONLY, and matrices of those rows and of the `others`. */
  const prepare = (fitRows: Uint32Array, others: Uint32Array[]) => {
    const fitted = fitPipeline(table, fitRows, pipelineSpec, yTable, task);
    const dataset = (rows: Uint32Array): Dataset => ({
      X: transform(fitted, table, rows, { forModel: mode }),
      y: gather(yAll, rows),
    });
    return {
      fitted,
      train: dataset(fitRows),
      others: others.map((r) => (r.length > 0 ? dataset(r) : undefined)),
    };
  };
  // Class weights are counted on each fit's own training rows; the baseline never sees them.
  const classWeightsFor = (y: Float32Array): Float64Array | undefined =>
    spec.classWeight === 'balanced' && task !== 'regression' && family.id !== 'baseline'
      ? balancedClassWeights(y, k ?? 2)
      : undefined;
  const weighted = (d: Dataset | undefined, w: Float64Array | undefined): Dataset | undefined =>
    d && w ? { ...d, weight: rowWeights(d.y, w) } : d;
  const metricsOn = async (d: Dataset | undefined, m: Pick<TrainedModel, 'predict'>) =>
    d ? finiteOnly(computeMetrics(task, d.y, await m.predict(d.X), k)) : {};
  const fitCtx = { task, classes: task === 'multiclass' ? k : undefined, seed: spec.seed };
  const fitFamily = (
    params: Record<string, unknown>,
    train: Dataset,
    valid: Dataset | undefined,
    onProgress: ((p: Progress) => void) | undefined,
  ) => family.fit(train, params, { ...fitCtx, valid, signal: opts.signal, onProgress });

  const baseParams = { ...(family.defaults as Record<string, unknown>), ...(spec.params ?? {}) };
  const budgetParam = family.budgetParam;
  const configuredBudget = budgetParam !== undefined ? Number(baseParams[budgetParam]) : Number.NaN;

  // The search plan (so progress can say "fit i of n" across configurations, rungs and folds).
  const s = spec.search;
  const nConfigs = s ? Math.max(1, Math.floor(s.trials ?? DEFAULT_TRIALS)) : 1;
  const eta = s?.eta ?? DEFAULT_ETA;
  let schedule: ReturnType<typeof halvingSchedule> | undefined;
  if (s?.kind === 'halving') {
    if (!budgetParam)
      throw new Error(
        `Model family "${family.id}" has no budget parameter (rounds / epochs), so successive halving cannot search it: use random search.`,
      );
    if (!(Number.isInteger(configuredBudget) && configuredBudget >= 1))
      throw new Error(
        `Successive halving needs ${budgetParam} to be a positive integer (got ${String(baseParams[budgetParam])}).`,
      );
    schedule = halvingSchedule(nConfigs, eta, configuredBudget);
  }
  const evaluations = !s ? 1 : schedule ? schedule.reduce((a, r) => a + r.configs, 0) : nConfigs;
  const fitsPlanned = folds ? evaluations * folds.length + 1 : evaluations;
  let fitsStarted = 0;
  /** Progress of the next fit: numbered among all planned fits when there are several. */
  const progressOf = (label: string, extra: Partial<Progress>) => {
    const i = ++fitsStarted;
    if (!opts.onProgress) return undefined;
    const onProgress = opts.onProgress;
    return (p: Progress) =>
      onProgress({
        ...p,
        ...(fitsPlanned > 1 ? { trial: i, trials: fitsPlanned, message: p.message ?? label } : {}),
        ...extra,
      });
  };

  // Holdout matrices (pipeline on train rows only), prepared once.
  let holdout: { fitted: FittedPipeline; train: Dataset; valid?: Dataset; test?: Dataset } | undefined;
  let holdoutWeights: Float64Array | undefined;
  if (!folds) {
    const p = prepare(trainRows, [validRows, testRows]);
    holdout = { fitted: p.fitted, train: p.train, valid: p.others[0], test: p.others[1] };
    holdoutWeights = classWeightsFor(p.train.y);
  }
  // K-fold matrices, one pipeline per fold fitted on that fold's training rows only; built once, lazily.
  const foldData: {
    train: Dataset;
    valid: Dataset;
    weights?: Float64Array;
    baseline: Record<string, number>;
  }[] = [];
  const foldAt = async (f: number) => {
    if (!foldData[f]) {
      const p = prepare(folds![f].train, [folds![f].valid]);
      const valid = p.others[0]!;
      const baseline = await metricsOn(valid, await modelFamily('baseline').fit(p.train, {}, fitCtx));
      foldData[f] = { train: p.train, valid, weights: classWeightsFor(p.train.y), baseline };
    }
    return foldData[f];
  };
  if (!folds) t = lap('pipeline', t);

  /** Fit `params` and score it: on validation (holdout; the model is returned) or on every fold. */
  const evaluate = async (
    params: Record<string, unknown>,
    label: string,
    extra: Partial<Progress>,
  ): Promise<Scored> => {
    checkCancel();
    if (holdout) {
      const { train, valid } = holdout;
      const m = await fitFamily(
        params,
        weighted(train, holdoutWeights)!,
        weighted(valid, holdoutWeights),
        progressOf(label, extra),
      );
      if (!valid) return { score: null, model: m };
      const score = computeMetrics(task, valid.y, await m.predict(valid.X), k)[metric];
      return { score: Number.isFinite(score) ? score : null, model: m };
    }
    const out: CvFold[] = [];
    for (let f = 0; f < folds!.length; f++) {
      checkCancel();
      const d = await foldAt(f);
      const m = await fitFamily(
        params,
        weighted(d.train, d.weights)!,
        weighted(d.valid, d.weights),
        progressOf(`${label}fold ${f + 1}/${folds!.length}`, { ...extra, fold: f + 1, folds: folds!.length }),
      );
      try {
        const steps = m.lossCurve.at(-1)?.step;
        const best = bestStepOf(m.lossCurve);
        out.push({
          fold: f + 1,
          rows: { train: d.train.y.length, valid: d.valid.y.length },
          valid: await metricsOn(d.valid, m),
          baseline: d.baseline,
          ...(budgetParam !== undefined && steps !== undefined ? { steps } : {}),
          ...(budgetParam !== undefined && best !== undefined ? { bestStep: best } : {}),
          lossCurve: m.lossCurve,
        });
      } finally {
        free(m);
      }
    }
    const score = foldStats(out.map((f) => f.valid)).mean[metric];
    return { score: score !== undefined && Number.isFinite(score) ? score : null, folds: out };
  };

  // Fit (valid / folds for early stopping and the search's choice; test never).
  let chosen: Scored | undefined;
  let params = baseParams;
  let search: SearchRecord | undefined;
  try {
    if (s) {
      if (holdout && !holdout.valid)
        throw new Error('A hyperparameter search needs validation rows: give the split a validation share.');
      const space = s.space ?? family.searchSpace;
      if (!space)
        throw new Error(`Model family "${family.id}" declares no search space; give one in search.space.`);
      if (schedule && budgetParam && budgetParam in space)
        throw new Error(
          `Successive halving sets ${budgetParam} itself (the budget): remove it from the search space.`,
        );
      const seed = s.seed ?? spec.seed;
      const samples = sampleSpace(space, nConfigs, seed);
      search = {
        kind: s.kind,
        metric,
        higherIsBetter: higher,
        seed,
        space,
        trials: [],
        best: 0,
        scoredOn: folds ? 'cv-folds' : 'validation',
      };
      if (!schedule) {
        let bestScore: number | null = null;
        for (let i = 0; i < nConfigs; i++) {
          const trialParams = { ...baseParams, ...samples[i] };
          const r = await evaluate(trialParams, `trial ${i + 1}/${nConfigs}${folds ? ' · ' : ''}`, {});
          search.trials.push({ trial: i + 1, params: samples[i], valid: r.score });
          const better =
            r.score !== null && (bestScore === null || (higher ? r.score > bestScore : r.score < bestScore));
          if (better || !chosen) {
            free(chosen?.model);
            chosen = r;
            if (better) bestScore = r.score;
            params = trialParams;
            search.best = i + 1;
          } else free(r.model);
        }
      } else {
        // Successive halving (Jamieson & Talwalkar 2016; Hyperband's inner loop, Li et al. 2018):
        // every rung trains its configurations with the rung's budget, the best ⌊n/eta⌋ go on.
        const bp = budgetParam!;
        search.trials = samples.map((p, i) => ({ trial: i + 1, params: p, valid: null }));
        const rungs: HalvingRungRecord[] = [];
        let alive = samples.map((_, i) => i);
        for (let ri = 0; ri < schedule.length; ri++) {
          const rung = schedule[ri];
          const last = ri === schedule.length - 1;
          const scored: Scored[] = [];
          for (let j = 0; j < alive.length; j++) {
            const idx = alive[j];
            const r = await evaluate(
              { ...baseParams, ...samples[idx], [bp]: rung.budget },
              `rung ${rung.rung}/${schedule.length} (${bp} ${rung.budget}) · configuration ${j + 1}/${alive.length}${folds ? ' · ' : ''}`,
              { rung: rung.rung, rungs: schedule.length, budget: rung.budget },
            );
            Object.assign(search.trials[idx], { valid: r.score, rung: rung.rung, budget: rung.budget });
            if (last) scored.push(r);
            else {
              free(r.model);
              scored.push({ score: r.score });
            }
          }
          const scores = scored.map((r) => r.score);
          const order = rankScores(scores, higher);
          const promoted = last
            ? []
            : order
                .slice(0, schedule[ri + 1].configs)
                .map((i) => alive[i])
                .sort((a, b) => a - b);
          rungs.push({
            rung: rung.rung,
            budget: rung.budget,
            trials: alive.map((i) => i + 1),
            scores,
            promoted: promoted.map((i) => i + 1),
            best: scores[order[0]] ?? null,
          });
          if (last) {
            const w = order[0];
            chosen = scored[w];
            for (let j = 0; j < scored.length; j++) if (j !== w) free(scored[j].model);
            search.best = alive[w] + 1;
            params = { ...baseParams, ...samples[alive[w]], [bp]: rung.budget };
          }
          alive = promoted;
        }
        search.halving = { eta, budgetParam: bp, rungs };
      }
    } else if (folds) {
      chosen = await evaluate(baseParams, '', {});
    } else {
      // A plain holdout fit: progress as the family reports it.
      checkCancel();
      fitsStarted++;
      const { train, valid } = holdout!;
      chosen = {
        score: null,
        model: await fitFamily(
          params,
          weighted(train, holdoutWeights)!,
          weighted(valid, holdoutWeights),
          opts.onProgress,
        ),
      };
    }
  } catch (e) {
    free(chosen?.model); // cancelled or failed: release the kept model's TF.js memory
    throw e;
  }

  // K-fold: the final pipeline and model on every non-test row, with the budget from the folds.
  let model: TrainedModel;
  let fitted: FittedPipeline;
  let trainSet: Dataset;
  let testSet: Dataset | undefined;
  let validSet: Dataset | undefined;
  let classWeights: Float64Array | undefined;
  let cv: CvRecord | undefined;
  if (folds) {
    t = lap('cv', t);
    const foldsDone = chosen!.folds!;
    let final: CvRecord['final'] = { source: 'configured', rows: trainRows.length };
    if (budgetParam !== undefined && Number.isInteger(configuredBudget)) {
      const planned = Number(params[budgetParam]);
      const b = finalBudget(foldsDone, planned);
      params = { ...params, [budgetParam]: b.value };
      final = { param: budgetParam, value: b.value, source: b.source, rows: trainRows.length };
    }
    checkCancel();
    const p = prepare(trainRows, [testRows]);
    fitted = p.fitted;
    trainSet = p.train;
    testSet = p.others[0];
    classWeights = classWeightsFor(trainSet.y);
    t = lap('pipeline', t);
    checkCancel();
    model = await fitFamily(
      params,
      weighted(trainSet, classWeights)!,
      undefined,
      progressOf(`final model on all ${trainRows.length.toLocaleString('en-US')} non-test rows`, {}),
    );
    const { mean, std } = foldStats(foldsDone.map((f) => f.valid));
    const kf = spec.split as Extract<AnySplitSpec, { kind: 'kfold' }>;
    cv = {
      k: foldsDone.length,
      stratified: kf.stratified ?? false,
      ...(kf.groupColumn ? { groupColumn: kf.groupColumn } : {}),
      metric,
      higherIsBetter: higher,
      folds: foldsDone,
      mean,
      std,
      baselineMean: foldStats(foldsDone.map((f) => f.baseline)).mean,
      final,
      selectedOnFolds: Boolean(s),
    };
  } else {
    model = chosen!.model!;
    fitted = holdout!.fitted;
    trainSet = holdout!.train;
    validSet = holdout!.valid;
    testSet = holdout!.test;
    classWeights = holdoutWeights;
  }
  t = lap('fit', t);

  // Metrics on valid (k-fold: the folds' mean) and test (the chosen model only), plus the baseline's.
  const metrics = {
    valid: cv ? cv.mean : await metricsOn(validSet, model),
    test: await metricsOn(testSet, model),
  };
  const baselineModel = await modelFamily('baseline').fit(trainSet, {}, fitCtx);
  const baseline = {
    valid: cv ? cv.baselineMean : await metricsOn(validSet, baselineModel),
    test: await metricsOn(testSet, baselineModel),
  };
  lap('evaluate', t);
  // The artifact holds the state; free TF.js memory held by the live model (the MLP's weights).
  free(model);
  durationsMs.total = Math.round((now() - t0) * 10) / 10;

  const stored = stripTrainingState(fitted);
  const nRows = { train: trainRows.length, valid: validRows.length, test: testRows.length };
  const splitProvenance =
    spec.split.kind === 'kfold'
      ? {
          kind: 'kfold',
          seed: spec.split.seed,
          fractions: {
            train: 1 - (spec.split.testFraction ?? 0.2),
            valid: 0,
            test: spec.split.testFraction ?? 0.2,
          },
          ...(spec.split.groupColumn ? { column: spec.split.groupColumn } : {}),
          rows: nRows,
        }
      : {
          kind: spec.split.kind,
          seed: spec.split.seed,
          fractions: (splitSummary as SplitSummary).fractions,
          ...(spec.split.column ? { column: spec.split.column } : {}),
          rows: nRows,
        };
  const artifact: ModelArtifact = {
    format: 'benchtop-model',
    version: 1,
    name: spec.name ?? `${spec.target} — ${family.id}`,
    createdAt: new Date().toISOString(),
    task,
    target: spec.target,
    ...(classes ? { classes } : {}),
    inputSchema: inputSchema(stored),
    pipeline: stored,
    model: { family: family.id, matrix: mode, params, state: model.state },
    trainingSummary: { ...summaryStats(stored), target: targetDistribution(task, trainSet.y, classes) },
    metrics,
    provenance: {
      ...(spec.notebookId ? { notebookId: spec.notebookId } : {}),
      ...(spec.cellId ? { cellId: spec.cellId } : {}),
      tableFingerprint: spec.tableFingerprint ?? fingerprintTable(table),
      seed: spec.seed,
      backend: opts.backend ?? 'js',
      split: splitProvenance,
      featureColumns: columns.map((c) => c.name),
      ...(classWeights
        ? { classWeight: { kind: 'balanced' as const, weights: Array.from(classWeights) } }
        : {}),
      ...(search ? { search } : {}),
      // The folds' loss curves stay with the run record; the artifact keeps the numbers.
      ...(cv ? { cv: { ...cv, folds: cv.folds.map(({ lossCurve: _curve, ...f }) => f) } } : {}),
      durationsMs,
      benchtopVersion,
    },
  };
  return {
    artifact,
    lossCurve: model.lossCurve,
    baseline,
    split: splitSummary,
    durationsMs,
    ...(search ? { search } : {}),
    ...(cv ? { cv } : {}),
  };
}
