import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { makeHostPredicate } from '../hostCheck.ts';
import { cspFromIndexHtml, DEFAULT_CSP } from '../securityHeaders.ts';
import { type Fixture, makeDist } from './fixture.ts';

let fx: Fixture;
let app: Hono;
const req = (path: string, host: string | undefined, init: RequestInit = {}) =>
  app.request(`http://127.0.0.1:8787${path}`, {
    ...init,
    headers: { ...(host === undefined ? {} : { host }), ...(init.headers as Record<string, string>) },
  });

beforeAll(() => {
  fx = makeDist();
  app = createApp({ distDir: fx.dist, version: '1.2.3', allowedHosts: ['bench.lan', 'box.lan:9000'] });
});
afterAll(() => fx.cleanup());

describe('Host check (DNS rebinding)', () => {
  it.each([
    '127.0.0.1:8787',
    '127.0.0.1:41234',
    'localhost:8787',
    'LOCALHOST:1',
    '[::1]:8787',
    'bench.lan',
    'box.lan:9000',
  ])('accepts %s', async (host) => {
    expect((await req('/healthz', host)).status).toBe(200);
  });

  it.each([
    'evil.example',
    'evil.example:8787',
    '127.0.0.1.evil.example',
    'localhost.evil.example:8787',
    'box.lan:9001',
    'box.lan',
    '',
    'a b',
  ])('rejects %j with a JSON 403', async (host) => {
    for (const path of ['/healthz', '/', '/assets/index-abc123.js']) {
      const res = await req(path, host);
      expect(res.status, `${host} ${path}`).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe('host_not_allowed');
    }
  });

  it('accepts a specific bind address as Host, but not a wildcard', () => {
    expect(makeHostPredicate({ bindHost: '192.168.1.5' })('192.168.1.5:8787')).toBe(true);
    expect(makeHostPredicate({ bindHost: '::1' })('[::1]:8787')).toBe(true);
    expect(makeHostPredicate({ bindHost: '0.0.0.0' })('0.0.0.0:8787')).toBe(false);
    expect(makeHostPredicate({ bindHost: '0.0.0.0' })('192.168.1.5:8787')).toBe(false);
    expect(makeHostPredicate({})(undefined)).toBe(false);
  });
});

describe('security headers', () => {
  it('sends no COOP/COEP (they break TF.js wasm) on any kind of response', async () => {
    for (const path of [
      '/',
      '/assets/duckdb-eh.wasm',
      '/assets/index-abc123.js',
      '/healthz',
      '/nope.js',
      '/v1/x',
    ]) {
      const res = await req(path, '127.0.0.1:8787');
      expect(res.headers.get('cross-origin-opener-policy'), path).toBeNull();
      expect(res.headers.get('cross-origin-embedder-policy'), path).toBeNull();
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });

  it("sends the built index.html's meta CSP (plus frame-ancestors) on HTML only", async () => {
    const html = await req('/', '127.0.0.1:8787');
    expect(html.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'",
    );
    const js = await req('/assets/index-abc123.js', '127.0.0.1:8787');
    expect(js.headers.get('content-security-policy')).toBeNull();
  });

  it('falls back to the default CSP when index.html has none', () => {
    expect(cspFromIndexHtml('/nonexistent')).toBeUndefined();
    expect(DEFAULT_CSP).toContain("'wasm-unsafe-eval'");
  });
});

describe('/healthz', () => {
  it('reports status, version and uptime', async () => {
    const res = await req('/healthz', '127.0.0.1:8787');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ status: 'ok', version: '1.2.3', uptimeS: expect.any(Number) });
    expect(body.uptimeS as number).toBeGreaterThanOrEqual(0);
  });

  it('answers HEAD', async () => {
    const res = await req('/healthz', '127.0.0.1:8787', { method: 'HEAD' });
    expect(res.status).toBe(200);
  });

  it('gives JSON 404 for wrong methods on API paths', async () => {
    const res = await req('/healthz', '127.0.0.1:8787', { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('extraStatic (bench only)', () => {
  it('serves an extra directory under its prefix, no-store, still traversal-safe', async () => {
    const bench = createApp({ distDir: fx.dist, extraStatic: { '/__bench/': fx.dist + '/datasets' } });
    const ok = await bench.request('http://127.0.0.1:1/__bench/stocks.csv', {
      headers: { host: '127.0.0.1:1' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const bad = await bench.request('http://127.0.0.1:1/__bench/..%2findex.html', {
      headers: { host: '127.0.0.1:1' },
    });
    expect(bad.status).toBe(400);
    // The default app has no such mount: the path is an ordinary missing file.
    const plain = await req('/__bench/stocks.csv', '127.0.0.1:8787');
    expect(plain.status).toBe(404);
  });

  it('rejects malformed prefixes', () => {
    expect(() => createApp({ distDir: fx.dist, extraStatic: { '/x': '/tmp' } })).toThrow(/start and end/);
  });
});

describe('response headers', () => {
  // Every header of these responses, as the app sent them before the CORS and security headers were
  // moved off `c.header()` (issue 6), taken from that code with this fixture; etag left out (mtime).
  const BEFORE: [string, number, [string, string][]][] = [
    [
      'GET /healthz',
      200,
      [
        ['cache-control', 'no-store'],
        ['content-type', 'application/json'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Origin'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'GET /v1/models https://dash.example',
      200,
      [
        ['access-control-allow-origin', 'https://dash.example'],
        ['cache-control', 'no-store'],
        ['content-type', 'application/json'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Origin'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'GET /v1/models https://evil.example',
      200,
      [
        ['cache-control', 'no-store'],
        ['content-type', 'application/json'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Origin'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'OPTIONS /v1/models http://127.0.0.1:8787',
      204,
      [
        ['access-control-allow-headers', 'Content-Type,Authorization'],
        ['access-control-allow-methods', 'GET,POST,DELETE,OPTIONS'],
        ['access-control-allow-origin', 'http://127.0.0.1:8787'],
        ['access-control-max-age', '600'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Origin, Access-Control-Request-Headers'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'POST /v1/models?name=x',
      401,
      [
        ['content-type', 'application/json'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Origin'],
        ['www-authenticate', 'Bearer realm="benchtop"'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'GET /v1/nope',
      404,
      [
        ['content-type', 'application/json'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Origin'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'GET /metrics',
      200,
      [
        ['cache-control', 'no-store'],
        ['content-type', 'text/plain; version=0.0.4; charset=utf-8'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Origin'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'GET /',
      200,
      [
        ['cache-control', 'no-cache'],
        ['content-length', '321'],
        [
          'content-security-policy',
          "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'",
        ],
        ['content-type', 'text/html; charset=utf-8'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Accept-Encoding'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'GET /some/page',
      200,
      [
        ['cache-control', 'no-cache'],
        ['content-length', '321'],
        [
          'content-security-policy',
          "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'",
        ],
        ['content-type', 'text/html; charset=utf-8'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Accept-Encoding'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'POST /',
      405,
      [
        ['allow', 'GET, HEAD'],
        [
          'content-security-policy',
          "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'",
        ],
        ['content-type', 'text/html; charset=UTF-8'],
        ['referrer-policy', 'no-referrer'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
    [
      'GET /assets/index-abc123.js',
      200,
      [
        ['cache-control', 'public, max-age=31536000, immutable'],
        ['content-length', '22'],
        ['content-type', 'text/javascript; charset=utf-8'],
        ['referrer-policy', 'no-referrer'],
        ['vary', 'Accept-Encoding'],
        ['x-content-type-options', 'nosniff'],
      ],
    ],
  ];

  it.each(BEFORE)('%s: status %i and exactly the same headers as before', async (what, status, headers) => {
    const [method, path, origin] = what.split(' ');
    const corsApp = createApp({
      distDir: fx.dist,
      version: '1.2.3',
      corsOrigins: ['https://dash.example'],
      token: 't'.repeat(32),
    });
    const res = await corsApp.request(`http://127.0.0.1:8787${path}`, {
      method,
      ...(method === 'POST' && path.startsWith('/v1/') ? { body: '{}' } : {}),
      headers: {
        ...(origin ? { origin } : {}),
        ...(method === 'OPTIONS' ? { 'access-control-request-method': 'POST' } : {}),
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
    });
    expect(res.status).toBe(status);
    expect([...res.headers].filter(([k]) => k !== 'etag')).toEqual(headers);
  });
});
