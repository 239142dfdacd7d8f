/**
 * Monitor cell: the drift of a deployed model's recent requests against its training data, read from
 * the companion server on this page's origin (GET /v1/models/{name}/drift). Defines and reads no
 * table; runs when the user presses Refresh (no polling, never another origin).
 */
import type { CellKindDef } from '../core/cells/types.ts';
import { fetchDrift } from '../ui/predict/api.ts';
import { MODEL_NAME } from './predict.ts';

export interface MonitorConfig extends Record<string, unknown> {
  /** Deployed model name ('' until chosen). */
  model: string;
}

export const monitorCell: CellKindDef<MonitorConfig> = {
  kind: 'monitor',
  title: 'Monitor',
  description: 'Drift of a deployed model’s recent requests vs training (PSI / Jensen–Shannon)',
  create: () => ({ model: '' }),
  parse(config) {
    const c = config as Partial<MonitorConfig> | null;
    if (!c || typeof c !== 'object') throw new Error('monitor cell: config must be an object');
    const model = typeof c.model === 'string' ? c.model : '';
    if (model && !MODEL_NAME.test(model))
      throw new Error('monitor cell: "model" must be a model name (a-z, 0-9, _ and -)');
    return { model };
  },
  outputs: () => [],
  inputs: () => [],
  async run(config, ctx) {
    if (!config.model) throw new Error('Choose a deployed model to monitor');
    const drift = await fetchDrift(config.model);
    if (ctx.signal.aborted) throw new Error('Cancelled');
    return {
      meta: {
        model: drift.model,
        version: drift.version,
        rows: drift.rows,
        flag: drift.flag,
        fetchedAt: new Date().toISOString(),
        drift,
      },
    };
  },
};
