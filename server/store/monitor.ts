/**
 * Per-model prediction log for drift monitoring: the most recent inputs and outputs, bounded.
 *
 * In memory: a ring of the last `maxLines` entries (what /drift reads). On disk (when the store has a
 * directory): `<models>/<name>/predictions.jsonl`, one JSON entry per line; when it reaches `maxLines`
 * lines it is renamed to `predictions.1.jsonl` (replacing the previous one) and a new file starts, so
 * disk use stays below 2 × maxLines lines. Writes are queued and never fail a request (errors are logged).
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

export class PredictionLog {
  private ring: LogEntry[] = [];
  private start = 0;
  private fileLines = 0;
  private queue: Promise<void> = Promise.resolve();
  closed = false;
  private readonly file: string;
  private readonly oldFile: string;

  constructor(
    private readonly dir: string | null,
    readonly maxLines: number,
    private readonly onError: (msg: string) => void = () => {},
    tag?: string,
  ) {
    this.file = tag ? `predictions-${tag}.jsonl` : LOG_FILE;
    this.oldFile = tag ? `predictions-${tag}.1.jsonl` : LOG_FILE_OLD;
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
    // One write for everything appended while the previous write was in flight: under load that is
    // one appendFile per batch of requests instead of one (open, write, close) per request.
    if (this.pending.length === entries.length) this.queue = this.queue.then(() => this.writePending());
  }

  private pending: string[] = [];

  private async writePending(): Promise<void> {
    const dir = this.dir!;
    while (this.pending.length > 0 && !this.closed) {
      try {
        if (this.fileLines >= this.maxLines) {
          await rename(join(dir, this.file), join(dir, this.oldFile)).catch(() => {});
          this.fileLines = 0;
        }
        // Up to the rotation point, so a file never holds more than maxLines lines.
        const lines = this.pending.splice(0, this.maxLines - this.fileLines);
        await appendFile(join(dir, this.file), `${lines.join('\n')}\n`);
        this.fileLines += lines.length;
      } catch (err) {
        this.onError(`prediction log ${dir}: ${(err as Error).message}`);
        this.pending = [];
      }
    }
    this.pending = [];
  }

  /** Resolves when queued writes are on disk (tests). */
  flush(): Promise<void> {
    return this.queue;
  }
}
