/**
 * Per-model prediction log for drift monitoring: the most recent inputs and outputs, bounded.
 *
 * In memory: a ring of the last `maxLines` entries (what /drift reads). On disk (when the store has a
 * directory): `<models>/<name>/predictions.jsonl`, one JSON entry per line; when it reaches `maxLines`
 * lines it is renamed to `predictions.1.jsonl` (replacing the previous one) and a new file starts, so
 * disk use stays below 2 × maxLines lines. Writes are batched and never fail a request (errors are logged):
 * lines reach the file at most `delayMs` (50 ms) after their request, or as soon as `lines` (256) are
 * waiting, in one append; one open/write/close per request cost ~40 µs of CPU (issue 6). A graceful stop
 * loses nothing (server/start.ts awaits flushPredictionLogs() after the last response); a crash can lose
 * the last delayMs of lines, which only narrows the drift window.
 * Processes sharing the directory (server workers) each pass a `tag` and write their own
 * `predictions-<tag>.jsonl` / `predictions-<tag>.1.jsonl`, so no two processes append to or rotate one file.
 *
 * `recent()` (what /drift reads) is the same window across every process: this process's ring plus the
 * entries of every other log file in the directory (other workers, other instances on a shared
 * volume), the most recent `maxLines` of them by time. Other processes' files are cached per file and
 * re-read only from where the last read stopped, so a /drift call costs a directory listing, a stat
 * per file and the lines appended since.
 */
import { appendFile, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LogEntry {
  /** ISO time. */
  t: string;
  /** Model version that answered. */
  v: number;
  /** The validated input record. */
  x: Record<string, unknown>;
  /** The model output row (binary: [P(positive)], multiclass: probabilities, regression: [value]). */
  y: number[];
}

export const LOG_FILE = 'predictions.jsonl';
export const LOG_FILE_OLD = 'predictions.1.jsonl';
/** Any process's log file: `predictions[-<tag>][.1].jsonl` (tags are a-z, 0-9, _ and -). */
const ANY_LOG_FILE = /^predictions(?:-[a-z0-9][a-z0-9_-]*)?(?:\.1)?\.jsonl$/;

function parseEntry(line: string): LogEntry | undefined {
  try {
    const e = JSON.parse(line) as LogEntry;
    if (e && typeof e.t === 'string' && typeof e.v === 'number' && e.x && Array.isArray(e.y)) return e;
  } catch {
    /* a torn line (crash, or a write in progress elsewhere): skip */
  }
  return undefined;
}

/** Most bytes read from another process's log file at once. */
const MAX_READ_BYTES = 64 * 1024 * 1024;

/** What was read of another process's log file, to read only what it appended since. */
interface FileView {
  ino: number;
  /** Bytes consumed: up to the last complete line. */
  offset: number;
  /** Its most recent entries (at most maxLines). */
  entries: LogEntry[];
}

/** How long appended lines may wait for the next batched write, and how many make it start at once. */
export interface LogBatching {
  /** Default 50 ms. */
  delayMs?: number;
  /** Default 256 lines. */
  lines?: number;
}

/** Logs of this process with lines not yet on disk, for flushPredictionLogs(). */
const unwritten = new Set<PredictionLog>();

/**
 * Resolves when every line appended so far by any PredictionLog of this process is on disk (or its
 * write failed and was reported). Shutdown calls it after the server stopped answering.
 */
export async function flushPredictionLogs(): Promise<void> {
  await Promise.all([...unwritten].map((log) => log.flush()));
}

export class PredictionLog {
  private ring: LogEntry[] = [];
  private start = 0;
  private fileLines = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly file: string;
  private readonly oldFile: string;
  private readonly delayMs: number;
  private readonly batchLines: number;
  /** Serialised lines waiting for the next write. */
  private pending: string[] = [];
  /** Armed while lines wait for the delay. */
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A write is queued or running; lines appended meanwhile go in the next one. */
  private writing = false;
  private isClosed = false;

  constructor(
    private readonly dir: string | null,
    readonly maxLines: number,
    private readonly onError: (msg: string) => void = () => {},
    tag?: string,
    batching: LogBatching = {},
  ) {
    this.file = tag ? `predictions-${tag}.jsonl` : LOG_FILE;
    this.oldFile = tag ? `predictions-${tag}.1.jsonl` : LOG_FILE_OLD;
    this.delayMs = batching.delayMs ?? 50;
    this.batchLines = Math.max(1, batching.lines ?? 256);
  }

  /**
   * Set when the model was removed (its directory is going away): appends are ignored from then on and
   * lines not yet written are dropped rather than recreating the file.
   */
  get closed(): boolean {
    return this.isClosed;
  }
  set closed(value: boolean) {
    this.isClosed = value;
    if (!value) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    if (!this.writing) unwritten.delete(this);
  }

  /** Read the existing files back into the ring (startup). Unreadable lines are skipped. */
  async restore(): Promise<void> {
    if (!this.dir) return;
    const lines: string[] = [];
    for (const f of [this.oldFile, this.file]) {
      const text = await readFile(join(this.dir, f), 'utf8').catch(() => '');
      const ls = text.split('\n').filter((l) => l.length > 0);
      if (f === this.file) this.fileLines = ls.length;
      lines.push(...ls);
    }
    for (const l of lines.slice(-this.maxLines)) {
      try {
        const e = JSON.parse(l) as LogEntry;
        if (e && typeof e.v === 'number' && e.x && Array.isArray(e.y)) this.push(e);
      } catch {
        /* a torn last line after a crash: skip */
      }
    }
  }

  private push(e: LogEntry): void {
    if (this.ring.length < this.maxLines) this.ring.push(e);
    else {
      this.ring[this.start] = e;
      this.start = (this.start + 1) % this.maxLines;
    }
  }

  /** This process's entries, oldest first. */
  entries(): LogEntry[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }

  private readonly others = new Map<string, FileView>();

  /**
   * The most recent `maxLines` entries across every process logging this model in the directory
   * (this one's from memory, so not-yet-written entries count), oldest first; ties keep file order.
   */
  async recent(): Promise<LogEntry[]> {
    const own = this.entries();
    if (!this.dir) return own;
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter(
      (f) => ANY_LOG_FILE.test(f) && f !== this.file && f !== this.oldFile,
    );
    for (const f of [...this.others.keys()]) if (!names.includes(f)) this.others.delete(f);
    const all = [own];
    for (const f of names.sort()) all.push(await this.readOther(f));
    const merged = all.flat();
    if (all.length > 1) merged.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    return merged.length > this.maxLines ? merged.slice(-this.maxLines) : merged;
  }

  /** Another process's file: new lines since the last read, or all of it when it was replaced. */
  private async readOther(name: string): Promise<LogEntry[]> {
    const path = join(this.dir!, name);
    const st = await stat(path).catch(() => undefined);
    if (!st) {
      this.others.delete(name);
      return [];
    }
    let view = this.others.get(name);
    // Rotation replaces a file by rename (new inode); files are otherwise only appended to.
    if (!view || view.ino !== st.ino || st.size < view.offset) {
      view = { ino: st.ino, offset: 0, entries: [] };
      this.others.set(name, view);
    }
    let skipPartial = false;
    if (st.size - view.offset > MAX_READ_BYTES) {
      // Far more than any maxLines window (another process with a huge logLines): read the tail only.
      view.offset = st.size - MAX_READ_BYTES;
      view.entries = [];
      skipPartial = true;
    }
    if (st.size > view.offset) {
      const fh = await open(path, 'r').catch(() => undefined);
      if (fh) {
        try {
          const buf = Buffer.alloc(st.size - view.offset);
          const { bytesRead } = await fh.read(buf, 0, buf.length, view.offset);
          const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
          if (end >= 0) {
            const lines = buf.subarray(0, end).toString('utf8').split('\n');
            if (skipPartial) lines.shift();
            for (const line of lines) {
              const e = line ? parseEntry(line) : undefined;
              if (e) view.entries.push(e);
            }
            view.offset += end + 1;
            if (view.entries.length > this.maxLines) view.entries = view.entries.slice(-this.maxLines);
          }
        } finally {
          await fh.close();
        }
      }
    }
    return view.entries;
  }

  append(entries: LogEntry[]): void {
    if (this.closed || entries.length === 0) return;
    for (const e of entries) this.push(e);
    if (!this.dir) return;
    for (const e of entries) this.pending.push(JSON.stringify(e));
    unwritten.add(this);
    this.schedule();
  }

  /** Start a write now when enough lines wait, else arm the delay (unless a write is under way). */
  private schedule(): void {
    if (this.writing || this.closed || this.pending.length === 0) return;
    if (this.pending.length >= this.batchLines || this.delayMs <= 0) this.startWrite();
    else
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        if (!this.writing) this.startWrite();
      }, this.delayMs);
  }

  private startWrite(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = true;
    this.queue = this.queue.then(() => this.writeBatch());
  }

  /** Everything pending now, in one append per file (two when the batch crosses the rotation point). */
  private async writeBatch(): Promise<void> {
    const dir = this.dir!;
    let lines = this.pending;
    this.pending = [];
    try {
      while (lines.length > 0 && !this.closed) {
        if (this.fileLines >= this.maxLines) {
          await rename(join(dir, this.file), join(dir, this.oldFile)).catch(() => {});
          this.fileLines = 0;
        }
        // Up to the rotation point, so a file never holds more than maxLines lines.
        const room = this.maxLines - this.fileLines;
        const chunk = lines.length <= room ? lines : lines.slice(0, room);
        lines = lines.length <= room ? [] : lines.slice(room);
        await appendFile(join(dir, this.file), `${chunk.join('\n')}\n`);
        this.fileLines += chunk.length;
      }
    } catch (err) {
      // This batch is lost; later lines still get their own attempt.
      this.onError(`prediction log ${dir}: ${(err as Error).message}`);
    }
    this.writing = false;
    if (this.pending.length === 0 || this.closed) unwritten.delete(this);
    else this.schedule();
  }

  /** Resolves when every line appended before this call is on disk (tests, shutdown). */
  async flush(): Promise<void> {
    while (!this.closed && (this.writing || this.pending.length > 0)) {
      if (!this.writing) this.startWrite();
      await this.queue;
    }
    await this.queue;
  }
}
