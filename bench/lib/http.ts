/**
 * Keep-alive HTTP clients for the server benches (serve, audit, profilePredict): deploys, probes and
 * profilePredict's sequential requests (the serve load itself is autocannon, ./autocannon.ts).
 * node:http with an Agent rather than fetch: profilePredict sends thousands of requests and fetch's
 * per-request overhead would be measured as the server's.
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
  return postJson(agent, port, path, body, headers).then(
    (r) => r.status,
    () => 0,
  );
}

/** One request, answering its status and body; rejects when the connection failed. */
export function postJson(
  agent: Agent,
  port: number,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
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
