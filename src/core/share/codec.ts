/**
 * Share links: the whole notebook document packed into the URL fragment.
 *
 *   https://host/app/#nb=1.eNqrVkrLz1eyUkpKLFKqBQA…
 *
 * Payload: `1.` (link format version) + base64url, without padding, of the zlib stream (RFC 1950:
 * DEFLATE at level 9 with a 2-byte header and an Adler-32 checksum) of the notebook's JSON in UTF-8.
 * The zlib wrapper costs 6 bytes over raw DEFLATE and buys corruption detection: a link mangled in
 * transit is refused as damaged instead of opening as a subtly different notebook.
 *
 * The fragment (after `#`) is never sent to the server, so a shared notebook stays between the people
 * who have the link. Links carry data references (DataRef), never data.
 *
 * Decoding is defensive because links come from strangers: the decompressed size is capped (a few
 * hundred bytes of DEFLATE can expand to gigabytes), and the result goes through `parseNotebook`.
 */
import { Inflate, zlibSync } from 'fflate';
import { parseNotebook } from '../notebook/schema.ts';
import type { NotebookDoc } from '../notebook/types.ts';

/** Version of the link encoding (not of the notebook format, which the JSON carries itself). */
export const LINK_FORMAT_VERSION = 1;

/** Largest notebook JSON a link may hold, in bytes: guards against decompression bombs. */
export const MAX_DECODED_BYTES = 5 * 1024 * 1024;

/** The fragment parameter that holds the payload: `#nb=…`. */
export const FRAGMENT_KEY = 'nb';

/** The payload for the URL fragment. Validates `doc` first, so a link always opens. */
export function encodeNotebook(doc: NotebookDoc): string {
  const json = new TextEncoder().encode(JSON.stringify(parseNotebook(doc)));
  if (json.length > MAX_DECODED_BYTES) {
    throw new Error(
      `This notebook is too large to share as a link (${mb(json.length)} of JSON; the limit is ${mb(MAX_DECODED_BYTES)}). ` +
        'Export it as a file instead.',
    );
  }
  return `${LINK_FORMAT_VERSION}.${toBase64Url(zlibSync(json, { level: 9 }))}`;
}

/** `${base}#nb=${payload}`; any fragment already on `baseUrl` is replaced. */
export function shareUrl(baseUrl: string, doc: NotebookDoc): string {
  const base = baseUrl.split('#')[0]!;
  return `${base}#${FRAGMENT_KEY}=${encodeNotebook(doc)}`;
}

/**
 * The notebook in a share link. Accepts a whole URL, a fragment (`#nb=…`, `nb=…`) or the bare payload;
 * whitespace (from line-wrapped e-mails) is ignored. Throws an Error whose message can be shown as is.
 */
export function decodeNotebook(input: string): NotebookDoc {
  const payload = extractPayload(input);
  const dot = payload.indexOf('.');
  const tag = dot === -1 ? '' : payload.slice(0, dot);
  if (!/^[0-9]+$/.test(tag)) damaged('it does not start with a format version');
  const version = Number(tag);
  if (version > LINK_FORMAT_VERSION) {
    throw new Error(
      `This link was made by a newer version of Benchtop (link format ${version}); update Benchtop to open it.`,
    );
  }
  if (version !== LINK_FORMAT_VERSION) damaged(`unknown link format ${tag}`);

  const compressed = fromBase64Url(payload.slice(dot + 1));
  const bytes = unzlibGuarded(compressed);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    damaged('the notebook text is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    damaged('the notebook text is not valid JSON');
  }
  try {
    return parseNotebook(json);
  } catch (e) {
    throw new Error(
      `This link does not hold a notebook this version of Benchtop can open. ${(e as Error).message}`,
    );
  }
}

function damaged(detail: string): never {
  throw new Error(
    `This link is damaged or incomplete (${detail}). Ask for the link again, or copy all of it.`,
  );
}

function extractPayload(input: string): string {
  let s = input.replace(/\s+/g, '');
  const hash = s.indexOf('#');
  if (hash !== -1) s = s.slice(hash + 1);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s))
    throw new Error('This link does not contain a notebook (no #nb= part).');
  // Some apps percent-encode fragments; base64url never contains `%`, so decoding is safe.
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s);
    } catch {
      damaged('it contains broken %-escapes');
    }
  }
  // `key=value&…` parameters; a bare payload has none (its `.` and any `=` padding cannot form a key).
  if (/(?:^|&)[A-Za-z_][A-Za-z0-9_]*=/.test(s)) {
    const param = s.split('&').find((p) => p.startsWith(`${FRAGMENT_KEY}=`));
    if (param === undefined) throw new Error('This link does not contain a notebook (no #nb= part).');
    s = param.slice(FRAGMENT_KEY.length + 1);
  }
  if (s === '') throw new Error('This link does not contain a notebook (the #nb= part is empty).');
  return s;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  // Tolerate standard base64 too, in case something converted the link.
  table['+'.charCodeAt(0)] = 62;
  table['/'.charCodeAt(0)] = 63;
  return table;
})();

/** base64url without padding. Hand-written: `btoa` needs a binary string, Buffer is Node-only. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Inverse of `toBase64Url`; trailing `=` padding is tolerated. Damaged input throws the link error. */
export function fromBase64Url(text: string): Uint8Array {
  const s = text.replace(/=+$/, '');
  if (s.length % 4 === 1) damaged('its length is impossible, so part of it is missing');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const v = code < 128 ? LOOKUP[code]! : -1;
    if (v < 0) damaged(`unexpected character ${JSON.stringify(s[i])} at position ${i + 1}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Bytes of compressed input handed to the inflater at a time; bounds each step's output (≤ ~1 MB). */
const CHUNK = 1024;

class TooLarge extends Error {}

/** Inflate a zlib stream, stopping as soon as the output would exceed MAX_DECODED_BYTES. */
function unzlibGuarded(data: Uint8Array): Uint8Array {
  if (data.length < 7) damaged('it is too short');
  const cmf = data[0]!;
  const flg = data[1]!;
  // RFC 1950: method 8 (DEFLATE), header checksum, no preset dictionary.
  if ((cmf & 0x0f) !== 8 || (cmf * 256 + flg) % 31 !== 0 || (flg & 0x20) !== 0) {
    damaged('it does not hold compressed notebook data');
  }
  const body = data.subarray(2, data.length - 4);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    if (total > MAX_DECODED_BYTES) throw new TooLarge();
    chunks.push(chunk);
  });
  try {
    for (let i = 0; i < body.length; i += CHUNK)
      inflater.push(body.subarray(i, i + CHUNK), i + CHUNK >= body.length);
  } catch (e) {
    if (e instanceof TooLarge) {
      throw new Error(
        `This link's notebook is too large to open (over ${mb(MAX_DECODED_BYTES)} once unpacked).`,
      );
    }
    const message = (e as Error).message;
    damaged(/EOF/i.test(message) ? 'the data ends early' : `the compressed data is corrupt: ${message}`);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  const t = data.length - 4;
  const expected = ((data[t]! << 24) | (data[t + 1]! << 16) | (data[t + 2]! << 8) | data[t + 3]!) >>> 0;
  if (adler32(out) !== expected) damaged('its checksum does not match');
  return out;
}

/** RFC 1950 Adler-32. fflate writes it but does not check it on the way back, so we do. */
export function adler32(data: Uint8Array): number {
  const MOD = 65521;
  let a = 1;
  let b = 0;
  // 5552 is the most bytes that can be summed before `b` could overflow 2^32 (zlib's NMAX).
  for (let i = 0; i < data.length; ) {
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** Megabytes to one decimal, rounded up so that "over the limit" never reads as "at the limit". */
function mb(bytes: number): string {
  return `${(Math.ceil((bytes / (1024 * 1024)) * 10) / 10).toFixed(1).replace(/\.0$/, '')} MB`;
}
