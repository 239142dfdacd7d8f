/**
 * The Benchtop HTTP app: the built single-page app plus small JSON routes. Order matters:
 *   1. security headers (wrap everything, including errors),
 *   2. Host check (before any route can answer a rebinding attacker),
 *   3. JSON routes from server/routes/ (API issue: add yours to `routes` below),
 *   4. bench-only extra static mounts,
 *   5. the built app, with SPA fallback for non-API paths,
 *   6. 404 / 405 / error handlers: JSON on API paths, HTML elsewhere.
 */
import { Hono } from 'hono';
import { readVersion } from './config.ts';
import { errorResponse, isApiPath } from './errors.ts';
import { hostCheck } from './hostCheck.ts';
import { healthRoutes } from './routes/health.ts';
import { cspFromIndexHtml, DEFAULT_CSP, headerCsp, securityHeaders } from './securityHeaders.ts';
import { serveStatic } from './static.ts';

export interface AppOptions {
  /** The built app (vite's dist/). */
  distDir: string;
  /** Host header values accepted besides loopback names: `name` or `name:port`. */
  allowedHosts?: string[];
  /** Interface the server binds; a specific address is accepted as Host too. */
  bindHost?: string;
  /** Reported by /healthz; default: package.json's version. */
  version?: string;
  /** Start time for /healthz uptime (ms since epoch); default: now. */
  startedAt?: number;
  /**
   * Extra directories served as-is under URL prefixes (`{ '/__bench/': '/tmp/x' }`). For the
   * benchmark harness only, which needs to hand large generated files to the page; main.ts never sets
   * it. Prefixes must start and end with `/`.
   */
  extraStatic?: Record<string, string>;
}

/** Long-lived caching is only safe for content-hashed names, which vite puts under /assets/. */
export function cacheControlFor(relPath: string): string {
  return relPath.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

export function createApp(opts: AppOptions): Hono {
  const app = new Hono();
  const version = opts.version ?? readVersion();
  const startedAt = opts.startedAt ?? Date.now();

  app.use('*', securityHeaders({ csp: headerCsp(cspFromIndexHtml(opts.distDir) ?? DEFAULT_CSP) }));
  app.use('*', hostCheck({ allowedHosts: opts.allowedHosts, bindHost: opts.bindHost }));

  // JSON routes. Each module under server/routes/ exports a factory returning a Hono sub-app.
  const routes = [healthRoutes({ version, startedAt })];
  for (const r of routes) app.route('/', r);

  for (const [prefix, dir] of Object.entries(opts.extraStatic ?? {})) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
      throw new Error(`extraStatic prefix must start and end with "/": ${prefix}`);
    }
    app.use(`${prefix}*`, serveStatic({ root: dir, prefix, cacheControl: () => 'no-store' }));
  }

  const appStatic = serveStatic({
    root: opts.distDir,
    spaFallback: 'index.html',
    cacheControl: cacheControlFor,
  });
  // API paths never fall back to index.html: a typo in /v1/... must be a JSON 404, not the app.
  app.use('*', (c, next) => (isApiPath(c.req.path) ? next() : appStatic(c, next)));

  app.notFound((c) => {
    if (!isApiPath(c.req.path) && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      c.header('Allow', 'GET, HEAD');
      return errorResponse(
        c,
        405,
        'method_not_allowed',
        'Method not allowed',
        'Only GET and HEAD are served here.',
      );
    }
    return errorResponse(c, 404, 'not_found', 'Not found', `Nothing at ${c.req.path.slice(0, 200)}.`);
  });

  app.onError((err, c) => {
    // Client mistakes are answered before they get here; anything reaching this is our bug.
    console.error('[benchtop] unhandled error', c.req.method, c.req.path, err);
    return errorResponse(c, 500, 'internal', 'Server error', 'Something went wrong on the server.');
  });

  return app;
}
