/**
 * Loading a label-audit model without stalling the server. At 100,000 labelled titles, building the
 * kNN index and the built-in judge from the artifact's titles takes 4–12 s of CPU (measured on the
 * 2-core dev machine: tokenising every title twice, a 5-million-posting transpose, naive Bayes counts);
 * on the event loop that froze every other request — /healthz answered after 11.4 s during such a
 * deploy (server/__tests__/auditLoad.test.ts).
 *
 * Why a worker_thread and not chunks that yield: the build is a handful of monolithic passes inside
 * KnnIndex's constructor and BuiltinJudge's (per-title tokenising, then whole-index passes over
 * millions of postings); slicing those into resumable steps would rewrite both classes, and the
 * seconds of CPU would still be spent on the serving thread, stretching every request meanwhile. In a
 * worker the build uses the other core, and what comes back is packed data (artifact.ts
 * `BuiltAuditSite`): typed arrays, transferred, and a few JSON strings. What is left here is decoding
 * the category index and rebuilding the term and count Maps, in slices with the event loop let through
 * between them (`yieldToLoop`). Measured with the test: the longest /healthz gap during the deploy fell
 * from 11.4 s to 0.1–0.3 s, most of it the route's parse of the 6.6 MB request body (server/body.ts).
 *
 * Small models (fewer than OFF_THREAD_MIN_LABELLED labelled titles) load in this thread: a worker's
 * start (a fresh isolate that registers tsx and transpiles the audit modules) took 1.1–1.5 s at load
 * average 8, while the whole in-thread load at 5,000 labelled titles took 0.23–0.34 s. If the worker
 * cannot run at all, the load falls back to this thread and logs why.
 */
import {
  type AuditArtifact,
  AuditArtifactError,
  assembleAuditModel,
  type BuiltAuditSite,
  type LoadedAuditModel,
} from '../src/core/audit/artifact.ts';
import { invalidArtifact, loadAuditOrReject } from './auditPredict.ts';
import { HttpError } from './errors.ts';
import { spawnTsWorker } from './tsWorker.ts';

/** Labelled titles (all sites) from which a model is built in a worker_thread. */
export const OFF_THREAD_MIN_LABELLED = 5000;

/** What the worker posts back (server/auditLoad.worker.ts). */
export type AuditLoadReply =
  | { ok: true; parts: BuiltAuditSite[] }
  | { ok: false; invalid: boolean; message: string; issues: { path: string; message: string }[] };

export interface AuditLoadOptions {
  /** Force (true) or forbid (false) the worker; default: by the number of labelled titles. */
  offThread?: boolean;
  log?: (msg: string) => void;
}

/**
 * Resolves after one full turn of the event loop, timers and I/O included. A single setImmediate is
 * not enough when called from an I/O callback: its check phase comes right after that poll phase, so
 * requests that arrived meanwhile would still wait; the second one runs a loop iteration later.
 */
export const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(() => setImmediate(r)));

/** Labelled titles over every site of a parsed (not yet validated) artifact. */
function labelledCount(raw: unknown): number {
  const sites = (raw as { sites?: unknown } | null)?.sites;
  if (!Array.isArray(sites)) return 0;
  let n = 0;
  for (const s of sites) {
    const t = (s as { labelled?: { texts?: unknown } } | null)?.labelled?.texts;
    if (Array.isArray(t)) n += t.length;
  }
  return n;
}

const WORKER_ENTRY = new URL('./auditLoad.worker.ts', import.meta.url);

/** Builds the model's parts in a worker_thread from the artifact's JSON text. */
function buildInWorker(text: string): Promise<AuditLoadReply> {
  return new Promise((resolve, reject) => {
    const worker = spawnTsWorker(WORKER_ENTRY, { text });
    worker.unref(); // a load in progress never keeps a stopping process alive
    let settled = false;
    worker.once('message', (reply: AuditLoadReply) => {
      settled = true;
      resolve(reply);
      void worker.terminate();
    });
    worker.once('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the audit load worker exited with code ${code} before answering`));
      settled = true;
    });
  });
}

/**
 * Validate and load an audit artifact: `raw` is the parsed JSON, `text` the same JSON as text (what is
 * written to disk, and what the worker parses). A bad artifact is a 400 naming each JSON path.
 */
export async function loadAuditModel(
  raw: unknown,
  text: string,
  opts: AuditLoadOptions = {},
): Promise<LoadedAuditModel> {
  const offThread = opts.offThread ?? labelledCount(raw) >= OFF_THREAD_MIN_LABELLED;
  if (!offThread) return loadAuditOrReject(raw);
  let reply: AuditLoadReply;
  try {
    reply = await buildInWorker(text);
  } catch (e) {
    (opts.log ?? ((m) => console.error(`[benchtop] ${m}`)))(
      `audit model load worker failed (${(e as Error).message.slice(0, 200)}); loading in the server thread`,
    );
    return loadAuditOrReject(raw);
  }
  if (!reply.ok) {
    if (reply.invalid) throw invalidArtifact(new AuditArtifactError(reply.message, reply.issues));
    throw new HttpError(
      400,
      'invalid_artifact',
      `The audit model could not be loaded: ${reply.message}`.slice(0, 500),
      [{ field: 'sites', problem: 'does not load' }],
    );
  }
  // The worker validated exactly this JSON (zod + every typed array's bounds), so `raw` is an artifact.
  // Step by step, with the event loop let through between steps.
  return assembleAuditModel(raw as AuditArtifact, reply.parts, yieldToLoop);
}
