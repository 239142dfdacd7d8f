/**
 * worker_thread entry of server/auditLoader.ts: validates an audit artifact (its JSON text, from
 * workerData) and builds every site's kNN index and judge, then posts the built parts back with their
 * typed arrays transferred, or the validation issues. Runs once per load and exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AuditArtifactError, auditPartsBuffers, buildAuditParts } from '../src/core/audit/artifact.ts';
import type { AuditLoadReply } from './auditLoader.ts';

const { text } = workerData as { text: string };
let reply: AuditLoadReply;
let transfer: ArrayBuffer[] = [];
try {
  const parts = buildAuditParts(text);
  transfer = auditPartsBuffers(parts);
  reply = { ok: true, parts };
} catch (e) {
  reply =
    e instanceof AuditArtifactError
      ? { ok: false, invalid: true, message: e.message, issues: e.issues }
      : { ok: false, invalid: false, message: e instanceof Error ? e.message : String(e), issues: [] };
}
parentPort!.postMessage(reply, transfer);
