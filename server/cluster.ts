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
 *   a restart; `predictions-<logTag>-w<slot>.jsonl` when the options carry a tag), and keeps its own /metrics counters and /drift window (per process, like instances
 *   behind a load balancer).
 */
import cluster, { type Worker } from 'node:cluster';
import { type RunningServer, type StartOptions, startServer } from './start.ts';

/** Messages between the primary and its workers (process.send). */
export type ClusterMessage =
  | { benchtop: 'ready'; url: string; models: number }
  | { benchtop: 'failed'; message: string; code?: string }
  | { benchtop: 'models-changed'; name: string; id: number }
  | { benchtop: 'synced'; id: number };

/** A deploy waits at most this long for sibling workers to load the new version. */
const SYNC_TIMEOUT_MS = 10_000;

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
        } else {
          const relay = relays.get(m.id);
          relay?.waiting.delete(w);
          settle(m.id);
        }
      });
      w.on('exit', (code, signal) => {
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
  let server: RunningServer;
  try {
    const logTag = opts.logTag ? `${opts.logTag}-w${slot}` : `w${slot}`;
    server = await startServer({ ...opts, logTag, onModelsChange: tellSiblings });
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
