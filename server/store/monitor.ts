/**
 * Per-model prediction log for drift monitoring: the most recent inputs and outputs, bounded.
 *
 * In memory: a ring of the last `maxLines` entries (what /drift reads). On disk (when the store has a
 * directory): `<models>/<name>/predictions.jsonl`, one JSON entry per line; when it reaches `maxLines`
 * lines it is renamed to `predictions.1.jsonl` (replacing the previous one) and a new file starts, so
 * disk use stays below 2 × maxLines lines. Writes are queued and never fail a request (errors are logged).
 * Processes sharing the directory (server workers) each pass a `tag` and write their own
 * `predictions-<tag>.jsonl` / `predictions-<tag>.1.jsonl`, so no two processes append to or rotate one file.
 */
import { appendFile, readFile, rename } from 'node:fs/promises';
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

  /** Entries oldest first. */
  entries(): LogEntry[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
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
