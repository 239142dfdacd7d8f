/**
 * The open notebook: its document, the run state of every cell, and the reactive runtime.
 *
 * Rune state lives here; components stay thin over it. The rules, like marimo's:
 * - dependencies are derived from each cell's outputs and inputs (core/notebook/graph.ts);
 * - running a cell re-runs exactly that cell and its transitive dependents, in dependency order;
 * - a cell whose upstream failed is not run and says which cell to fix; the rest keep working;
 * - while cells re-run, their previous outputs stay visible, marked stale.
 * Every change to the document autosaves to IndexedDB.
 */
import type { CellRunState } from '../automation.ts';
import { cellKind, cellKinds, hasCellKind } from '../core/cells/registry.ts';
import type { CellKindDef, RunContext } from '../core/cells/types.ts';
import { getData } from '../core/data/dataClient.ts';
import { bundledDataset } from '../core/data/datasets.ts';
import { sha256Hex } from '../core/data/hash.ts';
import { tableNameFromFile } from '../core/data/tableName.ts';
import { buildGraph, downstream, type Graph, topoOrder } from '../core/notebook/graph.ts';
import { newCellId, newNotebookId } from '../core/notebook/schema.ts';
import type { CellDoc, DataRef, NotebookDoc } from '../core/notebook/types.ts';
import { getFile, hasFile, putFile } from '../storage/fileStore.ts';
import { getSetting, putNotebook, setSetting } from '../storage/notebookStore.ts';
import { NeedsConsentError, NeedsFileError } from './sourceErrors.ts';

/** Output names every cell defines, for the graph and for naming new cells. */
function nodesOf(cells: CellDoc[]): { id: string; outputs: string[]; inputs: string[] }[] {
  const parsed = cells.map((c) => {
    try {
      const def = cellKind(c.kind);
      return { c, def, config: def.parse(c.config) };
    } catch {
      return { c, def: undefined, config: undefined };
    }
  });
  const known = new Set(parsed.flatMap((p) => (p.def && p.config ? p.def.outputs(p.config) : [])));
  return parsed.map(({ c, def, config }) => ({
    id: c.id,
    outputs: def && config ? def.outputs(config) : [],
    inputs: def && config ? def.inputs(config, known) : [],
  }));
}

class NotebookState {
  doc = $state<NotebookDoc>() as NotebookDoc;
  runs = $state<Record<string, CellRunState>>({});
  /**
   * False for a notebook opened from a shared link or an import: nothing runs until the user
   * presses Run (a link must not make this browser fetch or compute anything on its own).
   */
  trusted = $state(true);
  /** URLs the user allowed this notebook to fetch. */
  consented = $state<string[]>([]);
  /** Files provided in this page session (dropped or via automation), by SHA-256. */
  private memFiles = new Map<string, Uint8Array>();
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private controller: AbortController | undefined;
  private runningId: string | undefined;
  /** Runs requested and not finished (the executing one and those queued behind it). */
  private pending = new Set<AbortController>();
  private queue: Promise<unknown> = Promise.resolve();
  lastSaved = $state<string | undefined>();

  graph: Graph = $derived(buildGraph(nodesOf(this.doc?.cells ?? [])));

  /** Table → column names of every table a cell has produced, for SQL completion. */
  get schemas(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const r of Object.values(this.runs)) {
      for (const t of r.result?.tables ?? []) out[t.name] = t.columns.map((c) => c.name);
    }
    return out;
  }

  /** Columns (name, DuckDB type) of a table a cell has produced; [] until one has. */
  columnsOf(table: string): { name: string; type: string }[] {
    for (const r of Object.values(this.runs))
      for (const t of r.result?.tables ?? []) if (t.name === table) return t.columns;
    return [];
  }

  /** Table names one cell defines. */
  outputsOf(id: string): string[] {
    const c = this.cell(id);
    return c ? (nodesOf([c])[0]?.outputs ?? []) : [];
  }

  /** Every output name in the notebook (for naming new cells and SQL completion). */
  get outputNames(): Set<string> {
    return new Set(nodesOf(this.doc.cells).flatMap((n) => n.outputs));
  }

  // ---------------------------------------------------------------- document edits (autosaved)

  open(doc: NotebookDoc, opts: { trusted: boolean }): void {
    this.cancel();
    this.doc = doc;
    this.runs = {};
    this.trusted = opts.trusted;
    this.consented = [];
    void setSetting('lastNotebook', doc.id);
    this.save();
  }

  private touch(): void {
    this.doc.updatedAt = new Date().toISOString();
    this.save();
  }

  /** Autosave: debounced a little so typing does not write on every key; flushed on pagehide. */
  save(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.flush(), 150);
  }

  async flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    if (!this.doc) return;
    await putNotebook($state.snapshot(this.doc) as NotebookDoc);
    this.lastSaved = new Date().toISOString();
  }

  rename(title: string): void {
    this.doc.title = title.trim() || 'Untitled notebook';
    this.touch();
  }

  addCell(kind: string, at = this.doc.cells.length, config?: Record<string, unknown>): CellDoc {
    const def = cellKind(kind);
    const cell: CellDoc = { id: newCellId(), kind, config: config ?? def.create(this.outputNames) };
    this.doc.cells.splice(at, 0, cell);
    this.touch();
    return this.doc.cells[at];
  }

  deleteCell(id: string): void {
    const i = this.index(id);
    if (i < 0) return;
    const [gone] = this.doc.cells.splice(i, 1);
    delete this.runs[id];
    // Drop the tables only this cell defined, so SQL elsewhere fails loudly instead of reading stale data.
    for (const t of nodesOf([gone])[0]?.outputs ?? [])
      void getData()
        .dropTable(t)
        .catch(() => undefined);
    this.touch();
  }

  moveCell(id: string, delta: -1 | 1): void {
    const i = this.index(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= this.doc.cells.length) return;
    const [c] = this.doc.cells.splice(i, 1);
    this.doc.cells.splice(j, 0, c);
    this.touch();
  }

  toggleCollapsed(id: string): void {
    const c = this.cell(id);
    if (!c) return;
    c.collapsed = !c.collapsed;
    this.touch();
  }

  /** Replace a cell's config. `run` re-runs it and its dependents right away (form-like edits). */
  updateConfig(id: string, config: Record<string, unknown>, opts: { run?: boolean } = {}): void {
    const c = this.cell(id);
    if (!c) return;
    c.config = config;
    this.touch();
    if (opts.run) void this.runCell(id);
  }

  cell(id: string): CellDoc | undefined {
    return this.doc.cells.find((c) => c.id === id);
  }

  index(id: string): number {
    return this.doc.cells.findIndex((c) => c.id === id);
  }

  // ---------------------------------------------------------------- running

  /** Run one cell and everything downstream of it. */
  runCell(id: string): Promise<void> {
    return this.runCells([id]);
  }

  /** Run several cells and everything downstream of them, each once, in dependency order. */
  runCells(ids: string[]): Promise<void> {
    this.trusted = true;
    const all = new Set(ids.flatMap((id) => downstream(this.graph, id)));
    return this.schedule(topoOrder(this.graph, all));
  }

  runAll(): Promise<void> {
    this.trusted = true;
    return this.schedule(topoOrder(this.graph));
  }

  /** Stop the running cell (its query is cancelled in the worker) and drop what is queued. */
  cancel(): void {
    for (const c of this.pending) c.abort();
  }

  /**
   * Runs are serialised, so two runs never write the same table at once. A request that includes
   * the cell running now cancels that run first (its result is about to be replaced anyway);
   * otherwise the new request waits its turn.
   */
  private schedule(ids: string[]): Promise<void> {
    if (this.runningId && ids.includes(this.runningId)) this.controller?.abort();
    const controller = new AbortController();
    this.pending.add(controller);
    for (const id of ids) {
      this.runs[id] = { ...this.runs[id], status: 'queued' };
    }
    const next = this.queue.then(() => this.execute(ids, controller));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async execute(ids: string[], controller: AbortController): Promise<void> {
    this.controller = controller;
    // Another notebook opened meanwhile: results of this run must not land in its run states.
    const doc = this.doc;
    const failed = new Set<string>();
    const graphErrors = new Map<string, string>();
    for (const e of this.graph.errors) for (const id of e.cellIds) graphErrors.set(id, e.message);
    for (const id of ids) {
      if (this.doc !== doc) break;
      const cell = this.cell(id);
      if (!cell) continue;
      if (controller.signal.aborted) {
        this.runs[id] = { ...this.runs[id], status: 'cancelled' };
        continue;
      }
      const graphError = graphErrors.get(id);
      const badUpstream = (this.graph.dependsOn.get(id) ?? []).find((d) => failed.has(d));
      if (graphError || badUpstream) {
        failed.add(id);
        const pos = badUpstream ? this.index(badUpstream) + 1 : 0;
        this.runs[id] = {
          status: 'error',
          error: graphError ?? `Not run: cell ${pos}, which this cell reads, failed. Fix it and run again.`,
        };
        continue;
      }
      const t0 = performance.now();
      this.runningId = id;
      this.runs[id] = { ...this.runs[id], status: 'running' };
      try {
        const def: CellKindDef = cellKind(cell.kind);
        const config = def.parse($state.snapshot(cell.config));
        const result = await def.run(config, this.context(id, controller.signal));
        if (controller.signal.aborted) throw new Error('Cancelled');
        if (this.doc !== doc) break;
        const runs = (this.runs[id]?.runs ?? 0) + 1;
        this.runs[id] = { status: 'ok', result, ms: Math.round(performance.now() - t0), runs };
      } catch (err) {
        if (this.doc !== doc) break;
        failed.add(id);
        const message = err instanceof Error ? err.message : String(err);
        const status = controller.signal.aborted ? 'cancelled' : 'error';
        const errorCode = (err as { code?: unknown }).code;
        this.runs[id] = {
          status,
          error: message,
          errorCode: typeof errorCode === 'string' ? errorCode : undefined,
          ms: Math.round(performance.now() - t0),
          runs: (this.runs[id]?.runs ?? 0) + 1,
        };
      }
    }
    this.pending.delete(controller);
    if (this.controller === controller) {
      this.controller = undefined;
      this.runningId = undefined;
    }
  }

  private context(cellId: string, signal: AbortSignal): RunContext {
    const data = getData();
    signal.addEventListener('abort', () => void data.cancel(cellId), { once: true });
    return { data, signal, cellId, loadSource: (ref) => this.loadSource(ref, signal) };
  }

  // ---------------------------------------------------------------- data sources

  async loadSource(ref: DataRef, signal?: AbortSignal): Promise<{ bytes: Uint8Array; fileName: string }> {
    switch (ref.type) {
      case 'bundled': {
        const d = bundledDataset(ref.id);
        const res = await fetch(`${import.meta.env.BASE_URL}datasets/${d.file}`, { signal });
        if (!res.ok) throw new Error(`Bundled dataset ${d.id} could not be loaded (HTTP ${res.status})`);
        return { bytes: new Uint8Array(await res.arrayBuffer()), fileName: d.file };
      }
      case 'file': {
        const bytes = this.memFiles.get(ref.sha256) ?? (await getFile(ref.sha256));
        if (!bytes) throw new NeedsFileError(ref);
        return { bytes, fileName: ref.name };
      }
      case 'url': {
        if (!this.consented.includes(ref.url)) throw new NeedsConsentError(ref.url);
        let res: Response;
        try {
          res = await fetch(ref.url, { signal, credentials: 'omit', referrerPolicy: 'no-referrer' });
        } catch (e) {
          throw new Error(
            `Could not fetch ${ref.url}: ${(e as Error).message} (is the address right, and does it allow CORS?)`,
          );
        }
        if (!res.ok) throw new Error(`Fetching ${ref.url} failed: HTTP ${res.status}`);
        const name = new URL(ref.url).pathname.split('/').pop() || 'download.csv';
        return { bytes: new Uint8Array(await res.arrayBuffer()), fileName: name };
      }
      default: {
        const never: never = ref;
        throw new Error(`Unknown source ${JSON.stringify(never)}`);
      }
    }
  }

  /** The user allowed fetching `url`; re-run the cells that wanted it. */
  allowUrl(url: string): void {
    if (!this.consented.includes(url)) this.consented.push(url);
    const waiting = this.doc.cells.filter(
      (c) =>
        c.kind === 'source' &&
        (c.config.ref as DataRef | undefined)?.type === 'url' &&
        (c.config.ref as { url: string }).url === url,
    );
    for (const c of waiting) void this.runCell(c.id);
  }

  /** Remote URLs this notebook would fetch, for the consent dialog of a shared link. */
  get remoteUrls(): string[] {
    return this.doc.cells
      .filter((c) => c.kind === 'source' && (c.config.ref as DataRef | undefined)?.type === 'url')
      .map((c) => (c.config.ref as { url: string }).url);
  }

  /**
   * A file arrived (dropped, picked, or provided by automation). If a source cell is waiting for a
   * file of that name (the notebook refers to it but this browser lacks it, as after opening a
   * shared link), it must be the very same file (size and SHA-256), else it is refused with the
   * difference spelled out. Otherwise, with `addCell`, a new source cell is added for it.
   * Returns the cells to run; the caller runs them (automation runs everything at once).
   */
  async addFile(
    name: string,
    bytes: Uint8Array,
    opts: { addCell: boolean },
  ): Promise<{ cellIds: string[]; added: boolean }> {
    const sha256 = await sha256Hex(bytes);
    const waiting: CellDoc[] = [];
    for (const c of this.doc.cells) {
      const ref = c.config.ref as DataRef | undefined;
      if (c.kind !== 'source' || ref?.type !== 'file' || ref.name !== name) continue;
      if (this.memFiles.has(ref.sha256) || (await hasFile(ref.sha256))) continue;
      waiting.push(c);
    }
    if (waiting.length > 0) {
      const ref = waiting[0].config.ref as Extract<DataRef, { type: 'file' }>;
      if (ref.sha256 !== sha256 || ref.size !== bytes.byteLength) {
        throw new Error(
          `${name} is not the file this notebook was made with: expected ${ref.size.toLocaleString('en-US')} bytes ` +
            `(SHA-256 ${ref.sha256.slice(0, 12)}…), got ${bytes.byteLength.toLocaleString('en-US')} bytes ` +
            `(SHA-256 ${sha256.slice(0, 12)}…). Drop the original file, or rename this one to add it as a new table.`,
        );
      }
      this.memFiles.set(sha256, bytes);
      await putFile({ sha256, name, size: bytes.byteLength }, bytes);
      return { cellIds: waiting.map((c) => c.id), added: false };
    }
    this.memFiles.set(sha256, bytes);
    await putFile({ sha256, name, size: bytes.byteLength }, bytes);
    if (!opts.addCell) return { cellIds: [], added: false };
    const table = tableNameFromFile(name, this.outputNames);
    const cell = this.addCell('source', this.doc.cells.length, {
      name: table,
      ref: { type: 'file', name, size: bytes.byteLength, sha256 },
    });
    return { cellIds: [cell.id], added: true };
  }

  /** Make a fresh copy of a document with new ids (import, duplicate, shared link). */
  static fork(doc: NotebookDoc, title?: string): NotebookDoc {
    const now = new Date().toISOString();
    return {
      ...structuredClone(doc),
      id: newNotebookId(),
      title: title ?? doc.title,
      createdAt: now,
      updatedAt: now,
    };
  }
}

export const notebook = new NotebookState();
export { NotebookState };

/** For the add-cell menu: the registered kinds. */
export function addableKinds(): { kind: string; title: string; description: string }[] {
  return cellKinds().map(({ kind, title, description }) => ({ kind, title, description }));
}

export { getSetting, hasCellKind };
