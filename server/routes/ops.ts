/**
 * `GET /openapi.json` (generated from the deployed models) and `GET /metrics` (Prometheus text: with
 * BENCHTOP_WORKERS, every worker's series summed through the cluster primary; see server/metrics.ts).
 */
import { Hono } from 'hono';
import type { Metrics } from '../metrics.ts';
import type { ModelStore } from '../store/store.ts';
import { buildOpenApi } from '../openapi.ts';

export function opsRoutes(opts: {
  store: ModelStore;
  metrics: Metrics;
  version: string;
  defaultModel?: string;
}): Hono {
  const app = new Hono();
  app.get('/openapi.json', async (c) => {
    const def = opts.defaultModel ? opts.store.get(opts.defaultModel) : opts.store.latest();
    c.header('Cache-Control', 'no-store');
    return c.json(await buildOpenApi(opts.store, def, opts.version));
  });
  app.get('/metrics', async (c) => {
    c.header('Cache-Control', 'no-store');
    return c.body(await opts.metrics.exposition(), 200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
    });
  });
  return app;
}
