/**
 * `window.benchtop`: the automation surface of a running app. The headless runner
 * (tools/notebook-cli.ts), the e2e tests and the benchmarks drive the real app through it with
 * Playwright's `page.evaluate`. It is the same code path the UI uses, not a test double.
 */
import type { DataApi } from '../workers/data.api.ts';
import type { CellResult } from './core/cells/types.ts';
import type { NotebookDoc } from './core/notebook/types.ts';

export type CellStatus = 'idle' | 'queued' | 'running' | 'ok' | 'error' | 'stale' | 'cancelled';

export interface CellRunState {
  status: CellStatus;
  result?: CellResult;
  error?: string;
  /** Machine-readable error kind, e.g. `needs-file` or `needs-consent` (the view offers the fix). */
  errorCode?: string;
  /** Milliseconds the last run took. */
  ms?: number;
  /** How many times this cell has finished running in this page (tests use it to see what re-ran). */
  runs?: number;
}

export interface BenchtopAutomation {
  /** The data worker proxy (same one the UI uses). */
  data: DataApi;
  /** Resolves once DuckDB is instantiated and the current notebook is loaded. */
  ready(): Promise<void>;
  /** The notebook now open. */
  notebook(): NotebookDoc;
  /** Replace the open notebook (as an import would: it does not run). */
  openNotebook(doc: NotebookDoc): Promise<void>;
  /**
   * Provide a file for `file` data sources, as if dropped: `name` is the file name the notebook
   * references. Verified against the notebook's recorded size and SHA-256 when it has one.
   */
  provideFile(name: string, bytes: Uint8Array): Promise<void>;
  /** Run every cell in dependency order; resolves when all have finished (ok or error). */
  runAll(): Promise<Record<string, CellRunState>>;
  /** Current run state of every cell, by cell id. */
  states(): Record<string, CellRunState>;
  /** A table's content as CSV bytes (for the runner's outputs). */
  exportCsv(table: string): Promise<Uint8Array>;
}

declare global {
  interface Window {
    benchtop?: BenchtopAutomation;
  }
}
