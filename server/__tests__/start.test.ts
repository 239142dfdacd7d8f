/** A real HTTP server on an ephemeral loopback port: what the bench and headless runner rely on. */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { DistMissingError, type RunningServer, startServer } from '../start.ts';
import { type Fixture, makeDist } from './fixture.ts';

let fx: Fixture;
let server: RunningServer;

beforeAll(async () => {
  fx = makeDist();
  server = await startServer({ distDir: fx.dist, host: '127.0.0.1', port: 0, version: '0.0.1' });
});
afterAll(async () => {
  await server?.close();
  fx.cleanup();
});

/** Raw HTTP, so the path reaches the server byte for byte (fetch would normalise `..`). */
function rawGet(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('startServer', () => {
  it("keeps @hono/node-server's lightweight Response on JSON and HTML routes (its fast path)", async () => {
    // serve() (in beforeAll) replaced the global Response with node-server's lightweight one, which it
    // writes straight to the socket as long as nobody rebuilds it from its body (issue 6: hono/cors's
    // `c.header()` after the handler did, ~70 µs a request). Such a response carries the `cache` symbol.
    const app = createApp({ distDir: fx.dist, corsOrigins: ['https://dash.example'] });
    for (const [path, origin] of [
      ['/healthz', ''],
      ['/v1/models', 'https://dash.example'],
      ['/v1/models', 'https://evil.example'],
      ['/v1/nope', ''],
      ['/', ''],
      ['/assets/index-abc123.js', ''],
    ]) {
      const res = await app.fetch(
        new Request(`http://127.0.0.1:8787${path}`, { headers: origin ? { origin } : {} }),
      );
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      const symbols = Object.getOwnPropertySymbols(res).map((s) => s.description);
      expect(symbols, `${path} ${origin}`).toContain('cache');
    }
  });

  it('listens on an ephemeral 127.0.0.1 port and reports the real URL', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('serves /healthz and / over HTTP', async () => {
    const health = await fetch(new URL('/healthz', server.url));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', version: '0.0.1' });
    const index = await fetch(server.url);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cross-origin-embedder-policy')).toBeNull();
    expect(await index.text()).toContain('<div id="app">');
  });

  it('negotiates br over the wire', async () => {
    const res = await fetch(new URL('/assets/duckdb-eh.wasm', server.url), {
      headers: { 'accept-encoding': 'br' },
    });
    expect(res.headers.get('content-encoding')).toBe('br');
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it.each([
    '/../package.json',
    '/%2e%2e/package.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/../../../package.json',
    '/..\\package.json',
    '/index.html%00',
  ])('never leaks %s over raw HTTP', async (path) => {
    const res = await rawGet(path, `127.0.0.1:${server.port}`);
    expect(res.status).toBeLessThan(500);
    expect(res.body).not.toContain('outside-dist');
  });

  it('rejects a foreign Host over the wire', async () => {
    const res = await rawGet('/healthz', `evil.example:${server.port}`);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'host_not_allowed' } });
  });

  it('refuses to start without a build, naming the fix', async () => {
    await expect(startServer({ distDir: `${fx.root}/nope` })).rejects.toThrow(DistMissingError);
    await expect(startServer({ distDir: `${fx.root}/nope` })).rejects.toThrow(/npm run build/);
  });

  it('rejects when the port is taken', async () => {
    await expect(startServer({ distDir: fx.dist, port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('closes promptly even with a keep-alive connection open', async () => {
    const other = await startServer({ distDir: fx.dist });
    await fetch(new URL('/healthz', other.url)); // undici keeps this socket alive
    const t0 = Date.now();
    await other.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(fetch(new URL('/healthz', other.url))).rejects.toThrow();
  });
});
