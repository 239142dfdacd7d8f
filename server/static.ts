/**
 * Static files from the built app. Written by hand rather than with node-server's serveStatic because
 * we need three things it does not do together: pick vite.config.ts's precompressed `.br`/`.gz`
 * siblings (DuckDB's 34 MB wasm goes out as ~6 MB without compressing per request), strong ETags per
 * encoding, and a path resolver strict enough that no URL can name a file outside the root.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { Context, MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.ts';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.parquet': 'application/octet-stream',
  '.arrow': 'application/octet-stream',
};

/** Content type by extension; unknown types are opaque bytes (with nosniff the browser won't guess). */
export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Content codings we have precompressed siblings for, best first, with the sibling's suffix. */
const CODINGS = [
  { coding: 'br', suffix: '.br' },
  { coding: 'gzip', suffix: '.gz' },
] as const;
export type Coding = (typeof CODINGS)[number]['coding'];

/**
 * The codings an Accept-Encoding header permits, in our preference order (br, then gzip). Honours
 * `q=0` (explicit refusal) and `*`. Client q-values other than 0 do not reorder: br is always smaller.
 */
export function acceptedCodings(header: string | undefined): Coding[] {
  if (!header) return [];
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) weight = Number(m[1]);
    }
    q.set(name.trim(), Number.isFinite(weight) ? weight : 0);
  }
  const star = q.get('*');
  return CODINGS.map((c) => c.coding).filter((c) => (q.get(c) ?? star ?? 0) > 0);
}

export type Resolved =
  | { ok: true; segments: string[]; directory: boolean }
  | { ok: false; status: 400 | 404; reason: string };

/**
 * Turn a URL pathname (still percent-encoded, already dot-normalised by the URL parser) into path
 * segments below the mount. Rejects rather than normalises anything odd: an encoded `/` or `\`, a `.`
 * or `..` segment that survived parsing, NUL, malformed escapes (400), and dot-files (404).
 */
export function resolveUrlPath(pathname: string): Resolved {
  const raw = pathname.split('/').slice(1);
  const directory = raw.length === 0 || raw[raw.length - 1] === '';
  const segments: string[] = [];
  for (const enc of raw) {
    if (enc === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(enc);
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding in path' };
    }
    if (seg === '.' || seg === '..' || /[/\\\0]/.test(seg)) {
      return { ok: false, status: 400, reason: 'path segment not allowed' };
    }
    if (seg.startsWith('.')) return { ok: false, status: 404, reason: 'hidden file' };
    segments.push(seg);
  }
  return { ok: true, segments, directory };
}

/** Strong ETag from size and mtime, distinct per coding (each coding is a different byte sequence). */
function etagFor(size: number, mtimeMs: number, coding: string): string {
  return `"${size.toString(36)}-${Math.floor(mtimeMs).toString(36)}-${coding}"`;
}

/** If-None-Match uses the weak comparison: `W/` prefixes are ignored, `*` matches anything. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

async function fileStat(path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

export interface StaticOptions {
  /** Directory to serve. */
  root: string;
  /** URL prefix the directory is mounted at, starting and ending with `/` (default `/`). */
  prefix?: string;
  /**
   * File (relative to root) answered for GET paths that name no file and have no extension, so the
   * client-side router can handle deep links. Omit to 404 instead.
   */
  spaFallback?: string;
  /** Cache-Control for a file, by its `/`-joined path relative to root. */
  cacheControl?: (relPath: string) => string;
}

/** Serve one resolved file (or its precompressed sibling) with validators; HEAD gets headers only. */
async function sendFile(
  c: Context,
  abs: string,
  relPath: string,
  opts: StaticOptions,
  realRoot: string,
): Promise<Response | undefined> {
  const identity = await fileStat(abs);
  if (!identity) return undefined;
  // Symlinks could point anywhere; only follow ones that stay inside the root.
  const real = await realpath(abs).catch(() => undefined);
  if (!real || (real !== realRoot && !real.startsWith(realRoot + sep))) return undefined;

  let path = abs;
  let meta = identity;
  let coding: Coding | undefined;
  for (const want of acceptedCodings(c.req.header('accept-encoding'))) {
    const suffix = CODINGS.find((x) => x.coding === want)!.suffix;
    const sibling = await fileStat(abs + suffix);
    if (sibling) {
      path = abs + suffix;
      meta = sibling;
      coding = want;
      break;
    }
  }

  const etag = etagFor(meta.size, meta.mtimeMs, coding ?? 'id');
  const headers: Record<string, string> = {
    ETag: etag,
    'Cache-Control': opts.cacheControl?.(relPath) ?? 'no-cache',
    // Always vary: the same URL has compressed siblings or may get them on the next build.
    Vary: 'Accept-Encoding',
  };
  if (etagMatches(c.req.header('if-none-match'), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers['Content-Type'] = mimeType(abs);
  headers['Content-Length'] = String(meta.size);
  if (coding) headers['Content-Encoding'] = coding;
  if (c.req.method === 'HEAD') return new Response(null, { status: 200, headers });
  // Stream: files reach tens of MB and buffering them per request would pin that memory.
  const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
  return new Response(body, { status: 200, headers });
}

/** Middleware serving `root` under `prefix`; passes through (next) when nothing matches. */
export function serveStatic(opts: StaticOptions): MiddlewareHandler {
  const prefix = opts.prefix ?? '/';
  let realRoot: string | undefined;
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    // The WHATWG URL parser has already removed `.`/`..` segments, including `%2e%2e`, so a
    // traversal can only survive as an encoded slash inside a segment, which resolveUrlPath refuses.
    const pathname = new URL(c.req.url).pathname;
    if (!pathname.startsWith(prefix)) return next();
    const resolved = resolveUrlPath(`/${pathname.slice(prefix.length)}`);
    if (!resolved.ok) {
      return resolved.status === 400
        ? errorResponse(c, 400, 'bad_path', 'Bad request', `Invalid path: ${resolved.reason}.`)
        : next();
    }
    // Resolved lazily: the dist folder may be rebuilt (and re-created) while the server runs.
    realRoot ??= await realpath(opts.root).catch(() => undefined);
    if (!realRoot) return next();

    const { segments, directory } = resolved;
    const relPath = directory ? [...segments, 'index.html'].join('/') : segments.join('/');
    const abs = join(opts.root, ...relPath.split('/'));
    const served = await sendFile(c, abs, relPath, opts, realRoot);
    if (served) return served;

    const last = segments[segments.length - 1] ?? '';
    if (opts.spaFallback && (directory || extname(last) === '')) {
      const fallback = await sendFile(c, join(opts.root, opts.spaFallback), opts.spaFallback, opts, realRoot);
      if (fallback) return fallback;
    }
    return next();
  };
}
