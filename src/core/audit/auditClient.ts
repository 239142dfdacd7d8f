/**
 * Main-thread handle on the audit worker (workers/audit.worker.ts). Started on first use. Cancel
 * terminates the worker (stops synchronous retrieval loops at once) and the next call starts a fresh
 * one; cached indexes live in OPFS, so a restart costs only the worker's start-up.
 */
import * as Comlink from 'comlink';
import type { AuditApi, AuditProgress, AuditRequest, AuditResult } from '../../../workers/audit.api.ts';

interface AuditWorker {
  api: Comlink.Remote<AuditApi>;
  worker: Worker;
}

let current: AuditWorker | undefined;

function start(): AuditWorker {
  const worker = new Worker(new URL('../../../workers/audit.worker.ts', import.meta.url), {
    type: 'module',
    name: 'benchtop-audit',
  });
  return { api: Comlink.wrap<AuditApi>(worker), worker };
}

/** The shared audit worker proxy. */
export function getAuditWorker(): Comlink.Remote<AuditApi> {
  current ??= start();
  return current.api;
}

/** Stop the audit worker now (whatever it is doing) and forget it. */
export function stopAuditWorker(): void {
  if (!current) return;
  current.api[Comlink.releaseProxy]();
  current.worker.terminate();
  current = undefined;
}

/**
 * Run an audit in the worker. The Arrow bytes are transferred (the caller's copies become empty).
 * When `signal` aborts, the worker is terminated and the promise rejects with an `AbortError`.
 */
export function runAuditInWorker(
  request: AuditRequest,
  onProgress: (p: AuditProgress) => void,
  signal: AbortSignal,
): Promise<AuditResult> {
  if (signal.aborted) return Promise.reject(new DOMException('Audit cancelled', 'AbortError'));
  current ??= start();
  const w = current;
  return new Promise<AuditResult>((resolve, reject) => {
    const onAbort = (): void => {
      if (current === w) stopAuditWorker();
      reject(new DOMException('Audit cancelled', 'AbortError'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // A worker that dies (out of memory, a crash in wasm) must not leave the cell running forever.
    const onError = (e: ErrorEvent): void => {
      if (current === w) stopAuditWorker();
      reject(new Error(`The audit worker failed: ${e.message || 'it stopped unexpectedly'}`));
    };
    w.worker.addEventListener('error', onError);
    w.api
      .run(
        Comlink.transfer(request, [request.categories.buffer, request.items.buffer]),
        Comlink.proxy(onProgress),
      )
      .then(resolve, reject)
      .finally(() => {
        signal.removeEventListener('abort', onAbort);
        w.worker.removeEventListener('error', onError);
      });
  });
}
