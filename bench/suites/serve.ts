/**
 * Model serving: single-row POST /predict with SHAP explanations (top_k=5) against a 300-tree GBDT
 * trained with train.ts on 20,000 flights (vega-datasets flights-3m.parquet, every 150th row; binary
 * delay > 15 min; inputs date (datetime), origin, destination (categorical), distance).
 *
 * The server runs in its own Node process (this file with `--child`), so the load generator does not
 * share its event loop. Load: a closed loop of CONNECTIONS keep-alive connections for DURATION_S seconds
 * (node:http, no extra dependency — autocannon is not installed in this repository), latency per
 * request; halfway through, the same model is redeployed over HTTP (POST /v1/models), and every non-200
 * response or socket error during the run counts as a failure (target: 0).
 * Runs: Benchtop top_k=5, Benchtop top_k=0 (no explanation), and the peer (bench/peers/serve_peer.py:
 * FastAPI + uvicorn + scikit-learn HistGradientBoosting, 300 rounds, no explanation; Debian packages
 * python3-fastapi python3-uvicorn python3-sklearn, apt-get installed if missing).
 *
 * Env: BENCH_SERVE_SECONDS (default 15), BENCH_SERVE_CONNECTIONS (default 16).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import { trainModel } from '../../src/core/ml/train.ts';
import { round } from '../lib/stats.ts';
import type { BenchContext, Measurement, Suite, SuiteResult } from '../lib/types.ts';
import { ensurePython, PYTHON } from '../lib/python.ts';
import { flightsSpec, flightsTable, loadFlights } from '../../server/__tests__/flightsModel.ts';

const DURATION_S = Number(process.env.BENCH_SERVE_SECONDS ?? 15);
const CONNECTIONS = Number(process.env.BENCH_SERVE_CONNECTIONS ?? 16);
const TOKEN = 'bench-serve-token-0123456789abcdef';

interface LoadResult {
  requests: number;
  failures: number;
  reqPerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  redeploy?: { status: number; ms: number };
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : Number.NaN;

function post(
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

/** Closed loop: CONNECTIONS workers, each sending the next body as soon as the last answer arrived. */
async function load(
  port: number,
  path: string,
  bodies: string[],
  seconds: number,
  midRun?: () => Promise<{ status: number; ms: number }>,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const lat: number[] = [];
  let failures = 0;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let redeploy: Promise<{ status: number; ms: number }> | undefined;
  const timer = midRun ? setTimeout(() => (redeploy = midRun()), (seconds * 1000) / 2) : undefined;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const body = bodies[i++ % bodies.length];
        const s = performance.now();
        const status = await post(agent, port, path, body);
        lat.push(performance.now() - s);
        if (status !== 200) failures++;
      }
    }),
  );
  clearTimeout(timer);
  const wall = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  return {
    requests: lat.length,
    failures,
    reqPerS: round(lat.length / wall, 1),
    p50Ms: round(pct(lat, 50), 2),
    p90Ms: round(pct(lat, 90), 2),
    p99Ms: round(pct(lat, 99), 2),
    maxMs: round(lat.at(-1) ?? Number.NaN, 2),
    redeploy: redeploy ? await redeploy : undefined,
  };
}

/** Spawn a process and wait for a line starting with READY (returns the rest of the line). */
function spawnReady(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} not ready after ${timeoutMs} ms: ${err.slice(-500)}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^READY(.*)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, line: m[1].trim() });
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code}: ${err.slice(-500)}`));
    });
  });
}

const peerAvailable = (ctx: BenchContext): string | null =>
  ensurePython(
    ctx,
    ['fastapi', 'uvicorn', 'sklearn', 'numpy'],
    ['python3-fastapi', 'python3-uvicorn', 'python3-sklearn'],
  );

export const suite: Suite = {
  description:
    'Model serving: single-row /predict with SHAP (300-tree GBDT on flights), p50/p99 and req/s, mid-run redeploy failures; vs FastAPI + uvicorn + scikit-learn',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const errors: string[] = [];
    const measurements: Measurement[] = [];
    const details: Record<string, unknown> = { durationS: DURATION_S, connections: CONNECTIONS };
    const parquet = join(ctx.root, 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');
    if (!existsSync(parquet)) return { measurements, details, errors: [`${parquet} not found`] };

    ctx.log('loading 20k flights and training a 300-tree GBDT');
    const flights = await loadFlights(150, parquet);
    const table = flightsTable(flights);
    const { artifact } = await trainModel(
      table,
      flightsSpec({ splitSeed: 1, seed: 1, params: { nEstimators: 300, earlyStoppingRounds: 0 } }),
      { backend: 'js' },
    );
    const trees = (artifact.model.state as { trees: unknown[] }).trees.length;
    details.trees = trees;
    const artifactJson = JSON.stringify(artifact satisfies ModelArtifact);
    const bodies = flights.slice(-500).map((f) =>
      JSON.stringify({
        date: new Date(f.date).toISOString(),
        origin: f.origin,
        destination: f.destination,
        distance: f.distance,
      }),
    );

    const dir = mkdtempSync(join(ctx.tmpDir, 'serve-'));
    try {
      // Benchtop in its own process.
      const tsx = join(ctx.root, 'node_modules', '.bin', 'tsx');
      const { child, line } = await spawnReady(
        tsx,
        [join(ctx.root, 'bench', 'suites', 'serve.ts'), '--child', ctx.distDir, join(dir, 'models')],
        60_000,
      );
      try {
        const port = Number(new URL(line).port);
        const agent = new Agent({ keepAlive: true });
        const dep = await post(agent, port, '/v1/models?name=flights', artifactJson, {
          authorization: `Bearer ${TOKEN}`,
        });
        if (dep !== 201) throw new Error(`deploy failed: ${dep}`);
        ctx.log('warm-up');
        await load(port, '/predict?top_k=5', bodies, 3);
        const redeploy = async () => {
          const s = performance.now();
          const status = await post(agent, port, '/v1/models?name=flights', artifactJson, {
            authorization: `Bearer ${TOKEN}`,
          });
          return { status, ms: round(performance.now() - s, 1) };
        };
        ctx.log(`benchtop top_k=5: ${DURATION_S}s × ${CONNECTIONS} connections, redeploy halfway`);
        const explained = await load(port, '/predict?top_k=5', bodies, DURATION_S, redeploy);
        ctx.log(`benchtop top_k=0: ${DURATION_S}s`);
        const plain = await load(port, '/predict?top_k=0', bodies, DURATION_S);
        agent.destroy();
        details.benchtop = { explained, plain };
        measurements.push(
          { name: 'serve.benchtop.shap.p50', value: explained.p50Ms, unit: 'ms' },
          { name: 'serve.benchtop.shap.p99', value: explained.p99Ms, unit: 'ms' },
          { name: 'serve.benchtop.shap.rps', value: explained.reqPerS, unit: 'req/s' },
          {
            name: 'serve.benchtop.redeployFailures',
            value: explained.failures,
            unit: 'requests',
            target: { op: '<=', value: 0 },
            note: `redeploy answered ${explained.redeploy?.status} in ${explained.redeploy?.ms} ms`,
          },
          { name: 'serve.benchtop.plain.p50', value: plain.p50Ms, unit: 'ms' },
          { name: 'serve.benchtop.plain.p99', value: plain.p99Ms, unit: 'ms' },
          { name: 'serve.benchtop.plain.rps', value: plain.reqPerS, unit: 'req/s' },
        );
      } finally {
        child.kill('SIGTERM');
      }

      // The peer.
      const problem = peerAvailable(ctx);
      if (problem) {
        errors.push(problem);
      } else {
        const csv = join(dir, 'flights.csv');
        writeFileSync(
          csv,
          `date_ms,origin,destination,distance,y\n${flights.map((f) => `${f.date},${f.origin},${f.destination},${f.distance},${f.delayed}`).join('\n')}\n`,
        );
        const peerPort = 20000 + Math.floor(Math.random() * 20000);
        const peer = await spawnReady(
          PYTHON,
          [join(ctx.root, 'bench', 'peers', 'serve_peer.py'), csv, String(peerPort)],
          300_000,
        );
        try {
          await new Promise((r) => setTimeout(r, 500)); // uvicorn binds right after READY
          await load(peerPort, '/predict', bodies, 3);
          const r = await load(peerPort, '/predict', bodies, DURATION_S);
          details.peer = { impl: 'fastapi+uvicorn+sklearn HistGradientBoostingClassifier', ...r };
          measurements.push(
            { name: 'serve.peer.p50', value: r.p50Ms, unit: 'ms', note: 'no explanation' },
            { name: 'serve.peer.p99', value: r.p99Ms, unit: 'ms' },
            { name: 'serve.peer.rps', value: r.reqPerS, unit: 'req/s' },
          );
        } finally {
          peer.child.kill('SIGTERM');
        }
      }
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return { measurements, details, errors };
  },
};

// Child mode: `tsx bench/suites/serve.ts --child <distDir> <modelsDir>` starts the server and prints READY <url>.
if (process.argv[2] === '--child') {
  const { startServer } = await import('../../server/start.ts');
  const server = await startServer({
    distDir: process.argv[3],
    modelsDir: process.argv[4],
    token: TOKEN,
    port: 0,
  });
  console.log(`READY ${server.url}`);
  process.on('SIGTERM', () => {
    void server.close().then(() => process.exit(0));
  });
}
