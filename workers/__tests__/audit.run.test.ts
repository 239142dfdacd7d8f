/**
 * The audit worker's pipeline in Node (same code as in the worker, with an in-memory cache instead of
 * OPFS): cache hits and invalidation, identical output from cached indexes, every row processed, the
 * ground-truth measures, and the language-model judge against a local chat-completions server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRequest } from '../audit.api.ts';
import { type IndexCache, runAudit } from '../audit.run.ts';
import { buildArrowTable } from '../ingest/arrow.ts';

const CATEGORIES: Array<[string, string[]]> = [
  ['Toys > Vehicles > Die-cast Cars', ['diecast', 'car', 'model', 'scale', 'metal']],
  ['Toys > Vehicles > Trains', ['train', 'locomotive', 'railway', 'track', 'carriage']],
  ['Toys > Puzzles > Jigsaw Puzzles', ['jigsaw', 'puzzle', 'pieces', 'picture', '1000']],
  ['Toys > Dolls > Fashion Dolls', ['doll', 'fashion', 'dress', 'hair', 'outfit']],
  ['Hobbies > Paint > Acrylic Paint', ['acrylic', 'paint', 'pot', 'colour', 'brush']],
  ['Hobbies > Kits > Model Aircraft Kits', ['aircraft', 'kit', 'plane', 'plastic', 'glue']],
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Items: titles sampled from their category's words (+ noise); every 7th label deliberately wrong. */
function makeItems(n: number, seed = 1) {
  const r = rng(seed);
  const noise = ['new', 'boxed', 'gift', 'kids', 'classic', 'blue', 'red', 'large'];
  const rows: Array<{ id: string; title: string; label: string; truth: string }> = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * CATEGORIES.length);
    const words = CATEGORIES[c][1];
    const title = [0, 1, 2]
      .map(() => words[Math.floor(r() * words.length)])
      .concat(noise[Math.floor(r() * noise.length)])
      .join(' ');
    const truth = CATEGORIES[c][0];
    const label = i % 7 === 3 ? CATEGORIES[(c + 1) % CATEGORIES.length][0] : truth;
    rows.push({ id: `item-${i}`, title, label, truth });
  }
  return rows;
}

function ipc(columns: Array<{ name: string; values: Array<string | null> }>): Uint8Array {
  return tableToIPC(
    buildArrowTable(columns.map((c) => ({ name: c.name, type: 'VARCHAR' as const, values: c.values }))),
    'stream',
  );
}

function categoriesIpc(rename?: [string, string]): Uint8Array {
  const paths = CATEGORIES.map(([p]) => p);
  const name = paths
    .map((p) => p.split(' > ').pop()!)
    .map((n) => (rename && n === rename[0] ? rename[1] : n));
  return ipc([
    { name: 'id', values: paths },
    { name: 'name', values: name },
    { name: 'path', values: paths },
    { name: 'site', values: paths.map(() => null) },
  ]);
}

function itemsIpc(rows: ReturnType<typeof makeItems>, withTruth: boolean): Uint8Array {
  return ipc([
    { name: 'id', values: rows.map((r) => r.id) },
    { name: 'title', values: rows.map((r) => r.title) },
    { name: 'label', values: rows.map((r) => r.label) },
    { name: 'site', values: rows.map(() => null) },
    // Ground truth for every other item only: a checked sample.
    { name: 'truth', values: rows.map((r, i) => (withTruth && i % 2 === 0 ? r.truth : null)) },
  ]);
}

function memoryCache(): IndexCache & { store: Map<string, string> } {
  const store = new Map<string, string>();
  return {
    kind: 'memory',
    store,
    get: async (k) => store.get(k),
    put: async (k, v) => {
      store.set(k, v);
    },
  };
}

const request = (over: Partial<AuditRequest> = {}): Omit<AuditRequest, 'runId'> => ({
  categories: categoriesIpc(),
  items: itemsIpc(makeItems(300), false),
  sites: false,
  truth: false,
  judge: { kind: 'none' },
  highConfidence: 0.8,
  ...over,
});

const rowsOf = (bytes: Uint8Array) =>
  tableFromIPC(bytes)
    .toArray()
    .map((r) => r.toJSON());

describe('runAudit (the audit worker pipeline)', () => {
  it('builds indexes once, then loads them from the cache with identical output', async () => {
    const cache = memoryCache();
    const first = await runAudit(request(), { cache });
    expect(first.summary.indexes.map((i) => [i.kind, i.source])).toEqual([
      ['categories', 'built'],
      ['knn', 'built'],
    ]);
    expect(cache.store.size).toBe(2);
    const second = await runAudit(request(), { cache });
    expect(second.summary.indexes.map((i) => [i.kind, i.source])).toEqual([
      ['categories', 'cache'],
      ['knn', 'cache'],
    ]);
    expect(rowsOf(second.arrow)).toEqual(rowsOf(first.arrow));
    expect(second.summary.indexes.map((i) => i.key)).toEqual(first.summary.indexes.map((i) => i.key));

    // An edited category table (one name changed) is a different key: rebuilt, the kNN still cached.
    const edited = await runAudit(request({ categories: categoriesIpc(['Trains', 'Model Trains']) }), {
      cache,
    });
    expect(edited.summary.indexes.map((i) => [i.kind, i.source])).toEqual([
      ['categories', 'built'],
      ['knn', 'cache'],
    ]);
    expect(edited.summary.indexes[0].key).not.toBe(first.summary.indexes[0].key);
    // A damaged entry is rebuilt rather than trusted.
    cache.store.set(first.summary.indexes[0].key, '{"version": 1, "leaves": ');
    const repaired = await runAudit(request(), { cache });
    expect(repaired.summary.indexes[0].source).toBe('built');
    expect(rowsOf(repaired.arrow)).toEqual(rowsOf(first.arrow));
  });

  it('returns every row and measures against the ground-truth column', async () => {
    const items = makeItems(1200, 7);
    const out = await runAudit(request({ items: itemsIpc(items, true), truth: true }), { cache: null });
    const rows = rowsOf(out.arrow) as Array<Record<string, unknown>>;
    expect(rows.length).toBe(1200);
    expect(rows.map((r) => r.id)).toEqual(items.map((r) => r.id));
    expect(out.summary.cache).toBe('unavailable');
    const m = out.summary.measure!;
    expect(m.truth).toBe('column');
    // Independent count over the output table: the truth sample is the even rows.
    const sample = rows.filter((_, i) => i % 2 === 0);
    expect(m.n).toBe(sample.length);
    const top1 = sample.filter((r, j) => r.inferred_id === items[j * 2].truth).length / sample.length;
    expect(m.top1).toBeCloseTo(top1, 10);
    expect(m.top1).toBeGreaterThan(0.9);
    const flagged = sample.filter((r) => r.match === false);
    const reallyWrong = flagged.filter((r) => r.original_id !== r.truth).length;
    expect(m.mismatch.flagged).toBe(flagged.length);
    expect(m.mismatch.precision).toBeCloseTo(reallyWrong / flagged.length, 10);
    // The planted wrong labels (every 7th item) are what the flag finds.
    expect(m.mismatch.precision).toBeGreaterThan(0.8);
    expect(Object.keys(m.byDepth)).toEqual(['3']);
    expect(m.byDepth['3'].n).toBe(m.n);
  });

  it('without a truth column measures against the labels and reports no flag precision', async () => {
    const out = await runAudit(request(), { cache: null });
    expect(out.summary.measure?.truth).toBe('labels');
    expect(out.summary.measure?.mismatch.precision).toBeNull();
    expect(out.summary.labelled).toBe(300);
  });
});

describe('runAudit with the language-model judge', () => {
  let server: Server;
  let url = '';
  const auth: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        auth.push(String(req.headers.authorization));
        const msg = JSON.parse(body).messages[1].content as string;
        const title = JSON.parse(msg).product.title as string;
        const reply = (content: string) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
        };
        if (title.includes('slow')) setTimeout(() => reply('{"verdict":"confirm","reason":"late"}'), 1500);
        else if (title.includes('broken')) reply('Sure! The category looks right.');
        else reply(JSON.stringify({ verdict: 'confirm', reason: `Fits: ${title}.` }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('gives each item its verdict or its own error, the others continue', async () => {
    const items = makeItems(30, 3);
    items[0].title += ' slow';
    items[1].title += ' broken';
    const out = await runAudit(
      request({
        items: itemsIpc(items, false),
        judge: {
          kind: 'llm',
          scope: 'all',
          url,
          model: 'test-model',
          apiKey: 'sk-test',
          timeoutMs: 300,
          retries: 1,
          concurrency: 4,
          minIntervalMs: 0,
        },
      }),
      { cache: null },
    );
    const rows = rowsOf(out.arrow) as Array<Record<string, string | null>>;
    expect(rows[0].verdict).toBeNull();
    expect(rows[0].judge_error).toMatch(/timed out after 300 ms/);
    expect(rows[1].verdict).toBeNull();
    expect(rows[1].judge_error).toMatch(/^LLM judge failed after 1 attempt\(s\): invalid response: not JSON/);
    for (const r of rows.slice(2)) {
      expect(r.verdict).toBe('confirm');
      expect(r.reason).toBe(`Fits: ${r.title}.`);
      expect(r.judge_error).toBeNull();
    }
    expect(out.summary.judge).toMatchObject({ asked: 30, confirmed: 28, rejected: 0, errors: 2 });
    expect(auth.every((a) => a === 'Bearer sk-test')).toBe(true);
  });
});
