/**
 * Model serving: single-row POST /predict with SHAP explanations (top_k=5) against a 300-tree GBDT
 * trained with train.ts on 20,000 flights (vega-datasets flights-3m.parquet, every 150th row; binary
 * delay > 15 min; inputs date (datetime), origin, destination (categorical), distance).
 *
 * The server runs in its own Node process (this file with `--child`), so the load generator does not
 * share its event loop (it does share the machine's cores). Load: autocannon (bench/lib/autocannon.ts),
 * a closed loop of C keep-alive connections for DURATION_S seconds, latency per request, at C = 1, 4
 * and 16. In the 16-connection run the same model
 * is redeployed over HTTP halfway (POST /v1/models), and every non-200 response or socket error during
 * the run counts as a failure (target: 0).
 * Runs: Benchtop top_k=5 at each C, one process as `npm start` runs it on this machine (its default
 * BENCHTOP_EXPLAIN_THREADS: explanations in worker threads, server/explainPool.ts); top_k=0 (no
 * explanation) at 16; top_k=5 at 16 with explanations in the event loop (BENCHTOP_EXPLAIN_THREADS=0); the
 * same SHAP runs with BENCHTOP_WORKERS-style workers (server/cluster.ts, BENCH_SERVE_WORKERS processes);
 * the target ratio from paired rounds (Benchtop and the typical peer both up, loaded in turn: see
 * `paired` below; the VM's speed drifts too much between runs minutes apart); and two peers at
 * 16, one after the other, both FastAPI + uvicorn + scikit-learn HistGradientBoosting (300 rounds, 31
 * leaves, lr 0.1, one OpenMP thread) on the same six features:
 * - `serve.peerTypical` (bench/peers/serve_peer_typical.py) is the service as issue 6 describes its
 *   reference and as it is usually written: pydantic request model, a pandas DataFrame per request, a
 *   scikit-learn Pipeline (ColumnTransformer + classifier). The issue's 20× target is against this one.
 * - `serve.peer` (bench/peers/serve_peer.py) is a lean hand-written version (request JSON to a numpy
 *   row, bare classifier), 1.5–2× faster here (less per-request overhead); its ratio is reported too,
 *   without a target.
 * Before loading them the suite sends both the same probe requests and requires the same probabilities
 * (serve.peerTypicalVsPeer.maxAbsDp), so the two are provably one model. Neither peer explains
 * (scikit-learn has no TreeSHAP; python3-shap has no Debian candidate here, see details.peer.shap), so
 * Benchtop-with-SHAP against them is against peers doing less work.
 * Per-request cost breakdown: CPU time of each stage of one explained request, measured in a child
 * process over the same bodies (`--breakdown`); "HTTP and framework" is the 1-connection p50 minus the
 * in-process stages.
 *
 * Env: BENCH_SERVE_SECONDS (default 15), BENCH_SERVE_CONNECTIONS (default 1,4,16; the last one gets the
 * redeploy and the plain and peer runs), BENCH_SERVE_WORKERS (default 2; 1 = skip the workers runs),
 * BENCH_SERVE_PAIRED_ROUNDS and BENCH_SERVE_PAIRED_SECONDS (default 5 × 5 s: the target ratio).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { ModelArtifact } from '../../src/core/ml/artifact.ts';
import { trainModel } from '../../src/core/ml/train.ts';
import { type LoadResult, load } from '../lib/autocannon.ts';
import { stopChild } from '../lib/child.ts';
import { post, postJson } from '../lib/http.ts';
import { round } from '../lib/stats.ts';
import type { BenchContext, Measurement, Suite, SuiteResult } from '../lib/types.ts';
import { ensurePython, PYTHON } from '../lib/python.ts';
import { flightsSpec, flightsTable, loadFlights } from '../../server/__tests__/flightsModel.ts';
import { loadModelConfig } from '../../server/config.ts';

const DURATION_S = Number(process.env.BENCH_SERVE_SECONDS ?? 15);
const LEVELS = (process.env.BENCH_SERVE_CONNECTIONS ?? '1,4,16').split(',').map(Number);
const CONNECTIONS = LEVELS.at(-1) ?? 16;
const WORKERS = Number(process.env.BENCH_SERVE_WORKERS ?? 2);
/** Paired rounds for the target ratio (Benchtop and the typical peer in turn), and seconds per load. */
const PAIRED_ROUNDS = Number(process.env.BENCH_SERVE_PAIRED_ROUNDS ?? 5);
const PAIRED_S = Number(process.env.BENCH_SERVE_PAIRED_SECONDS ?? 5);
/** Rows timed per stage in the breakdown. */
const BREAKDOWN_ROWS = 2000;
const TOKEN = 'bench-serve-token-0123456789abcdef';

/** Explanation threads `npm start` would give each of `workers` processes on this machine (config.ts). */
function defaultThreads(workers: number): number {
  return loadModelConfig({ BENCHTOP_WORKERS: String(workers) }).explainThreads;
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
    ['fastapi', 'uvicorn', 'sklearn', 'numpy', 'pandas'],
    ['python3-fastapi', 'python3-uvicorn', 'python3-sklearn', 'python3-pandas'],
  );

/** A peer's answer to one /predict request. */
interface PeerAnswer {
  label: string;
  probability: number;
}

interface PeerRun {
  load: LoadResult;
  /** Answers to the probe bodies, in order, for the parity check between the peers. */
  probes: PeerAnswer[];
}

/** Requests both peers answer before their load runs, to check they are the same model. */
const PROBE_ROWS = 50;
/**
 * Largest probability difference allowed between the peers: the same HistGradientBoosting fit on the
 * same float64 features is deterministic, so anything beyond float noise means different models.
 */
const PEER_PARITY_TOLERANCE = 1e-9;
/** An airport absent from the training rows: both peers must treat it as missing, the same way. */
const UNKNOWN_AIRPORT_BODY = JSON.stringify({
  date: '2001-06-26T15:20:00.000Z',
  origin: 'ZZZ',
  destination: 'ATL',
  distance: 453,
});

/** Whether the peer could explain: the shap module in Debian's Python, and apt's view of python3-shap. */
function peerShap(): { importable: boolean; aptCandidate: string } {
  const importable = spawnSync(PYTHON, ['-c', 'import shap'], { stdio: 'ignore' }).status === 0;
  const apt = spawnSync('apt-cache', ['policy', 'python3-shap'], { encoding: 'utf8' });
  const candidate = /Candidate:\s*(\S+)/.exec(apt.stdout ?? '')?.[1];
  return { importable, aptCandidate: candidate ?? 'none (apt-cache policy python3-shap lists no package)' };
}

/** Per-request CPU cost of each in-process stage (µs), from `--breakdown` in a child process. */
interface Breakdown {
  rows: number;
  /** Stage → CPU µs per request. */
  us: Record<string, number>;
  /** src/core/ml/gbdt/treeshap.ts treeShapLayout of the model: table vs per-row leaves, table bytes. */
  treeShapLayout: Record<string, number>;
}

const mkLevels = (rs: Record<number, LoadResult>, prefix: string, note?: string): Measurement[] =>
  Object.entries(rs).flatMap(([c, r]) => [
    { name: `${prefix}.c${c}.p50`, value: r.p50Ms, unit: 'ms', ...(note ? { note } : {}) },
    {
      name: `${prefix}.c${c}.p99`,
      value: r.p99Ms,
      unit: 'ms',
      // The issue's "p99 ≤ 10 ms with explanations" names no concurrency: checked at every level. At C in
      // flight, Little's law puts the MEAN latency at C ÷ throughput (16 ÷ 1,700 req/s ≈ 9.4 ms here).
      ...(prefix.includes('shap')
        ? {
            target: { op: '<=' as const, value: 10 },
            note: `issue target (names no concurrency) at ${c} connection(s); Little's law: mean latency = ${c} ÷ req/s = ${round((Number(c) / r.reqPerS) * 1000, 2)} ms`,
          }
        : {}),
    },
    { name: `${prefix}.c${c}.rps`, value: r.reqPerS, unit: 'req/s' },
  ]);

export const suite: Suite = {
  description:
    "Model serving: single-row /predict with SHAP (300-tree GBDT on flights) at 1/4/16 connections, single process and workers, p50/p99 and req/s, mid-run redeploy failures, per-request CPU breakdown; vs two FastAPI + uvicorn + scikit-learn peers, typical (pydantic + pandas + Pipeline, the issue's reference) and lean (numpy), neither explaining",
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const errors: string[] = [];
    const measurements: Measurement[] = [];
    const details: Record<string, unknown> = {
      durationS: DURATION_S,
      connections: LEVELS,
      workers: WORKERS,
      loadavgAtStart: loadavg().map((l) => round(l, 2)),
    };
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
    const tsx = join(ctx.root, 'node_modules', '.bin', 'tsx');
    const self = join(ctx.root, 'bench', 'suites', 'serve.ts');
    try {
      // Per-request breakdown, in a child of its own (as the server runs).
      writeFileSync(join(dir, 'artifact.json'), artifactJson);
      writeFileSync(join(dir, 'bodies.json'), JSON.stringify(bodies));
      ctx.log('per-request CPU breakdown');
      const bd = spawnSync(tsx, [self, '--breakdown', join(dir, 'artifact.json'), join(dir, 'bodies.json')], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      let breakdown: Breakdown | undefined;
      if (bd.status === 0) {
        breakdown = JSON.parse(bd.stdout.trim().split('\n').at(-1) ?? '{}') as Breakdown;
        details.breakdown = breakdown;
        for (const [stage, us] of Object.entries(breakdown.us))
          measurements.push({ name: `serve.breakdown.${stage}`, value: us, unit: 'µs CPU' });
      } else errors.push(`breakdown failed: ${(bd.stderr ?? '').slice(-500)}`);

      let started = 0;
      /** A Benchtop child (1 process or `workers` processes) with the flights model deployed. */
      const startBenchtop = async (workers: number, explainThreads: number) => {
        const models = join(dir, `models-${workers}-${explainThreads}-${++started}`);
        const { child, line } = await spawnReady(
          tsx,
          [self, '--child', ctx.distDir, models, String(workers), String(explainThreads)],
          120_000,
        );
        const port = Number(new URL(line).port);
        const agent = new Agent({ keepAlive: true });
        const deploy = () =>
          post(agent, port, '/v1/models?name=flights', artifactJson, { authorization: `Bearer ${TOKEN}` });
        const stop = async () => {
          agent.destroy();
          await stopChild(child);
        };
        const dep = await deploy().catch(() => -1);
        if (dep !== 201) {
          await stop();
          throw new Error(`deploy failed: ${dep}`);
        }
        return { port, deploy, stop };
      };

      /**
       * Start a Benchtop child, run each level, stop it. `threads`: BENCHTOP_EXPLAIN_THREADS per
       * process; default: what `npm start` would use on this machine.
       */
      const benchtop = async (
        workers: number,
        threads?: number,
        levels = LEVELS,
      ): Promise<Record<string, unknown>> => {
        const explainThreads = threads ?? defaultThreads(workers);
        const { port, deploy, stop } = await startBenchtop(workers, explainThreads);
        try {
          ctx.log(`[${workers} process(es), ${explainThreads} explanation thread(s)] warm-up`);
          await load({ port, path: '/predict?top_k=5', bodies, seconds: 3, connections: CONNECTIONS });
          const redeploy = async () => {
            const s = performance.now();
            const status = await deploy();
            return { status, ms: round(performance.now() - s, 1) };
          };
          const shap: Record<number, LoadResult> = {};
          for (const c of levels) {
            ctx.log(
              `[${workers} process(es)] top_k=5: ${DURATION_S}s × ${c} connection(s)${c === CONNECTIONS ? ', redeploy halfway' : ''}`,
            );
            shap[c] = await load({
              port,
              path: '/predict?top_k=5',
              bodies,
              seconds: DURATION_S,
              connections: c,
              midRun: c === CONNECTIONS ? redeploy : undefined,
            });
          }
          const out: Record<string, unknown> = { explainThreads, shap };
          if (workers === 1 && threads === undefined) {
            ctx.log(`[1 process] top_k=0: ${DURATION_S}s × ${CONNECTIONS}`);
            out.plain = {
              [CONNECTIONS]: await load({
                port,
                path: '/predict?top_k=0',
                bodies,
                seconds: DURATION_S,
                connections: CONNECTIONS,
              }),
            };
          }
          return out;
        } finally {
          await stop();
        }
      };

      const single = await benchtop(1);
      details.benchtop = single;
      const shap1 = single.shap as Record<number, LoadResult>;
      const plain1 = single.plain as Record<number, LoadResult>;
      measurements.push(...mkLevels(shap1, 'serve.benchtop.shap'));
      measurements.push({
        name: 'serve.benchtop.redeployFailures',
        value: shap1[CONNECTIONS].failures,
        unit: 'requests',
        target: { op: '<=', value: 0 },
        note: `redeploy answered ${shap1[CONNECTIONS].redeploy?.status} in ${shap1[CONNECTIONS].redeploy?.ms} ms`,
      });
      measurements.push(...mkLevels(plain1, 'serve.benchtop.plain', 'top_k=0: no explanation'));
      if (breakdown && shap1[1]) {
        const inProcessMs = (breakdown.us.total ?? 0) / 1000;
        const httpMs = round(shap1[1].p50Ms - inProcessMs, 3);
        details.httpAndFrameworkMs = httpMs;
        measurements.push({
          name: 'serve.breakdown.httpAndFramework',
          value: round(httpMs * 1000, 0),
          unit: 'µs',
          note: '1-connection p50 (wall) minus the in-process stages (CPU): node:http, Hono, middleware, client',
        });
      }

      // The same process with explanations in its event-loop thread (BENCHTOP_EXPLAIN_THREADS=0): what
      // the explanation threads (server/explainPool.ts) add.
      if (single.explainThreads !== 0) {
        const inThread = await benchtop(1, 0, [CONNECTIONS]);
        details.benchtopInThread = inThread;
        measurements.push(
          ...mkLevels(
            inThread.shap as Record<number, LoadResult>,
            'serve.benchtop.inThread.shap',
            'one process, BENCHTOP_EXPLAIN_THREADS=0: explanations on the event loop (informational)',
          ),
        );
      }

      let best = shap1[CONNECTIONS].reqPerS;
      if (WORKERS > 1) {
        const multi = await benchtop(WORKERS);
        details.benchtopWorkers = multi;
        const shapN = multi.shap as Record<number, LoadResult>;
        measurements.push(...mkLevels(shapN, `serve.benchtop.workers${WORKERS}.shap`));
        measurements.push({
          name: `serve.benchtop.workers${WORKERS}.redeployFailures`,
          value: shapN[CONNECTIONS].failures,
          unit: 'requests',
          target: { op: '<=', value: 0 },
          note: `redeploy answered ${shapN[CONNECTIONS].redeploy?.status} in ${shapN[CONNECTIONS].redeploy?.ms} ms`,
        });
        best = Math.max(best, shapN[CONNECTIONS].reqPerS);
      }

      // The peers: both answer without explanations, under the same load, one after the other.
      const problem = peerAvailable(ctx);
      if (problem) {
        errors.push(problem);
      } else {
        const csv = join(dir, 'flights.csv');
        writeFileSync(
          csv,
          `date_ms,origin,destination,distance,y\n${flights.map((f) => `${f.date},${f.origin},${f.destination},${f.distance},${f.delayed}`).join('\n')}\n`,
        );
        const probeBodies = [...bodies.slice(0, PROBE_ROWS), UNKNOWN_AIRPORT_BODY];
        /** Start one peer, record its answers to the probe bodies, warm up, load at C, stop it. */
        /** Start one peer and record its answers to the probe bodies. */
        const startPeer = async (script: string) => {
          const port = 20000 + Math.floor(Math.random() * 20000);
          const peer = await spawnReady(
            PYTHON,
            [join(ctx.root, 'bench', 'peers', script), csv, String(port)],
            300_000,
          );
          const stop = () => stopChild(peer.child);
          try {
            await new Promise((r) => setTimeout(r, 500)); // uvicorn binds right after READY
            const agent = new Agent({ keepAlive: true });
            const probes: PeerAnswer[] = [];
            for (const b of probeBodies) {
              const { status, body } = await postJson(agent, port, '/predict', b);
              if (status !== 200)
                throw new Error(`${script} answered ${status} to ${b}: ${body.slice(0, 200)}`);
              probes.push(JSON.parse(body) as PeerAnswer);
            }
            agent.destroy();
            return { port, probes, stop };
          } catch (e) {
            await stop();
            throw e;
          }
        };
        /** Start one peer, warm up, load at C, stop it. */
        const runPeer = async (script: string, label: string): Promise<PeerRun> => {
          const { port, probes, stop } = await startPeer(script);
          try {
            const peerLoad = { port, path: '/predict', bodies, connections: CONNECTIONS };
            await load({ ...peerLoad, seconds: 3 });
            ctx.log(`${label}: ${DURATION_S}s × ${CONNECTIONS}`);
            return { load: await load({ ...peerLoad, seconds: DURATION_S }), probes };
          } finally {
            await stop();
          }
        };
        const lean = await runPeer('serve_peer.py', 'peer (lean numpy)');
        const typical = await runPeer('serve_peer_typical.py', 'peer (typical pandas + Pipeline)');

        // Same model, same features: the two peers must answer the same probabilities, or comparing
        // their speeds says nothing about per-request overhead.
        let maxAbsDp = 0;
        let labelsDiffer = 0;
        lean.probes.forEach((a, i) => {
          const b = typical.probes[i];
          maxAbsDp = Math.max(maxAbsDp, Math.abs(a.probability - b.probability));
          if (a.label !== b.label) labelsDiffer++;
        });
        if (!(maxAbsDp <= PEER_PARITY_TOLERANCE) || labelsDiffer > 0)
          errors.push(
            `the two peers disagree on ${probeBodies.length} probe requests (max |Δp| ${maxAbsDp}, ${labelsDiffer} labels differ): they are not the same model`,
          );
        measurements.push({
          name: 'serve.peerTypicalVsPeer.maxAbsDp',
          value: maxAbsDp,
          unit: '|Δp|',
          target: { op: '<=', value: PEER_PARITY_TOLERANCE },
          note: `largest probability difference between the two peers over ${probeBodies.length} requests (the last with an unseen airport); ${labelsDiffer} labels differ`,
        });

        const shap = peerShap();
        const noShap = `answers WITHOUT explanations (shap importable: ${shap.importable}; python3-shap candidate: ${shap.aptCandidate})`;
        const leanIs =
          'lean peer (bench/peers/serve_peer.py): FastAPI + uvicorn, raw request JSON to a numpy row by hand, bare HistGradientBoostingClassifier; faster than the service the issue describes';
        const typicalIs =
          "typical peer (bench/peers/serve_peer_typical.py), the one matching the issue's reference: FastAPI + uvicorn, pydantic request model, pandas DataFrame per request, sklearn Pipeline (ColumnTransformer + HistGradientBoostingClassifier)";
        details.peer = {
          impl: leanIs,
          explanations: false,
          shap,
          [CONNECTIONS]: lean.load,
          probes: lean.probes,
        };
        details.peerTypical = {
          impl: typicalIs,
          explanations: false,
          shap,
          [CONNECTIONS]: typical.load,
          probes: typical.probes,
        };
        details.peerParity = { probeRequests: probeBodies.length, maxAbsDp, labelsDiffer };
        measurements.push(...mkLevels({ [CONNECTIONS]: lean.load }, 'serve.peer', `${leanIs}; ${noShap}`));
        measurements.push(
          ...mkLevels({ [CONNECTIONS]: typical.load }, 'serve.peerTypical', `${typicalIs}; ${noShap}`),
        );
        const ratio = (a: number, b: number) => round(a / b, 2);

        // The target ratio, paired: Benchtop (one process as npm start runs it here) and the typical peer
        // both up, loaded in turn for PAIRED_ROUNDS short rounds (who goes first alternates), each
        // round's ratio taken over seconds apart. This VM's speed drifts by 30% and more within minutes
        // (a plain-request run measured 2,500 and 4,250 req/s in one hour), so a ratio of two runs
        // minutes apart measures the drift as much as the servers; the median of paired rounds does not.
        ctx.log(`paired: Benchtop and the typical peer in turn, ${PAIRED_ROUNDS} × ${PAIRED_S}s each`);
        const pairedThreads = defaultThreads(1);
        const bt = await startBenchtop(1, pairedThreads);
        const rounds: { benchtop: LoadResult; peer: LoadResult; ratio: number }[] = [];
        try {
          const pt = await startPeer('serve_peer_typical.py');
          try {
            const at = (port: number, path: string, seconds: number) =>
              load({ port, path, bodies, seconds, connections: CONNECTIONS });
            await at(bt.port, '/predict?top_k=5', 3);
            await at(pt.port, '/predict', 3);
            for (let r = 0; r < PAIRED_ROUNDS; r++) {
              let b: LoadResult;
              let p: LoadResult;
              if (r % 2 === 0) {
                b = await at(bt.port, '/predict?top_k=5', PAIRED_S);
                p = await at(pt.port, '/predict', PAIRED_S);
              } else {
                p = await at(pt.port, '/predict', PAIRED_S);
                b = await at(bt.port, '/predict?top_k=5', PAIRED_S);
              }
              rounds.push({ benchtop: b, peer: p, ratio: ratio(b.reqPerS, p.reqPerS) });
            }
          } finally {
            await pt.stop();
          }
        } finally {
          await bt.stop();
        }
        const sortedRatios = rounds.map((r) => r.ratio).sort((a, b) => a - b);
        const median = sortedRatios[Math.floor(sortedRatios.length / 2)];
        details.paired = {
          explainThreads: pairedThreads,
          connections: CONNECTIONS,
          seconds: PAIRED_S,
          rounds,
        };
        measurements.push(
          {
            name: 'serve.benchtopShapPerPeerTypical.rps',
            value: median,
            unit: '×',
            target: { op: '>=', value: 20 },
            note: `like for like, one process each, paired: median over ${rounds.length} rounds (range ${sortedRatios[0]}–${sortedRatios.at(-1)}) of Benchtop with SHAP req/s (one process as npm start runs it here: event loop + ${pairedThreads} explanation thread(s)) ÷ typical peer req/s (one uvicorn worker, which runs its plain def endpoint in a thread pool), ${PAIRED_S}s each in turn at ${CONNECTIONS} connections (details.paired): the issue's target (Benchtop ≥ 20× its reference peer, which it measured at ~40 req/s); the peer ${noShap}`,
          },
          {
            name: 'serve.benchtopShapPerPeerTypical.sequentialRuns.rps',
            value: ratio(shap1[CONNECTIONS].reqPerS, typical.load.reqPerS),
            unit: '×',
            note: `the same ratio from the ${DURATION_S}s runs above, taken minutes apart (informational: includes the machine's drift between them)`,
          },
          {
            name: 'serve.benchtopShapPerPeer.rps',
            value: ratio(shap1[CONNECTIONS].reqPerS, lean.load.reqPerS),
            unit: '×',
            note: `one process each: Benchtop with SHAP req/s ÷ lean peer req/s at ${CONNECTIONS} connections: against the faster, hand-written peer (not the issue's reference, so no target); the peer ${noShap}`,
          },
          {
            name: 'serve.benchtopBestShapPerPeerTypical.rps',
            value: ratio(best, typical.load.reqPerS),
            unit: '×',
            note: `best Benchtop SHAP req/s (incl. BENCHTOP_WORKERS=${WORKERS}) ÷ typical peer with ONE uvicorn worker: informational only, not like for like (the peer could run more workers too)`,
          },
          {
            name: 'serve.benchtopPlainPerPeerTypical.rps',
            value: ratio(plain1[CONNECTIONS].reqPerS, typical.load.reqPerS),
            unit: '×',
            note: 'like for like, neither explains: Benchtop top_k=0 (one process) ÷ typical peer',
          },
          {
            name: 'serve.benchtopPlainPerPeer.rps',
            value: ratio(plain1[CONNECTIONS].reqPerS, lean.load.reqPerS),
            unit: '×',
            note: 'like for like, neither explains: Benchtop top_k=0 (one process) ÷ lean peer',
          },
        );
      }
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    } finally {
      details.loadavgAtEnd = loadavg().map((l) => round(l, 2));
      rmSync(dir, { recursive: true, force: true });
    }
    return { measurements, details, errors };
  },
};

/**
 * `--breakdown <artifact.json> <bodies.json>`: CPU µs per request of each stage of an explained
 * single-row request, in process, through the server's own modules (after a warm-up), as one JSON line.
 */
async function breakdownChild(artifactPath: string, bodiesPath: string): Promise<void> {
  const { ModelStore } = await import('../../server/store/store.ts');
  const { predictRows } = await import('../../server/predict.ts');
  const { compileTrees } = await import('../../src/core/ml/gbdt/predict.ts');
  const { treeShapLayout } = await import('../../src/core/ml/gbdt/treeshap.ts');
  const store = ModelStore.memory();
  const m = await store.deploy('flights', JSON.parse(readFileSync(artifactPath, 'utf8')));
  const bodies = JSON.parse(readFileSync(bodiesPath, 'utf8')) as string[];
  const n = BREAKDOWN_ROWS;
  const body = (i: number) => bodies[i % bodies.length];
  const parsed = bodies.map((b) => JSON.parse(b) as Record<string, unknown>);
  const encoded = parsed.map((r) => m.loaded.encodeRecords([r]).X);
  const explain = m.loaded.model.explain!.bind(m.loaded.model);
  const answers = await Promise.all(parsed.map((r) => predictRows(m, [r], 5)));
  const stages: Record<string, (i: number) => unknown> = {
    jsonParse: (i) => JSON.parse(body(i)),
    validate: (i) => m.validator.parse(parsed[i % parsed.length]),
    encode: (i) => m.loaded.encodeRecords([parsed[i % parsed.length]]),
    predict: (i) => m.loaded.predictMatrix(encoded[i % encoded.length]),
    treeShap: (i) => explain(encoded[i % encoded.length], 0),
    predictRows: (i) => predictRows(m, [parsed[i % parsed.length]], 5),
    jsonSerialise: (i) =>
      JSON.stringify({ model: { name: 'flights', version: 1 }, ...answers[i % answers.length].results[0] }),
    logEntry: (i) =>
      JSON.stringify({
        t: new Date().toISOString(),
        v: 1,
        x: parsed[i % parsed.length],
        y: answers[i % answers.length].outputs[0],
      }),
  };
  for (const fn of Object.values(stages)) for (let i = 0; i < 300; i++) await fn(i); // warm-up
  // Stages take turns in rounds, so a busy spell on the shared machine lands on all of them alike
  // (foldTopKAndRest is a difference of stages).
  const cpuUs: Record<string, number> = {};
  const rounds = 20;
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(stages)) {
      const c0 = process.cpuUsage();
      for (let i = r; i < n; i += rounds) await fn(i);
      const d = process.cpuUsage(c0);
      cpuUs[name] = (cpuUs[name] ?? 0) + d.user + d.system;
    }
  }
  const us: Record<string, number> = {};
  for (const [name, total] of Object.entries(cpuUs)) us[name] = round(total / n, 1);
  // predictRows = encode + predict + treeShap + the rest (describe, fold onto columns, top-k).
  us.foldTopKAndRest = round(us.predictRows - us.encode - us.predict - us.treeShap, 1);
  us.total = round(us.jsonParse + us.validate + us.predictRows + us.jsonSerialise + us.logEntry, 1);
  const e = compileTrees((m.artifact.model.state as { trees: never[] }).trees, 1);
  const layout = treeShapLayout(e);
  const out: Breakdown = { rows: n, us, treeShapLayout: layout };
  console.log(JSON.stringify(out));
}

// Child modes: `tsx bench/suites/serve.ts --child <distDir> <modelsDir> [workers]` starts the server (or a
// primary with that many workers, server/cluster.ts) and prints READY <url>; `--breakdown` see above.
if (process.argv[2] === '--breakdown') {
  await breakdownChild(process.argv[3], process.argv[4]);
} else if (process.argv[2] === '--child') {
  const cluster = (await import('node:cluster')).default;
  const { startServer } = await import('../../server/start.ts');
  const { startPrimary, startWorker } = await import('../../server/cluster.ts');
  const workers = Number(process.argv[5] ?? 1);
  const explainThreads = Number(process.argv[6] ?? defaultThreads(workers));
  const opts = {
    distDir: process.argv[3],
    modelsDir: process.argv[4],
    token: TOKEN,
    port: 0,
    explainThreads,
  };
  if (workers > 1 && cluster.isWorker) {
    await startWorker(opts);
  } else if (workers > 1) {
    const primary = await startPrimary(workers, { BENCHTOP_EXPLAIN_THREADS: String(explainThreads) });
    console.log(`READY ${primary.url}`);
    process.on('SIGTERM', () => void primary.stop().then(() => process.exit(0)));
  } else {
    const server = await startServer(opts);
    console.log(`READY ${server.url}`);
    process.on('SIGTERM', () => {
      void server.close().then(() => process.exit(0));
    });
  }
}
