/**
 * SQL cell: a query over any tables in the notebook; its result becomes the table `name`, so later
 * cells can read it. Dependencies come from the table names the SQL mentions (core/notebook/sqlRefs).
 */
import type { CellKindDef } from '../core/cells/types.ts';
import { sqlTableRefs } from '../core/notebook/sqlRefs.ts';

export interface SqlConfig extends Record<string, unknown> {
  name: string;
  sql: string;
}

export const sqlCell: CellKindDef<SqlConfig> = {
  kind: 'sql',
  title: 'SQL',
  description: 'Query tables with DuckDB; the result is a new table',
  create: (names) => {
    let i = 1;
    while (names.has(`q${i}`)) i++;
    return { name: `q${i}`, sql: 'SELECT 42 AS answer' };
  },
  parse(config) {
    const c = config as Partial<SqlConfig> | null;
    if (!c || typeof c.name !== 'string' || !c.name) throw new Error('sql cell: "name" is required');
    if (typeof c.sql !== 'string') throw new Error('sql cell: "sql" must be a string');
    return { name: c.name, sql: c.sql };
  },
  outputs: (c) => [c.name],
  inputs: (c, known) => sqlTableRefs(c.sql, known).filter((n) => n !== c.name),
  async run(config, ctx) {
    const sql = config.sql.trim().replace(/;+\s*$/, '');
    if (!sql) throw new Error('The query is empty');
    const info = await ctx.data.createTableAs(config.name, sql, ctx.cellId);
    return { tables: [info], meta: { rows: info.rowCount, columns: info.columns.length } };
  },
};
