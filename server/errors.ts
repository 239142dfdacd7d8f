/**
 * Error responses. API clients get JSON (`{ error: { code, message } }`), browsers get a small HTML
 * page. Which one is decided by the path, not by Accept, so `curl` on an API path always sees JSON.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Path prefixes whose responses are JSON. Routes added under these must keep that promise. */
export const API_PREFIXES = ['/v1', '/healthz', '/predict', '/openapi.json', '/metrics'] as const;

export function isApiPath(path: string): boolean {
  return API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** One offending input: `field` is a path such as `age`, `rows[3].city` or `(body)`. */
export interface FieldProblem {
  field: string;
  problem: string;
}

export interface ErrorBody {
  error: { code: string; message: string; fields?: FieldProblem[] };
}

export function jsonError(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  fields?: FieldProblem[],
): Response {
  const body: ErrorBody = { error: fields ? { code, message, fields } : { code, message } };
  return c.json(body, status);
}

/**
 * A client mistake found deep inside a handler (bad body, unknown model…). Route handlers throw it;
 * app.onError turns it into the JSON error, never into a 500.
 */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly fields?: FieldProblem[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A self-contained page (no external resources, so the CSP needs nothing extra). */
export function htmlError(c: Context, status: ContentfulStatusCode, title: string, detail: string): Response {
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${status} ${escapeHtml(title)} · Benchtop</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>${status} ${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p><p><a href="/">Open Benchtop</a></p>
</body></html>
`;
  return c.html(page, status);
}

/** JSON on API paths, HTML elsewhere. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  title: string,
  detail: string,
): Response {
  return isApiPath(c.req.path) ? jsonError(c, status, code, detail) : htmlError(c, status, title, detail);
}
