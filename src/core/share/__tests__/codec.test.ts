import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { CellDoc, NotebookDoc } from '../../notebook/types.ts';
import {
  adler32,
  decodeNotebook,
  encodeNotebook,
  fromBase64Url,
  MAX_DECODED_BYTES,
  shareUrl,
  toBase64Url,
} from '../codec.ts';

const base = (cells: CellDoc[] = []): NotebookDoc => ({
  format: 'benchtop-notebook',
  version: 1,
  id: '0b6f3c1e-8a43-4c59-9d1e-1f2a3b4c5d6e',
  title: 'Orders by state',
  createdAt: '2024-05-01T12:00:00.000Z',
  updatedAt: '2024-05-02T08:30:00.000Z',
  cells,
});

const small = (): NotebookDoc =>
  base([
    { id: 'a1b2c3d4', kind: 'markdown', config: { source: '# Orders\nWhich states buy the most?' } },
    {
      id: 'e5f6g7h8',
      kind: 'source',
      config: {
        name: 'orders',
        ref: { type: 'file', name: 'olist_orders_dataset.csv', size: 17_654_914, sha256: 'ab'.repeat(32) },
        columnTypes: { order_purchase_timestamp: 'TIMESTAMP' },
      },
    },
    {
      id: 'i9j0k1l2',
      kind: 'sql',
      config: {
        name: 'by_state',
        sql: "SELECT state, count(*) AS n FROM orders WHERE status <> 'canceled' GROUP BY 1",
      },
      collapsed: true,
    },
    { id: 'm3n4o5p6', kind: 'table', config: { input: 'by_state' } },
  ]);

/** A deterministic pseudo-random generator, so the size measurement is reproducible. */
const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

/**
 * A big, realistic notebook: 200 cells cycling through prose, sources, SQL of varied shape and table
 * views, with distinct names and numbers so the compressor cannot just repeat one cell.
 */
function realistic200(): NotebookDoc {
  const r = rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const cols = [
    'order_id',
    'customer_id',
    'price',
    'freight_value',
    'order_status',
    'customer_state',
    'seller_id',
  ];
  const words = [
    'revenue',
    'delivery',
    'late',
    'freight',
    'sellers',
    'reviews',
    'cohort',
    'repeat',
    'basket',
  ];
  const cells: CellDoc[] = [];
  const names: string[] = [];
  for (let i = 0; i < 200; i++) {
    const id = Math.floor(r() * 36 ** 8)
      .toString(36)
      .padStart(8, '0');
    const name = `${pick(words)}_${pick(words)}_${i}`;
    switch (i % 5) {
      case 0:
        cells.push({
          id,
          kind: 'markdown',
          config: {
            source: `## Step ${i}: ${pick(words)} by ${pick(cols)}\n\nWe look at ${pick(words)} per ${pick(cols)} and keep rows where ${pick(cols)} > ${Math.floor(r() * 1000)}. Numbers are in BRL.`,
          },
        });
        break;
      case 1:
        cells.push({
          id,
          kind: 'source',
          config: {
            name,
            ref: {
              type: 'file',
              name: `${name}.csv`,
              size: Math.floor(r() * 5e7),
              sha256: Array.from({ length: 64 }, () => Math.floor(r() * 16).toString(16)).join(''),
            },
          },
        });
        names.push(name);
        break;
      case 4:
        cells.push({ id, kind: 'table', config: { input: pick(names) } });
        break;
      default: {
        const a = pick(names);
        const b = pick(names);
        const sql = `SELECT a.${pick(cols)}, b.${pick(cols)}, sum(a.${pick(cols)}) AS total_${i},
       avg(b.${pick(cols)}) AS mean_${i}, count(DISTINCT a.${pick(cols)}) AS n
FROM ${a} AS a
JOIN ${b} AS b ON a.${pick(cols)} = b.${pick(cols)}
WHERE a.${pick(cols)} >= ${Math.floor(r() * 500)} AND b.order_status <> 'canceled'
GROUP BY ALL
HAVING count(*) > ${Math.floor(r() * 50)}
ORDER BY total_${i} DESC
LIMIT ${Math.floor(r() * 100) + 10}`;
        cells.push({ id, kind: 'sql', config: { name, sql } });
        names.push(name);
      }
    }
  }
  return base(cells);
}

/** The message of the error `fn` throws. */
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('round trip', () => {
  it('decodes what it encodes, exactly', () => {
    const doc = small();
    const payload = encodeNotebook(doc);
    expect(payload).toMatch(/^1\.[A-Za-z0-9_-]+$/);
    expect(decodeNotebook(payload)).toEqual(doc);
  });

  it('keeps unicode intact (accents, CJK, emoji, RTL, lone-looking surrogate pairs)', () => {
    const doc = base([
      {
        id: 'u1',
        kind: 'markdown',
        config: { source: 'Données — 東京 — 😀👩🏽‍🔬 — עברית — \u0000 — "quotes" \\ back\nslash' },
      },
      { id: 'u2', kind: 'sql', config: { name: 'été', sql: 'SELECT \'ñ\' AS "naïve"' } },
    ]);
    doc.title = 'Ünïcödé 📊';
    expect(decodeNotebook(encodeNotebook(doc))).toEqual(doc);
  });

  it('round-trips an empty notebook', () => {
    expect(decodeNotebook(encodeNotebook(base()))).toEqual(base());
  });

  it('round-trips a 200-cell notebook', () => {
    const doc = realistic200();
    expect(doc.cells).toHaveLength(200);
    expect(decodeNotebook(encodeNotebook(doc))).toEqual(doc);
  });

  it('is deterministic', () => {
    expect(encodeNotebook(small())).toBe(encodeNotebook(small()));
  });

  it('drops fields the format does not know, so links stay lean', () => {
    const doc = { ...small(), runtimeState: { big: 'x'.repeat(1000) } } as NotebookDoc;
    expect(decodeNotebook(encodeNotebook(doc))).toEqual(small());
  });

  it('refuses to encode an invalid notebook (a link must always open)', () => {
    const doc = { ...small(), version: 3 } as unknown as NotebookDoc;
    expect(() => encodeNotebook(doc)).toThrow('newer version of Benchtop');
  });
});

describe('size', () => {
  it('fits a realistic 200-cell notebook in a URL that browsers and chat apps accept', () => {
    const doc = realistic200();
    const json = JSON.stringify(doc).length;
    const url = shareUrl('https://benchtop.example/app/', doc);
    // Measured: 54,213 characters of JSON → a 12,991-character URL (24%). Browsers accept megabytes in
    // a fragment; what matters is pasting into chats and e-mails, where tens of KB still work. The
    // bound is tight enough to catch a regression in the encoding (e.g. losing compression).
    expect(json).toBeGreaterThan(50_000);
    expect(url.length).toBeLessThan(16 * 1024);
    expect(url.length / json).toBeLessThan(0.3);
  });

  it('keeps a small notebook short', () => {
    expect(shareUrl('https://benchtop.example/', small()).length).toBeLessThan(1000);
  });

  it('refuses to encode a notebook over the size limit', () => {
    const doc = base([{ id: 'big', kind: 'markdown', config: { source: 'x'.repeat(MAX_DECODED_BYTES) } }]);
    expect(errorOf(() => encodeNotebook(doc))).toMatch(
      /^This notebook is too large to share as a link \(5\.1 MB of JSON; the limit is 5 MB\)/,
    );
  });
});

describe('shareUrl', () => {
  it('puts the payload in the fragment, never in the query string', () => {
    const doc = small();
    const url = shareUrl('https://benchtop.example/app/?theme=dark', doc);
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname).toBe('https://benchtop.example/app/');
    expect(parsed.search).toBe('?theme=dark');
    expect(parsed.hash).toBe(`#nb=${encodeNotebook(doc)}`);
  });

  it('replaces an existing fragment', () => {
    const url = shareUrl('https://benchtop.example/#nb=old', small());
    expect(url.split('#')).toHaveLength(2);
    expect(url.startsWith('https://benchtop.example/#nb=1.')).toBe(true);
  });

  it('produces a URL that survives URL parsing unchanged', () => {
    const url = shareUrl('https://benchtop.example/', realistic200());
    expect(new URL(url).href).toBe(url);
  });
});

describe('decodeNotebook input forms', () => {
  const doc = small();
  const payload = encodeNotebook(doc);

  it.each([
    ['a whole URL', `https://benchtop.example/app/?x=1#nb=${payload}`],
    ['a fragment', `#nb=${payload}`],
    ['a fragment without #', `nb=${payload}`],
    ['the payload', payload],
    ['a fragment with other parameters', `#view=1&nb=${payload}&x=2`],
    ['a line-wrapped URL', `https://benchtop.example/#nb=${payload.slice(0, 40)}\n  ${payload.slice(40)}\n`],
    ['a percent-encoded fragment', `#nb%3D${payload}`],
    ['standard base64 with padding', `${payload.replaceAll('-', '+').replaceAll('_', '/')}==`],
  ])('accepts %s', (_label, input) => {
    expect(decodeNotebook(input)).toEqual(doc);
  });

  it('says when there is no notebook in the link', () => {
    expect(errorOf(() => decodeNotebook('https://benchtop.example/app/'))).toBe(
      'This link does not contain a notebook (no #nb= part).',
    );
    expect(errorOf(() => decodeNotebook('https://benchtop.example/#view=1'))).toBe(
      'This link does not contain a notebook (no #nb= part).',
    );
    expect(errorOf(() => decodeNotebook('#nb='))).toBe(
      'This link does not contain a notebook (the #nb= part is empty).',
    );
    expect(errorOf(() => decodeNotebook('   '))).toBe(
      'This link does not contain a notebook (the #nb= part is empty).',
    );
  });
});

describe('damaged links', () => {
  const payload = encodeNotebook(realistic200());
  const DAMAGED = /^This link is damaged or incomplete \(.+\)\. Ask for the link again, or copy all of it\.$/;

  it('detects truncation at every kind of cut', () => {
    for (const keep of [0.99, 0.9, 0.5, 0.1]) {
      const cut = payload.slice(0, Math.floor(payload.length * keep));
      expect(
        errorOf(() => decodeNotebook(cut)),
        `kept ${keep}`,
      ).toMatch(DAMAGED);
    }
    // Every possible loss of the last few characters.
    for (let n = 1; n <= 12; n++)
      expect(errorOf(() => decodeNotebook(payload.slice(0, -n)))).toMatch(DAMAGED);
  });

  it('names the cause of a truncation', () => {
    // Dropping 4 characters keeps a valid base64 length: the inflater or the checksum notices.
    expect(errorOf(() => decodeNotebook(payload.slice(0, -4)))).toMatch(/data ends early|checksum/);
    expect(errorOf(() => decodeNotebook(payload.slice(0, -3)))).toBe(
      'This link is damaged or incomplete (its length is impossible, so part of it is missing). Ask for the link again, or copy all of it.',
    );
  });

  it('detects a changed character anywhere (checksum)', () => {
    const r = rng(3);
    for (let k = 0; k < 40; k++) {
      const i = 2 + Math.floor(r() * (payload.length - 2));
      const c = payload[i] === 'A' ? 'B' : 'A';
      const bad = payload.slice(0, i) + c + payload.slice(i + 1);
      expect(
        errorOf(() => decodeNotebook(bad)),
        `position ${i}`,
      ).toMatch(DAMAGED);
    }
  });

  it('rejects characters outside base64url', () => {
    expect(errorOf(() => decodeNotebook(`1.abc!def`))).toBe(
      'This link is damaged or incomplete (unexpected character "!" at position 4). Ask for the link again, or copy all of it.',
    );
    expect(errorOf(() => decodeNotebook(`1.abcé`))).toMatch(/unexpected character "é"/);
  });

  it('rejects a missing or unknown version tag', () => {
    expect(errorOf(() => decodeNotebook(payload.slice(2)))).toMatch(/does not start with a format version/);
    expect(errorOf(() => decodeNotebook(`0.${payload.slice(2)}`))).toMatch(/unknown link format 0/);
    expect(errorOf(() => decodeNotebook(`2.${payload.slice(2)}`))).toBe(
      'This link was made by a newer version of Benchtop (link format 2); update Benchtop to open it.',
    );
  });

  it('rejects data that is not a zlib stream', () => {
    const raw = `1.${toBase64Url(new TextEncoder().encode('{"format":"benchtop-notebook"}'))}`;
    expect(errorOf(() => decodeNotebook(raw))).toMatch(/does not hold compressed notebook data/);
    expect(errorOf(() => decodeNotebook('1.eNo'))).toMatch(/too short/);
  });

  it('rejects well-formed data that is not JSON, not UTF-8, or not a notebook', () => {
    const pack = (bytes: Uint8Array) => `1.${toBase64Url(zlibSync(bytes, { level: 9 }))}`;
    const utf8 = (s: string) => new TextEncoder().encode(s);
    expect(errorOf(() => decodeNotebook(pack(utf8('not json'))))).toMatch(/not valid JSON/);
    expect(errorOf(() => decodeNotebook(pack(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))))).toMatch(
      /not valid UTF-8/,
    );
    expect(errorOf(() => decodeNotebook(pack(utf8('{"format":"benchtop-notebook","version":1}'))))).toMatch(
      /^This link does not hold a notebook this version of Benchtop can open\. Not a valid Benchtop notebook/,
    );
    expect(errorOf(() => decodeNotebook(pack(utf8(JSON.stringify({ ...small(), version: 9 })))))).toMatch(
      /newer version of Benchtop \(format version 9\)/,
    );
  });

  it('stops a decompression bomb without inflating it fully', () => {
    // 50 MB of spaces compress to ~50 KB; the decoder must give up at 5 MB.
    const bomb = new Uint8Array(50 * 1024 * 1024).fill(0x20);
    const payload = `1.${toBase64Url(zlibSync(bomb, { level: 9 }))}`;
    expect(payload.length).toBeLessThan(100_000);
    const t0 = performance.now();
    expect(errorOf(() => decodeNotebook(payload))).toBe(
      "This link's notebook is too large to open (over 5 MB once unpacked).",
    );
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('accepts a notebook just under the limit', () => {
    const filler = 'x'.repeat(MAX_DECODED_BYTES - 1000);
    const doc = base([{ id: 'big', kind: 'markdown', config: { source: filler } }]);
    expect(JSON.stringify(doc).length).toBeLessThan(MAX_DECODED_BYTES);
    expect(decodeNotebook(encodeNotebook(doc))).toEqual(doc);
  });
});

describe('base64url', () => {
  it('matches known vectors (RFC 4648) without padding', () => {
    const enc = (s: string) => toBase64Url(new TextEncoder().encode(s));
    expect(enc('')).toBe('');
    expect(enc('f')).toBe('Zg');
    expect(enc('fo')).toBe('Zm8');
    expect(enc('foo')).toBe('Zm9v');
    expect(enc('foob')).toBe('Zm9vYg');
    expect(enc('fooba')).toBe('Zm9vYmE');
    expect(enc('foobar')).toBe('Zm9vYmFy');
    expect(toBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
  });

  it('round-trips every byte value and length', () => {
    for (let len = 0; len < 70; len++) {
      const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff);
      expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64Url(toBase64Url(all))).toEqual(all);
  });
});

describe('adler32', () => {
  it('matches known values', () => {
    expect(adler32(new Uint8Array(0))).toBe(1);
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
    // Long input exercises the modulo batching.
    expect(adler32(new Uint8Array(100_000).fill(0xff))).toBe(0x149a302c);
  });
});
