/**
 * The evaluation worker's contract (comlink). The evaluate cell's whole computation — predictions,
 * 1,000 bootstrap resamples, slices, SHAP, permutation importance — runs here, off the page's thread,
 * with the pure code of src/core/eval (`evaluateArtifact`), so a large test set does not freeze the
 * page. The table arrives as Arrow IPC bytes (from the data worker's `query`), transferred, not
 * copied; stages come back through a comlink-proxied callback; the result is the plain `Evaluation`.
 *
 * Cancel: `cancel(id)` stops at the next stage boundary; the main-thread client
 * (src/core/eval/evalClient.ts) also terminates the worker, so a long stage does not have to finish.
 */
import type { EvalPart, Evaluation } from '../src/core/eval/evaluate.ts';
import type { CostMatrix } from '../src/core/eval/metrics.ts';
import type { TextTerms } from '../src/core/eval/terms.ts';
import type { ModelArtifact } from '../src/core/ml/artifact.ts';
import type { AnySplitSpec } from '../src/core/ml/split/index.ts';

export interface EvalRequest {
  /** Id used by `cancel` and echoed in progress events. */
  id: string;
  /**
   * The run's table (target, input columns, split column), or with `part: 'all'` another table's
   * target and input columns, as Arrow IPC bytes. Transfer it.
   */
  arrow: Uint8Array;
  /** DuckDB type per column (the data worker's `QueryResult.columns`); datetimes become epoch ms. */
  types?: Record<string, string>;
  /** A plain object (not a Svelte `$state` proxy: those cannot be posted). */
  artifact: ModelArtifact;
  /** The run's split (holdout or k-fold); not needed with `part: 'all'` (every row of another table). */
  split?: AnySplitSpec;
  /** The table's name (shown with `part: 'all'`, and named in errors). */
  tableName?: string;
  part: EvalPart;
  threshold: number;
  costs: CostMatrix;
  seed: number;
  resamples: number;
}

export interface EvalProgress {
  id: string;
  /** What is being computed (`predicting`, `bootstrapping the metrics`, …). */
  stage: string;
  /** 1-based stage number and the number of stages. */
  step: number;
  total: number;
  /** ms since the evaluation started. */
  elapsedMs: number;
}

/** One record's explanation, folded onto input columns (text columns also per term). */
export interface RecordExplanation {
  base: number;
  /** Input column → contribution (raw-output space); base + Σ = the raw output. */
  contributions: Record<string, number>;
  terms?: TextTerms[];
  /** Sampled explainers (MLP): the error bound per value. */
  errorBound?: number;
}

export interface EvalApi {
  /**
   * Evaluate a model artifact on one part of its split (`evaluateArtifact`). Rejects with an error
   * named `AbortError` after `cancel`. `onProgress` must be wrapped with `Comlink.proxy` by the caller.
   */
  evaluate(request: EvalRequest, onProgress?: (p: EvalProgress) => void): Promise<Evaluation>;
  /** Cancel a running evaluation by id (takes effect between stages); true if one was running. */
  cancel(id: string): Promise<boolean>;
  /**
   * Explain raw records with an artifact's own explainer (`LoadedModel.explainRecord`: TreeSHAP,
   * exact linear, the MLP's sampled SHAP), here in the worker, with the wall time of each record
   * (after `warmup` untimed ones). Used by the explain bench and by the predict panel for MLP models
   * (whose sampled SHAP takes seconds: off the page's thread); `classIndex` is the explained class
   * (multiclass; default 0). Rejects when the family cannot explain.
   *
   * `modelKey` (the artifact's content hash): the loaded model is kept in the worker under that key
   * (the two most recent, older ones disposed), so the next call with the same key skips loading;
   * without it the model is loaded for this call and disposed after. `cached` says whether it was
   * already loaded; `loadMs` is the time spent loading (0 on a hit).
   */
  explainRecords(
    artifact: ModelArtifact,
    records: Record<string, unknown>[],
    opts?: { terms?: number; warmup?: number; classIndex?: number; modelKey?: string },
  ): Promise<{
    explanations: RecordExplanation[];
    msPerRecord: number[];
    backend: string;
    cached: boolean;
    loadMs: number;
  }>;
}
