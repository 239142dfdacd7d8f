/** Table view cell: a full-height, sortable, virtualised view of any table in the notebook. */
import type { CellKindDef } from '../core/cells/types.ts';

export interface TableConfig extends Record<string, unknown> {
  input: string;
}

export const tableCell: CellKindDef<TableConfig> = {
  kind: 'table',
  title: 'Table view',
  description: 'Browse a table: scroll millions of rows, sort by any column',
  create: (names) => ({ input: [...names].at(-1) ?? '' }),
  parse(config) {
    const c = config as Partial<TableConfig> | null;
    if (!c || typeof c.input !== 'string') throw new Error('table cell: "input" must be a table name');
    return { input: c.input };
  },
  outputs: () => [],
  inputs: (c) => (c.input ? [c.input] : []),
  async run(config, ctx) {
    if (!config.input) throw new Error('Choose a table to show');
    const info = await ctx.data.describe(config.input);
    return { tables: [info], meta: { rows: info.rowCount, columns: info.columns.length } };
  },
};
