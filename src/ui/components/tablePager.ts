/**
 * The data source behind `TableView`: a column list, a row count and random access to windows of
 * rows, optionally sorted. `makeDataPager` (arrowRows.ts) adapts the data worker; tests and the
 * harness use in-memory pagers.
 *
 * Also holds `PageCache`, the LRU page cache the table view uses (pure, no DOM, unit-tested).
 */

/** One row: values in column order, already plain JS (see `arrowToRows` for the conversions). */
export type Row = unknown[];

export interface PagerColumn {
  name: string;
  /** DuckDB logical type, e.g. `BIGINT`, `VARCHAR`, `TIMESTAMP`. Drives badges, alignment, widths. */
  type: string;
}

export interface SortSpec {
  column: string;
  desc: boolean;
}

export interface TablePager {
  columns: PagerColumn[];
  rowCount: number;
  /** Rows `offset .. offset+limit-1` of the (optionally sorted) table; fewer at the end. */
  page(offset: number, limit: number, orderBy?: SortSpec): Promise<Row[]>;
}

/**
 * Fixed-size pages of rows with LRU eviction, in-flight de-duplication and a generation counter so
 * that answers to requests made before `reset()` (e.g. a sort change) are dropped.
 */
export class PageCache {
  readonly pageSize: number;
  readonly maxPages: number;
  private pages = new Map<number, Row[]>();
  private inflight = new Map<number, Promise<void>>();
  private generation = 0;
  /** Last error per page, so the view can show it instead of an endless shimmer. */
  readonly errors = new Map<number, string>();

  constructor(
    private fetchPage: (offset: number, limit: number) => Promise<Row[]>,
    opts: { pageSize?: number; maxPages?: number; onLoad?: () => void } = {},
  ) {
    this.pageSize = opts.pageSize ?? 200;
    this.maxPages = Math.max(2, opts.maxPages ?? 40);
    this.onLoad = opts.onLoad ?? (() => {});
  }

  private onLoad: () => void;

  /** Drop everything (pages, pending answers); use a new fetch function from now on if given. */
  reset(fetchPage?: (offset: number, limit: number) => Promise<Row[]>): void {
    if (fetchPage) this.fetchPage = fetchPage;
    this.generation++;
    this.pages.clear();
    this.inflight.clear();
    this.errors.clear();
  }

  /** The row at `index`, or undefined when its page is not loaded. Marks the page recently used. */
  row(index: number): Row | undefined {
    const p = Math.floor(index / this.pageSize);
    const page = this.pages.get(p);
    if (!page) return undefined;
    // LRU: re-insert to move to the end of the Map's insertion order.
    this.pages.delete(p);
    this.pages.set(p, page);
    return page[index - p * this.pageSize];
  }

  has(pageIndex: number): boolean {
    return this.pages.has(pageIndex);
  }

  /** Page indices covering rows [first, last] (inclusive). */
  pagesFor(first: number, last: number): number[] {
    if (last < first) return [];
    const out: number[] = [];
    for (let p = Math.floor(first / this.pageSize); p <= Math.floor(last / this.pageSize); p++) out.push(p);
    return out;
  }

  /** Whether every page for rows [first, last] is loaded. */
  covers(first: number, last: number): boolean {
    return this.pagesFor(first, last).every((p) => this.pages.has(p));
  }

  /** Load the given pages (skipping loaded and in-flight ones). Resolves when all have settled. */
  load(pageIndices: number[]): Promise<void> {
    const gen = this.generation;
    const jobs = pageIndices.map((p) => {
      if (this.pages.has(p)) return Promise.resolve();
      const pending = this.inflight.get(p);
      if (pending) return pending;
      const job = this.fetchPage(p * this.pageSize, this.pageSize).then(
        (rows) => {
          if (gen !== this.generation) return;
          this.inflight.delete(p);
          this.errors.delete(p);
          this.pages.set(p, rows);
          this.evict(pageIndices);
          this.onLoad();
        },
        (err: unknown) => {
          if (gen !== this.generation) return;
          this.inflight.delete(p);
          this.errors.set(p, err instanceof Error ? err.message : String(err));
          this.onLoad();
        },
      );
      this.inflight.set(p, job);
      return job;
    });
    return Promise.all(jobs).then(() => {});
  }

  get size(): number {
    return this.pages.size;
  }

  private evict(keep: number[]): void {
    for (const p of this.pages.keys()) {
      if (this.pages.size <= this.maxPages) break;
      if (!keep.includes(p)) this.pages.delete(p);
    }
  }
}
