import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { acceptedCodings, etagMatches, resolveUrlPath } from '../static.ts';
import { type Fixture, makeDist, WASM } from './fixture.ts';

let fx: Fixture;
let app: Hono;
const HOST = { host: '127.0.0.1:8787' };
const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  app.request(`http://127.0.0.1:8787${path}`, { method, headers: { ...HOST, ...headers } });

beforeAll(() => {
  fx = makeDist();
  app = createApp({ distDir: fx.dist, version: '9.9.9' });
});
afterAll(() => fx.cleanup());

describe('MIME types', () => {
  it.each([
    ['/assets/index-abc123.js', 'text/javascript; charset=utf-8'],
    ['/assets/worker.mjs', 'text/javascript; charset=utf-8'],
    ['/assets/duckdb-eh.wasm', 'application/wasm'],
    ['/assets/index-abc123.js.map', 'application/json; charset=utf-8'],
    ['/datasets/stocks.csv', 'text/csv; charset=utf-8'],
    ['/datasets/unemployment.tsv', 'text/tab-separated-values; charset=utf-8'],
    ['/datasets/flights.parquet', 'application/octet-stream'],
    ['/datasets/flights.arrow', 'application/octet-stream'],
    ['/datasets/manifest.json', 'application/json; charset=utf-8'],
    ['/favicon.svg', 'image/svg+xml'],
    ['/', 'text/html; charset=utf-8'],
  ])('%s → %s', async (path, type) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('encoding negotiation', () => {
  const body = async (res: Response) => new Uint8Array(await res.arrayBuffer());

  it('prefers br when offered', async () => {
    const res = await get('/assets/duckdb-eh.wasm', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(res.headers.get('content-type')).toBe('application/wasm');
    expect(brotliDecompressSync(await body(res))).toEqual(Buffer.from(WASM));
  });

  it('falls back to gzip, honouring q=0 for br', async () => {
    const res = await get('/assets/duckdb-eh.wasm', { 'accept-encoding': 'br;q=0, gzip' });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(await body(res))).toEqual(Buffer.from(WASM));
  });

  it('sends identity when nothing is accepted, with the right length', async () => {
    const res = await get('/assets/duckdb-eh.wasm', { 'accept-encoding': 'identity' });
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(res.headers.get('content-length')).toBe(String(WASM.length));
    expect(await body(res)).toEqual(WASM);
  });

  it('uses identity for files without siblings even if br is accepted', async () => {
    const res = await get('/datasets/stocks.csv', { 'accept-encoding': 'br' });
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.text()).toBe('symbol,price\nA,1\n');
  });

  it('parses Accept-Encoding', () => {
    expect(acceptedCodings(undefined)).toEqual([]);
    expect(acceptedCodings('gzip')).toEqual(['gzip']);
    expect(acceptedCodings('gzip;q=0.5, br;q=0.1')).toEqual(['br', 'gzip']);
    expect(acceptedCodings('*')).toEqual(['br', 'gzip']);
    expect(acceptedCodings('*, br;q=0')).toEqual(['gzip']);
    expect(acceptedCodings('GZIP ; Q=1')).toEqual(['gzip']);
  });
});

describe('caching', () => {
  it('answers 304 to a matching If-None-Match, per encoding', async () => {
    const first = await get('/assets/duckdb-eh.wasm', { 'accept-encoding': 'br' });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+-br"$/);
    const again = await get('/assets/duckdb-eh.wasm', { 'accept-encoding': 'br', 'if-none-match': etag! });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    // The gzip representation has its own tag, so the br tag does not validate it.
    const gz = await get('/assets/duckdb-eh.wasm', { 'accept-encoding': 'gzip', 'if-none-match': etag! });
    expect(gz.status).toBe(200);
    expect(gz.headers.get('etag')).not.toBe(etag);
  });

  it('compares ETags weakly', () => {
    expect(etagMatches('W/"a-b-br"', '"a-b-br"')).toBe(true);
    expect(etagMatches('"x", "a-b-br"', '"a-b-br"')).toBe(true);
    expect(etagMatches('*', '"a"')).toBe(true);
    expect(etagMatches('"x"', '"a"')).toBe(false);
  });

  it('marks hashed assets immutable and the rest no-cache', async () => {
    expect((await get('/assets/index-abc123.js')).headers.get('cache-control')).toBe(
      'public, max-age=31536000, immutable',
    );
    expect((await get('/')).headers.get('cache-control')).toBe('no-cache');
    expect((await get('/index.html')).headers.get('cache-control')).toBe('no-cache');
    expect((await get('/datasets/stocks.csv')).headers.get('cache-control')).toBe('no-cache');
  });
});

describe('HEAD', () => {
  it('returns headers without a body', async () => {
    const res = await get('/assets/duckdb-eh.wasm', { 'accept-encoding': 'identity' }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(WASM.length));
    expect(res.headers.get('content-type')).toBe('application/wasm');
    expect(await res.text()).toBe('');
  });
});

describe('SPA fallback and 404', () => {
  it('serves index.html for unknown extensionless paths', async () => {
    for (const p of ['/notebook/abc', '/settings/', '/assets/']) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(await res.text()).toContain('<div id="app">');
    }
  });

  it('404s a missing file with an extension, as HTML', async () => {
    const res = await get('/assets/missing-123.js');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('answers JSON 404 on API paths, never the app', async () => {
    const res = await get('/v1/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('does not serve dot-files', async () => {
    const res = await get('/.env');
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('SECRET');
  });

  it('405s other methods on app paths', async () => {
    const res = await get('/index.html', {}, 'POST');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('path traversal', () => {
  const attempts = [
    '/../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/package.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/..%2F..%2Fpackage.json',
    '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/assets/..%5c..%5cpackage.json',
    '/..%5cpackage.json',
    '/assets/%252e%252e/%252e%252e/package.json',
    '/index.html%00.js',
    '/%00',
    '/assets/%E0%A4%A',
    '/assets/../../package.json',
    '//package.json',
  ];
  it.each(attempts)('%s never leaks a file outside dist and is never a 500', async (path) => {
    for (const method of ['GET', 'HEAD']) {
      const res = await get(path, {}, method);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      const text = await res.text();
      expect(text).not.toContain('outside-dist');
      expect([200, 400, 404]).toContain(res.status);
    }
  });

  it('rejects encoded separators and NUL with 400', async () => {
    expect((await get('/assets/..%2f..%2fpackage.json')).status).toBe(400);
    expect((await get('/index.html%00.js')).status).toBe(400);
    expect((await get('/assets/%E0%A4%A')).status).toBe(400);
  });

  it('resolves URL paths strictly', () => {
    expect(resolveUrlPath('/')).toEqual({ ok: true, segments: [], directory: true });
    expect(resolveUrlPath('/a/b%20c.js')).toEqual({ ok: true, segments: ['a', 'b c.js'], directory: false });
    expect(resolveUrlPath('/a/%2e%2e')).toMatchObject({ ok: false, status: 400 });
    expect(resolveUrlPath('/a%2fb')).toMatchObject({ ok: false, status: 400 });
    expect(resolveUrlPath('/.git/config')).toMatchObject({ ok: false, status: 404 });
  });
});
