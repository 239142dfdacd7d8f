/**
 * The Benchtop HTTP app: the built single-page app plus small JSON routes. Order matters:
 *   1. security headers (wrap everything, including errors),
 *   2. Host check (before any route can answer a rebinding attacker),
 *   3. JSON routes from server/routes/ (API issue: add yours to `routes` below),
 *   4. bench-only extra static mounts,
 *   5. the built app, with SPA fallback for non-API paths,
 *   6. 404 / 405 / error handlers: JSON on API paths, HTML elsewhere.
 */
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { generateToken } from './auth.ts';
import { readVersion } from './config.ts';
import { errorResponse, HttpError, isApiPath, jsonError } from './errors.ts';
import { hostCheck } from './hostCheck.ts';
import { Metrics, routeOf } from './metrics.ts';
import { ModelStore } from './store/store.ts';
import { healthRoutes } from './routes/health.ts';
import { modelRoutes } from './routes/models.ts';
import { opsRoutes } from './routes/ops.ts';
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
  /** Deployed models (ModelStore.open). Default: an empty in-memory store. */
  store?: ModelStore;
  /** Deploy token for mutating endpoints. Default: a random one nobody knows (deploys disabled). */
  token?: string;
  /** Model answering POST /predict (BENCHTOP_DEFAULT_MODEL); default: the most recently deployed. */
  defaultModel?: string;
  /** Extra origins allowed by CORS on API paths (BENCHTOP_CORS_ORIGINS), besides the server's own. */
  corsOrigins?: string[];
  /** Byte caps: predict bodies (default 1 MiB) and deployed artifacts (default 64 MiB). */
  maxPredictBytes?: number;
  maxModelBytes?: number;
  /** Metrics registry (default: a new one). */
  metrics?: Metrics;
  /**
   * Where the one-line JSON request log goes: `'stdout'` (main.ts), a function, or `false`/absent for
   * none (tests, the bench and the headless runner, whose stdout is their own).
   */
  requestLog?: false | 'stdout' | ((line: string) => void);
}

/** Origins accepted by CORS: exact `scheme://host[:port]`, lower-cased, no trailing slash. */
export function normaliseOrigin(o: string): string {
  return o.trim().toLowerCase().replace(/\/+$/, '');
}

/** Long-lived caching is only safe for content-hashed names, which vite puts under /assets/. */
export function cacheControlFor(relPath: string): string {
  return relPath.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

export function createApp(opts: AppOptions): Hono {
  const app = new Hono();
  const version = opts.version ?? readVersion();
  const startedAt = opts.startedAt ?? Date.now();
  const metrics = opts.metrics ?? new Metrics();
  const store = opts.store ?? ModelStore.memory();
  metrics.explainThreads = () => store.explainer.threads();
  const token = opts.token ?? generateToken();
  const writeLog =
    opts.requestLog === 'stdout'
      ? (l: string) => void process.stdout.write(`${l}\n`)
      : opts.requestLog || undefined;

  // Outermost: metrics and the request log see every response, including host-check refusals.
  app.use('*', async (c, next) => {
    const t0 = performance.now();
    await next();
    const seconds = (performance.now() - t0) / 1000;
    const route = routeOf(c.req.path);
    metrics.request(c.req.method, route, c.res.status, seconds);
    if (writeLog) {
      writeLog(
        JSON.stringify({
          t: new Date().toISOString(),
          method: c.req.method,
          path: c.req.path.slice(0, 200),
          route,
          status: c.res.status,
          ms: Math.round(seconds * 1e4) / 10,
        }),
      );
    }
  });
  app.use('*', securityHeaders({ csp: headerCsp(cspFromIndexHtml(opts.distDir) ?? DEFAULT_CSP) }));
  app.use('*', hostCheck({ allowedHosts: opts.allowedHosts, bindHost: opts.bindHost }));

  // CORS on API paths: the server's own origin and the configured ones only. Other origins get no
  // Access-Control-Allow-Origin, so browsers keep their responses from the calling page.
  const allowedOrigins = new Set((opts.corsOrigins ?? []).map(normaliseOrigin));
  const allowOrigin = (origin: string, c: Context): string | null => {
    const o = normaliseOrigin(origin);
    return o === new URL(c.req.url).origin || allowedOrigins.has(o) ? origin : null;
  };
  const apiPreflight = cors({
    origin: allowOrigin,
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: ['Content-Type', 'Authorization'],
    maxAge: 600,
  });
  app.use('*', async (c, next) => {
    if (!isApiPath(c.req.path)) return next();
    if (c.req.method === 'OPTIONS') return apiPreflight(c, next);
    // Other methods get what hono/cors adds to them (Allow-Origin when allowed, `Vary: Origin`), but
    // set on the finished response's own Headers. hono/cors touches `c.res` before the handler and
    // calls `c.header()` after it, and either makes Hono rebuild the Response from `res.body`, which
    // turns @hono/node-server's lightweight Response into a fetch Response whose body it must then
    // pump through a web stream (~70 µs a request, issue 6).
    const allowed = allowOrigin(c.req.header('origin') || '', c);
    await next();
    const headers = c.res.headers;
    if (allowed) headers.set('Access-Control-Allow-Origin', allowed);
    headers.append('Vary', 'Origin');
  });

  // JSON routes. Each module under server/routes/ exports a factory returning a Hono sub-app.
  const routes = [
    healthRoutes({ version, startedAt }),
    modelRoutes({
      store,
      metrics,
      token,
      defaultModel: opts.defaultModel,
      maxPredictBytes: opts.maxPredictBytes,
      maxModelBytes: opts.maxModelBytes,
    }),
    opsRoutes({ store, metrics, version, defaultModel: opts.defaultModel }),
  ];
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
    if (err instanceof HttpError) return jsonError(c, err.status, err.code, err.message, err.fields);
    // Client mistakes are answered before they get here; anything reaching this is our bug.
    console.error('[benchtop] unhandled error', c.req.method, c.req.path, err);
    return errorResponse(c, 500, 'internal', 'Server error', 'Something went wrong on the server.');
  });

  return app;
}
