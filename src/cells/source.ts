/**
 * Data source cell: one file (bundled dataset, dropped file, or consented URL) becomes one DuckDB
 * table named `name`. Column type overrides are stored in the cell and re-applied on every run.
 */
import { quoteIdent } from '../core/data/tableName.ts';
import type { CellKindDef } from '../core/cells/types.ts';
import { dataRefSchema } from '../core/notebook/schema.ts';
import type { DataRef } from '../core/notebook/types.ts';

export interface SourceConfig extends Record<string, unknown> {
  /** Output table name. */
  name: string;
  ref: DataRef;
  /** Column → DuckDB type, applied after ingest with a checked cast. */
  columnTypes?: Record<string, string>;
}

function parseRef(ref: unknown): DataRef {
  const r = dataRefSchema.safeParse(ref);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(
      `source cell: ref${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return r.data;
}

export const sourceCell: CellKindDef<SourceConfig> = {
  kind: 'source',
  title: 'Data source',
  description: 'Load a bundled dataset, a dropped file or a URL as a table',
  create: (names) => {
    let name = 'weather';
    for (let i = 2; names.has(name); i++) name = `weather_${i}`;
    return { name, ref: { type: 'bundled', id: 'seattle-weather' } };
  },
  parse(config) {
    const c = config as Partial<SourceConfig> | null;
    if (!c || typeof c.name !== 'string' || !c.name) throw new Error('source cell: "name" is required');
    const columnTypes: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.columnTypes ?? {})) {
      if (typeof v !== 'string') throw new Error(`source cell: columnTypes.${k} must be a type name`);
      columnTypes[k] = v;
    }
    return { name: c.name, ref: parseRef(c.ref), columnTypes };
  },
  outputs: (c) => [c.name],
  inputs: () => [],
  async run(config, ctx) {
    const { bytes, fileName } = await ctx.loadSource(config.ref);
    const info = await ctx.data.registerFile({
      table: config.name,
      fileName,
      bytes,
      columnTypes: config.columnTypes,
    });
    return { tables: [info], meta: { table: quoteIdent(config.name), rows: info.rowCount, file: fileName } };
  },
};
