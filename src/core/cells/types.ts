/**
 * The cell-kind contract. A kind is registered once (see ./registry.ts and src/cells/index.ts) and the
 * notebook core — graph, runtime, persistence, headless runner — works for it without changes.
 *
 * Dependencies are derived, not declared by the user: a cell's `outputs` are the table names it
 * defines; its `inputs` are the names it reads. The graph (src/core/notebook/graph.ts) links a reader
 * to the cell that outputs the name it reads.
 */
import type { DataApi, TableInfo } from '../../../workers/data.api.ts';
import type { DataRef } from '../notebook/types.ts';

/** Everything a running cell may use. Main-thread only (it holds worker proxies), but no DOM. */
export interface RunContext {
  /** The data worker (comlink proxy). */
  data: DataApi;
  /** Aborted when the user cancels or the cell is re-run before finishing. */
  signal: AbortSignal;
  /** Id of the running cell; use it as the data worker's `queryId` so Cancel works. */
  cellId: string;
  /** Resolve a data source's bytes (bundled fetch, stored file, or consented URL). */
  loadSource(ref: DataRef): Promise<{ bytes: Uint8Array; fileName: string }>;
}

/** A chart a cell produced: the headless runner writes it as `<cell>-<name>.svg`. */
export interface ChartOutput {
  name: string;
  svg: string;
}

/** What a successful run leaves behind. All fields JSON-serialisable. */
export interface CellResult {
  /** Tables this cell created (its outputs), with their schema and row counts. */
  tables?: TableInfo[];
  /** Sanitised HTML to show (markdown). */
  html?: string;
  /** Numbers and facts about the run (row counts, metrics…); written to `<cell>.json` by the runner. */
  meta?: Record<string, unknown>;
  charts?: ChartOutput[];
}

export interface CellKindDef<C extends Record<string, unknown> = Record<string, unknown>> {
  /** Stable id stored in notebooks (`markdown`, `source`, `sql`, `table`, …). */
  kind: string;
  /** Shown in the "add cell" menu. */
  title: string;
  /** One line for the "add cell" menu. */
  description: string;
  /** Default config for a new cell. `names` are the output names already taken in the notebook. */
  create(names: ReadonlySet<string>): C;
  /** Validate a config from storage, an import or a link; throw an Error with a specific message. */
  parse(config: unknown): C;
  /** Table names this cell defines. */
  outputs(config: C): string[];
  /** Table names this cell reads; `known` is every output name in the notebook (for SQL parsing). */
  inputs(config: C, known: ReadonlySet<string>): string[];
  /** Execute. Throw to fail: the message is shown in place. */
  run(config: C, ctx: RunContext): Promise<CellResult>;
}
