/**
 * The boosting loop: bin once, then per round compute gradients, grow one tree per class on a
 * (bagged) row subset and a (sub-sampled) feature set, update train/valid scores, report progress,
 * stop early on the validation loss (keeping the best round), and honour cancellation.
 */
import type { Dataset, FitContext, LossPoint, Matrix } from '../types.ts';
import { binMatrix, fitBins } from './binning.ts';
import { HistogramPool } from './histogram.ts';
import type { Objective } from './objectives.ts';
import { addRawScores, compileTrees } from './predict.ts';
import { type Tree, TreeGrower, type TreeParams } from './tree.ts';

export interface BoostParams extends TreeParams {
  nEstimators: number;
  baggingFraction: number;
  featureFraction: number;
  maxBins: number;
  earlyStoppingRounds: number;
  seed: number;
}

export interface BoostResult {
  trees: Tree[];
  init: Float64Array;
  /** Rounds kept (trees = rounds × k). */
  rounds: number;
  lossCurve: LossPoint[];
}

/** Rows the train loss is measured on each round (evenly spaced), to keep the curve cheap. */
const TRAIN_LOSS_ROWS = 20_000;
/** Give the event loop a turn (a macrotask, so worker messages such as "cancel" get through). */
const YIELD_EVERY_MS = 100;

/** mulberry32: small, fast, seedable. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Yield one macrotask turn, so queued worker messages (cancel) are handled; awaiting a resolved
 * promise would only run microtasks. setImmediate (Node) and a MessageChannel (workers, browsers)
 * avoid setTimeout's ≥ 1 ms sleep / 4 ms clamp for nested timers.
 */
function macrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const si = g.setImmediate;
    return new Promise((r) => {
      si(r);
    });
  }
  if (typeof MessageChannel === 'function') {
    return new Promise((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}

function cancelled(): Error {
  const e = new Error('Cancelled');
  e.name = 'AbortError';
  return e;
}

export async function boost(
  train: Dataset,
  obj: Objective,
  p: BoostParams,
  ctx: Pick<FitContext, 'valid' | 'signal' | 'onProgress'>,
): Promise<BoostResult> {
  const X = train.X;
  const n = X.rows;
  const F = X.cols;
  const k = obj.k;
  const { y, weight: w } = train;
  if (n === 0) throw new Error('GBDT: no training rows');
  if (y.length !== n) throw new Error('GBDT: y length does not match X rows');

  const binned = binMatrix(X, fitBins(X, p.maxBins));
  const pool = new HistogramPool(binned.totalBins * 3);
  const grower = new TreeGrower(binned, pool, p);
  const rand = mulberry32(p.seed);

  const init = obj.initScore(y, w);
  const scores = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) scores[i * k + c] = init[c];
  const valid = ctx.valid && ctx.valid.X.rows > 0 ? ctx.valid : undefined;
  if (valid && valid.X.cols !== F) throw new Error('GBDT: validation set has a different number of features');
  let validScores: Float64Array | undefined;
  if (valid) {
    validScores = new Float64Array(valid.X.rows * k);
    for (let i = 0; i < valid.X.rows; i++) for (let c = 0; c < k; c++) validScores[i * k + c] = init[c];
  }
  let lossRows: Uint32Array | undefined;
  if (n > TRAIN_LOSS_ROWS) {
    lossRows = new Uint32Array(TRAIN_LOSS_ROWS);
    for (let i = 0; i < TRAIN_LOSS_ROWS; i++) lossRows[i] = Math.floor((i * n) / TRAIN_LOSS_ROWS);
  }

  const grad = new Float32Array(n);
  const hess = new Float32Array(n);
  const indices = new Uint32Array(n);
  const nUsedFeatures = Math.max(1, Math.min(F, Math.round(F * p.featureFraction)));
  const featPerm = new Int32Array(F);
  const bagging = p.baggingFraction > 0 && p.baggingFraction < 1;

  const trees: Tree[] = [];
  const lossCurve: LossPoint[] = [];
  let bestRound = 0;
  let bestLoss = Number.POSITIVE_INFINITY;
  let lastYield = performance.now();

  for (let round = 1; round <= p.nEstimators; round++) {
    if (ctx.signal?.aborted) throw cancelled();
    // Rows of this round (bagging keeps them ascending, which helps memory locality).
    let m = 0;
    if (bagging) {
      for (let i = 0; i < n; i++) if (rand() < p.baggingFraction) indices[m++] = i;
      if (m === 0) indices[m++] = Math.floor(rand() * n);
    } else {
      for (let i = 0; i < n; i++) indices[i] = i;
      m = n;
    }
    obj.prepare(scores, n);
    const baggedIdx = bagging ? indices.slice(0, m) : undefined;
    for (let c = 0; c < k; c++) {
      // Features of this tree.
      let used: Int32Array;
      if (nUsedFeatures < F) {
        for (let f = 0; f < F; f++) featPerm[f] = f;
        for (let i = 0; i < nUsedFeatures; i++) {
          const j = i + Math.floor(rand() * (F - i));
          const t = featPerm[i];
          featPerm[i] = featPerm[j];
          featPerm[j] = t;
        }
        used = featPerm.slice(0, nUsedFeatures).sort();
      } else {
        for (let f = 0; f < F; f++) featPerm[f] = f;
        used = featPerm;
      }
      obj.gradients(scores, y, w, c, grad, hess);
      if (c > 0) {
        if (baggedIdx) indices.set(baggedIdx);
        else for (let i = 0; i < n; i++) indices[i] = i;
      }
      const { tree, leafStart, leafEnd } = grower.grow(grad, hess, indices, m, used);
      trees.push(tree);
      const compiled = valid || bagging ? compileTrees([tree], 1) : undefined;
      if (!bagging) {
        for (let node = 0; node < tree.value.length; node++) {
          if (leafStart[node] < 0) continue;
          const v = tree.value[node];
          for (let i = leafStart[node]; i < leafEnd[node]; i++) scores[indices[i] * k + c] += v;
        }
      } else if (compiled) {
        addTreeScores(compiled, X, scores, k, c);
      }
      if (valid && validScores && compiled) addTreeScores(compiled, valid.X, validScores, k, c);
    }
    const trainLoss = obj.loss(scores, y, w, lossRows);
    const point: LossPoint = { step: round, train: trainLoss };
    if (valid && validScores) {
      point.valid = obj.loss(validScores, valid.y, valid.weight);
      if (point.valid < bestLoss) {
        bestLoss = point.valid;
        bestRound = round;
      }
    } else bestRound = round;
    lossCurve.push(point);
    ctx.onProgress?.({ step: round, total: p.nEstimators, trainLoss, validLoss: point.valid });
    if (valid && p.earlyStoppingRounds > 0 && round - bestRound >= p.earlyStoppingRounds) break;
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await macrotask();
      lastYield = performance.now();
    }
  }
  if (ctx.signal?.aborted) throw cancelled();
  const rounds = valid && p.earlyStoppingRounds > 0 ? bestRound : lossCurve.length;
  trees.length = rounds * k;
  return { trees, init, rounds, lossCurve };
}

/** Add one compiled single tree's outputs to column `c` of n × k scores. */
function addTreeScores(
  e: ReturnType<typeof compileTrees>,
  X: Matrix,
  scores: Float64Array,
  k: number,
  c: number,
): void {
  if (k === 1) {
    addRawScores(e, X, scores);
    return;
  }
  const tmp = new Float64Array(X.rows);
  addRawScores(e, X, tmp);
  for (let i = 0; i < X.rows; i++) scores[i * k + c] += tmp[i];
}
