/**
 * The model store: `<dir>/<name>/<version>.json` (versions 1, 2, 3…), each file the artifact JSON as
 * deployed. At start every model directory is read and its newest loadable version is loaded (broken
 * files are logged and skipped). In memory: name → the `DeployedModel` of its latest version.
 *
 * Hot swap: a deploy writes the new version atomically (temp file in the same directory, fsync, hard
 * link to `<n>.json`, fsync of the directory: `writeNewVersion`), loads it, then replaces the map entry
 * in one assignment. A request takes the
 * entry once, when it starts, and uses that object to the end, so a redeploy never fails a request in
 * flight: it simply answers with the version it started with.
 *
 * Deploys and deletes of the same name are serialised (a per-name promise chain), so two concurrent
 * deploys get consecutive versions. Across processes and instances on one directory, a version number
 * is taken exclusively (the link fails if `<n>.json` exists, and the next number is tried), so two
 * deploys of one name at the same moment get distinct versions and neither overwrites the other.
 * `dir: null` keeps everything in memory (tests, createApp without a
 * store).
 *
 * Shared directory (several processes or instances on one volume): `sync()` re-reads the directory and
 * loads any name whose newest version on disk is newer than the one in memory (and drops names whose
 * directory is gone). It runs every `pollMs` (default 2 s), at most once a second when a lookup misses
 * (`get` of an unknown name), and when a sibling worker changed the directory (server/cluster.ts relays
 * `onChange`). A predict request for a name not in memory goes further (`resolve`): it looks in that
 * name's directory at once and waits for the load, so it is answered rather than missing. Label-audit
 * models with many labelled titles are built in a worker_thread (server/auditLoader.ts). A model
 * is warmed (one explained prediction of its example: per-model caches, TreeSHAP tables, JIT) before
 * it is swapped in, so the first requests after a deploy are not the slow ones.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ArtifactError,
  type LoadedModel,
  loadArtifact,
  type ModelArtifact,
} from '../../src/core/ml/artifact.ts';
import { isAuditArtifactJson } from '../../src/core/audit/artifact.ts';
import { loadAuditModel, yieldToLoop } from '../auditLoader.ts';
import { auditEntry, type DeployedAuditModel } from '../auditPredict.ts';
import { HttpError } from '../errors.ts';
import { ExplainPool, inThreadExplainer, type RowExplainer } from '../explainPool.ts';
import { warmUp } from '../predict.ts';
import { buildValidator, type RecordValidator } from '../validate.ts';
import { PredictionLog } from './monitor.ts';
import { synthesiseExample } from './example.ts';

export const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const VERSION_FILE = /^([1-9]\d{0,8})\.json$/;
/** The largest version VERSION_FILE accepts. */
const MAX_VERSION = 999_999_999;

export interface DeployedModel {
  name: string;
  version: number;
  /** Every version on disk (or in memory), ascending. */
  versions: number[];
  /** When this version was deployed (ISO; file mtime for models found at start). */
  deployedAt: string;
  artifact: ModelArtifact;
  loaded: LoadedModel;
  validator: RecordValidator;
  /** A valid request record: the artifact's `example` when it has a valid one, else synthesised. */
  example: Record<string, unknown>;
  exampleSource: 'artifact' | 'synthesised';
  log: PredictionLog;
}

export interface StoreOptions {
  /** Models directory; null = memory only. */
  dir: string | null;
  /** Lines kept per model in the prediction log (and per file before rotation). Default 10,000. */
  logLines?: number;
  log?: (msg: string) => void;
  /**
   * Prediction-log file tag for processes sharing the directory (`predictions-<tag>.jsonl`, e.g. `w2`
   * for the second worker); none = `predictions.jsonl`.
   */
  logTag?: string;
  /** Re-read the directory this often (ms) for deploys by other processes; 0 = never. Default 2000. */
  pollMs?: number;
  /**
   * Worker threads computing GBDT explanations (server/explainPool.ts); 0 = in the server thread.
   * Default 0 (main.ts sets BENCHTOP_EXPLAIN_THREADS' value).
   */
  explainThreads?: number;
  /**
   * Called after this store wrote or removed a model on disk, before it answers: tell sibling
   * processes (server/cluster.ts), and wait for them when it returns a promise.
   */
  onChange?: (name: string) => void | Promise<void>;
}

/** Version numbers of the `<n>.json` files in a model directory, ascending ([] if it is gone). */
async function versionsOnDisk(mdir: string): Promise<number[]> {
  const files = await readdir(mdir).catch(() => [] as string[]);
  return files
    .map((f) => VERSION_FILE.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Lookups that miss start a re-scan at most this often. */
const MISS_RESCAN_MS = 1000;

/** How long `resolve` waits for a model it found on disk to load before answering 'loading'. */
export const LOAD_WAIT_MS = 10_000;

/** What `resolve` found for a name. */
export type Resolved =
  | { kind: 'tabular'; model: DeployedModel }
  | { kind: 'audit'; model: DeployedAuditModel }
  /** A newer version is on disk and still loading after the wait (answer 503, Retry-After). */
  | { kind: 'loading' };

/** fsync a directory, so renames and links in it are durable (best effort: not every fs allows it). */
async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r').catch(() => undefined);
  if (dh)
    await dh
      .sync()
      .catch(() => {})
      .finally(() => dh.close());
}

/** Errors of a filesystem that has no hard links (some network and FUSE mounts). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Write `text` as the first free `<n>.json` at or above `from` in `dir`, atomically (readers see the
 * whole file or none) and exclusively across processes and instances sharing the directory: the
 * content goes to a temp file named by pid + random bytes and is fsynced, then hard-linked to
 * `<n>.json`; `link` fails with EEXIST when another process already took n, and the next number is
 * tried. Without hard links (`links: false`, or a filesystem refusing them) a version is claimed by an
 * exclusive `mkdir .claim-<n>` (kept: a claim is never released, so it can never be taken twice), then
 * the temp file is renamed onto it. The temp file never outlives the call. Returns n.
 * The two modes do not mix in one directory (a claimer's rename could land on a number a linker took
 * between its stat and its rename); they need not: processes sharing a directory share its filesystem,
 * so either every one of them can link or none can.
 */
export async function writeNewVersion(
  dir: string,
  from: number,
  text: string,
  opts: { links?: boolean } = {},
): Promise<number> {
  const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}.json`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    let links = opts.links ?? true;
    for (let v = Math.max(1, from); v <= MAX_VERSION; v++) {
      const file = join(dir, `${v}.json`);
      if (links) {
        try {
          await link(tmp, file);
          await syncDir(dir);
          return v;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code ?? '';
          if (code === 'EEXIST') continue;
          if (!NO_LINKS.has(code)) throw e;
          links = false; // this filesystem has no hard links: claim directories from here on
        }
      }
      try {
        await mkdir(join(dir, `.claim-${v}`));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      // Claimed; a process using links may still have taken n meanwhile.
      if (
        await stat(file).then(
          () => true,
          () => false,
        )
      )
        continue;
      await rename(tmp, file);
      await syncDir(dir);
      return v;
    }
    throw new HttpError(409, 'version_limit', `No free version number up to ${MAX_VERSION} in ${dir}.`);
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Validate + load an artifact; ArtifactError / family load errors become a 400 naming the paths. */
async function loadOrReject(raw: unknown): Promise<LoadedModel> {
  try {
    return await loadArtifact(raw);
  } catch (e) {
    if (e instanceof ArtifactError) {
      throw new HttpError(
        400,
        'invalid_artifact',
        e.message,
        e.issues.slice(0, 50).map((i) => ({ field: i.path, problem: i.message })),
      );
    }
    throw new HttpError(
      400,
      'invalid_artifact',
      `The model could not be loaded: ${(e as Error).message}`.slice(0, 500),
      [{ field: 'model.state', problem: 'does not load' }],
    );
  }
}

export class ModelStore {
  private readonly models = new Map<string, DeployedModel>();
  /** Label-audit models (server/auditPredict.ts); a name is in one of the two maps, by its latest version's kind. */
  private readonly audits = new Map<string, DeployedAuditModel>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly logs = new Map<string, PredictionLog>();
  readonly dir: string | null;
  /** Where predictions' explanations are computed (threads or this one): pass it to predictRows. */
  readonly explainer: RowExplainer;
  private readonly logLines: number;
  private readonly say: (msg: string) => void;
  private readonly logTag: string | undefined;
  private readonly onChange: ((name: string) => void | Promise<void>) | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  /** The re-scan in progress (one at a time), the one queued after it, when the last miss started one. */
  private syncing: Promise<void> | undefined;
  private syncQueued: Promise<void> | undefined;
  private lastMissScan = 0;
  /** `resolve`'s loads in progress by name, and the newest version on disk that failed to load. */
  private readonly missLoads = new Map<string, Promise<void>>();
  private readonly missFailed = new Map<string, number>();

  private constructor(opts: StoreOptions) {
    this.dir = opts.dir;
    this.logLines = opts.logLines ?? 10_000;
    this.say = opts.log ?? ((m) => console.error(`[benchtop] ${m}`));
    this.logTag = opts.logTag;
    this.onChange = opts.onChange;
    const threads = opts.explainThreads ?? 0;
    this.explainer = threads > 0 ? new ExplainPool(threads, { log: this.say }) : inThreadExplainer;
  }

  /** An empty store that keeps deploys in memory only. */
  static memory(): ModelStore {
    return new ModelStore({ dir: null });
  }

  /** Open (creating if needed) the directory and load every model in it. */
  static async open(opts: StoreOptions): Promise<ModelStore> {
    const store = new ModelStore(opts);
    if (store.dir) {
      await mkdir(store.dir, { recursive: true });
      await store.loadAll();
      const pollMs = opts.pollMs ?? 2000;
      if (pollMs > 0) {
        store.poller = setInterval(() => void store.sync(), pollMs);
        store.poller.unref(); // never what keeps a process alive
      }
    }
    return store;
  }

  /** Stop polling the directory; stop the explanation threads (later explanations run in this thread). */
  close(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    void this.explainer.close();
  }

  private async loadAll(): Promise<void> {
    const dir = this.dir!;
    for (const ent of await readdir(dir, { withFileTypes: true })) {
      if (!ent.isDirectory() || !MODEL_NAME.test(ent.name)) continue;
      await this.loadNewest(ent.name, await versionsOnDisk(join(dir, ent.name)));
    }
  }

  /**
   * Re-read the directory: load every name whose newest version on disk is newer than the one in
   * memory, drop names whose directory is gone. Resolves after a pass that started after this call.
   */
  sync(): Promise<void> {
    if (!this.dir) return Promise.resolve();
    if (!this.syncing) {
      this.syncing = this.syncPass().finally(() => {
        this.syncing = undefined;
      });
      return this.syncing;
    }
    // The running pass may have read the directory already: one more after it, shared by all callers meanwhile.
    this.syncQueued ??= this.syncing.then(() => {
      this.syncQueued = undefined;
      return this.sync();
    });
    return this.syncQueued;
  }

  private async syncPass(): Promise<void> {
    const dir = this.dir!;
    const ents = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const seen = new Set<string>();
    for (const ent of ents) {
      if (!ent.isDirectory() || !MODEL_NAME.test(ent.name)) continue;
      seen.add(ent.name);
      const name = ent.name;
      const newest = (await versionsOnDisk(join(dir, name))).at(-1) ?? 0;
      if (newest <= this.versionOf(name)) continue;
      // Under the name's lock, so a deploy here and a load from there never interleave.
      await this.locked(name, async () => {
        const versions = await versionsOnDisk(join(dir, name));
        if ((versions.at(-1) ?? 0) > this.versionOf(name)) await this.loadNewest(name, versions);
      }).catch((e: unknown) => this.say(`re-scan of ${name}: ${(e as Error).message.slice(0, 300)}`));
    }
    for (const name of [...this.models.keys(), ...this.audits.keys()]) {
      if (seen.has(name)) continue;
      await this.locked(name, async () => {
        if ((await versionsOnDisk(join(dir, name))).length > 0) return;
        this.models.delete(name);
        this.audits.delete(name);
        this.explainer.forget(name);
        const log = this.logs.get(name);
        if (log) log.closed = true;
        this.logs.delete(name);
        this.say(`model ${name} was removed from ${dir}`);
      });
    }
  }

  /** The version in memory for a name (tabular or audit), 0 when none. */
  private versionOf(name: string): number {
    return this.models.get(name)?.version ?? this.audits.get(name)?.version ?? 0;
  }

  /** Load the newest loadable of `versions` (ascending) of a name into memory; false if none loads. */
  private async loadNewest(name: string, versions: number[]): Promise<boolean> {
    const mdir = join(this.dir!, name);
    for (let i = versions.length - 1; i >= 0; i--) {
      const file = join(mdir, `${versions[i]}.json`);
      try {
        const text = await readFile(file, 'utf8');
        const raw = JSON.parse(text) as unknown;
        if (isAuditArtifactJson(raw)) {
          // Built in a worker_thread when large (server/auditLoader.ts): requests keep being answered.
          const model = await loadAuditModel(raw, text, { log: this.say });
          const at = (await stat(file)).mtime.toISOString();
          this.audits.set(name, auditEntry(name, versions[i], versions, model, at));
          this.models.delete(name);
          this.explainer.forget(name);
          this.say(`loaded audit model ${name} v${versions[i]}`);
          return true;
        }
        const loaded = await loadArtifact(raw);
        const mtime = (await stat(file)).mtime.toISOString();
        const log = await this.logFor(name);
        const entry = this.entry(name, versions[i], versions, raw, loaded, mtime, log);
        await warmUp(entry, this.explainer);
        this.models.set(name, entry);
        this.audits.delete(name);
        this.say(`loaded model ${name} v${versions[i]}`);
        return true;
      } catch (e) {
        this.say(`skipping broken model file ${file}: ${(e as Error).message.slice(0, 300)}`);
      }
    }
    return false;
  }

  private async logFor(name: string): Promise<PredictionLog> {
    let log = this.logs.get(name);
    if (!log) {
      log = new PredictionLog(this.dir ? join(this.dir, name) : null, this.logLines, this.say, this.logTag);
      await log.restore();
      this.logs.set(name, log);
    }
    return log;
  }

  private entry(
    name: string,
    version: number,
    versions: number[],
    raw: unknown,
    loaded: LoadedModel,
    deployedAt: string,
    log: PredictionLog,
  ): DeployedModel {
    const validator = buildValidator(loaded.artifact.inputSchema);
    const given = (raw as { example?: unknown }).example;
    let example: Record<string, unknown> | undefined;
    if (
      given &&
      typeof given === 'object' &&
      !Array.isArray(given) &&
      validator.record.safeParse(given).success
    ) {
      example = given as Record<string, unknown>;
    }
    return {
      name,
      version,
      versions: [...versions],
      deployedAt,
      artifact: loaded.artifact,
      loaded,
      validator,
      example: example ?? synthesiseExample(loaded.artifact),
      exampleSource: example ? 'artifact' : 'synthesised',
      log,
    };
  }

  /** Serialise operations on one name. */
  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(name, tail);
    void tail.then(() => {
      if (this.locks.get(name) === tail) this.locks.delete(name);
    });
    return run;
  }

  get(name: string): DeployedModel | undefined {
    const m = this.models.get(name);
    if (!m && this.dir && Date.now() - this.lastMissScan >= MISS_RESCAN_MS) {
      // Perhaps deployed by another process on a shared directory: look (this request still misses).
      this.lastMissScan = Date.now();
      void this.sync();
    }
    return m;
  }

  /**
   * The model a request names (either kind), as `get`/`getAudit` give it; but on a miss, when
   * `<dir>/<name>` holds a version newer than memory (deployed by another process or instance and not
   * yet seen by the poll), load it now and wait for it, at most `waitMs`: the first request after
   * another instance's deploy is answered instead of a 404. Costs one readdir per missing name; loads
   * of one name are shared, and a newest version that failed to load is not retried until a newer one.
   */
  async resolve(name: string, waitMs = LOAD_WAIT_MS): Promise<Resolved | undefined> {
    const now = (): Resolved | undefined => {
      const t = this.models.get(name);
      if (t) return { kind: 'tabular', model: t };
      const a = this.audits.get(name);
      return a ? { kind: 'audit', model: a } : undefined;
    };
    const have = now();
    if (have || !this.dir || !MODEL_NAME.test(name)) return have;
    let load = this.missLoads.get(name);
    if (!load) {
      const newest = (await versionsOnDisk(join(this.dir, name))).at(-1) ?? 0;
      if (newest <= this.versionOf(name) || newest <= (this.missFailed.get(name) ?? 0)) return now();
      load = this.missLoads.get(name);
      if (!load) {
        const dir = this.dir;
        load = this.locked(name, async () => {
          const versions = await versionsOnDisk(join(dir, name));
          if ((versions.at(-1) ?? 0) <= this.versionOf(name)) return;
          if (!(await this.loadNewest(name, versions))) this.missFailed.set(name, versions.at(-1) ?? 0);
        })
          .catch((e: unknown) => this.say(`loading ${name}: ${(e as Error).message.slice(0, 300)}`))
          .finally(() => this.missLoads.delete(name));
        this.missLoads.set(name, load);
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loaded = await Promise.race([
      load.then(() => true),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), waitMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return now() ?? (loaded ? undefined : { kind: 'loading' });
  }

  getAudit(name: string): DeployedAuditModel | undefined {
    return this.audits.get(name);
  }

  listAudit(): DeployedAuditModel[] {
    return [...this.audits.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  list(): DeployedModel[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The most recently deployed model (ties: name order), or undefined when none. */
  latest(): DeployedModel | undefined {
    let best: DeployedModel | undefined;
    for (const m of this.models.values()) {
      if (!best || m.deployedAt > best.deployedAt || (m.deployedAt === best.deployedAt && m.name < best.name))
        best = m;
    }
    return best;
  }

  /** Validate, write the next version atomically, load and swap in. `raw` is the parsed request body. */
  async deploy(name: string, raw: unknown): Promise<DeployedModel> {
    if (!MODEL_NAME.test(name)) {
      throw new HttpError(
        400,
        'invalid_name',
        'Model names are 1–64 of a-z, 0-9, _ and -, starting with a letter or digit.',
        [{ field: 'name', problem: 'must match ^[a-z0-9][a-z0-9_-]{0,63}$' }],
      );
    }
    // Load before touching the disk: a bad artifact never becomes a version.
    const loaded = await loadOrReject(raw);
    return this.locked(name, async () => {
      const versions = await this.writeVersion(name, raw);
      const version = versions.at(-1)!;
      const log = await this.logFor(name);
      const entry = this.entry(name, version, versions, raw, loaded, new Date().toISOString(), log);
      await warmUp(entry, this.explainer);
      this.models.set(name, entry); // the swap: in-flight requests keep their own reference
      this.audits.delete(name); // the name's latest version is tabular now
      return entry;
    });
  }

  /** The same for a label-audit artifact (format `benchtop-audit-model`, server/auditPredict.ts). */
  async deployAudit(name: string, raw: unknown): Promise<DeployedAuditModel> {
    if (!MODEL_NAME.test(name)) {
      throw new HttpError(
        400,
        'invalid_name',
        'Model names are 1–64 of a-z, 0-9, _ and -, starting with a letter or digit.',
        [{ field: 'name', problem: 'must match ^[a-z0-9][a-z0-9_-]{0,63}$' }],
      );
    }
    // One serialisation, both for the load worker and for the file; built off the event loop when
    // large (server/auditLoader.ts), before touching the disk, so a bad artifact never becomes a version.
    // A new macrotask first: the route's body parse just held the event loop for this whole document.
    await yieldToLoop();
    const text = JSON.stringify(raw);
    const model = await loadAuditModel(raw, text, { log: this.say });
    return this.locked(name, async () => {
      const versions = await this.writeVersion(name, raw, text);
      const entry = auditEntry(name, versions.at(-1)!, versions, model, new Date().toISOString());
      this.audits.set(name, entry);
      this.models.delete(name);
      this.explainer.forget(name);
      return entry;
    });
  }

  /** Writes `raw` as the name's next version (atomically); returns every version, ascending. */
  private async writeVersion(name: string, raw: unknown, text?: string): Promise<number[]> {
    let versions = this.models.get(name)?.versions ?? this.audits.get(name)?.versions ?? [];
    if (this.dir) {
      const mdir = join(this.dir, name);
      await mkdir(mdir, { recursive: true });
      const union = (more: number[]) => [...new Set([...versions, ...more])].sort((a, b) => a - b);
      versions = union(await versionsOnDisk(mdir));
      // Exclusive across processes: another instance deploying this name at this moment gets another number.
      const version = await writeNewVersion(mdir, (versions.at(-1) ?? 0) + 1, text ?? JSON.stringify(raw));
      versions = union([...(await versionsOnDisk(mdir)).filter((v) => v < version), version]);
      await this.onChange?.(name);
      return versions;
    }
    return [...versions, (versions.at(-1) ?? 0) + 1];
  }

  /** Remove a model and all its versions (and its prediction log). False when there was none. */
  async remove(name: string): Promise<boolean> {
    if (!MODEL_NAME.test(name)) return false;
    return this.locked(name, async () => {
      const hadAudit = this.audits.delete(name);
      const had = this.models.delete(name) || hadAudit;
      this.explainer.forget(name);
      const log = this.logs.get(name);
      if (log) log.closed = true;
      this.logs.delete(name);
      if (this.dir) {
        const mdir = join(this.dir, name);
        const exists = await stat(mdir).then(
          () => true,
          () => false,
        );
        if (exists) {
          // Rename first so a crash mid-delete never leaves a half model that loads at the next start.
          const gone = join(this.dir, `.deleted-${name}-${randomBytes(4).toString('hex')}`);
          await rename(mdir, gone);
          await rm(gone, { recursive: true, force: true });
          await this.onChange?.(name);
          return true;
        }
      }
      return had;
    });
  }
}
