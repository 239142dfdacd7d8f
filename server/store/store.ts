/**
 * The model store: `<dir>/<name>/<version>.json` (versions 1, 2, 3…), each file the artifact JSON as
 * deployed. At start every model directory is read and its newest loadable version is loaded (broken
 * files are logged and skipped). In memory: name → the `DeployedModel` of its latest version.
 *
 * Hot swap: a deploy writes the new version atomically (temp file in the same directory, fsync, rename,
 * fsync of the directory), loads it, then replaces the map entry in one assignment. A request takes the
 * entry once, when it starts, and uses that object to the end, so a redeploy never fails a request in
 * flight: it simply answers with the version it started with.
 *
 * Deploys and deletes of the same name are serialised (a per-name promise chain), so two concurrent
 * deploys get consecutive versions. `dir: null` keeps everything in memory (tests, createApp without a
 * store).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ArtifactError,
  type LoadedModel,
  loadArtifact,
  type ModelArtifact,
} from '../../src/core/ml/artifact.ts';
import { HttpError } from '../errors.ts';
import { buildValidator, type RecordValidator } from '../validate.ts';
import { PredictionLog } from './monitor.ts';
import { synthesiseExample } from './example.ts';

export const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const VERSION_FILE = /^([1-9]\d{0,8})\.json$/;

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
}

async function writeAtomic(dir: string, file: string, text: string): Promise<void> {
  const tmp = join(dir, `.${file}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, join(dir, file));
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  // Make the rename itself durable.
  const dh = await open(dir, 'r').catch(() => undefined);
  if (dh)
    await dh
      .sync()
      .catch(() => {})
      .finally(() => dh.close());
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
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly logs = new Map<string, PredictionLog>();
  readonly dir: string | null;
  private readonly logLines: number;
  private readonly say: (msg: string) => void;

  private constructor(opts: StoreOptions) {
    this.dir = opts.dir;
    this.logLines = opts.logLines ?? 10_000;
    this.say = opts.log ?? ((m) => console.error(`[benchtop] ${m}`));
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
    }
    return store;
  }

  private async loadAll(): Promise<void> {
    const dir = this.dir!;
    for (const ent of await readdir(dir, { withFileTypes: true })) {
      if (!ent.isDirectory() || !MODEL_NAME.test(ent.name)) continue;
      const mdir = join(dir, ent.name);
      const versions = (await readdir(mdir))
        .map((f) => VERSION_FILE.exec(f)?.[1])
        .filter((v): v is string => v !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
      for (let i = versions.length - 1; i >= 0; i--) {
        const file = join(mdir, `${versions[i]}.json`);
        try {
          const raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
          const loaded = await loadArtifact(raw);
          const mtime = (await stat(file)).mtime.toISOString();
          const log = await this.logFor(ent.name);
          this.models.set(ent.name, this.entry(ent.name, versions[i], versions, raw, loaded, mtime, log));
          this.say(`loaded model ${ent.name} v${versions[i]}`);
          break;
        } catch (e) {
          this.say(`skipping broken model file ${file}: ${(e as Error).message.slice(0, 300)}`);
        }
      }
    }
  }

  private async logFor(name: string): Promise<PredictionLog> {
    let log = this.logs.get(name);
    if (!log) {
      log = new PredictionLog(this.dir ? join(this.dir, name) : null, this.logLines, this.say);
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
    return this.models.get(name);
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
      const current = this.models.get(name);
      let versions = current?.versions ?? [];
      if (this.dir) {
        const mdir = join(this.dir, name);
        await mkdir(mdir, { recursive: true });
        const onDisk = (await readdir(mdir))
          .map((f) => VERSION_FILE.exec(f)?.[1])
          .filter((v): v is string => v !== undefined)
          .map(Number);
        versions = [...new Set([...versions, ...onDisk])].sort((a, b) => a - b);
        const version = (versions.at(-1) ?? 0) + 1;
        await writeAtomic(mdir, `${version}.json`, JSON.stringify(raw));
        versions = [...versions, version];
      } else {
        versions = [...versions, (versions.at(-1) ?? 0) + 1];
      }
      const version = versions.at(-1)!;
      const log = await this.logFor(name);
      const entry = this.entry(name, version, versions, raw, loaded, new Date().toISOString(), log);
      this.models.set(name, entry); // the swap: in-flight requests keep their own reference
      return entry;
    });
  }

  /** Remove a model and all its versions (and its prediction log). False when there was none. */
  async remove(name: string): Promise<boolean> {
    if (!MODEL_NAME.test(name)) return false;
    return this.locked(name, async () => {
      const had = this.models.delete(name);
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
          return true;
        }
      }
      return had;
    });
  }
}
