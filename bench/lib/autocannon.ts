/**
 * Closed-loop HTTP load with autocannon (the load generator issue 6 names): C keep-alive connections,
 * each sending the next body as soon as its previous answer arrived, for a fixed time. Why autocannon
 * and not node:http: it builds requests once and parses responses with a lean parser, so the load
 * generator takes less of the 2 cores it shares with the server under test (node:http's client cost
 * about as much CPU per request as the server's HTTP layer). Latencies are kept per response (ms, from
 * autocannon's own hrtime stamps), so percentiles are exact, not HDR buckets of 1 ms.
 */
import { createRequire } from 'node:module';
import { round } from './stats.ts';

/** One run's outcome. */
export interface LoadResult {
  /** Responses received. */
  requests: number;
  /** Non-200 answers, socket errors and timeouts. */
  failures: number;
  reqPerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** What `midRun` returned (the redeploy's status and duration). */
  redeploy?: { status: number; ms: number };
}

export interface LoadOptions {
  port: number;
  path: string;
  /** JSON bodies, sent in order (each connection cycles through them). */
  bodies: string[];
  seconds: number;
  connections: number;
  /** Called once halfway (e.g. a redeploy); its result is awaited and reported. */
  midRun?: () => Promise<{ status: number; ms: number }>;
}

/** The part of autocannon's API used here (the package ships no types). */
interface Instance {
  on(event: 'response', f: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  then<T>(f: (r: { duration: number; errors: number; timeouts: number }) => T): Promise<T>;
}
type Autocannon = (opts: Record<string, unknown>) => Instance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** The p-th percentile of ascending values (nearest rank). */
const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : Number.NaN;

export async function load(o: LoadOptions): Promise<LoadResult> {
  const lat: number[] = [];
  let failures = 0;
  const t0 = performance.now();
  const inst = autocannon({
    url: `http://127.0.0.1:${o.port}`,
    connections: o.connections,
    duration: o.seconds,
    pipelining: 1,
    timeout: 30,
    requests: o.bodies.map((body) => ({
      method: 'POST',
      path: o.path,
      body,
      headers: { 'content-type': 'application/json' },
    })),
  });
  inst.on('response', (_c, status, _b, ms) => {
    lat.push(ms);
    if (status !== 200) failures++;
  });
  let redeploy: Promise<{ status: number; ms: number }> | undefined;
  const timer = o.midRun ? setTimeout(() => (redeploy = o.midRun!()), (o.seconds * 1000) / 2) : undefined;
  const result = await inst.then((r) => r);
  clearTimeout(timer);
  const wall = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return {
    requests: lat.length,
    failures: failures + result.errors, // errors include timeouts
    reqPerS: round(lat.length / wall, 1),
    p50Ms: round(pct(lat, 50), 2),
    p90Ms: round(pct(lat, 90), 2),
    p99Ms: round(pct(lat, 99), 2),
    maxMs: round(lat.at(-1) ?? Number.NaN, 2),
    redeploy: redeploy ? await redeploy : undefined,
  };
}
