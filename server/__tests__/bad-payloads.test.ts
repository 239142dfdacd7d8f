/**
 * The bad-payload corpus (bad-payloads.ts) in-process: every hostile or broken request gets its
 * documented 4xx, a JSON error naming the offending field, and never reaches the 500 handler.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCEPTED, BAD_PAYLOADS } from './bad-payloads.ts';
import { deploy, makeApp, type TestApp, TOKEN, trainSynthetic } from './modelFixture.ts';

let t: TestApp;
const errorSpy = vi.spyOn(console, 'error');

beforeAll(async () => {
  t = await makeApp();
  await deploy(t, 'bin', await trainSynthetic('binary'));
}, 60_000);
afterAll(() => errorSpy.mockRestore());

describe('bad payloads', () => {
  it('has at least 50 cases', () => {
    expect(BAD_PAYLOADS.length).toBeGreaterThanOrEqual(50);
  });

  it.each(BAD_PAYLOADS.map((p) => [p.name, p] as const))('%s', async (_, p) => {
    const headers: Record<string, string> = { host: '127.0.0.1:8787' };
    if (p.contentType !== null) headers['content-type'] = p.contentType ?? 'application/json';
    for (const [k, v] of Object.entries(p.headers ?? {})) headers[k] = v.replace('@TOKEN', TOKEN);
    const body = typeof p.body === 'function' ? p.body() : p.body;
    const init: RequestInit & { duplex?: string } = {
      method: p.method ?? 'POST',
      headers,
      body: body as BodyInit,
    };
    if (typeof p.body === 'function') init.duplex = 'half';
    const res = await t.app.request(`http://127.0.0.1:8787${p.path ?? '/v1/models/bin/predict'}`, init);
    expect(
      res.status,
      await res
        .clone()
        .text()
        .then((s) => s.slice(0, 300)),
    ).toBe(p.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const err = (
      (await res.json()) as {
        error: { code: string; message: string; fields?: { field: string; problem: string }[] };
      }
    ).error;
    expect(p.code.split('|')).toContain(err.code);
    expect(err.message.length).toBeGreaterThan(0);
    if (p.field !== undefined) {
      const fields = (err.fields ?? []).map((f) => f.field);
      const match = (f: string) => (typeof p.field === 'string' ? f === p.field : p.field!.test(f));
      expect(fields.some(match), `fields ${JSON.stringify(fields)}`).toBe(true);
      for (const f of err.fields ?? []) expect(f.problem.length).toBeGreaterThan(0);
    }
  });

  it.each(ACCEPTED.map((a) => [a.name, a] as const))('accepts %s', async (_, a) => {
    const res = await t.post(
      '/v1/models/bin/predict',
      a.body,
      a.contentType ? { 'content-type': a.contentType } : {},
    );
    expect(res.status, await res.clone().text()).toBe(200);
    const out = (await res.json()) as { warnings: { field: string; code: string }[] };
    if (a.warning) expect(out.warnings).toContainEqual(expect.objectContaining(a.warning));
  });

  it('never reached the 500 handler', () => {
    const unhandled = errorSpy.mock.calls.filter((c) => String(c[0]).includes('unhandled error'));
    expect(unhandled).toEqual([]);
  });

  it('left Object.prototype alone', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
