/**
 * The audit worker's contract (comlink). Index build, retrieval, reranking, the judges and the
 * measures all run in this worker, so a 100,000-item audit never blocks the page.
 *
 * Inputs cross the boundary as Arrow IPC bytes straight from the data worker's `query` (transferred,
 * never decoded on the main thread); the output table comes back as Arrow IPC bytes (transferred on to
 * the data worker's `registerFile`) plus a small JSON summary. Progress comes back through a
 * comlink-proxied callback. Cancel = the caller terminates the worker: retrieval and scorer training
 * are synchronous loops that would only notice a cancel message between batches, while `terminate()`
 * stops them at once (the OPFS cache is written atomically, so a killed write leaves no torn entry).
 */
import type { AuditMeasure } from '../src/core/audit/audit.ts';

/** Which items the judge looks at: all of them, or only those whose label disagrees with the inference. */
export type JudgeScope = 'all' | 'mismatches';

export type JudgeSpec =
  | { kind: 'none' }
  | { kind: 'builtin'; scope: JudgeScope }
  | {
      kind: 'llm';
      scope: JudgeScope;
      /** OpenAI-compatible base URL (…/v1) or the full …/chat/completions URL. */
      url: string;
      model: string;
      /** From this browser's settings only; never stored in the notebook. */
      apiKey?: string;
      timeoutMs: number;
      retries: number;
      /** Requests in flight at once. */
      concurrency: number;
      /** Minimum gap between request starts (rate limit). */
      minIntervalMs: number;
    };

export interface AuditRequest {
  /** Echoed in progress events. */
  runId: string;
  /**
   * Category table as Arrow IPC stream bytes with VARCHAR columns `id`, `name`, `path`, `site`
   * (`path`/`site` all null when not configured). Transfer it.
   */
  categories: Uint8Array;
  /**
   * Items as Arrow IPC stream bytes with VARCHAR columns `id`, `title`, `label`, `site`, `truth`
   * (optional columns all null when not configured). Every row is audited. Transfer it.
   */
  items: Uint8Array;
  /** Items and categories carry a site column: only the item's own site's list is used. */
  sites: boolean;
  /** A separately checked "ground truth" column is present (measures use it instead of the labels). */
  truth: boolean;
  judge: JudgeSpec;
  /** Confidence at or above which a disagreement counts as a confident mismatch. */
  highConfidence: number;
  /** Load / store the built indexes in the OPFS cache (default true). */
  cache?: boolean;
  /** Keep the fitted site models in the worker for `artifact` (deploying). */
  keepModel?: boolean;
}

export type AuditPhase = 'read' | 'index' | 'knn' | 'train' | 'infer' | 'judge' | 'write';

export interface AuditProgress {
  runId: string;
  phase: AuditPhase;
  /** Site being processed ('' = the only, unnamed site). */
  site: string;
  done: number;
  total: number;
  /** ms since the run started. */
  elapsedMs: number;
}

/** Where an index came from in this run. */
export interface IndexInfo {
  site: string;
  kind: 'categories' | 'knn';
  source: 'cache' | 'built';
  /** Time to load it from the cache, or to build it (and store it). */
  ms: number;
  /** Leaves (categories) or labelled titles (kNN). */
  size: number;
  /** Cache key: `cat-`/`knn-` + SHA-256 of the contents and options. */
  key: string;
}

export interface JudgeSummary {
  kind: JudgeSpec['kind'];
  scope?: JudgeScope;
  /** Items given to the judge. */
  asked: number;
  confirmed: number;
  rejected: number;
  /** Items the judge could not answer (LLM: endpoint errors, invalid responses, timeouts). */
  errors: number;
  /** The first few error messages, for the summary line. */
  firstErrors: string[];
  url?: string;
  model?: string;
}

export interface AuditSummary {
  rows: number;
  /** Items whose label resolved to a leaf of their site's list. */
  labelled: number;
  /** Items with a label that did not resolve (neither an id, a path nor a unique leaf name). */
  unresolvedLabels: number;
  mismatches: number;
  highConfidence: number;
  highConfidenceMismatches: number;
  matchRate: number | null;
  /** Leaves over all sites. */
  categories: number;
  sites: string[];
  /** Items whose site has no category list (they get no category and an error). */
  noList: number;
  indexes: IndexInfo[];
  /** Whether the index cache could be used here. */
  cache: 'opfs' | 'memory' | 'unavailable' | 'off';
  judge: JudgeSummary;
  /**
   * Accuracy against the truth: the "ground truth" column when configured, else the items' own labels
   * (each item is scored by a model that never saw its label: kNN excludes it, the scorer is
   * cross-fitted). The precision of the mismatch flag needs the ground-truth column.
   */
  measure?: AuditMeasure & { truth: 'column' | 'labels' };
  timings: { readMs: number; indexMs: number; auditMs: number; judgeMs: number; writeMs: number };
}

export interface AuditResult {
  runId: string;
  /** The output table as Arrow IPC stream bytes (see `OUTPUT_COLUMNS` in workers/audit.run.ts). */
  arrow: Uint8Array;
  summary: AuditSummary;
}

export interface AuditApi {
  /** Run one audit. `onProgress` must be wrapped with `Comlink.proxy` by the caller. */
  run(request: AuditRequest, onProgress?: (p: AuditProgress) => void): Promise<AuditResult>;
  /** Arrow IPC stream bytes → Parquet file bytes (parquet-wasm; DuckDB-WASM has no Parquet writer here). */
  toParquet(arrow: Uint8Array): Promise<Uint8Array>;
  /**
   * The audit model artifact (src/core/audit/artifact.ts) of the last run made with `keepModel`, as
   * JSON text; rejects when this worker has none (it was restarted: run the cell again).
   */
  artifact(name: string, extra?: { notebookId?: string; cellId?: string }): Promise<string>;
  /** Delete every cached index; resolves with how many entries were removed. */
  clearCache(): Promise<number>;
}
