/**
 * Per-model prediction log for drift monitoring: the most recent inputs and outputs, bounded.
 *
 * In memory: a ring of the last `maxLines` entries (what /drift reads). On disk (when the store has a
 * directory): `<models>/<name>/predictions.jsonl`, one JSON entry per line; when it reaches `maxLines`
 * lines it is renamed to `predictions.1.jsonl` (replacing the previous one) and a new file starts, so
 * disk use stays below 2 × maxLines lines. Writes are queued and never fail a request (errors are logged).
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

  constructor(
    private readonly dir: string | null,
    readonly maxLines: number,
    private readonly onError: (msg: string) => void = () => {},
  ) {}

  /** Read the existing files back into the ring (startup). Unreadable lines are skipped. */
  async restore(): Promise<void> {
    if (!this.dir) return;
    const lines: string[] = [];
    for (const f of [LOG_FILE_OLD, LOG_FILE]) {
      const text = await readFile(join(this.dir, f), 'utf8').catch(() => '');
      const ls = text.split('\n').filter((l) => l.length > 0);
      if (f === LOG_FILE) this.fileLines = ls.length;
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
    const dir = this.dir;
    if (!dir) return;
    const text = `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
    this.queue = this.queue
      .then(async () => {
        if (this.closed) return;
        if (this.fileLines >= this.maxLines) {
          await rename(join(dir, LOG_FILE), join(dir, LOG_FILE_OLD)).catch(() => {});
          this.fileLines = 0;
        }
        await appendFile(join(dir, LOG_FILE), text);
        this.fileLines += entries.length;
      })
      .catch((err: unknown) => this.onError(`prediction log ${dir}: ${(err as Error).message}`));
  }

  /** Resolves when queued writes are on disk (tests). */
  flush(): Promise<void> {
    return this.queue;
  }
}
