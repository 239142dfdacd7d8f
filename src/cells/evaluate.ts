/**
 * Evaluate cell: evaluates one stored training run (src/storage/runStore.ts) on its validation or test
 * rows. Defines no table; reads the run's input table (so it re-runs when that table changes).
 *
 * Run: the run and its model artifact from IndexedDB → the target, the model's input columns and the
 * split column pulled as Arrow → the evaluation worker (workers/eval.worker.ts, via
 * src/core/eval/evalClient.ts; the Arrow bytes are transferred) → there, the split re-created from the
 * run's split spec (deterministic) → src/core/eval/evaluate.ts: predictions of the model and of the
 * baseline, metrics with bootstrap intervals (paired against the baseline), curves, slices, worst rows
 * with explanations (text columns per term), global SHAP, permutation importance, the trust summary.
 * The page's thread only waits: stages come back as progress (src/ui/eval/progress.svelte.ts), and
 * Cancel terminates the worker at once. The result keeps the predictions so the view can move the
 * threshold and the cost/benefit values live, without re-running.
 *
 * `runId: 'latest'` with `trainCell` follows the newest run of that train cell.
 *
 * `table`: evaluate on every row of that table instead (next month's data, or any table for a model
 * uploaded without its training table): no split; its columns must cover the model's target and
 * inputs by name (src/core/eval/onTable.ts `checkEvalTable` names the column and the table otherwise).
 */
import type { CellKindDef, CellResult, RunContext } from '../core/cells/types.ts';
import { quoteIdent } from '../core/data/tableName.ts';
import { evaluateInWorker } from '../core/eval/evalClient.ts';
import { checkEvalTable, DEFAULT_COSTS, type Evaluation, evalColumns } from '../core/eval/index.ts';
import { splitColumn } from '../core/ml/split/index.ts';
import type { CostMatrix } from '../core/eval/metrics.ts';
import { notebook } from '../state/notebook.svelte.ts';
import { getRun, listRuns, type RunRecord } from '../storage/runStore.ts';
import { arrowToRows } from '../ui/components/arrowRows.ts';
import { evalProgress } from '../ui/eval/progress.svelte.ts';
import type { EvalRequest } from '../../workers/eval.api.ts';

export interface EvaluateConfig extends Record<string, unknown> {
  /** A run id, or `latest` (the newest run of `trainCell`). */
  runId: string;
  /** With `runId: 'latest'`: the train cell whose newest run is evaluated. */
  trainCell?: string;
  /** The run's input table (recorded when the run is chosen): the cell's input. */
  input: string;
  /** Which part of the run's split (when `table` is not set). */
  part: 'valid' | 'test';
  /** Evaluate on every row of this table instead of the run's split (it is then the cell's input). */
  table?: string;
  /** Binary: predict positive when P ≥ threshold (default 0.5). */
  threshold?: number;
  /** Binary: value of each outcome per case (benefits positive, costs negative). */
  costs?: CostMatrix;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The run a config points at (the newest of its train cell for `latest`). */
export async function resolveRun(config: EvaluateConfig, notebookId: string): Promise<RunRecord | undefined> {
  if (config.runId && config.runId !== 'latest') return getRun(config.runId);
  const runs = await listRuns(notebookId);
  return runs.find((r) => !config.trainCell || r.cellId === config.trainCell);
}

export const evaluateCell: CellKindDef<EvaluateConfig> = {
  kind: 'evaluate',
  title: 'Evaluate',
  description: 'Metrics with intervals, curves, threshold & costs, slices, explanations of a trained model',
  create: () => ({ runId: 'latest', input: '', part: 'test' }),
  parse(config) {
    const c = config as Partial<EvaluateConfig> | null;
    if (!c || typeof c !== 'object') throw new Error('evaluate cell: config must be an object');
    if (typeof c.runId !== 'string') throw new Error('evaluate cell: "runId" must be a run id or "latest"');
    const out: EvaluateConfig = {
      runId: c.runId,
      input: typeof c.input === 'string' ? c.input : '',
      part: c.part === 'valid' ? 'valid' : 'test',
    };
    if (typeof c.trainCell === 'string' && c.trainCell) out.trainCell = c.trainCell;
    if (c.table !== undefined && c.table !== null && typeof c.table !== 'string')
      throw new Error('evaluate cell: "table" must be a table name');
    if (c.table) out.table = c.table;
    if (c.threshold !== undefined && c.threshold !== null) {
      if (!num(c.threshold) || c.threshold < 0 || c.threshold > 1)
        throw new Error('evaluate cell: "threshold" must be a number between 0 and 1');
      out.threshold = c.threshold;
    }
    if (c.costs !== undefined && c.costs !== null) {
      const k = c.costs as Partial<CostMatrix>;
      if (!num(k.tp) || !num(k.fp) || !num(k.fn) || !num(k.tn))
        throw new Error('evaluate cell: "costs" needs numbers tp, fp, fn, tn');
      out.costs = { tp: k.tp, fp: k.fp, fn: k.fn, tn: k.tn };
    }
    return out;
  },
  outputs: () => [],
  inputs: (c) => (c.table ? [c.table] : c.input ? [c.input] : []),
  async run(config, ctx) {
    const notebookId = notebook.doc?.id ?? '';
    const run = await resolveRun(config, notebookId);
    if (!run)
      throw new Error(
        config.runId === 'latest'
          ? 'No training run yet: train a model in a train cell first'
          : `Run ${config.runId} is not stored any more (deleted?): choose another run`,
      );
    if (config.table) return evaluateOnTable(config, config.table, run, ctx);
    const table = run.config.input;
    if (!table)
      throw new Error(
        `Run "${run.name}" has no training table in this notebook (an uploaded model): choose a table to evaluate it on`,
      );
    if (config.input && table !== config.input)
      throw new Error(`Run "${run.name}" was trained on ${table}, not ${config.input}: choose the run again`);
    const info = await ctx.data.describe(table);
    const artifact = run.artifact;
    const cols = [
      ...new Set([
        artifact.target,
        ...artifact.pipeline.columns.map((c) => c.name),
        ...(splitColumn(run.config.split) ? [splitColumn(run.config.split)!] : []),
      ]),
    ];
    const names = new Set(info.columns.map((c) => c.name));
    const missing = cols.filter((c) => !names.has(c));
    if (missing.length)
      throw new Error(
        `${table} no longer has the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} the run needs`,
      );
    const warnings: string[] = [];
    const fp = await ctx.data.query(
      `SELECT count(*)::DOUBLE AS n, CAST(sum(hash(t)) AS VARCHAR) AS h FROM ${quoteIdent(table)} t`,
      ctx.cellId,
    );
    const fpRow = arrowToRows(fp.arrow).rows[0];
    if (String(fpRow?.[1] ?? '') !== run.fingerprint.hash)
      warnings.push(
        `${table} changed since this model was trained (${Number(fpRow?.[0] ?? 0).toLocaleString('en-US')} rows now, ${run.fingerprint.rows.toLocaleString('en-US')} then): the split rows are re-created on the current table, so they are not the rows the run reported. Retrain to compare like with like.`,
      );
    const res = await ctx.data.query(
      `SELECT ${cols.map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}`,
      ctx.cellId,
    );
    if (ctx.signal.aborted) throw new Error('Cancelled');
    return scoreInWorker(
      { arrow: res.arrow, types: arrowTypes(res.columns), split: run.config.split, part: config.part },
      config,
      table,
      run,
      warnings,
      ctx,
    );
  },
};

/** Every row of `table` (no split), scored by the run's model. */
async function evaluateOnTable(
  config: EvaluateConfig,
  table: string,
  run: RunRecord,
  ctx: RunContext,
): Promise<CellResult> {
  const artifact = run.artifact;
  const info = await ctx.data.describe(table);
  checkEvalTable(artifact, table, info.columns);
  const cols = evalColumns(artifact);
  const res = await ctx.data.query(
    `SELECT ${cols.map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}`,
    ctx.cellId,
  );
  if (ctx.signal.aborted) throw new Error('Cancelled');
  return scoreInWorker(
    { arrow: res.arrow, types: arrowTypes(res.columns), part: 'all' },
    config,
    table,
    run,
    [],
    ctx,
  );
}

const arrowTypes = (columns: { name: string; type: string }[]): Record<string, string> =>
  Object.fromEntries(columns.map((c) => [c.name, c.type]));

/**
 * The evaluation worker call both paths share (the run's split, or every row of a table): progress to
 * the cell, Cancel as a clear error, and the cell's meta.
 */
async function scoreInWorker(
  rows: Pick<EvalRequest, 'arrow' | 'types' | 'split' | 'part'>,
  config: EvaluateConfig,
  table: string,
  run: RunRecord,
  warnings: string[],
  ctx: RunContext,
): Promise<CellResult> {
  let evaluation: Evaluation;
  try {
    evaluation = await evaluateInWorker(
      {
        ...rows,
        id: `${ctx.cellId}:${Date.now()}`,
        artifact: run.artifact,
        tableName: table,
        threshold: config.threshold ?? 0.5,
        costs: config.costs ?? DEFAULT_COSTS,
        seed: 42,
        resamples: 1000,
      },
      { signal: ctx.signal, onProgress: (p) => evalProgress.set(ctx.cellId, p) },
    );
  } catch (e) {
    if (ctx.signal.aborted || (e as Error).name === 'AbortError')
      throw new Error('Cancelled: the evaluation was stopped');
    throw e;
  } finally {
    evalProgress.clear(ctx.cellId);
  }
  return {
    meta: {
      runId: run.id,
      runName: run.name,
      trainCell: run.cellId,
      input: table,
      createdAt: run.createdAt,
      warnings,
      evaluation,
    },
  };
}
