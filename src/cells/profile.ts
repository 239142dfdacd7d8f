/**
 * Profile cell: per-column statistics, warnings and (with a target) univariate target analysis of any
 * table, all computed by SQL in the data worker (src/core/profile). Defines no table; reads `input`.
 * Result: `meta.profile` (a `Profile`), `meta.warnings`, and SVG charts for the headless runner.
 */
import type { CellKindDef } from '../core/cells/types.ts';
import { profileTable } from '../core/profile/profile.ts';
import { warningsFor } from '../core/profile/warnings.ts';
import { arrowToRows } from '../ui/components/arrowRows.ts';

export interface ProfileConfig extends Record<string, unknown> {
  input: string;
  target?: string;
  predictionTime?: string;
}

const optString = (v: unknown, what: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new Error(`profile cell: "${what}" must be a column name`);
  return v;
};

export const profileCell: CellKindDef<ProfileConfig> = {
  kind: 'profile',
  title: 'Profile',
  description: 'Column statistics, data-quality and leakage warnings, target analysis',
  create: (names) => ({ input: [...names].at(-1) ?? '' }),
  parse(config) {
    const c = config as Partial<ProfileConfig> | null;
    if (!c || typeof c.input !== 'string') throw new Error('profile cell: "input" must be a table name');
    const out: ProfileConfig = { input: c.input };
    const target = optString(c.target, 'target');
    const predictionTime = optString(c.predictionTime, 'predictionTime');
    if (target) out.target = target;
    if (predictionTime) out.predictionTime = predictionTime;
    return out;
  },
  outputs: () => [],
  inputs: (c) => (c.input ? [c.input] : []),
  async run(config, ctx) {
    if (!config.input) throw new Error('Choose a table to profile');
    const info = await ctx.data.describe(config.input);
    const run = async (sql: string) => {
      if (ctx.signal.aborted) throw new Error('Cancelled');
      const res = await ctx.data.query(sql, ctx.cellId);
      const { columns, rows } = arrowToRows(res.arrow);
      return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    };
    const profile = await profileTable(run, info.name, info.columns, {
      ...(config.target ? { target: config.target } : {}),
      ...(config.predictionTime ? { predictionTime: config.predictionTime } : {}),
    });
    const warnings = warningsFor(profile);
    // Observable Plot loads with the first profile, not with the app.
    const charts =
      typeof document !== 'undefined' ? (await import('../ui/profile/charts.ts')).profileCharts(profile) : [];
    return { meta: { rows: profile.rows, columns: profile.columnCount, profile, warnings }, charts };
  },
};
