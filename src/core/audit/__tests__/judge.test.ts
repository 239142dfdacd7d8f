import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Category, CategoryIndex } from '../categoryIndex.ts';
import { BuiltinJudge, llmJudge, parseJudgement, RateLimiter } from '../judge.ts';

const cats: Category[] = [
  { id: 'toys', name: 'Toys', path: ['Toys'], leaf: false },
  { id: 'trains', name: 'Trains', path: ['Toys', 'Trains'], leaf: true },
  { id: 'dolls', name: 'Dolls', path: ['Toys', 'Dolls'], leaf: true },
  { id: 'kettles', name: 'Kettles', path: ['Kitchen', 'Kettles'], leaf: true },
];

describe('BuiltinJudge', () => {
  const index = CategoryIndex.build(cats);
  const labelled = [
    { id: '1', title: 'Hornby steam locomotive', label: 'trains', manufacturer: 'Hornby' },
    { id: '2', title: 'Hornby coach carriage', label: 'trains', manufacturer: 'Hornby' },
    { id: '3', title: 'Hornby track pack', label: 'trains', manufacturer: 'Hornby' },
    { id: '4', title: 'Barbie fashion doll', label: 'dolls', manufacturer: 'Mattel' },
    { id: '5', title: 'Baby doll with pram', label: 'dolls', manufacturer: 'Mattel' },
    { id: '6', title: 'Electric kettle 1.7l', label: 'kettles', manufacturer: 'Russell' },
  ];
  const judge = new BuiltinJudge(index, labelled);
  it('confirms a consistent category and explains why', () => {
    const j = judge.judge({ id: 'x', title: 'Hornby diesel locomotive', manufacturer: 'Hornby' }, 'trains');
    expect(j.verdict).toBe('confirm');
    expect(j.reason).toMatch(/Naive Bayes/);
    expect(j.reason).toMatch(/Hornby/);
  });
  it('rejects an inconsistent one', () => {
    const j = judge.judge(
      { id: 'y', title: 'Stainless steel electric kettle', manufacturer: 'Russell' },
      'dolls',
    );
    expect(j.verdict).toBe('reject');
    expect(j.evidence.nbTop).toBe('kettles');
  });
  it('never uses the item’s own label', () => {
    // Item 6 is the only kettle: without its own label, nothing supports "kettles" from NB.
    const j = judge.judge(labelled[5], 'kettles');
    expect(j.reason).toMatch(/No other labelled item carries/);
  });
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('llmJudge against a local chat-completions server', () => {
  let server: Server;
  let base = '';
  let handler: Handler = () => {};
  let calls = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        calls++;
        handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const reply = (res: ServerResponse, content: string, status = 200): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'c1',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content } }],
      }),
    );
  };
  const item = { id: 'i1', title: 'Hornby steam locomotive' };
  const inferred = { categoryId: 'trains', name: 'Trains', path: ['Toys', 'Trains'] };
  const cfg = () => ({ url: base, model: 'test-model', apiKey: 'k', backoffMs: 10, timeoutMs: 300 });

  it('accepts a valid JSON answer and sends the protocol', async () => {
    let seen: { auth?: string; url?: string; body?: { model: string; messages: unknown[] } } = {};
    handler = (req, res, body) => {
      seen = { auth: req.headers.authorization, url: req.url, body: JSON.parse(body) };
      reply(res, '{"verdict":"confirm","reason":"A locomotive is a train."}');
    };
    const r = await llmJudge(cfg(), item, inferred);
    expect(r).toEqual({ ok: true, verdict: 'confirm', reason: 'A locomotive is a train.', attempts: 1 });
    expect(seen.auth).toBe('Bearer k');
    expect(seen.url).toBe('/v1/chat/completions');
    expect(seen.body?.model).toBe('test-model');
  });
  it('rejects invalid JSON with a clear per-item error', async () => {
    handler = (_q, res) => reply(res, 'Sure! It is a train.');
    const r = await llmJudge(cfg(), item, inferred);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/item i1: .*not JSON/);
  });
  it('rejects the wrong shape', async () => {
    handler = (_q, res) => reply(res, '{"verdict":"maybe","reason":"?"}');
    const r = await llmJudge(cfg(), item, inferred);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/does not match.*verdict/);
    handler = (_q, res) => reply(res, '{"verdict":"confirm","reason":"ok","extra":1}');
    expect((await llmJudge(cfg(), item, inferred)).ok).toBe(false);
  });
  it('retries a 429 then succeeds', async () => {
    let n = 0;
    handler = (_q, res) => {
      if (n++ === 0) {
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end('{"error":"rate limited"}');
      } else reply(res, '{"verdict":"reject","reason":"Not a doll."}');
    };
    const r = await llmJudge(cfg(), item, inferred);
    expect(r).toMatchObject({ ok: true, verdict: 'reject', attempts: 2 });
  });
  it('times out and reports an error after retries', async () => {
    calls = 0;
    handler = () => {}; // never answers
    const r = await llmJudge({ ...cfg(), retries: 1, timeoutMs: 100 }, item, inferred);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/timed out after 100 ms/);
    expect(r.attempts).toBe(2);
    expect(calls).toBe(2);
  });
  it('reports a 500 that persists, and a 400 without retrying', async () => {
    handler = (_q, res) => {
      res.writeHead(500);
      res.end('boom');
    };
    const r = await llmJudge({ ...cfg(), retries: 2 }, item, inferred);
    expect(r).toMatchObject({ ok: false, attempts: 3 });
    handler = (_q, res) => {
      res.writeHead(400);
      res.end('bad model');
    };
    const r2 = await llmJudge(cfg(), item, inferred);
    expect(r2).toMatchObject({ ok: false, attempts: 1 });
  });
  it('rate limiter caps concurrency and spaces starts', async () => {
    const lim = new RateLimiter(2, 20);
    let active = 0;
    let peak = 0;
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () =>
        lim.run(async () => {
          starts.push(Date.now());
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 30));
          active--;
        }),
      ),
    );
    expect(peak).toBeLessThanOrEqual(2);
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(18);
  });
  it('parses fenced JSON', () => {
    expect(parseJudgement('```json\n{"verdict":"confirm","reason":"ok"}\n```').verdict).toBe('confirm');
  });
});
