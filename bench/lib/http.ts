/**
 * Keep-alive HTTP clients for the server benches (serve, audit, profilePredict). node:http with an
 * Agent rather than fetch: the load loops send tens of thousands of requests and fetch's per-request
 * overhead would be measured as the server's.
 */
import { type Agent, request } from 'node:http';

/** POST a JSON body to 127.0.0.1:`port`; answers the status, 0 when the connection failed. */
export function post(
  agent: Agent,
  port: number,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve) => {
    const r = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    r.on('error', () => resolve(0));
    r.end(body);
  });
}

/** One request, answering its status and body (for checking what a server answers, not for load). */
export function postJson(
  agent: Agent,
  port: number,
  path: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}
