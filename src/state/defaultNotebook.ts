/** The notebook a first visit opens: real data bundled with the app, nothing to download. */
import { newCellId, newNotebookId } from '../core/notebook/schema.ts';
import { NOTEBOOK_FORMAT_VERSION, type NotebookDoc } from '../core/notebook/types.ts';

export function defaultNotebook(): NotebookDoc {
  const now = new Date().toISOString();
  return {
    format: 'benchtop-notebook',
    version: NOTEBOOK_FORMAT_VERSION,
    id: newNotebookId(),
    title: 'Welcome to Benchtop',
    createdAt: now,
    updatedAt: now,
    cells: [
      {
        id: newCellId(),
        kind: 'markdown',
        config: {
          source:
            '# Seattle weather, 2012–2015\n\nA notebook runs in your browser: the data never leaves this machine. ' +
            'Drop CSV, Parquet, JSON or Arrow files anywhere on the page to add tables, then query them with SQL. ' +
            'Cells re-run when the cells they read change — edit the query below and press **Shift+Enter**.',
        },
      },
      {
        id: newCellId(),
        kind: 'source',
        config: { name: 'weather', ref: { type: 'bundled', id: 'seattle-weather' } },
      },
      {
        id: newCellId(),
        kind: 'sql',
        config: {
          name: 'monthly',
          sql:
            "SELECT strftime(date, '%Y-%m') AS month,\n       round(avg(temp_max), 1) AS avg_high,\n" +
            "       round(sum(precipitation), 1) AS rain_mm,\n       count(*) FILTER (WHERE weather = 'sun') AS sunny_days\n" +
            'FROM weather\nGROUP BY month\nORDER BY month',
        },
      },
    ],
  };
}
