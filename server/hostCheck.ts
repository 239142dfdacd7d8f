/**
 * DNS-rebinding guard. A page on evil.example can re-point its own name at 127.0.0.1 and then read
 * this server's responses as same-origin; the browser still sends `Host: evil.example`, so refusing
 * unknown Host values closes that hole. Loopback names are always accepted, on any port: the server
 * often listens on an ephemeral port (tests, bench), and the port is not what rebinding forges.
 */
import type { MiddlewareHandler } from 'hono';
import { jsonError } from './errors.ts';

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Wildcard binds name no host a browser could use, so they add nothing to the allow list. */
const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '[::]']);

export interface HostCheckOptions {
  /** Extra accepted hosts: `name` (any port) or `name:port` (that port only). Case-insensitive. */
  allowedHosts?: readonly string[];
  /** The interface the server binds; a specific non-loopback address is accepted automatically. */
  bindHost?: string;
}

/** Split `name[:port]`, keeping IPv6 brackets on the name (`[::1]:80` → `[::1]`, `80`). */
export function splitHost(value: string): { name: string; port?: string } | undefined {
  const v = value.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m) return undefined;
  return m[2] === undefined ? { name: m[1] } : { name: m[1], port: m[2] };
}

/** Build the predicate once, so each request costs a Set lookup. */
export function makeHostPredicate(opts: HostCheckOptions = {}): (hostHeader: string | undefined) => boolean {
  const anyPort = new Set(LOOPBACK_NAMES);
  const exact = new Set<string>();
  const configured = [...(opts.allowedHosts ?? [])];
  if (opts.bindHost && !WILDCARD_BINDS.has(opts.bindHost)) {
    // `--host ::1` binds an IPv6 address whose Host header form is bracketed.
    configured.push(
      opts.bindHost.includes(':') && !opts.bindHost.startsWith('[') ? `[${opts.bindHost}]` : opts.bindHost,
    );
  }
  for (const h of configured) {
    const parts = splitHost(h);
    if (!parts) continue;
    if (parts.port === undefined) anyPort.add(parts.name);
    else exact.add(`${parts.name}:${Number(parts.port)}`);
  }
  return (hostHeader) => {
    if (!hostHeader) return false;
    const parts = splitHost(hostHeader);
    if (!parts) return false;
    if (anyPort.has(parts.name)) return true;
    // No port in the header means the scheme's default; for this plain-HTTP server that is 80.
    return exact.has(`${parts.name}:${Number(parts.port ?? '80')}`);
  };
}

export function hostCheck(opts: HostCheckOptions = {}): MiddlewareHandler {
  const allowed = makeHostPredicate(opts);
  return async (c, next) => {
    // HTTP/1.1 requires Host; node-server builds the request URL from it, so the URL's host is
    // the same value when the header object does not carry it (in-process app.request calls).
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!allowed(host)) {
      return jsonError(
        c,
        403,
        'host_not_allowed',
        `Host "${host.slice(0, 200)}" is not allowed. Open Benchtop at http://127.0.0.1:<port>/ or add the name to BENCHTOP_ALLOWED_HOSTS.`,
      );
    }
    await next();
  };
}
