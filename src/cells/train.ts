/**
 * Train cell: fits one model on a table in the training worker (TF.js, src/core/ml) and stores the
 * run (config, table fingerprint, metrics, loss curve, artifact) in IndexedDB (src/storage/runStore.ts).
 * Defines no table; reads `input`.
 *
 * Run: the table's fingerprint (`count(*)`, `sum(hash(row))` in SQL) → when the run was not asked for
 * by the Train button and a stored run of this cell has the same settings and fingerprint, it is shown
 * again instead of retraining (a reload or "Run all" does not retrain) → otherwise the target, the
 * features and the split column are pulled as Arrow → `train` in the worker, progress into
 * src/state/training.svelte.ts → the run is stored in one write after success. Cancel (ctx.signal)
 * cancels the worker's run and returns at once; nothing is stored.
 *
 * Default features: every column but the target, minus those the profile logic
 * (src/core/profile) flags as identifiers, leakage or functions of the target, and columns of types the
 * pipeline cannot use. The view lists each exclusion with its reason; the user can undo it, which
 * writes an explicit `features` list.
 */
import type { DataApi, TableInfo } from '../../workers/data.api.ts';
import type { BackendInfo, TrainProgress, TrainResult } from '../../workers/train.api.ts';
import type { CellKindDef, RunContext } from '../core/cells/types.ts';
import { quoteIdent } from '../core/data/tableName.ts';
import { modelFamily } from '../core/ml/registry.ts';
import type { AnySplitSpec, KFoldSpec, SplitSpec } from '../core/ml/split/index.ts';
import { describeSplit, splitColumn } from '../core/ml/split/index.ts';
import { cancelTraining, train, trainerBackend } from '../core/ml/trainClient.ts';
import type { Task } from '../core/ml/types.ts';
import { profileTable } from '../core/profile/profile.ts';
import { familyOf } from '../core/profile/sql.ts';
import { warningsFor } from '../core/profile/warnings.ts';
import { notebook } from '../state/notebook.svelte.ts';
import { training } from '../state/training.svelte.ts';
import {
  listRuns,
  putRun,
  type RunConfig,
  type RunRecord,
  type TableFingerprint,
} from '../storage/runStore.ts';
import { arrowToRows } from '../ui/components/arrowRows.ts';

export interface TrainConfig extends Record<string, unknown> {
  input: string;
  target: string;
  /** Absent: detected from the target's values. */
  task?: Task;
  /** Absent: every column but the target and the automatic exclusions. */
  features?: string[];
  /** Holdout split, or k-fold cross-validation (`kind: 'kfold'`) with a held-out test part. */
  split: AnySplitSpec;
  family: string;
  /** Overrides of the family's defaults. */
  params: Record<string, unknown>;
  seed: number;
  /** Run / model name; empty = `<family> · <target>`. */
  name: string;
  /** Class weights for classification (TrainSpec.classWeight); absent = none. */
  classWeight?: 'none' | 'balanced';
  /**
   * Hyperparameter search over the family's default space, scored on validation (k-fold: the folds'
   * mean): `random` (`trials` configurations) or successive `halving` (`trials` configurations, keep
   * 1/`eta` per rung); absent = off.
   */
  search?: SearchConfig;
}

export type SearchConfig =
  | { kind: 'random'; trials: number }
  | { kind: 'halving'; trials: number; eta: number };

/** Trials of a search when the form does not say. */
export const DEFAULT_SEARCH_TRIALS = 8;
const MAX_SEARCH_TRIALS = 200;
/** Successive halving: eta when the form does not say, and its range. */
export const DEFAULT_ETA = 3;
const MAX_ETA = 10;
/** K-fold: folds when the form does not say, and the most the form allows. */
export const DEFAULT_FOLDS = 5;
export const MAX_FOLDS = 20;

export const TASKS: readonly Task[] = ['binary', 'multiclass', 'regression'];
const SPLIT_KINDS = ['random', 'stratified', 'temporal', 'grouped', 'kfold'] as const;

export function defaultSplit(): SplitSpec {
  return { kind: 'stratified', seed: 42, fractions: { train: 0.7, valid: 0.15, test: 0.15 } };
}

/** K-fold as the form starts it: 5 stratified folds (classification) and a 20 % test part. */
export function defaultKFold(seed = 42, stratified = true): KFoldSpec {
  return { kind: 'kfold', k: DEFAULT_FOLDS, stratified, seed, testFraction: 0.2 };
}

function parseKFold(s: Partial<KFoldSpec>): KFoldSpec {
  const k = s.k ?? DEFAULT_FOLDS;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 2 || k > MAX_FOLDS)
    throw new Error(`train cell: k-fold "k" must be an integer from 2 to ${MAX_FOLDS}`);
  const testFraction = s.testFraction ?? 0.2;
  if (typeof testFraction !== 'number' || !(testFraction >= 0 && testFraction < 1))
    throw new Error('train cell: k-fold "testFraction" must be ≥ 0 and < 1');
  const out: KFoldSpec = {
    kind: 'kfold',
    k,
    stratified: s.stratified === true,
    seed: typeof s.seed === 'number' ? s.seed : 42,
    testFraction,
  };
  if (typeof s.groupColumn === 'string' && s.groupColumn) out.groupColumn = s.groupColumn;
  return out;
}

function parseSplit(v: unknown): AnySplitSpec {
  if (v === undefined || v === null) return defaultSplit();
  if (typeof v === 'object' && (v as { kind?: unknown }).kind === 'kfold')
    return parseKFold(v as Partial<KFoldSpec>);
  const s = v as Partial<SplitSpec>;
  if (typeof s !== 'object' || !SPLIT_KINDS.includes(s.kind as (typeof SPLIT_KINDS)[number]))
    throw new Error(`train cell: split kind must be one of ${SPLIT_KINDS.join(', ')}`);
  const f = s.fractions ?? defaultSplit().fractions;
  for (const k of ['train', 'valid', 'test'] as const)
    if (typeof f[k] !== 'number' || !(f[k] >= 0))
      throw new Error(`train cell: split fraction "${k}" must be ≥ 0`);
  const out: SplitSpec = {
    kind: s.kind as SplitSpec['kind'],
    seed: typeof s.seed === 'number' ? s.seed : 42,
    fractions: { train: f.train, valid: f.valid, test: f.test },
  };
  if (typeof s.column === 'string' && s.column) out.column = s.column;
  return out;
}

/** A column left out of the default features, and why. */
export interface Exclusion {
  column: string;
  code: 'identifier' | 'leakage' | 'target-function' | 'unsupported';
  reason: string;
}

const analyses = new Map<string, Promise<Exclusion[]>>();

/**
 * Columns the default feature set leaves out (profile warnings: identifier, leakage, target function;
 * plus types the pipeline cannot encode). Cached per table content signature and target.
 */
export function autoExclusions(data: DataApi, info: TableInfo, target: string): Promise<Exclusion[]> {
  const key = `${info.name}\u0000${target}\u0000${info.rowCount}\u0000${info.columns.map((c) => `${c.name}:${c.type}`).join(',')}`;
  let p = analyses.get(key);
  if (!p) {
    p = computeExclusions(data, info, target);
    analyses.set(key, p);
    p.catch(() => analyses.delete(key));
  }
  return p;
}

async function computeExclusions(data: DataApi, info: TableInfo, target: string): Promise<Exclusion[]> {
  const out: Exclusion[] = [];
  const usable = info.columns.filter((c) => {
    if (c.name === target) return true;
    if (familyOf(c.type) !== 'other') return true;
    out.push({ column: c.name, code: 'unsupported', reason: `${c.type} columns cannot be model features` });
    return false;
  });
  const run = async (sql: string) => {
    const res = await data.query(sql);
    const { columns, rows } = arrowToRows(res.arrow);
    return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
  };
  const profile = await profileTable(run, info.name, usable, { target });
  for (const w of warningsFor(profile)) {
    if (!w.column || w.column === target || out.some((e) => e.column === w.column)) continue;
    if (w.code === 'identifier' || w.code === 'leakage' || w.code === 'target-function')
      out.push({ column: w.column, code: w.code, reason: `${w.message} (${w.evidence})` });
  }
  return out;
}

/** The features a run uses: the explicit list, or all columns minus the target and the exclusions. */
export function resolveFeatures(
  config: Pick<TrainConfig, 'features' | 'target'>,
  columns: readonly string[],
  exclusions: readonly Exclusion[],
): string[] {
  if (config.features) return config.features.filter((f) => f !== config.target);
  const out = new Set(exclusions.map((e) => e.column));
  return columns.filter((c) => c !== config.target && !out.has(c));
}

export const defaultRunName = (family: string, target: string) => {
  let title = family;
  try {
    title = modelFamily(family).title;
  } catch {
    /* unknown family: its id */
  }
  return `${title} · ${target}`;
};

/** The fingerprint of a table, in SQL (order-independent hash of every row). */
async function fingerprint(ctx: RunContext, info: TableInfo): Promise<TableFingerprint> {
  const res = await ctx.data.query(
    `SELECT count(*)::DOUBLE AS n, CAST(sum(hash(t)) AS VARCHAR) AS h FROM ${quoteIdent(info.name)} t`,
    ctx.cellId,
  );
  const { rows } = arrowToRows(res.arrow);
  return {
    rows: Number(rows[0]?.[0] ?? info.rowCount),
    columns: info.columns.map((c) => ({ name: c.name, type: c.type })),
    hash: String(rows[0]?.[1] ?? ''),
  };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const newRunId = () =>
  `run-${Date.now().toString(36)}-${Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0')).join('')}`;

/** The cell's result from a stored run (fresh or restored). */
export async function resultOf(
  run: RunRecord,
  restored: boolean,
): Promise<{ meta: Record<string, unknown>; charts: { name: string; svg: string }[] }> {
  // Observable Plot loads with the first chart, not with the app (keeps the first paint small).
  const { chartSvg, lossChart } = await import('../ui/train/charts.ts');
  const { overlayLossChart } = await import('../ui/train/charts.ts');
  const xLabel = stepLabel(run.config.family);
  // K-fold: each fold's curves (validation solid, train dashed) and the final refit's train curve.
  const foldCurves = (run.cv?.folds ?? [])
    .filter((f) => (f.lossCurve?.length ?? 0) > 0)
    .map((f) => ({ name: `fold ${f.fold}`, points: f.lossCurve! }));
  const charts =
    typeof document === 'undefined'
      ? []
      : foldCurves.length > 0
        ? [
            {
              name: 'loss',
              // A figure (legend + plot): keep all of it, not just its first svg (the legend swatch).
              svg: overlayLossChart([...foldCurves, { name: 'final (train)', points: run.lossCurve }], {
                xLabel,
              }).outerHTML,
            },
          ]
        : run.lossCurve.length > 0
          ? [{ name: 'loss', svg: chartSvg(lossChart(run.lossCurve, { xLabel })) }]
          : [];
  return {
    meta: {
      runId: run.id,
      name: run.name,
      restored,
      task: run.config.task,
      family: run.config.family,
      features: run.config.features,
      metrics: run.metrics,
      baseline: run.baseline,
      backend: run.backend,
      backendReason: run.backendReason,
      durationsMs: run.durationsMs,
      split: run.split ? describeSplit(run.split) : [],
      splitSummary: run.split,
      rows: run.fingerprint.rows,
      classWeight: run.config.classWeight ?? 'none',
      search: run.artifact.provenance.search,
      cv: run.cv ?? run.artifact.provenance.cv,
    },
    charts,
  };
}

export const stepLabel = (family: string) =>
  family === 'gbdt' ? 'tree' : family === 'mlp' ? 'epoch' : family === 'linear' ? 'iteration' : 'step';

/** Rejects with "Cancelled" as soon as the signal aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new Error('Cancelled'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

export const trainCell: CellKindDef<TrainConfig> = {
  kind: 'train',
  title: 'Train',
  description: 'Train a model (logistic/linear, MLP, gradient-boosted trees) with an honest split',
  create: (names) => ({
    input: [...names].at(-1) ?? '',
    target: '',
    split: defaultSplit(),
    family: 'gbdt',
    params: {},
    seed: 42,
    name: '',
  }),
  parse(config) {
    const c = config as Partial<TrainConfig> | null;
    if (!c || typeof c.input !== 'string') throw new Error('train cell: "input" must be a table name');
    const out: TrainConfig = {
      input: c.input,
      target: typeof c.target === 'string' ? c.target : '',
      split: parseSplit(c.split),
      family: typeof c.family === 'string' && c.family ? c.family : 'gbdt',
      params: c.params && typeof c.params === 'object' && !Array.isArray(c.params) ? { ...c.params } : {},
      seed: typeof c.seed === 'number' && Number.isFinite(c.seed) ? c.seed : 42,
      name: typeof c.name === 'string' ? c.name : '',
    };
    if (c.task !== undefined && c.task !== null) {
      if (!TASKS.includes(c.task)) throw new Error(`train cell: task must be one of ${TASKS.join(', ')}`);
      out.task = c.task;
    }
    if (c.classWeight !== undefined && c.classWeight !== null) {
      if (c.classWeight !== 'none' && c.classWeight !== 'balanced')
        throw new Error('train cell: classWeight must be "none" or "balanced"');
      if (c.classWeight === 'balanced') out.classWeight = 'balanced';
    }
    if (c.search !== undefined && c.search !== null) {
      const s = c.search as { kind?: unknown; trials?: unknown; eta?: unknown };
      if (typeof s !== 'object' || (s.kind !== undefined && s.kind !== 'random' && s.kind !== 'halving'))
        throw new Error(
          'train cell: search must be { kind: "random", trials } or { kind: "halving", trials, eta }',
        );
      const trials = s.trials ?? DEFAULT_SEARCH_TRIALS;
      if (typeof trials !== 'number' || !Number.isInteger(trials) || trials < 1 || trials > MAX_SEARCH_TRIALS)
        throw new Error(`train cell: search trials must be an integer from 1 to ${MAX_SEARCH_TRIALS}`);
      if (s.kind === 'halving') {
        const eta = s.eta ?? DEFAULT_ETA;
        if (typeof eta !== 'number' || !Number.isInteger(eta) || eta < 2 || eta > MAX_ETA)
          throw new Error(`train cell: search eta must be an integer from 2 to ${MAX_ETA}`);
        out.search = { kind: 'halving', trials, eta };
      } else out.search = { kind: 'random', trials };
    }
    if (c.features !== undefined && c.features !== null) {
      if (!Array.isArray(c.features) || c.features.some((f) => typeof f !== 'string'))
        throw new Error('train cell: "features" must be a list of column names');
      out.features = [...c.features];
    }
    return out;
  },
  outputs: () => [],
  inputs: (c) => (c.input ? [c.input] : []),
  async run(config, ctx) {
    const force = training.takeForce(ctx.cellId);
    if (!config.input) throw new Error('Choose a table to train on');
    if (!config.target) throw new Error('Choose the target column (what the model predicts)');
    const t0 = performance.now();
    const info = await ctx.data.describe(config.input);
    const names = info.columns.map((c) => c.name);
    if (!names.includes(config.target))
      throw new Error(
        `Target "${config.target}" is not a column of ${config.input} (columns: ${names.join(', ')})`,
      );
    const family = modelFamily(config.family);
    const exclusions = config.features ? [] : await autoExclusions(ctx.data, info, config.target);
    if (ctx.signal.aborted) throw new Error('Cancelled');
    const features = resolveFeatures(config, names, exclusions);
    const missing = features.filter((f) => !names.includes(f));
    if (missing.length)
      throw new Error(
        `Feature column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} not in ${config.input}`,
      );
    if (features.length === 0) throw new Error('No feature columns: include at least one');
    if ((config.split.kind === 'temporal' || config.split.kind === 'grouped') && !config.split.column)
      throw new Error(`A ${config.split.kind} split needs a column: choose one under Split`);
    const splitCol = splitColumn(config.split);
    if (splitCol && !names.includes(splitCol))
      throw new Error(`Split column "${splitCol}" is not in ${config.input}`);
    if (config.search?.kind === 'halving' && !family.budgetParam)
      throw new Error(
        `${family.title} has no budget (rounds / epochs) for successive halving: choose random search`,
      );

    const fp = await fingerprint(ctx, info);
    const params = { ...(family.defaults as Record<string, unknown>), ...config.params };
    const name = config.name.trim() || defaultRunName(family.id, config.target);
    const wanted = {
      input: config.input,
      target: config.target,
      task: config.task ?? null,
      features,
      split: config.split,
      family: family.id,
      params,
      seed: config.seed,
      classWeight: config.classWeight ?? 'none',
      search: config.search ?? null,
    };
    const notebookId = notebook.doc?.id ?? '';
    if (!force) {
      // Same settings on the same data: show the stored run instead of training again.
      const prior = (await listRuns(notebookId)).find(
        (r) =>
          r.cellId === ctx.cellId &&
          r.origin === 'train' &&
          r.fingerprint.hash === fp.hash &&
          sameJson(wanted, {
            input: r.config.input,
            target: r.config.target,
            task: r.config.taskDetected ? null : r.config.task,
            features: r.config.features,
            split: r.config.split,
            family: r.config.family,
            params: r.config.requestedParams ?? r.config.params,
            seed: r.config.seed,
            classWeight: r.config.classWeight ?? 'none',
            search: r.config.search ?? null,
          }),
      );
      if (prior) return resultOf(prior, true);
    }

    const cols = [...new Set([config.target, ...features, ...(splitCol ? [splitCol] : [])])];
    const query = await ctx.data.query(
      `SELECT ${cols.map(quoteIdent).join(', ')} FROM ${quoteIdent(config.input)}`,
      ctx.cellId,
    );
    if (ctx.signal.aborted) throw new Error('Cancelled');
    const types = Object.fromEntries(query.columns.map((c) => [c.name, c.type]));
    const runId = newRunId();
    training.start(ctx.cellId, runId);
    let backend: BackendInfo;
    try {
      backend = await Promise.race([trainerBackend(), aborted(ctx.signal)]);
    } catch (e) {
      training.setPhase(ctx.cellId, ctx.signal.aborted ? 'cancelled' : 'error');
      throw e;
    }
    training.setBackend(ctx.cellId, backend);
    const onAbort = () => void cancelTraining(runId).catch(() => undefined);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const tTrain = performance.now();
    let result: TrainResult;
    try {
      result = await Promise.race([
        train(
          {
            runId,
            arrow: query.arrow,
            types,
            target: config.target,
            ...(config.task ? { task: config.task } : {}),
            featureColumns: features,
            split: config.split,
            family: family.id,
            params: config.params,
            seed: config.seed,
            ...(config.classWeight === 'balanced' ? { classWeight: 'balanced' as const } : {}),
            ...(config.search ? { search: { ...config.search } } : {}),
            name,
            notebookId,
            cellId: ctx.cellId,
            tableFingerprint: `duckdb:${fp.rows}:${fp.hash}`,
          },
          (p: TrainProgress) => training.progress(ctx.cellId, p),
        ),
        aborted(ctx.signal),
      ]);
    } catch (e) {
      const cancelled = ctx.signal.aborted || (e as Error).name === 'AbortError';
      training.setPhase(ctx.cellId, cancelled ? 'cancelled' : 'error', (e as Error).message);
      throw cancelled ? new Error('Cancelled: the training was stopped and no run was stored') : e;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    if (ctx.signal.aborted) {
      training.setPhase(ctx.cellId, 'cancelled');
      throw new Error('Cancelled: the training was stopped and no run was stored');
    }
    training.setPhase(ctx.cellId, 'saving');
    const runConfig: RunConfig = {
      input: config.input,
      target: config.target,
      task: result.artifact.task,
      taskDetected: !config.task,
      features,
      split: config.split,
      family: family.id,
      params: result.artifact.model.params,
      overrides: config.params,
      requestedParams: params,
      seed: config.seed,
      ...(config.classWeight === 'balanced' ? { classWeight: 'balanced' as const } : {}),
      ...(config.search ? { search: { ...config.search } } : {}),
    };
    const record: RunRecord = {
      id: runId,
      notebookId,
      cellId: ctx.cellId,
      createdAt: new Date().toISOString(),
      name,
      starred: false,
      origin: 'train',
      config: runConfig,
      fingerprint: fp,
      backend: result.backend,
      backendReason: backend.reason,
      durationsMs: {
        ...result.durationsMs,
        query: Math.round(query.ms),
        worker: Math.round(performance.now() - tTrain),
        wall: Math.round(performance.now() - t0),
      },
      metrics: result.artifact.metrics,
      baseline: result.baseline,
      split: result.split,
      ...(result.cv ? { cv: result.cv } : {}),
      lossCurve: result.lossCurve,
      artifact: result.artifact,
    };
    await putRun(record);
    training.setPhase(ctx.cellId, 'done');
    training.runsChanged();
    return resultOf(record, false);
  },
};
