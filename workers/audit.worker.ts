/**
 * The audit worker: runs `runAudit` (workers/audit.run.ts) with an OPFS index cache, writes Parquet
 * with parquet-wasm, and keeps the last run's fitted models for the deployable artifact. Exposed over
 * comlink as `AuditApi` (workers/audit.api.ts).
 */
import * as Comlink from 'comlink';
import initParquetWasm, { Table as ParquetTable, writeParquet } from 'parquet-wasm/esm';
import parquetWasmUrl from 'parquet-wasm/esm/parquet_wasm_bg.wasm?url';
import type { AuditMeasure, SiteModel } from '../src/core/audit/audit.ts';
import type { AuditApi, AuditProgress } from './audit.api.ts';
import { type IndexCache, runAudit } from './audit.run.ts';

/** Cached indexes kept (most recently written first); older ones are deleted. */
const MAX_ENTRIES = 24;
const DIR = 'benchtop-audit-index';

async function cacheDir(): Promise<FileSystemDirectoryHandle | null> {
  try {
    const root = await navigator.storage?.getDirectory?.();
    return root ? await root.getDirectoryHandle(DIR, { create: true }) : null;
  } catch {
    return null; // no OPFS (e.g. some private windows): every run builds its indexes
  }
}

async function entries(dir: FileSystemDirectoryHandle): Promise<Array<{ name: string; modified: number }>> {
  const out: Array<{ name: string; modified: number }> = [];
  // `values()` is in every browser with OPFS; the DOM typings lack it.
  const it = (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values();
  for await (const h of it) {
    if (h.kind !== 'file') continue;
    const f = await (h as FileSystemFileHandle).getFile().catch(() => null);
    out.push({ name: h.name, modified: f?.lastModified ?? 0 });
  }
  return out;
}

function opfsCache(dir: FileSystemDirectoryHandle): IndexCache {
  return {
    kind: 'opfs',
    async get(key) {
      try {
        const f = await (await dir.getFileHandle(`${key}.json`)).getFile();
        return await f.text();
      } catch {
        return undefined;
      }
    },
    async put(key, text) {
      const h = await dir.getFileHandle(`${key}.json`, { create: true });
      // A writable stream writes to a swap file and replaces the entry on close: never torn.
      const w = await h.createWritable();
      await w.write(text);
      await w.close();
      const all = await entries(dir);
      if (all.length <= MAX_ENTRIES) return;
      all.sort((a, b) => b.modified - a.modified);
      for (const e of all.slice(MAX_ENTRIES)) await dir.removeEntry(e.name).catch(() => undefined);
    },
  };
}

/** The last `keepModel` run's fitted site models and what the artifact records about the run. */
let lastRun: { models: SiteModel[]; items: number; measure?: AuditMeasure } | null = null;
let parquetReady: Promise<unknown> | undefined;

const api: AuditApi = {
  async run(request, onProgress) {
    const t0 = performance.now();
    const { runId, ...req } = request;
    const dir = req.cache === false ? null : await cacheDir();
    const kept: SiteModel[] = [];
    let last = 0;
    const out = await runAudit(req, {
      cache: dir ? opfsCache(dir) : null,
      ...(req.keepModel ? { onModel: (m: SiteModel) => kept.push(m) } : {}),
      onProgress: (phase, site, done, total) => {
        // At most ~20 events a second, plus every phase boundary.
        const t = performance.now();
        if (done !== 0 && done !== total && t - last < 50) return;
        last = t;
        const p: AuditProgress = { runId, phase, site, done, total, elapsedMs: Math.round(t - t0) };
        void Promise.resolve(onProgress?.(p)).catch(() => undefined);
      },
    });
    if (req.keepModel)
      lastRun = {
        models: kept,
        items: out.summary.rows,
        ...(out.summary.measure ? { measure: out.summary.measure } : {}),
      };
    return Comlink.transfer({ runId, arrow: out.arrow, summary: out.summary }, [out.arrow.buffer]);
  },
  async toParquet(arrow) {
    parquetReady ??= initParquetWasm({ module_or_path: parquetWasmUrl });
    await parquetReady;
    const bytes = writeParquet(ParquetTable.fromIPCStream(arrow));
    return Comlink.transfer(bytes, [bytes.buffer]);
  },
  async artifact(name, extra = {}) {
    if (!lastRun?.models.length)
      throw new Error('No audit model in this session: run the audit cell again, then deploy.');
    const { buildAuditArtifact } = await import('../src/core/audit/artifact.ts');
    return JSON.stringify(buildAuditArtifact({ name, ...lastRun, ...extra }));
  },
  async clearCache() {
    const dir = await cacheDir();
    if (!dir) return 0;
    let n = 0;
    for (const e of await entries(dir)) {
      await dir.removeEntry(e.name).catch(() => undefined);
      n++;
    }
    return n;
  },
};

Comlink.expose(api);
