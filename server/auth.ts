/**
 * Deploy token for mutating endpoints (`Authorization: Bearer <token>`). Missing → 401 (with
 * `WWW-Authenticate: Bearer`), wrong → 403. Compared in constant time over SHA-256 digests, so neither
 * the content nor the length of the token leaks through timing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { jsonError } from './errors.ts';

/** A fresh random token: 32 bytes, hex. */
export function generateToken(): string {
  return randomBytes(32).toString('hex');
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function requireToken(token: string): MiddlewareHandler {
  const want = digest(token);
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      c.header('WWW-Authenticate', 'Bearer realm="benchtop"');
      return jsonError(
        c,
        401,
        'unauthorized',
        'This endpoint needs the deploy token: Authorization: Bearer <token>.',
      );
    }
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!m || !timingSafeEqual(digest(m[1]), want)) {
      return jsonError(c, 403, 'forbidden', 'The deploy token is wrong.');
    }
    await next();
  };
}
