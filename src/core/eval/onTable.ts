/**
 * Evaluating a model on a table other than the one it was trained on ("next month's orders", or any
 * table for a model uploaded as an artifact, which has no training table in the notebook): the table
 * must carry the model's target and every input column, matched by name, each with a type the
 * model's pipeline can read. Pure: the evaluate cell checks a table's DuckDB schema with
 * `checkEvalTable` before it queries the rows, and the view uses `tableFit` to mark tables that do
 * not fit, so both say the same thing.
 */
import type { ModelArtifact } from '../ml/artifact.ts';
import type { SemanticKind } from '../ml/pipeline/index.ts';

/** A column of a table as DuckDB describes it. */
export interface TableColumn {
  name: string;
  type: string;
}

export type TypeFamily = 'numeric' | 'temporal' | 'boolean' | 'string' | 'other';

/** The family of a DuckDB type name (`DECIMAL(10,2)`, `TIMESTAMP WITH TIME ZONE`, `VARCHAR`, …). */
export function typeFamily(duckType: string): TypeFamily {
  const t = duckType.trim().toUpperCase();
  if (t === 'BOOLEAN' || t === 'BOOL') return 'boolean';
  if (/^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|ENUM|UUID)\b/.test(t)) return 'string';
  if (/^(DATE|TIMESTAMP|DATETIME|TIMESTAMPTZ|TIME)\b/.test(t)) return 'temporal';
  if (
    /^(U?TINYINT|U?SMALLINT|U?INTEGER|INT[1248]?|U?BIGINT|U?HUGEINT|DOUBLE|FLOAT[48]?|REAL|DECIMAL|NUMERIC)\b/.test(
      t,
    )
  )
    return 'numeric';
  return 'other';
}

/** Families a column may have in the evaluated table, by the input's kind (and its training type). */
function accepted(kind: SemanticKind, trainedType: string): readonly TypeFamily[] {
  switch (kind) {
    case 'numeric':
      // A boolean reads as 0/1, as in training.
      return typeFamily(trainedType) === 'boolean' ? ['boolean', 'numeric'] : ['numeric'];
    case 'datetime':
      return ['temporal'];
    case 'boolean':
      return ['boolean'];
    case 'text':
      return ['string'];
    case 'categorical':
      // Levels are compared as text: a code stored as a number in one table and text in another matches.
      return ['string', 'numeric', 'boolean'];
  }
}

const FAMILY_WORDS: Record<TypeFamily, string> = {
  numeric: 'a number',
  temporal: 'a date or timestamp',
  boolean: 'a boolean',
  string: 'text',
  other: 'an unsupported type',
};

/** The columns the evaluation reads from a table: the target, then the model's input columns. */
export function evalColumns(artifact: ModelArtifact): string[] {
  return [...new Set([artifact.target, ...artifact.pipeline.columns.map((c) => c.name)])];
}

export interface TableProblem {
  column: string;
  /** Human reason, starting with the column name. */
  message: string;
}

/** What keeps `table` from being evaluated by this model (empty = it fits). */
export function tableFit(artifact: ModelArtifact, columns: readonly TableColumn[]): TableProblem[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const out: TableProblem[] = [];
  const target = byName.get(artifact.target);
  if (!target) out.push({ column: artifact.target, message: `"${artifact.target}" (the target) is missing` });
  else {
    const fam = typeFamily(target.type);
    const ok = artifact.task === 'regression' ? fam === 'numeric' : fam !== 'other';
    if (!ok)
      out.push({
        column: artifact.target,
        message: `"${artifact.target}" (the target) is ${target.type}; the ${artifact.task} model needs ${
          artifact.task === 'regression' ? 'a number' : 'class labels (text, numbers or booleans)'
        }`,
      });
  }
  const fields = new Map(artifact.inputSchema.map((f) => [f.name, f]));
  for (const name of artifact.pipeline.columns.map((c) => c.name)) {
    if (name === artifact.target) continue;
    const col = byName.get(name);
    const f = fields.get(name);
    if (!col) {
      out.push({ column: name, message: `"${name}" is missing` });
      continue;
    }
    if (!f) continue;
    const fam = typeFamily(col.type);
    const ok = accepted(f.kind, f.type);
    if (!ok.includes(fam))
      out.push({
        column: name,
        message: `"${name}" is ${col.type}; the model was trained on ${f.type} (${f.kind}) and needs ${ok
          .map((x) => FAMILY_WORDS[x])
          .join(' or ')}`,
      });
  }
  return out;
}

/**
 * Throws a specific error when `table` cannot be evaluated by `artifact`, naming the table and each
 * column at fault (missing, or of a type the model cannot read).
 */
export function checkEvalTable(
  artifact: ModelArtifact,
  table: string,
  columns: readonly TableColumn[],
): void {
  const problems = tableFit(artifact, columns);
  if (problems.length === 0) return;
  const missing = problems.filter((p) => p.message.endsWith('is missing')).map((p) => `"${p.column}"`);
  const mistyped = problems.filter((p) => !p.message.endsWith('is missing')).map((p) => p.message);
  const parts = [
    missing.length
      ? `lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} the model needs (columns are matched by name)`
      : '',
    mistyped.length ? `has ${mistyped.join('; ')}` : '',
  ].filter(Boolean);
  throw new Error(
    `Cannot evaluate "${artifact.name}" on table ${table}: it ${parts.join(', and ')}. Rename or cast the columns in a SQL cell.`,
  );
}

/** How the evaluated rows are described: "test", "validation", or the other table's name. */
export function partLabel(ev: { part: 'valid' | 'test' | 'all'; table?: string }): string {
  switch (ev.part) {
    case 'valid':
      return 'validation';
    case 'test':
      return 'test';
    case 'all':
      return ev.table ?? 'evaluated';
  }
}

/** The columns the evaluation needs that a table (given by its column names) lacks. */
export function missingColumns(artifact: ModelArtifact, names: readonly string[]): string[] {
  const have = new Set(names);
  return evalColumns(artifact).filter((c) => !have.has(c));
}
