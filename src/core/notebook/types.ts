/**
 * The notebook document: what is saved to IndexedDB, exported as `.benchtop.json` and packed into
 * share links. Pure data (JSON-serialisable), no runtime state. Documented in docs/notebook-format.md;
 * validated by `notebookSchema` in ./schema.ts.
 */

/** Bump when the document shape changes incompatibly; add a migration in ./schema.ts. */
export const NOTEBOOK_FORMAT_VERSION = 1 as const;

export type CellId = string;

/**
 * One cell. `kind` selects a `CellKindDef` in the registry (src/core/cells/registry.ts), which owns
 * the shape of `config`. The notebook core never looks inside `config`.
 */
export interface CellDoc {
  id: CellId;
  kind: string;
  /** Kind-specific settings, validated by the kind's `configSchema`. */
  config: Record<string, unknown>;
  /** UI only: the cell body is folded. */
  collapsed?: boolean;
}

export interface NotebookDoc {
  format: 'benchtop-notebook';
  version: typeof NOTEBOOK_FORMAT_VERSION;
  id: string;
  title: string;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601. */
  updatedAt: string;
  cells: CellDoc[];
}

/**
 * Where a data source cell's bytes come from. Shared links carry this, never the bytes.
 * - `bundled`: a dataset listed in datasets/manifest.json, served by the app itself.
 * - `file`: a file the user dropped; a receiver must drop the same file (name, size and SHA-256 match).
 * - `url`: fetched only after the user consents in a dialog.
 */
export type DataRef =
  | { type: 'bundled'; id: string }
  | { type: 'file'; name: string; size: number; sha256: string }
  | { type: 'url'; url: string };
