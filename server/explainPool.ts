/**
 * Explanations off the event loop. TreeSHAP is most of an explained prediction's CPU: ~0.5 ms of
 * ~0.8 ms per single-row request on the 300-tree flights model (bench `serve`, breakdown), and a
 * batch request of 1,000 rows held the event loop for half a second, during which /healthz and every
 * other request waited. The pool runs the SAME module (the model family's `explain`, here TreeSHAP in
 * src/core/ml/gbdt/treeshap.ts) in worker_threads on the encoded rows, so the values are bit-identical
 * to the in-thread ones (tested), and the event loop keeps parsing, validating and predicting.
 *
 * Why threads in the one process and not more processes: `BENCHTOP_WORKERS` (server/cluster.ts) gives
 * that too, but each worker process is a whole server (its own model copies, store, prediction log,
 * metrics gathered over IPC). A thread only needs the model. It is also how the benchmark's peer runs:
 * FastAPI executes a plain `def` endpoint in a thread pool of its one uvicorn process.
 *
 * Only GBDT explanations move: linear models explain in microseconds (a round trip costs more), and
 * MLP explanations run on TF.js, which is not loaded in the threads. Anything the pool cannot do is
 * done in this thread, with the same result: while the threads start (1–1.5 s: a fresh isolate that
 * registers tsx), when a thread fails or exits (its rows are redone here, and the thread restarted a
 * few times), after `close()`, and for a job the thread could not run (the error the caller sees is
 * the in-thread one, the same as without the pool).
 *
 * Protocol (explain.worker.ts): jobs queued in one turn of the event loop go to a thread in one
 * message (a sequential round trip costs ~140 µs of CPU, pipelined ones ~10 µs: measured in Node 20);
 * each job carries a copy of its rows' encoded features (copied, not transferred: a job a failed
 * thread leaves behind is redone here from them), and the first job for a model in a thread
 * carries its artifact, which the thread loads and keeps (a few, most recently used). A thread that no
 * longer has a model answers `missing` and gets the job again with the artifact.
 */
import type { Worker } from 'node:worker_threads';
import type { LoadedModel, ModelArtifact } from '../src/core/ml/artifact.ts';
import type { Explanation, Matrix } from '../src/core/ml/types.ts';
import { spawnTsWorker } from './tsWorker.ts';

/** What the pool needs of a deployed model (store/store.ts DeployedModel has it). */
export interface ExplainTarget {
  name: string;
  artifact: ModelArtifact;
  loaded: LoadedModel;
}

/** How predictRows gets its rows' explanations (server/predict.ts). */
export interface RowExplainer {
  /**
   * One explanation per row of `X` (encoded by `m.loaded`), row i for class `classIndex[i]`
   * (multiclass; ignored otherwise). Rejects as the model's own `explain` would.
   */
  explain(
    m: ExplainTarget,
    X: Matrix,
    classIndex: ArrayLike<number>,
    hint?: ExplainHint,
  ): Promise<Explanation[]>;
  /**
   * Before a model takes traffic, after it was explained in this thread: load it in every thread and
   * explain `X` there too (TreeSHAP builds its per-model tables on first use), and remember it for
   * threads that start later.
   */
  warm(m: ExplainTarget, X: Matrix): Promise<void>;
  /** A model name was deleted or became a label-audit model: the threads may drop its model. */
  forget(name: string): void;
  /** Threads configured, threads taking jobs, and rows explained in threads so far. */
  threads(): ThreadStats;
  close(): Promise<void>;
}

export interface ThreadStats {
  configured: number;
  ready: number;
  /** Rows explained by the threads (not counting rows redone in the server thread). */
  rows: number;
}

/** What the caller knows of the server's load. A hint: the values never depend on it. */
export interface ExplainHint {
  /**
   * True while no other request is being answered (asked after one turn of the event loop, see
   * `ExplainPool.explain`). A few rows are then explained in this thread: with nothing else to do the
   * event loop would only wait for the thread, and the round trip (two thread wake-ups on a VM) cost
   * latency: 1-connection p99 1.7 → 3–6.6 ms on the serving bench, and 4-connection p99 up to 12 ms.
   */
  alone?: () => boolean;
}

/** At most this many rows are explained in this thread when the caller is alone. */
export const ALONE_MAX_ROWS = 4;

/** Explain in this thread, row by row: the reference every other explainer must equal. */
export async function explainInThread(
  loaded: LoadedModel,
  X: Matrix,
  classIndex: ArrayLike<number>,
): Promise<Explanation[]> {
  const model = loaded.model;
  if (!model.explain) throw new Error(`The ${model.family} model has no explanations.`);
  const out: Explanation[] = [];
  for (let i = 0; i < X.rows; i++) out.push(await model.explain(X, i, { classIndex: classIndex[i] }));
  return out;
}

/** No threads: everything in this thread. */
export const inThreadExplainer: RowExplainer = {
  explain: (m, X, classIndex) => explainInThread(m.loaded, X, classIndex),
  // Nothing to do: warmUp (server/predict.ts) has just explained the example in this thread.
  warm: async () => {},
  forget: () => {},
  threads: () => ({ configured: 0, ready: 0, rows: 0 }),
  close: async () => {},
};

/** Families explained in the threads (see the header for why only these). */
export const OFF_THREAD_FAMILIES: ReadonlySet<string> = new Set(['gbdt']);

// ---- The wire (shared with explain.worker.ts) ----

export interface WireJob {
  id: number;
  /** The model's id in this process (`modelId`). */
  model: number;
  rows: number;
  cols: number;
  /** rows × cols encoded features. */
  data: Float32Array;
  classIndex: Int32Array;
}

export type ToThread =
  | { type: 'explain'; jobs: WireJob[]; artifacts: [number, ModelArtifact][] }
  | { type: 'drop'; model: number };

export type WireResult =
  | { id: number; ok: true; base: Float64Array; values: Float64Array; width: number }
  | { id: number; ok: false; missing: boolean; message: string };

export type FromThread = { type: 'ready' } | { type: 'done'; results: WireResult[] };

// ---- The pool ----

/** Restarts of failed threads allowed per RESTART_WINDOW_MS; past that the pool stays in-thread. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const ENTRY = new URL('./explain.worker.ts', import.meta.url);

/** A process-wide id per loaded model: versions and redeploys of one name never share one. */
const modelIds = new WeakMap<LoadedModel, number>();
let nextModelId = 1;
function modelId(loaded: LoadedModel): number {
  let id = modelIds.get(loaded);
  if (id === undefined) {
    id = nextModelId++;
    modelIds.set(loaded, id);
  }
  return id;
}

interface Pending {
  job: WireJob;
  target: ExplainTarget;
  /** Already resent once after `missing`. */
  resent: boolean;
  resolve(e: Explanation[]): void;
  reject(e: unknown): void;
}

interface Slot {
  worker: Worker;
  /** Warmed and taking jobs. */
  ready: boolean;
  /** Models whose artifact this thread was sent (and has not reported missing). */
  known: Set<number>;
  /** Jobs for the next flush. */
  queue: Pending[];
  inflight: Map<number, Pending>;
  /** Rows queued or in flight (to pick the least busy thread). */
  load: number;
}

export interface ExplainPoolOptions {
  log?: (msg: string) => void;
  /** Test hook: the worker entry to run instead of explain.worker.ts. */
  entry?: URL;
}

export class ExplainPool implements RowExplainer {
  private readonly slots: (Slot | undefined)[];
  private readonly say: (msg: string) => void;
  private readonly entry: URL;
  /** The latest warmed model per name, with its example: what a thread (re)starting loads first. */
  private readonly warmed = new Map<string, { target: ExplainTarget; X: Matrix }>();
  private restarts: number[] = [];
  private nextJob = 1;
  private flushScheduled = false;
  private closed = false;
  private rowsInThreads = 0;
  private started = false;
  private readonly size: number;

  constructor(size: number, opts: ExplainPoolOptions = {}) {
    this.say = opts.log ?? ((m) => console.error(`[benchtop] ${m}`));
    this.entry = opts.entry ?? ENTRY;
    this.size = size;
    this.slots = Array.from({ length: size }, () => undefined);
  }

  /**
   * Threads start with the first GBDT model (warm): a server that never serves one never pays for
   * them (each is an isolate with the model code loaded, tens of MB).
   */
  private startThreads(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (let i = 0; i < this.size; i++) this.start(i);
  }

  threads(): ThreadStats {
    return { configured: this.size, ready: this.readySlots().length, rows: this.rowsInThreads };
  }

  async explain(
    m: ExplainTarget,
    X: Matrix,
    classIndex: ArrayLike<number>,
    hint: ExplainHint = {},
  ): Promise<Explanation[]> {
    let ready = this.closed || !OFF_THREAD_FAMILIES.has(m.artifact.model.family) ? [] : this.readySlots();
    if (ready.length > 0 && hint.alone && X.rows <= ALONE_MAX_ROWS && this.idle()) {
      // Alone right now? Let the event loop take one turn first: a request's whole route (body, parse,
      // predict) can run within one I/O callback, so requests whose bytes already arrived have not
      // started yet, and an in-thread explanation would hold them for its 0.5 ms. After the turn they
      // have, and count.
      await new Promise((r) => setImmediate(r));
      if (hint.alone() && this.idle()) return explainInThread(m.loaded, X, classIndex);
      ready = this.readySlots();
    }
    if (ready.length === 0 || X.rows === 0) return explainInThread(m.loaded, X, classIndex);
    // Least busy first; a batch is cut into one chunk per thread (at most one per row).
    ready.sort((a, b) => a.load - b.load);
    const chunks = Math.min(ready.length, X.rows);
    const parts: Promise<Explanation[]>[] = [];
    for (let c = 0; c < chunks; c++) {
      const r0 = Math.floor((c * X.rows) / chunks);
      const r1 = Math.floor(((c + 1) * X.rows) / chunks);
      parts.push(this.submit(ready[c], m, X, r0, r1, classIndex));
    }
    return parts.length === 1 ? parts[0] : (await Promise.all(parts)).flat();
  }

  async warm(m: ExplainTarget, X: Matrix): Promise<void> {
    const previous = this.warmed.get(m.name);
    if (OFF_THREAD_FAMILIES.has(m.artifact.model.family)) {
      this.warmed.set(m.name, { target: m, X });
      this.startThreads();
      const all = new Int32Array(X.rows);
      await Promise.all(this.readySlots().map((slot) => this.submit(slot, m, X, 0, X.rows, all)));
    } else {
      this.warmed.delete(m.name);
    }
    if (previous && previous.target.loaded !== m.loaded) this.drop(previous.target);
  }

  forget(name: string): void {
    const previous = this.warmed.get(name);
    this.warmed.delete(name);
    if (previous) this.drop(previous.target);
  }

  /**
   * Tell the threads a model version is no longer served. Jobs sent before this message still find
   * it; later ones (requests that began before a swap) get `missing` and are resent with its artifact.
   */
  private drop(target: ExplainTarget): void {
    const old = modelId(target.loaded);
    for (const slot of this.slots) {
      if (!slot?.known.delete(old)) continue;
      slot.worker.postMessage({ type: 'drop', model: old } satisfies ToThread);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0).filter((s): s is Slot => s !== undefined);
    await Promise.all(slots.map((s) => this.retire(s)));
  }

  /** Nothing queued or in flight in any thread. */
  private idle(): boolean {
    return this.slots.every((s) => !s || s.load === 0);
  }

  private readySlots(): Slot[] {
    return this.slots.filter((s): s is Slot => s?.ready === true);
  }

  private submit(
    slot: Slot,
    m: ExplainTarget,
    X: Matrix,
    r0: number,
    r1: number,
    classIndex: ArrayLike<number>,
  ): Promise<Explanation[]> {
    const rows = r1 - r0;
    const job: WireJob = {
      id: this.nextJob++,
      model: modelId(m.loaded),
      rows,
      cols: X.cols,
      data: X.data.slice(r0 * X.cols, r1 * X.cols),
      classIndex: Int32Array.from({ length: rows }, (_, i) => classIndex[r0 + i] ?? 0),
    };
    return new Promise((resolve, reject) => {
      this.enqueue(slot, { job, target: m, resent: false, resolve, reject });
    });
  }

  private enqueue(slot: Slot, p: Pending): void {
    slot.queue.push(p);
    slot.load += p.job.rows;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After this turn's I/O callbacks: requests that arrived together travel in one message.
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const slot of this.slots) {
      if (!slot || slot.queue.length === 0) continue;
      const queue = slot.queue;
      slot.queue = [];
      const artifacts: [number, ModelArtifact][] = [];
      for (const p of queue) {
        slot.inflight.set(p.job.id, p);
        if (!slot.known.has(p.job.model)) {
          slot.known.add(p.job.model);
          artifacts.push([p.job.model, p.target.artifact]);
        }
      }
      const msg: ToThread = { type: 'explain', jobs: queue.map((p) => p.job), artifacts };
      try {
        slot.worker.postMessage(msg);
      } catch (e) {
        // Not expected (the message is plain data); the rows are explained here instead.
        this.say(`explain thread: could not send (${(e as Error).message.slice(0, 200)})`);
        for (const p of queue) this.settleHere(slot, p);
      }
    }
  }

  private onMessage(slot: Slot, msg: FromThread): void {
    if (msg.type === 'ready') {
      void this.warmSlot(slot);
      return;
    }
    for (const r of msg.results) {
      const p = slot.inflight.get(r.id);
      if (!p) continue;
      slot.inflight.delete(r.id);
      if (r.ok) {
        slot.load -= p.job.rows;
        this.rowsInThreads += p.job.rows;
        const out: Explanation[] = [];
        for (let i = 0; i < p.job.rows; i++) {
          out.push({ base: r.base[i], values: r.values.subarray(i * r.width, (i + 1) * r.width) });
        }
        p.resolve(out);
      } else if (r.missing && !p.resent && !this.closed) {
        // The thread dropped the model (LRU, or a redeploy's drop raced this request): send it again.
        slot.known.delete(p.job.model);
        slot.load -= p.job.rows;
        p.resent = true;
        this.enqueue(slot, p);
      } else {
        this.settleHere(slot, p);
      }
    }
  }

  /** Explain a job in this thread: the caller gets exactly what it would have without the pool. */
  private settleHere(slot: Slot, p: Pending): void {
    slot.inflight.delete(p.job.id);
    slot.load -= p.job.rows;
    const { job, target } = p;
    const X: Matrix = { rows: job.rows, cols: job.cols, data: job.data, features: target.loaded.features };
    explainInThread(target.loaded, X, job.classIndex).then(p.resolve, p.reject);
  }

  /** A started thread: load and explain every warmed model's example, then take jobs. */
  private async warmSlot(slot: Slot): Promise<void> {
    try {
      const jobs = [...this.warmed.values()]
        .filter((w) => OFF_THREAD_FAMILIES.has(w.target.artifact.model.family))
        .map((w) => this.submit(slot, w.target, w.X, 0, w.X.rows, new Int32Array(w.X.rows)));
      await Promise.all(jobs);
    } catch {
      /* a model that fails to explain fails in-thread too; requests will say so */
    }
    if (!this.closed && this.slots.includes(slot)) slot.ready = true;
  }

  private start(i: number): void {
    let worker: Worker;
    try {
      worker = spawnTsWorker(this.entry);
    } catch (e) {
      this.say(
        `explain thread could not start (${(e as Error).message.slice(0, 200)}); explaining in the server thread`,
      );
      return;
    }
    worker.unref(); // the pool never keeps a stopping process alive
    const slot: Slot = { worker, ready: false, known: new Set(), queue: [], inflight: new Map(), load: 0 };
    this.slots[i] = slot;
    worker.on('message', (msg: FromThread) => this.onMessage(slot, msg));
    worker.on('error', (e) => this.fail(i, slot, e.message));
    worker.on('exit', (code) => this.fail(i, slot, `exited with code ${code}`));
  }

  /** A thread died: its jobs are explained here; it is restarted unless it keeps failing. */
  private fail(i: number, slot: Slot, why: string): void {
    if (this.slots[i] !== slot) return; // already handled (error is followed by exit), or closed
    this.slots[i] = undefined;
    slot.ready = false;
    for (const p of [...slot.queue, ...slot.inflight.values()]) this.settleHere(slot, p);
    slot.queue = [];
    if (this.closed) return;
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restarts.length >= MAX_RESTARTS) {
      this.say(`explain thread ${why.slice(0, 200)}; too many restarts, explaining in the server thread`);
      return;
    }
    this.restarts.push(now);
    this.say(`explain thread ${why.slice(0, 200)}; restarting it`);
    this.start(i);
  }

  private async retire(slot: Slot): Promise<void> {
    slot.ready = false;
    for (const p of [...slot.queue, ...slot.inflight.values()]) this.settleHere(slot, p);
    slot.queue = [];
    await slot.worker.terminate();
  }
}
