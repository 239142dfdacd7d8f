/**
 * Headers on every response. Deliberately NOT sent: Cross-Origin-Opener-Policy and
 * Cross-Origin-Embedder-Policy. Cross-origin isolation makes TF.js choose its threaded wasm build,
 * whose pthread workers crash in the minified bundle and hang training (shared/notes/toolchain.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MiddlewareHandler } from 'hono';

/**
 * Same policy as index.html's meta tag; used when the built index.html cannot be read. connect-src
 * allows https: and local http ports because the label-audit cell's language-model judge calls an
 * endpoint the user configures (a hosted API, or Ollama / llama.cpp on this machine); the trade-off is
 * explained next to the meta tag in index.html.
 */
export const DEFAULT_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' blob: data: https: http://localhost:* http://127.0.0.1:*; font-src 'self' data:";

/**
 * The CSP from the built index.html's `<meta http-equiv="Content-Security-Policy">`. Taking it from
 * the build keeps header and meta identical: when both are present the browser enforces both, so any
 * drift between them would silently block whatever only one of them allows.
 */
export function cspFromIndexHtml(distDir: string): string | undefined {
  let html: string;
  try {
    html = readFileSync(join(distDir, 'index.html'), 'utf8');
  } catch {
    return undefined;
  }
  for (const tag of html.match(/<meta\b[^>]*>/gi) ?? []) {
    if (!/http-equiv\s*=\s*["']content-security-policy["']/i.test(tag)) continue;
    const m = /content\s*=\s*"([^"]*)"|content\s*=\s*'([^']*)'/i.exec(tag);
    const value = (m?.[1] ?? m?.[2])
      ?.replace(/&#39;|&apos;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
    if (value?.trim()) return value.trim();
  }
  return undefined;
}

/**
 * `frame-ancestors` only works as a header (browsers ignore it in meta), so the header adds it to
 * stop other sites framing the app; everything else matches the meta tag.
 */
export function headerCsp(metaCsp: string): string {
  return /(^|;)\s*frame-ancestors\b/.test(metaCsp)
    ? metaCsp
    : `${metaCsp.replace(/;\s*$/, '')}; frame-ancestors 'none'`;
}

export function securityHeaders(opts: { csp: string }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // Set on the finished response's own Headers, never with `c.header()` here: after the handler that
    // makes Hono rebuild the Response from `res.body`, which costs @hono/node-server its fast path for
    // string bodies (a fetch Response and a web stream per request, issue 6). Not before `next()` either:
    // headers prepared that way are lost on responses a handler builds itself (server/static.ts).
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('Referrer-Policy', 'no-referrer');
    // CSP only on documents. On a worker script's response it would become that worker's own policy,
    // which the dev server never applies, so a worker could pass in dev and fail in production.
    if (c.res.headers.get('content-type')?.startsWith('text/html')) {
      c.res.headers.set('Content-Security-Policy', opts.csp);
    }
  };
}
