/**
 * Predict / explain cell: one record through a stored training run's model (src/storage/runStore.ts),
 * live, in the main thread with the same `loadArtifact` module the companion server uses; plus deploying
 * that run's artifact to the server (POST /v1/models) from the view.
 *
 * Defines no table; reads the run's input table (so it re-runs — and picks the newest run — when the
 * table is retrained on). Running only resolves the run and checks the table: the record, the
 * prediction and the waterfall live in the view (src/ui/cells/PredictView.svelte), recomputed as the
 * user edits. The edited record is kept in `record` (saved with the notebook); the deploy token never
 * is (localStorage only, see src/ui/predict/api.ts).
 *
 * `runId: 'latest'` with `trainCell` follows the newest run of that train cell.
 */
import type { CellKindDef } from '../core/cells/types.ts';
import { quoteIdent } from '../core/data/tableName.ts';
import { notebook } from '../state/notebook.svelte.ts';
import { getRun, listRuns, type RunRecord } from '../storage/runStore.ts';
import { arrowToRows } from '../ui/components/arrowRows.ts';

export interface PredictConfig extends Record<string, unknown> {
  /** A run id, or `latest` (the newest run of `trainCell`). */
  runId: string;
  /** With `runId: 'latest'`: the train cell whose newest run is used. */
  trainCell?: string;
  /** The run's input table (recorded when the run is chosen): the cell's input. */
  input?: string;
  /** The record being edited (input column → raw value). */
  record?: Record<string, unknown>;
  /** Name to deploy under (default: the run's name, slugified). */
  deployName?: string;
}

/** The server's model-name rule (server/store/store.ts MODEL_NAME). */
export const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A run name → a valid model name (`gbdt · late` → `gbdt-late`). */
export function slugName(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 64)
    .replace(/[-_]+$/g, '');
  return MODEL_NAME.test(s) ? s : 'model';
}

/** The run a config points at (the newest of its train cell for `latest`). */
export async function resolvePredictRun(
  config: Pick<PredictConfig, 'runId' | 'trainCell'>,
  notebookId: string,
): Promise<RunRecord | undefined> {
  if (config.runId && config.runId !== 'latest') return getRun(config.runId);
  const runs = await listRuns(notebookId);
  return runs.find((r) => !config.trainCell || r.cellId === config.trainCell);
}

const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

export const predictCell: CellKindDef<PredictConfig> = {
  kind: 'predict',
  title: 'Predict',
  description: 'Predict and explain one record live (waterfall), copy it as curl, deploy the model',
  create: () => ({ runId: 'latest' }),
  parse(config) {
    const c = config as Partial<PredictConfig> | null;
    if (!c || typeof c !== 'object') throw new Error('predict cell: config must be an object');
    if (typeof c.runId !== 'string') throw new Error('predict cell: "runId" must be a run id or "latest"');
    const out: PredictConfig = { runId: c.runId };
    if (typeof c.trainCell === 'string' && c.trainCell) out.trainCell = c.trainCell;
    if (typeof c.input === 'string' && c.input) out.input = c.input;
    if (c.record !== undefined && c.record !== null) {
      if (!isPlainRecord(c.record))
        throw new Error('predict cell: "record" must be an object of column → value');
      const rec: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(c.record)) {
        if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
        if (
          v === null ||
          typeof v === 'string' ||
          typeof v === 'boolean' ||
          (typeof v === 'number' && Number.isFinite(v))
        )
          rec[k] = v;
        else throw new Error(`predict cell: record field "${k}" must be a string, number, boolean or null`);
      }
      out.record = rec;
    }
    if (typeof c.deployName === 'string' && c.deployName) {
      if (!MODEL_NAME.test(c.deployName))
        throw new Error('predict cell: "deployName" must match ^[a-z0-9][a-z0-9_-]{0,63}$');
      out.deployName = c.deployName;
    }
    return out;
  },
  outputs: () => [],
  inputs: (c) => (c.input ? [c.input] : []),
  async run(config, ctx) {
    const run = await resolvePredictRun(config, notebook.doc?.id ?? '');
    if (!run)
      throw new Error(
        config.runId === 'latest'
          ? 'No training run yet: train a model in a train cell first'
          : `Run ${config.runId} is not stored any more (deleted?): choose another run`,
      );
    const table = run.config.input;
    const base = {
      runId: run.id,
      runName: run.name,
      trainCell: run.cellId,
      task: run.artifact.task,
      family: run.artifact.model.family,
      target: run.artifact.target,
      modelName: slugName(run.name),
    };
    // An uploaded model that no table of the notebook fits (runFromArtifact): records are typed in.
    if (!table) return { meta: { ...base, rows: 0, missingColumns: [] } };
    if (config.input && table !== config.input)
      throw new Error(`Run "${run.name}" was trained on ${table}, not ${config.input}: choose the run again`);
    const info = await ctx.data.describe(table);
    const names = new Set(info.columns.map((c) => c.name));
    const missing = run.artifact.inputSchema.map((f) => f.name).filter((n) => !names.has(n));
    const res = await ctx.data.query(`SELECT count(*)::DOUBLE AS n FROM ${quoteIdent(table)}`, ctx.cellId);
    if (ctx.signal.aborted) throw new Error('Cancelled');
    const rows = Number(arrowToRows(res.arrow).rows[0]?.[0] ?? 0);
    return {
      meta: {
        ...base,
        input: table,
        rows,
        /** Input columns the table no longer has ("Fill from row" leaves them as they are). */
        missingColumns: missing,
      },
    };
  },
};
