/**
 * Benchtop's GBDT (src/core/ml/gbdt, the same code the training worker runs, here in Node) against
 * scikit-learn HistGradientBoostingClassifier and XGBoost (tree_method='hist') on flight delays.
 *
 * Data: evenly spaced samples (every k-th row) of vega-datasets' flights-3m.parquet, 200k and 1M rows,
 * read with native DuckDB and written once to CSVs in the bench scratch dir for the Python peers.
 * Target delay > 15 min; features month, day of week, hour, distance, origin and destination (the
 * airports as categorical codes; every implementation gets them as native categoricals).
 * Split: by time: the first 80 % of rows by date train, the last 20 % test (no validation set, no
 * early stopping). Params everywhere: 300 rounds, learning rate 0.1, 31 leaves (leaf-wise / lossguide),
 * min 20 rows per leaf (XGBoost: min_child_weight 1e-3), no L2, 255 bins.
 * Peers run with /usr/bin/python3 (Debian python3-sklearn / python3-xgboost; installed with apt if
 * missing) via bench/peers/gbdt_peer.py, once with the library's default threads (all cores) and once
 * with one thread (Benchtop is single-threaded); the best peer is the fastest of all those runs
 * and the highest AUC of all those runs.
 *
 * Targets (issue): test ROC-AUC within 0.003 of the best peer; training time ≤ 3× the best peer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gbdtFamily } from '../../src/core/ml/gbdt/index.ts';
import { loadFlights, rocAuc, sliceDataset } from '../../src/core/ml/gbdt/__tests__/flightsData.ts';
import { round } from '../lib/stats.ts';
import type { BenchContext, Measurement, Suite, SuiteResult } from '../lib/types.ts';
import { ensurePython, errorText, PYTHON } from '../lib/python.ts';

const SIZES = [
  { key: '200k', rows: 200_000 },
  { key: '1m', rows: 1_000_000 },
] as const;
const ROUNDS = 300;
const TEST_FRACTION = 0.2;
/** Peer thread settings: 0 = library default (all cores). `BENCH_GBDT_PEER_THREADS=1` to shorten. */
const PEER_THREADS = (process.env.BENCH_GBDT_PEER_THREADS ?? '0,1').split(',').map(Number);
const PEER_TIMEOUT_MS = 900_000;

interface PeerRun {
  impl: 'sklearn' | 'xgboost';
  version: string;
  threads: number;
  auc: number;
  train_s: number;
  /** Process CPU seconds (all threads) during training. */
  cpu_s: number;
}

interface SizeResult {
  rows: number;
  trainRows: number;
  testRows: number;
  benchtop?: { auc: number; train_s: number; cpu_s: number; trees: number; predict_s: number };
  peers: PeerRun[];
}

const pythonPeersAvailable = (ctx: BenchContext): string | null =>
  ensurePython(ctx, ['sklearn', 'xgboost', 'numpy'], ['python3-sklearn', 'python3-xgboost']);

async function runSize(
  ctx: BenchContext,
  size: (typeof SIZES)[number],
  parquet: string,
  peersOk: boolean,
  errors: string[],
): Promise<SizeResult> {
  ctx.log(`${size.key}: loading ${size.rows} rows with DuckDB`);
  const { data } = await loadFlights(size.rows, parquet);
  const n = data.X.rows;
  const cut = Math.floor(n * (1 - TEST_FRACTION));
  const out: SizeResult = { rows: n, trainRows: cut, testRows: n - cut, peers: [] };

  const csv = join(ctx.tmpDir, `gbdt-flights-${size.key}.csv`);
  if (peersOk && !existsSync(csv)) {
    ctx.log(`${size.key}: writing ${csv}`);
    const lines = ['month,dow,hour,distance,origin,dest,y,test'];
    const X = data.X.data;
    for (let i = 0; i < n; i++) {
      const r = X.subarray(i * 6, i * 6 + 6);
      lines.push(`${r[0]},${r[1]},${r[2]},${r[3]},${r[4]},${r[5]},${data.y[i]},${i >= cut ? 1 : 0}`);
    }
    writeFileSync(csv, `${lines.join('\n')}\n`);
  }

  try {
    const train = sliceDataset(data, 0, cut);
    const test = sliceDataset(data, cut, n);
    ctx.log(`${size.key}: Benchtop GBDT, ${ROUNDS} rounds on ${cut} rows`);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const model = await gbdtFamily.fit(
      train,
      { ...gbdtFamily.defaults, nEstimators: ROUNDS, earlyStoppingRounds: 0 },
      { task: 'binary', seed: 0 },
    );
    const train_s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const cpu_s = (cpu.user + cpu.system) / 1e6;
    const t1 = performance.now();
    const p = await model.predict(test.X);
    const predict_s = (performance.now() - t1) / 1000;
    out.benchtop = { auc: rocAuc(test.y, p), train_s, cpu_s, trees: model.state.trees.length, predict_s };
    ctx.log(
      `${size.key}: Benchtop AUC ${out.benchtop.auc.toFixed(4)}, ${train_s.toFixed(2)} s (CPU ${cpu_s.toFixed(2)} s)`,
    );
  } catch (e) {
    errors.push(`${size.key}: Benchtop GBDT: ${errorText(e)}`);
  }

  if (peersOk) {
    for (const impl of ['sklearn', 'xgboost'] as const) {
      for (const threads of PEER_THREADS) {
        try {
          const stdout = execFileSync(
            PYTHON,
            [
              join(ctx.root, 'bench', 'peers', 'gbdt_peer.py'),
              impl,
              csv,
              '--threads',
              String(threads),
              '--rounds',
              String(ROUNDS),
            ],
            { encoding: 'utf8', timeout: PEER_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] },
          );
          const run = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as PeerRun;
          out.peers.push(run);
          ctx.log(
            `${size.key}: ${impl} (threads ${threads || 'default'}) AUC ${run.auc.toFixed(4)}, ${run.train_s.toFixed(2)} s (CPU ${run.cpu_s.toFixed(2)} s)`,
          );
        } catch (e) {
          errors.push(`${size.key}: ${impl} threads=${threads}: ${errorText(e).slice(0, 500)}`);
        }
      }
    }
  }
  return out;
}

export const suite: Suite = {
  description:
    'GBDT on flight delays (200k / 1M rows, time split): Benchtop (Node, single thread) vs scikit-learn HistGradientBoosting and XGBoost hist — test AUC and training time',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const errors: string[] = [];
    const measurements: Measurement[] = [];
    const details: Record<string, unknown> = {
      rounds: ROUNDS,
      testFraction: TEST_FRACTION,
      split: 'time (last 20 % by date = test)',
    };
    const parquet = join(ctx.root, 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');
    if (!existsSync(parquet)) {
      return { measurements, details, errors: [`${parquet} not found (npm install)`] };
    }
    const peerProblem = pythonPeersAvailable(ctx);
    if (peerProblem) {
      ctx.log(`skipping peers: ${peerProblem}`);
      errors.push(peerProblem);
    }
    const sizes = (process.env.BENCH_GBDT_SIZES ?? SIZES.map((s) => s.key).join(',')).split(',');
    for (const size of SIZES.filter((s) => sizes.includes(s.key))) {
      const r = await runSize(ctx, size, parquet, !peerProblem, errors);
      details[size.key] = r;
      const bt = r.benchtop;
      const bestAuc = r.peers.length ? Math.max(...r.peers.map((p) => p.auc)) : null;
      const bestTime = r.peers.length ? Math.min(...r.peers.map((p) => p.train_s)) : null;
      const fastest = r.peers.find((p) => p.train_s === bestTime);
      const bestCpu = r.peers.length ? Math.min(...r.peers.map((p) => p.cpu_s)) : null;
      measurements.push(
        { name: `gbdt.${size.key}.benchtop.auc`, value: bt ? round(bt.auc, 4) : null, unit: 'AUC' },
        { name: `gbdt.${size.key}.benchtop.train`, value: bt ? round(bt.train_s, 2) : null, unit: 's' },
        { name: `gbdt.${size.key}.benchtop.cpu`, value: bt ? round(bt.cpu_s, 2) : null, unit: 's CPU' },
      );
      for (const p of r.peers) {
        const tag = `${p.impl}.t${p.threads || 'default'}`;
        measurements.push(
          { name: `gbdt.${size.key}.${tag}.auc`, value: round(p.auc, 4), unit: 'AUC' },
          { name: `gbdt.${size.key}.${tag}.train`, value: round(p.train_s, 2), unit: 's' },
          { name: `gbdt.${size.key}.${tag}.cpu`, value: round(p.cpu_s, 2), unit: 's CPU' },
        );
      }
      measurements.push(
        {
          name: `gbdt.${size.key}.aucGapToBestPeer`,
          value: bt && bestAuc !== null ? round(bestAuc - bt.auc, 4) : null,
          unit: 'AUC',
          target: { op: '<=', value: 0.003 },
          note: 'best peer AUC − Benchtop AUC (negative: Benchtop is better)',
        },
        {
          name: `gbdt.${size.key}.trainRatioToBestPeer`,
          value: bt && bestTime ? round(bt.train_s / bestTime, 2) : null,
          unit: '×',
          target: { op: '<=', value: 3 },
          note: fastest
            ? `fastest peer: ${fastest.impl}, threads ${fastest.threads || 'default'}`
            : undefined,
        },
        {
          // On a shared machine wall time depends on the neighbours' load; CPU time much less so.
          name: `gbdt.${size.key}.cpuRatioToBestPeer`,
          value: bt && bestCpu ? round(bt.cpu_s / bestCpu, 2) : null,
          unit: '×',
          note: 'Benchtop CPU s / lowest peer CPU s (informational)',
        },
      );
    }
    return { measurements, details, errors };
  },
};
