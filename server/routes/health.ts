/**
 * `GET /healthz`: liveness for scripts and the headless runner. Route modules in this folder each
 * export a function returning a Hono sub-app; app.ts mounts them (see createApp).
 */
import { Hono } from 'hono';

export interface HealthBody {
  status: 'ok';
  version: string;
  uptimeS: number;
}

export function healthRoutes(info: { version: string; startedAt: number }): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => {
    const body: HealthBody = {
      status: 'ok',
      version: info.version,
      uptimeS: Math.round((Date.now() - info.startedAt) / 100) / 10,
    };
    c.header('Cache-Control', 'no-store');
    return c.json(body);
  });
  return app;
}
