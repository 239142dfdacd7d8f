/**
 * `BENCHTOP_WORKERS=N` (N > 1): N server processes sharing one port through node:cluster (the primary
 * accepts connections and hands them round-robin to the workers), so TreeSHAP-heavy /predict traffic
 * uses more than one core. The primary serves nothing itself: it forks the workers, restarts one that
 * dies, relays "models changed" between them and stops them all on SIGINT/SIGTERM.
 *
 * Each worker is a whole server (startServer) over the same models directory:
 * - a deploy or delete on one worker is relayed by the primary to the others, which re-read the
 *   directory (ModelStore.sync) and acknowledge; the deploying worker answers 201 only after every
 *   sibling has the new version (or after SYNC_TIMEOUT_MS), so a client's next request finds it on
 *   whichever worker it lands. The store's periodic re-scan is the fallback;
 * - each worker appends its own prediction log, `predictions-w<slot>.jsonl` (slot 1..N, the same after
 *   a restart; `predictions-<logTag>-w<slot>.jsonl` when the options carry a tag); `/drift` reads every
 *   log in the model's directory (server/store/monitor.ts), so every worker gives the same answer;
 * - `/metrics` is for the whole cluster: the worker that got the scrape asks the primary, which asks
 *   every other worker for a snapshot of its registry (MetricsRelay) and hands them back after all
 *   answered or METRICS_TIMEOUT_MS; the worker sums them with its own (server/metrics.ts). A worker that
 *   does not answer in time is left out, and the exposition says so (`benchtop_metrics_workers` and a
 *   comment naming it). A restarted worker's counters start again from zero (Prometheus reads the drop
 *   as a counter reset).
 */
import cluster, { type Worker } from 'node:cluster';
import { type Gathered, Metrics, type MetricsSnapshot } from './metrics.ts';
import { type RunningServer, type StartOptions, startServer } from './start.ts';

/** Messages between the primary and its workers (process.send). */
export type ClusterMessage =
  | { benchtop: 'ready'; url: string; models: number }
  | { benchtop: 'failed'; message: string; code?: string }
  | { benchtop: 'models-changed'; name: string; id: number }
  | { benchtop: 'synced'; id: number }
  /** worker → primary: gather every other worker's metrics for me. */
  | { benchtop: 'metrics-gather'; id: number }
  /** primary → worker: send your snapshot; worker → primary: here it is. */
  | { benchtop: 'metrics-collect'; id: number }
  | { benchtop: 'metrics-snapshot'; id: number; snapshot: MetricsSnapshot }
  /** primary → the asking worker: the others' snapshots; `asked` counts the asker too. */
  | {
      benchtop: 'metrics-gathered';
      id: number;
      snapshots: MetricsSnapshot[];
      asked: number;
      missing: string[];
    };

/** A deploy waits at most this long for sibling workers to load the new version. */
const SYNC_TIMEOUT_MS = 10_000;

/** A /metrics scrape waits at most this long for the other workers' snapshots. */
export const METRICS_TIMEOUT_MS = 1000;

/**
 * The primary's side of a cluster-wide /metrics: for each gather, ask every other worker for its
 * snapshot and answer the asker once all have answered, one has gone, or the timeout passed (then
 * the silent ones are named in `missing`). Generic over the peer type so it is testable without forks.
 */
export class MetricsRelay<P> {
  private next = 0;
  private readonly pending = new Map<
    number,
    {
      origin: P;
      id: number;
      waiting: Set<P>;
      snapshots: MetricsSnapshot[];
      missing: string[];
      asked: number;
      timer: ReturnType<typeof setTimeout>;
    }
  >();

  constructor(
    private readonly send: (to: P, m: ClusterMessage) => void,
    private readonly label: (p: P) => string,
    private readonly timeoutMs = METRICS_TIMEOUT_MS,
  ) {}

  /** `origin` asked (its own request id `id`); `others` are the workers to ask. */
  gather(origin: P, id: number, others: readonly P[]): void {
    const r = ++this.next;
    const timer = setTimeout(() => this.finish(r), this.timeoutMs);
    timer.unref();
    const waiting = new Set(others);
    this.pending.set(r, { origin, id, waiting, snapshots: [], missing: [], asked: others.length + 1, timer });
    for (const p of others) this.send(p, { benchtop: 'metrics-collect', id: r });
    if (waiting.size === 0) this.finish(r);
  }

  answer(from: P, r: number, snapshot: MetricsSnapshot): void {
    const g = this.pending.get(r);
    if (!g) return; // late: already answered
    if (!g.waiting.delete(from)) return; // not asked, or answered twice
    g.snapshots.push(snapshot);
    if (g.waiting.size === 0) this.finish(r);
  }

  /** A worker exited: stop waiting for it (it counts as missing). */
  gone(p: P): void {
    for (const [r, g] of this.pending) {
      if (g.origin === p) {
        clearTimeout(g.timer);
        this.pending.delete(r);
      } else if (g.waiting.has(p)) {
        g.waiting.delete(p);
        g.missing.push(this.label(p));
        if (g.waiting.size === 0) this.finish(r);
      }
    }
  }

  private finish(r: number): void {
    const g = this.pending.get(r);
    if (!g) return;
    this.pending.delete(r);
    clearTimeout(g.timer);
    const missing = [...g.missing, ...[...g.waiting].map(this.label)];
    this.send(g.origin, {
      benchtop: 'metrics-gathered',
      id: g.id,
      snapshots: g.snapshots,
      asked: g.asked,
      missing,
    });
  }
}

function isClusterMessage(m: unknown): m is ClusterMessage {
  return typeof m === 'object' && m !== null && typeof (m as { benchtop?: unknown }).benchtop === 'string';
}

/** Env var carrying a worker's stable slot (1..N) from the primary. */
const SLOT_ENV = 'BENCHTOP_WORKER_SLOT';

export interface Primary {
  /** Browsable base URL (from the first worker that listened). */
  url: string;
  /** Models the first worker loaded. */
  models: number;
  /** SIGTERM every worker (each closes gracefully) and resolve once all have exited. */
  stop(): Promise<void>;
}

/** A worker failed to start (bad port, missing dist…): the first failure's message. */
export class WorkerStartError extends Error {
  override name = 'WorkerStartError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * In the primary: fork `n` workers running this same entry script, wait until all listen. `env` is
 * added to each worker's environment (e.g. the deploy token, so every worker accepts the same one).
 */
export function startPrimary(
  n: number,
  env: Record<string, string>,
  log: (msg: string) => void = (m) => console.error(`[benchtop] ${m}`),
): Promise<Primary> {
  const slots = new Map<Worker, number>();
  /** Relayed changes awaiting acknowledgements: relay id → the asking worker, its id, who is left. */
  const relays = new Map<number, { origin: Worker; id: number; waiting: Set<Worker> }>();
  let relayId = 0;
  const metricsRelay = new MetricsRelay<Worker>(
    (to, m) => {
      if (to.isConnected()) to.send(m);
    },
    (w) => `worker ${slots.get(w) ?? w.id}`,
  );
  const settle = (r: number): void => {
    const relay = relays.get(r);
    if (!relay || relay.waiting.size > 0) return;
    relays.delete(r);
    if (relay.origin.isConnected())
      relay.origin.send({ benchtop: 'synced', id: relay.id } satisfies ClusterMessage);
  };
  let stopping = false;
  let first: { url: string; models: number } | undefined;
  let readyCount = 0;

  return new Promise<Primary>((resolveStart, rejectStart) => {
    let started = false;
    const fork = (slot: number): void => {
      const w = cluster.fork({ ...env, [SLOT_ENV]: String(slot) });
      slots.set(w, slot);
      w.on('message', (m: unknown) => {
        if (!isClusterMessage(m)) return;
        if (m.benchtop === 'ready') {
          first ??= { url: m.url, models: m.models };
          if (!started && ++readyCount === n) {
            started = true;
            resolveStart({ url: first.url, models: first.models, stop });
          }
        } else if (m.benchtop === 'failed') {
          if (!started) {
            started = true;
            void stop().then(() => rejectStart(new WorkerStartError(m.message, m.code)));
          }
        } else if (m.benchtop === 'models-changed') {
          const r = ++relayId;
          const waiting = new Set([...slots.keys()].filter((o) => o !== w && o.isConnected()));
          relays.set(r, { origin: w, id: m.id, waiting });
          for (const other of waiting) other.send({ ...m, id: r } satisfies ClusterMessage);
          settle(r);
        } else if (m.benchtop === 'metrics-gather') {
          const others = [...slots.keys()].filter((o) => o !== w && o.isConnected());
          metricsRelay.gather(w, m.id, others);
        } else if (m.benchtop === 'metrics-snapshot') {
          metricsRelay.answer(w, m.id, m.snapshot);
        } else if (m.benchtop === 'synced') {
          const relay = relays.get(m.id);
          relay?.waiting.delete(w);
          settle(m.id);
        }
      });
      w.on('exit', (code, signal) => {
        metricsRelay.gone(w);
        slots.delete(w);
        for (const [r, relay] of relays) {
          relay.waiting.delete(w);
          settle(r);
        }
        if (!started) {
          started = true;
          const why = `worker ${slot} exited (${signal ?? code}) before listening`;
          void stop().then(() => rejectStart(new WorkerStartError(why)));
          return;
        }
        if (stopping) return;
        log(`worker ${slot} exited (${signal ?? code}); starting another`);
        fork(slot);
      });
    };
    const stop = (): Promise<void> => {
      stopping = true;
      const exits = [...slots.keys()].map(
        (w) =>
          new Promise<void>((done) => {
            if (w.isDead()) return done();
            w.once('exit', () => done());
            w.process.kill('SIGTERM');
          }),
      );
      return Promise.all(exits).then(() => {});
    };
    for (let slot = 1; slot <= n; slot++) fork(slot);
  });
}

/**
 * In a worker: start the server with this worker's log tag and sibling notifications, report to the
 * primary, and close gracefully on SIGTERM/SIGINT. Errors are reported to the primary and exit 1.
 */
export async function startWorker(opts: StartOptions): Promise<RunningServer | undefined> {
  const slot = Number(process.env[SLOT_ENV] ?? cluster.worker?.id ?? 1);
  const send = (m: ClusterMessage) => process.send?.(m);
  const acks = new Map<number, () => void>();
  let nextId = 0;
  const tellSiblings = (name: string): Promise<void> =>
    new Promise<void>((done) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        acks.delete(id);
        done();
      }, SYNC_TIMEOUT_MS);
      timer.unref();
      acks.set(id, () => {
        clearTimeout(timer);
        acks.delete(id);
        done();
      });
      send({ benchtop: 'models-changed', name, id });
    });
  // /metrics sums every worker's registry: ask the primary, which asks the others (MetricsRelay).
  const metrics = opts.metrics ?? new Metrics();
  const gathers = new Map<number, (m: Extract<ClusterMessage, { benchtop: 'metrics-gathered' }>) => void>();
  let nextGather = 0;
  metrics.gather = (own) =>
    new Promise<Gathered>((resolve, reject) => {
      const id = ++nextGather;
      // The primary answers within METRICS_TIMEOUT_MS even when workers are silent; this is for a
      // primary that cannot answer at all.
      const timer = setTimeout(() => {
        gathers.delete(id);
        reject(new Error('the cluster primary did not answer'));
      }, METRICS_TIMEOUT_MS + 1000);
      timer.unref();
      gathers.set(id, (m) => {
        clearTimeout(timer);
        gathers.delete(id);
        resolve({ snapshots: [own, ...m.snapshots], asked: m.asked, missing: m.missing });
      });
      send({ benchtop: 'metrics-gather', id });
    });
  let server: RunningServer;
  try {
    const logTag = opts.logTag ? `${opts.logTag}-w${slot}` : `w${slot}`;
    server = await startServer({ ...opts, metrics, logTag, onModelsChange: tellSiblings });
  } catch (e) {
    const err = e as Error & { code?: string };
    send({ benchtop: 'failed', message: err.message, code: err.code });
    process.exitCode = 1;
    cluster.worker?.disconnect();
    return undefined;
  }
  process.on('message', (m: unknown) => {
    if (!isClusterMessage(m)) return;
    if (m.benchtop === 'models-changed') {
      void server.store
        .sync()
        .catch(() => {})
        .then(() => send({ benchtop: 'synced', id: m.id }));
    } else if (m.benchtop === 'synced') acks.get(m.id)?.();
    else if (m.benchtop === 'metrics-collect')
      send({ benchtop: 'metrics-snapshot', id: m.id, snapshot: metrics.snapshot() });
    else if (m.benchtop === 'metrics-gathered') gathers.get(m.id)?.(m);
  });
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  // Ctrl-C reaches the whole process group: the primary stops everyone, each worker closes itself.
  process.on('SIGINT', stop);
  send({ benchtop: 'ready', url: server.url, models: server.store.list().length });
  return server;
}
