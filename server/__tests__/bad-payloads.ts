/**
 * A corpus of hostile or broken requests, each with the status, error code and offending field the
 * server must answer with. Run by bad-payloads.test.ts in-process (`app.request`) against the binary
 * synthetic model `bin` (modelFixture.ts: inputs x, z?, when, city?, member?, review; `?` = nullable).
 * Nothing here may produce a 500.
 */
import { GOOD } from './modelFixture.ts';

export interface BadPayload {
  name: string;
  /** Default POST /v1/models/bin/predict. */
  path?: string;
  method?: string;
  /** Raw body (string or bytes) or a function making a stream (no Content-Length). */
  body?: string | Uint8Array | (() => ReadableStream<Uint8Array>);
  /** Content-Type; `null` = none. Default application/json. */
  contentType?: string | null;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** The field the error must name (string: exact; RegExp: any field matching). */
  field?: string | RegExp;
}

const J = (v: unknown) => JSON.stringify(v);
const rec = (over: Record<string, unknown>) => J({ ...GOOD, ...over });
const without = (k: string) => {
  const r: Record<string, unknown> = { ...GOOD };
  delete r[k];
  return J(r);
};
const repeat = (s: string, n: number) => s.repeat(n);

export const BAD_PAYLOADS: BadPayload[] = [
  // --- the body as a whole
  { name: 'empty body', body: '', status: 400, code: 'empty_body', field: '(body)' },
  { name: 'whitespace only', body: '  \n ', status: 400, code: 'invalid_json', field: '(body)' },
  { name: 'null body', body: 'null', status: 400, code: 'invalid_input', field: '(body)' },
  { name: 'array instead of object', body: '[]', status: 400, code: 'invalid_input', field: '(body)' },
  { name: 'array of records', body: J([GOOD]), status: 400, code: 'invalid_input', field: '(body)' },
  { name: 'number body', body: '42', status: 400, code: 'invalid_input', field: '(body)' },
  { name: 'string body', body: '"x=1"', status: 400, code: 'invalid_input', field: '(body)' },
  { name: 'boolean body', body: 'true', status: 400, code: 'invalid_input', field: '(body)' },
  { name: 'trailing garbage', body: `${rec({})}xyz`, status: 400, code: 'invalid_json', field: '(body)' },
  { name: 'two documents', body: `${rec({})}${rec({})}`, status: 400, code: 'invalid_json', field: '(body)' },
  { name: 'truncated JSON', body: '{"x": 0.5, "city":', status: 400, code: 'invalid_json', field: '(body)' },
  { name: 'single quotes', body: "{'x': 1}", status: 400, code: 'invalid_json', field: '(body)' },
  { name: 'comments', body: '{"x": 1 /* one */}', status: 400, code: 'invalid_json', field: '(body)' },
  {
    name: 'NaN literal',
    body: rec({ x: 0 }).replace('"x":0', '"x":NaN'),
    status: 400,
    code: 'invalid_json',
    field: '(body)',
  },
  {
    name: 'Infinity literal',
    body: rec({ x: 0 }).replace('"x":0', '"x":Infinity'),
    status: 400,
    code: 'invalid_json',
    field: '(body)',
  },
  {
    name: 'invalid UTF-8',
    body: new Uint8Array([0x7b, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    status: 400,
    code: 'invalid_utf8',
    field: '(body)',
  },
  {
    name: 'UTF-16 body',
    body: new Uint8Array([...Buffer.from(rec({}), 'utf16le')]),
    status: 400,
    code: 'invalid_json',
    field: '(body)',
  },

  // --- nesting and prototype pollution
  {
    name: '10k nested arrays',
    body: `${repeat('[', 10_000)}${repeat(']', 10_000)}`,
    status: 400,
    code: 'too_deep',
    field: /^\[0\]/,
  },
  {
    name: '10k nested objects',
    body: `${repeat('{"a":', 10_000)}1${repeat('}', 10_000)}`,
    status: 400,
    code: 'too_deep',
    field: /^a\.a/,
  },
  {
    name: '100k nested arrays',
    body: `${repeat('[', 100_000)}${repeat(']', 100_000)}`,
    status: 400,
    code: /* parse may refuse first */ 'too_deep|invalid_json',
    field: /./,
  },
  {
    name: 'nested object as a field value',
    body: rec({ x: { v: { w: 1 } } }),
    status: 400,
    code: 'invalid_input',
    field: 'x',
  },
  {
    name: '__proto__ key',
    body: `{"__proto__": {"polluted": true}, ${rec({}).slice(1)}`,
    status: 400,
    code: 'forbidden_key',
    field: '__proto__',
  },
  {
    name: 'constructor key',
    body: `{"constructor": {"prototype": {}}, ${rec({}).slice(1)}`,
    status: 400,
    code: 'forbidden_key',
    field: /^constructor/,
  },
  {
    name: 'prototype key in a batch row',
    body: J({ rows: [{ ...GOOD, prototype: 1 }] }),
    status: 400,
    code: 'forbidden_key',
    field: 'rows[0].prototype',
  },
  {
    name: '__proto__ inside a value',
    body: rec({ x: 0 }).replace('"x":0', '"x":{"__proto__":{"isAdmin":true}}'),
    status: 400,
    code: 'forbidden_key',
    field: 'x.__proto__',
  },

  // --- sizes
  {
    name: 'body over 1 MB',
    body: rec({ review: 'a'.repeat(1_100_000) }),
    status: 413,
    code: 'body_too_large',
    field: '(body)',
  },
  {
    name: 'streamed body over 1 MB (no Content-Length)',
    body: () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          const chunk = new TextEncoder().encode(`{"review":"${'b'.repeat(64 * 1024)}`);
          for (let i = 0; i < 20; i++) c.enqueue(chunk);
          c.close();
        },
      }),
    status: 413,
    code: 'body_too_large',
    field: '(body)',
  },
  {
    name: 'declared Content-Length over the limit',
    body: rec({}),
    headers: { 'content-length': '5000000' },
    status: 413,
    code: 'body_too_large',
    field: '(body)',
  },
  {
    name: 'huge text string (20k chars)',
    body: rec({ review: 'word '.repeat(4000) }),
    status: 400,
    code: 'invalid_input',
    field: 'review',
  },
  {
    name: 'huge category string (20k chars)',
    body: rec({ city: 'x'.repeat(20_000) }),
    status: 400,
    code: 'invalid_input',
    field: 'city',
  },
  {
    name: 'batch over 1,000 rows',
    body: J({ rows: Array.from({ length: 1001 }, () => GOOD) }),
    status: 413,
    code: 'batch_too_large',
    field: 'rows',
  },

  // --- content types
  {
    name: 'text/plain',
    contentType: 'text/plain',
    body: rec({}),
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'no Content-Type', contentType: null, body: rec({}), status: 415, code: 'unsupported_media_type' },
  {
    name: 'form-urlencoded',
    contentType: 'application/x-www-form-urlencoded',
    body: 'x=1',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'multipart',
    contentType: 'multipart/form-data; boundary=x',
    body: '--x--',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'JSON in latin1',
    contentType: 'application/json; charset=iso-8859-1',
    body: rec({}),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'application/javascript',
    contentType: 'application/javascript',
    body: rec({}),
    status: 415,
    code: 'unsupported_media_type',
  },

  // --- numeric fields
  { name: 'number as a string', body: rec({ x: '0.5' }), status: 400, code: 'invalid_input', field: 'x' },
  { name: 'empty string for a number', body: rec({ x: '' }), status: 400, code: 'invalid_input', field: 'x' },
  {
    name: '1e999 (Infinity after parsing)',
    body: rec({ x: 0 }).replace('"x":0', '"x":1e999'),
    status: 400,
    code: 'invalid_input',
    field: 'x',
  },
  {
    name: '-1e999',
    body: rec({ x: 0 }).replace('"x":0', '"x":-1e999'),
    status: 400,
    code: 'invalid_input',
    field: 'x',
  },
  {
    name: 'null for a never-missing number',
    body: rec({ x: null }),
    status: 400,
    code: 'invalid_input',
    field: 'x',
  },
  { name: 'missing required number', body: without('x'), status: 400, code: 'invalid_input', field: 'x' },
  { name: 'boolean for a number', body: rec({ x: true }), status: 400, code: 'invalid_input', field: 'x' },
  { name: 'array for a number', body: rec({ x: [1] }), status: 400, code: 'invalid_input', field: 'x' },
  {
    name: 'duplicate key, last one a string',
    body: `{"x":1,${rec({}).slice(1, -1)},"x":"a"}`,
    status: 400,
    code: 'invalid_input',
    field: 'x',
  },
  {
    name: 'string for a nullable number',
    body: rec({ z: 'NaN' }),
    status: 400,
    code: 'invalid_input',
    field: 'z',
  },

  // --- other kinds
  {
    name: 'unparseable datetime',
    body: rec({ when: 'not a date' }),
    status: 400,
    code: 'invalid_input',
    field: 'when',
  },
  {
    name: 'datetime as an object',
    body: rec({ when: { year: 2024 } }),
    status: 400,
    code: 'invalid_input',
    field: 'when',
  },
  {
    name: 'over-long datetime string',
    body: rec({ when: `2024-01-01${' '.repeat(100)}` }),
    status: 400,
    code: 'invalid_input',
    field: 'when',
  },
  {
    name: 'missing required datetime',
    body: without('when'),
    status: 400,
    code: 'invalid_input',
    field: 'when',
  },
  {
    name: 'boolean as "yes"',
    body: rec({ member: 'yes' }),
    status: 400,
    code: 'invalid_input',
    field: 'member',
  },
  { name: 'boolean as 1', body: rec({ member: 1 }), status: 400, code: 'invalid_input', field: 'member' },
  {
    name: 'category as an object',
    body: rec({ city: {} }),
    status: 400,
    code: 'invalid_input',
    field: 'city',
  },
  {
    name: 'category as an array',
    body: rec({ city: ['paris'] }),
    status: 400,
    code: 'invalid_input',
    field: 'city',
  },
  {
    name: 'text as a number',
    body: rec({ review: 123 }),
    status: 400,
    code: 'invalid_input',
    field: 'review',
  },

  // --- unknown fields (unicode edge cases)
  { name: 'unknown field', body: rec({ foo: 1 }), status: 400, code: 'invalid_input', field: 'foo' },
  {
    name: 'typo in a field name',
    body: rec({ cityy: 'paris' }),
    status: 400,
    code: 'invalid_input',
    field: 'cityy',
  },
  {
    name: 'field name with a zero-width space',
    body: rec({ 'x\u200b': 1 }),
    status: 400,
    code: 'invalid_input',
    field: 'x\u200b',
  },
  {
    name: 'field name with NUL',
    body: rec({ 'x\u0000': 1 }),
    status: 400,
    code: 'invalid_input',
    field: 'x\u0000',
  },
  { name: 'field name in another case', body: rec({ X: 1 }), status: 400, code: 'invalid_input', field: 'X' },
  {
    name: 'field name with a combining accent',
    body: rec({ 'cit\u0079\u0301': 'paris' }),
    status: 400,
    code: 'invalid_input',
    field: 'cit\u0079\u0301',
  },

  // --- batches
  { name: 'rows is an object', body: J({ rows: {} }), status: 400, code: 'invalid_input', field: 'rows' },
  { name: 'rows is empty', body: J({ rows: [] }), status: 400, code: 'invalid_input', field: 'rows' },
  { name: 'null row', body: J({ rows: [null] }), status: 400, code: 'invalid_input', field: 'rows[0]' },
  {
    name: 'array row',
    body: J({ rows: [GOOD, [1, 2]] }),
    status: 400,
    code: 'invalid_input',
    field: 'rows[1]',
  },
  {
    name: 'bad field in row 2',
    body: J({ rows: [GOOD, GOOD, { ...GOOD, x: 'big' }] }),
    status: 400,
    code: 'invalid_input',
    field: 'rows[2].x',
  },
  {
    name: 'rows plus a stray field',
    body: J({ rows: [GOOD], x: 1 }),
    status: 400,
    code: 'invalid_input',
    field: 'x',
  },

  // --- query and path
  {
    name: 'top_k negative',
    path: '/v1/models/bin/predict?top_k=-1',
    body: rec({}),
    status: 400,
    code: 'invalid_query',
    field: 'top_k',
  },
  {
    name: 'top_k not a number',
    path: '/v1/models/bin/predict?top_k=abc',
    body: rec({}),
    status: 400,
    code: 'invalid_query',
    field: 'top_k',
  },
  {
    name: 'top_k in exponent form',
    path: '/v1/models/bin/predict?top_k=1e3',
    body: rec({}),
    status: 400,
    code: 'invalid_query',
    field: 'top_k',
  },
  {
    name: 'unknown model',
    path: '/v1/models/nope/predict',
    body: rec({}),
    status: 404,
    code: 'model_not_found',
    field: 'name',
  },
  {
    name: 'encoded traversal in the model name',
    path: '/v1/models/..%2F..%2Fetc/predict',
    body: rec({}),
    status: 404,
    code: 'model_not_found',
    field: 'name',
  },
  {
    name: 'upper-case model name',
    path: '/v1/models/BIN/predict',
    body: rec({}),
    status: 404,
    code: 'model_not_found',
    field: 'name',
  },

  // --- deploy / delete
  {
    name: 'deploy without a token',
    path: '/v1/models?name=x',
    body: '{}',
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'deploy with a wrong token',
    path: '/v1/models?name=x',
    body: '{}',
    headers: { authorization: 'Bearer wrong' },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'deploy with a Basic credential',
    path: '/v1/models?name=x',
    body: '{}',
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'deploy a non-artifact',
    path: '/v1/models?name=x',
    body: '{"hello": 1}',
    headers: { authorization: 'Bearer @TOKEN' },
    status: 400,
    code: 'invalid_artifact',
    field: 'format',
  },
  {
    name: 'deploy a newer artifact version',
    path: '/v1/models?name=x',
    body: '{"format":"benchtop-model","version":99}',
    headers: { authorization: 'Bearer @TOKEN' },
    status: 400,
    code: 'invalid_artifact',
    field: 'version',
  },
  {
    name: 'deploy under a traversal name',
    path: '/v1/models?name=../../etc',
    body: '{}',
    headers: { authorization: 'Bearer @TOKEN' },
    status: 400,
    code: 'invalid_name',
    field: 'name',
  },
  {
    name: 'deploy under a 65-character name',
    path: `/v1/models?name=${'a'.repeat(65)}`,
    body: '{}',
    headers: { authorization: 'Bearer @TOKEN' },
    status: 400,
    code: 'invalid_name',
    field: 'name',
  },
  {
    name: 'deploy as text/plain',
    path: '/v1/models?name=x',
    contentType: 'text/plain',
    body: '{}',
    headers: { authorization: 'Bearer @TOKEN' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'delete without a token',
    method: 'DELETE',
    path: '/v1/models/bin',
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'delete an unknown model',
    method: 'DELETE',
    path: '/v1/models/ghost',
    headers: { authorization: 'Bearer @TOKEN' },
    status: 404,
    code: 'model_not_found',
    field: 'name',
  },
];

/** Edge cases that are NOT errors: accepted, with the warning the pipeline gives. */
export const ACCEPTED: {
  name: string;
  body: string;
  contentType?: string;
  warning?: { field: string; code: string };
}[] = [
  {
    name: 'unseen category',
    body: rec({ city: 'atlantis' }),
    warning: { field: 'city', code: 'unseen-category' },
  },
  { name: 'emoji category', body: rec({ city: '🏙️🌧️' }), warning: { field: 'city', code: 'unseen-category' } },
  {
    name: 'lone surrogate in a category',
    body: rec({ city: 'x' }).replace('"city":"x"', '"city":"\\ud800"'),
    warning: { field: 'city', code: 'unseen-category' },
  },
  { name: 'right-to-left override in text', body: rec({ review: 'great \u202eproduct' }) },
  { name: 'NUL inside text', body: rec({ review: 'great\u0000product' }) },
  {
    name: 'number out of the training range',
    body: rec({ x: 1e308 }),
    warning: { field: 'x', code: 'out-of-range' },
  },
  { name: 'nullable number absent', body: without('z'), warning: { field: 'z', code: 'missing-imputed' } },
  // A missing category that training also had missing is a known state: no warning from the pipeline.
  { name: 'nullable category absent', body: without('city') },
  { name: 'nullable field null', body: rec({ z: null }), warning: { field: 'z', code: 'missing-imputed' } },
  { name: 'datetime as epoch ms', body: rec({ when: Date.UTC(2024, 6, 1) }) },
  {
    name: 'category given as a number',
    body: rec({ city: 7 }),
    warning: { field: 'city', code: 'unseen-category' },
  },
  { name: 'UTF-8 BOM before the JSON', body: `\ufeff${rec({})}` },
  { name: 'text exactly 10,000 characters', body: rec({ review: 'a'.repeat(10_000) }) },
  { name: 'JSON with a charset parameter', body: rec({}), contentType: 'application/json; charset=UTF-8' },
  { name: 'a +json media type', body: rec({}), contentType: 'application/vnd.api+json' },
];
