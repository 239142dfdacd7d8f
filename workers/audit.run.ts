/**
 * The audit worker's work, without the worker: Arrow IPC in → indexes (from the cache or built) →
 * `auditItems` → judge → measures → output Arrow IPC. No DOM; the worker supplies an OPFS cache, the
 * Node tests an in-memory one, so the same code is tested in both.
 */
import { type Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import {
  type AuditItem,
  type AuditRow,
  auditItems,
  labelResolver,
  measure,
  type SiteModel,
} from '../src/core/audit/audit.ts';
import { type CategoryRow, categoriesBySite } from '../src/core/audit/categories.ts';
import { CategoryIndex } from '../src/core/audit/categoryIndex.ts';
import { BuiltinJudge, llmJudge, RateLimiter } from '../src/core/audit/judge.ts';
import { KNN_DEFAULTS, KnnIndex, type LabelledDoc } from '../src/core/audit/knnIndex.ts';
import { sha256Hex } from '../src/core/data/hash.ts';
import type { AuditPhase, AuditRequest, AuditSummary, IndexInfo, JudgeSummary } from './audit.api.ts';
import { buildArrowTable, type ColumnValues } from './ingest/arrow.ts';

/** A key → text store for built indexes (OPFS in the worker, a Map in tests). */
export interface IndexCache {
  readonly kind: 'opfs' | 'memory';
  get(key: string): Promise<string | undefined>;
  put(key: string, text: string): Promise<void>;
}

/**
 * What the category index depends on besides the categories. Part of every cache key: change it
 * (or the index code's serialised format) and old entries are simply never read again.
 */
export const CATEGORY_INDEX_OPTIONS = {
  format: 1,
  words: 'bm25 k1=1.2 b=0.75, name x2 + path',
  chars: 'tfidf 3-grams, name + parent x0.5',
} as const;
/**
 * Options of the kNN index over labelled titles (passed to `new KnnIndex`), part of its cache key
 * (`format` follows the serialised index's version: entries of an older format are never read).
 * The same as the defaults, which the deployed audit model rebuilds its kNN with.
 */
export const KNN_OPTIONS = {
  format: 2,
  charWeight: KNN_DEFAULTS.charWeight,
  maxDfFraction: KNN_DEFAULTS.maxDfFraction,
  candidatePostings: KNN_DEFAULTS.candidatePostings,
  rescore: KNN_DEFAULTS.rescore,
} as const;

/** Output columns, in order (`site` only when the audit has sites, `truth` only with a truth column). */
export const OUTPUT_COLUMNS = [
  'id',
  'site',
  'title',
  'original_id',
  'original_name',
  'inferred_id',
  'inferred_name',
  'confidence',
  'match',
  'alternatives',
  'alternative_ids',
  'verdict',
  'reason',
  'judge_error',
  'truth',
] as const;

export interface RunHooks {
  cache?: IndexCache | null;
  onProgress?: (phase: AuditPhase, site: string, done: number, total: number) => void;
  /** Receives each site's fitted model (for the deployable artifact). */
  onModel?: (m: SiteModel) => void;
  fetchImpl?: typeof fetch;
}

type Str = string | null;

/** VARCHAR column `name` of an Arrow IPC table as strings (null stays null). */
function strings(table: Table, name: string, what: string): Str[] {
  const col = table.getChild(name);
  if (!col) throw new Error(`audit: the ${what} query returned no column "${name}"`);
  const out: Str[] = new Array(table.numRows);
  let i = 0;
  for (const v of col) out[i++] = v === null || v === undefined ? null : String(v);
  return out;
}

/** Category rows from the categories Arrow (rows without an id are skipped). */
export function readCategories(bytes: Uint8Array): CategoryRow[] {
  const t = tableFromIPC(bytes);
  const id = strings(t, 'id', 'categories');
  const name = strings(t, 'name', 'categories');
  const path = strings(t, 'path', 'categories');
  const site = strings(t, 'site', 'categories');
  const rows: CategoryRow[] = [];
  for (let i = 0; i < id.length; i++) {
    const cid = id[i];
    if (cid === null) continue;
    rows.push({
      id: cid,
      name: name[i] ?? cid,
      ...(path[i] !== null ? { path: path[i]! } : {}),
      ...(site[i] !== null ? { site: site[i]! } : {}),
    });
  }
  return rows;
}

/** Items (and the optional truth per item) from the items Arrow. */
export function readItems(bytes: Uint8Array, sites: boolean): { items: AuditItem[]; truth: Str[] } {
  const t = tableFromIPC(bytes);
  const id = strings(t, 'id', 'items');
  const title = strings(t, 'title', 'items');
  const label = strings(t, 'label', 'items');
  const site = strings(t, 'site', 'items');
  const truth = strings(t, 'truth', 'items');
  const items: AuditItem[] = new Array(id.length);
  for (let i = 0; i < id.length; i++) {
    const l = label[i]?.trim();
    items[i] = {
      id: id[i] ?? `#${i + 1}`,
      title: title[i] ?? '',
      ...(l ? { label: l } : {}),
      // With sites, an item without one matches the category rows without one (site '').
      ...(sites ? { site: site[i] ?? '' } : {}),
    };
  }
  return { items, truth: truth.map((v) => v?.trim() || null) };
}

async function keyOf(prefix: 'cat' | 'knn', parts: unknown[]): Promise<string> {
  const text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('\n');
  return `${prefix}-${await sha256Hex(new TextEncoder().encode(text))}`;
}

/** Cache key of a site's category index: its categories (order included) and the index options. */
export function categoryIndexKey(
  site: string,
  cats: readonly { id: string; name: string; path: string[]; leaf: boolean }[],
): Promise<string> {
  return keyOf('cat', [CATEGORY_INDEX_OPTIONS, site, cats.map((c) => [c.id, c.name, c.path, c.leaf])]);
}

/** Cache key of a kNN index: the labelled documents (order included) and the kNN options. */
export function knnIndexKey(site: string, docs: readonly LabelledDoc[]): Promise<string> {
  return keyOf('knn', [KNN_OPTIONS, site, docs.map((d) => `${d.label}\t${d.text}`).join('\n')]);
}

const now = (): number => performance.now();

/** `name · 12%` list of the alternatives other than the chosen category. */
function alternativesText(r: AuditRow): string | null {
  const alts = r.alternatives.filter((a) => a.categoryId !== r.inferredId).slice(0, 4);
  return alts.length ? alts.map((a) => `${a.name} · ${Math.round(a.probability * 100)}%`).join(' | ') : null;
}

export async function runAudit(
  req: Omit<AuditRequest, 'runId'>,
  hooks: RunHooks = {},
): Promise<{ arrow: Uint8Array; summary: AuditSummary }> {
  const progress = hooks.onProgress ?? (() => undefined);
  const cache = req.cache === false ? null : (hooks.cache ?? null);
  const t0 = now();

  // 1. Inputs.
  progress('read', '', 0, 1);
  const catRows = readCategories(req.categories);
  if (!catRows.length) throw new Error('The categories table has no rows with an id');
  const bySite = categoriesBySite(req.sites ? catRows : catRows.map(({ site: _s, ...r }) => r));
  const { items, truth: truthRaw } = readItems(req.items, req.sites);
  progress('read', '', 1, 1);
  const t1 = now();

  // 2. Category indexes: from the cache when their key matches, else built (and stored).
  const indexes = new Map<string, CategoryIndex>();
  const infos: IndexInfo[] = [];
  let s = 0;
  for (const [site, cats] of bySite) {
    progress('index', site, s++, bySite.size);
    const ts = now();
    const key = await categoryIndexKey(site, cats);
    let index: CategoryIndex | undefined;
    const cached = cache ? await cache.get(key) : undefined;
    if (cached !== undefined) {
      try {
        index = CategoryIndex.fromJSON(JSON.parse(cached));
      } catch {
        index = undefined; // a damaged entry: rebuild and overwrite it
      }
    }
    const source = index ? 'cache' : 'built';
    if (!index) {
      index = CategoryIndex.build(cats);
      if (cache) await cache.put(key, JSON.stringify(index.toJSON())).catch(() => undefined);
    }
    if (index.size === 0) throw new Error(`The category list${site ? ` of site "${site}"` : ''} has no leaf`);
    indexes.set(site, index);
    infos.push({ site, kind: 'categories', source, ms: Math.round(now() - ts), size: index.size, key });
  }
  progress('index', '', bySite.size, bySite.size);
  const t2 = now();

  // 3. Retrieval + reranking (kNN indexes from the cache too).
  const knnFor = async (site: string, docs: readonly LabelledDoc[]): Promise<KnnIndex> => {
    progress('knn', site, 0, 1);
    const ts = now();
    const key = await knnIndexKey(site, docs);
    let knn: KnnIndex | undefined;
    const cached = cache ? await cache.get(key) : undefined;
    if (cached !== undefined) {
      try {
        knn = KnnIndex.fromJSON(JSON.parse(cached));
        if (knn.size !== docs.length) knn = undefined;
      } catch {
        knn = undefined;
      }
    }
    const source = knn ? 'cache' : 'built';
    if (!knn) {
      knn = new KnnIndex(docs, KNN_OPTIONS);
      if (cache) await cache.put(key, JSON.stringify(knn.toJSON())).catch(() => undefined);
    }
    infos.push({ site, kind: 'knn', source, ms: Math.round(now() - ts), size: docs.length, key });
    progress('knn', site, 1, 1);
    return knn;
  };
  const rows = await auditItems(items, bySite, {
    indexes,
    knnFor,
    ...(hooks.onModel ? { onModel: hooks.onModel } : {}),
    onProgress: (p) => progress(p.phase === 'index' ? 'index' : p.phase, p.site, p.done, p.total),
  });
  const t3 = now();

  // 4. Labels and truth resolved to leaf ids (an unresolvable label counts as unlabelled).
  const defaultSite = bySite.size === 1 ? [...bySite.keys()][0] : '';
  const resolvers = new Map([...indexes].map(([site, idx]) => [site, labelResolver(idx)]));
  const siteOf = (it: AuditItem): string => it.site ?? defaultSite;
  let unresolvedLabels = 0;
  const resolvedLabel = items.map((it) => {
    if (it.label === undefined) return undefined;
    const r = resolvers.get(siteOf(it))?.(it.label);
    if (r === undefined) unresolvedLabels++;
    return r;
  });

  // 5. Judge: a second opinion, after and apart from the inference.
  const n = rows.length;
  const verdicts: Str[] = new Array(n).fill(null);
  const reasons: Str[] = new Array(n).fill(null);
  const judgeErrors: Str[] = new Array(n).fill(null);
  const spec = req.judge;
  const judgeSummary: JudgeSummary = {
    kind: spec.kind,
    asked: 0,
    confirmed: 0,
    rejected: 0,
    errors: 0,
    firstErrors: [],
  };
  const toJudge: number[] = [];
  if (spec.kind !== 'none') {
    judgeSummary.scope = spec.scope;
    for (let i = 0; i < n; i++) {
      if (rows[i].inferredId === null) continue;
      if (spec.scope === 'mismatches' && rows[i].match !== false) continue;
      toJudge.push(i);
    }
    judgeSummary.asked = toJudge.length;
  }
  const record = (
    i: number,
    verdict: 'confirm' | 'reject' | null,
    reason: string | null,
    error?: string,
  ): void => {
    verdicts[i] = verdict;
    reasons[i] = reason;
    if (verdict === 'confirm') judgeSummary.confirmed++;
    if (verdict === 'reject') judgeSummary.rejected++;
    if (error !== undefined) {
      judgeErrors[i] = error;
      judgeSummary.errors++;
      if (judgeSummary.firstErrors.length < 3) judgeSummary.firstErrors.push(error);
    }
  };
  switch (spec.kind) {
    case 'none':
      break;
    case 'builtin': {
      const judges = new Map<string, BuiltinJudge>();
      for (const [site, idx] of indexes) {
        const labelled = items.flatMap((it, i) =>
          siteOf(it) === site && resolvedLabel[i] !== undefined
            ? [{ id: it.id, title: it.title, label: resolvedLabel[i]! }]
            : [],
        );
        judges.set(site, new BuiltinJudge(idx, labelled));
      }
      for (let j = 0; j < toJudge.length; j++) {
        if (j % 500 === 0) progress('judge', '', j, toJudge.length);
        const i = toJudge[j];
        const it = items[i];
        const judge = judges.get(rows[i].site);
        if (!judge) continue;
        const res = judge.judge(
          { id: it.id, title: it.title, ...(resolvedLabel[i] ? { label: resolvedLabel[i] } : {}) },
          rows[i].inferredId!,
        );
        record(i, res.verdict, res.reason);
      }
      break;
    }
    case 'llm': {
      judgeSummary.url = spec.url;
      judgeSummary.model = spec.model;
      const limiter = new RateLimiter(Math.max(1, spec.concurrency), Math.max(0, spec.minIntervalMs));
      const config = {
        url: spec.url,
        model: spec.model,
        ...(spec.apiKey ? { apiKey: spec.apiKey } : {}),
        timeoutMs: spec.timeoutMs,
        retries: spec.retries,
        limiter,
      };
      let done = 0;
      progress('judge', '', 0, toJudge.length);
      // Every item is asked; the limiter keeps at most `concurrency` in flight. A failure is that
      // item's error only: `llmJudge` never throws, so the other items continue.
      await Promise.all(
        toJudge.map(async (i) => {
          const it = items[i];
          const r = rows[i];
          const res = await llmJudge(
            config,
            { id: it.id, title: it.title },
            { categoryId: r.inferredId!, name: r.inferredName ?? r.inferredId!, path: r.inferredPath },
            hooks.fetchImpl,
          );
          if (res.ok) record(i, res.verdict, res.reason);
          else record(i, null, null, res.error.replace(/^item .*?: /, ''));
          progress('judge', '', ++done, toJudge.length);
        }),
      );
      break;
    }
    default: {
      const never: never = spec;
      throw new Error(`audit: unknown judge ${JSON.stringify(never)}`);
    }
  }
  const t4 = now();

  // 6. Measures against the truth (the ground-truth column, else the items' own labels).
  const truth = new Map<string, string>();
  items.forEach((it, i) => {
    if (req.truth) {
      const raw = truthRaw[i];
      const r = raw ? resolvers.get(siteOf(it))?.(raw) : undefined;
      if (r !== undefined) truth.set(it.id, r);
    } else if (resolvedLabel[i] !== undefined) truth.set(it.id, resolvedLabel[i]!);
  });
  const depth = new Map<string, number>();
  for (const [site, idx] of indexes) for (const l of idx.leaves) depth.set(`${site}\0${l.id}`, l.path.length);
  let m: AuditSummary['measure'];
  if (truth.size) {
    const raw = measure(rows, truth, (site, id) => depth.get(`${site}\0${id}`) ?? 0, req.highConfidence);
    m = { ...raw, truth: req.truth ? 'column' : 'labels' };
    // Against the labels themselves, "the label is wrong" never happens: no precision to report.
    if (!req.truth) m.mismatch = { flagged: raw.mismatch.flagged, precision: null, recall: null };
  }

  // 7. Output table, built buffer by buffer (arrow's row builders use `new Function`, which the CSP forbids).
  progress('write', '', 0, 1);
  const col = (name: string, type: ColumnValues['type'], values: ArrayLike<unknown>): ColumnValues => ({
    name,
    type,
    values,
  });
  const get = <T>(f: (r: AuditRow, i: number) => T): T[] => rows.map(f);
  const columns: ColumnValues[] = [
    col(
      'id',
      'VARCHAR',
      get((r) => r.id),
    ),
    ...(req.sites
      ? [
          col(
            'site',
            'VARCHAR',
            get((r) => r.site),
          ),
        ]
      : []),
    col(
      'title',
      'VARCHAR',
      get((r) => r.title),
    ),
    col(
      'original_id',
      'VARCHAR',
      get((r) => r.originalId ?? null),
    ),
    col(
      'original_name',
      'VARCHAR',
      get((r) => r.originalName ?? null),
    ),
    col(
      'inferred_id',
      'VARCHAR',
      get((r) => r.inferredId),
    ),
    col(
      'inferred_name',
      'VARCHAR',
      get((r) => r.inferredName),
    ),
    col(
      'confidence',
      'DOUBLE',
      get((r) => r.confidence),
    ),
    col(
      'match',
      'BOOLEAN',
      get((r) => r.match),
    ),
    col('alternatives', 'VARCHAR', get(alternativesText)),
    col(
      'alternative_ids',
      'VARCHAR',
      get((r) => JSON.stringify(r.alternatives.map((a) => a.categoryId))),
    ),
    col('verdict', 'VARCHAR', verdicts),
    col(
      'reason',
      'VARCHAR',
      get((r, i) => reasons[i] ?? r.error ?? null),
    ),
    col('judge_error', 'VARCHAR', judgeErrors),
    ...(req.truth ? [col('truth', 'VARCHAR', truthRaw)] : []),
  ];
  const arrow = tableToIPC(buildArrowTable(columns), 'stream');
  progress('write', '', 1, 1);
  const t5 = now();

  const labelled = rows.filter((r) => r.match !== null).length;
  const mismatches = rows.filter((r) => r.match === false).length;
  return {
    arrow,
    summary: {
      rows: n,
      labelled: resolvedLabel.filter((l) => l !== undefined).length,
      unresolvedLabels,
      mismatches,
      highConfidence: req.highConfidence,
      highConfidenceMismatches: rows.filter((r) => r.match === false && r.confidence >= req.highConfidence)
        .length,
      matchRate: labelled ? (labelled - mismatches) / labelled : null,
      categories: [...indexes.values()].reduce((k, idx) => k + idx.size, 0),
      sites: [...bySite.keys()],
      noList: rows.filter((r) => r.inferredId === null && r.error?.startsWith('no category list')).length,
      indexes: infos,
      cache: req.cache === false ? 'off' : (cache?.kind ?? 'unavailable'),
      judge: judgeSummary,
      ...(m ? { measure: m } : {}),
      timings: {
        readMs: Math.round(t1 - t0),
        indexMs: Math.round(t2 - t1),
        auditMs: Math.round(t3 - t2),
        judgeMs: Math.round(t4 - t3),
        writeMs: Math.round(t5 - t4),
      },
    },
  };
}
