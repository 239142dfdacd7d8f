/**
 * Data source cell: one file (bundled dataset, dropped file, or consented URL) becomes one DuckDB
 * table named `name`. Column type overrides are stored in the cell and re-applied on every run.
 */
import { quoteIdent } from '../core/data/tableName.ts';
import type { CellKindDef } from '../core/cells/types.ts';
import type { DataRef } from '../core/notebook/types.ts';

export interface SourceConfig extends Record<string, unknown> {
  /** Output table name. */
  name: string;
  ref: DataRef;
  /** Column → DuckDB type, applied after ingest with a checked cast. */
  columnTypes?: Record<string, string>;
}

function parseRef(ref: unknown): DataRef {
  const r = ref as Record<string, unknown> | null;
  if (!r || typeof r !== 'object') throw new Error('source cell: "ref" must be an object');
  switch (r.type) {
    case 'bundled':
      if (typeof r.id !== 'string') throw new Error('source cell: bundled ref needs an "id"');
      return { type: 'bundled', id: r.id };
    case 'file':
      if (typeof r.name !== 'string' || typeof r.size !== 'number' || typeof r.sha256 !== 'string') {
        throw new Error('source cell: file ref needs "name", "size" and "sha256"');
      }
      return { type: 'file', name: r.name, size: r.size, sha256: r.sha256 };
    case 'url':
      if (typeof r.url !== 'string' || !/^https?:\/\//i.test(r.url)) {
        throw new Error('source cell: url ref needs an http(s) "url"');
      }
      return { type: 'url', url: r.url };
    default:
      throw new Error(`source cell: unknown ref type "${String(r.type)}" (bundled, file or url)`);
  }
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
