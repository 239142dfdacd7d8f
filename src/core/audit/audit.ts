/**
 * Label audit: for every item choose exactly one leaf of its own site's category list by retrieval
 * (category index + kNN over the other labelled items) and a reranker, and compare with the label the
 * item already has. An item's own label is never used for that item: the kNN excludes the item itself,
 * the frequency prior subtracts it, and the scorer is cross-fitted (the model that scores an item was
 * trained on the other folds).
 */
import { type Category, CategoryIndex } from './categoryIndex.ts';
import { KnnIndex, type LabelledDoc } from './knnIndex.ts';
import { tokenize } from './normalize.ts';
import {
  type Alternative,
  buildCandidates,
  decide,
  type FrequencyPrior,
  type RerankCandidate,
  Scorer,
  type TrainGroup,
  trainScorer,
} from './rerank.ts';

export interface AuditItem {
  id: string;
  title: string;
  text?: string;
  /** Existing label: a category id of the item's site (or its path "A > B > C"). */
  label?: string;
  site?: string;
}

export interface AuditRow {
  id: string;
  site: string;
  title: string;
  originalId?: string;
  originalName?: string;
  inferredId: string | null;
  inferredName: string | null;
  inferredPath: string[];
  confidence: number;
  /** inferred === original; null when the item had no label. */
  match: boolean | null;
  alternatives: Alternative[];
  /** Why the item got no category (e.g. no category list for its site). */
  error?: string;
}

/** What predicting one more unlabelled title of a site needs (see AuditOptions.onModel). */
export interface SiteModel {
  site: string;
  index: CategoryIndex;
  /** Labelled items (title + text, resolved leaf id), in item order: the kNN's and judge's data. */
  labelled: LabelledDoc[];
  /** The kNN and the frequency prior are used (enough labels, AuditOptions.minLabels). */
  knn: boolean;
  /** Scorer applied to unlabelled items. */
  scorer: Scorer;
  candidates: number;
  neighbours: number;
}

export interface AuditProgress {
  site: string;
  phase: 'index' | 'train' | 'infer';
  done: number;
  total: number;
}

export interface AuditOptions {
  /** Lexical candidates per item (default 30). */
  candidates?: number;
  /** kNN neighbours (default 20). */
  neighbours?: number;
  /** Cross-fitting folds for the learned scorer (default 3). */
  folds?: number;
  /** Labelled items sampled per site to train the scorer (default 4000). */
  maxTrain?: number;
  /** Fewer labelled items than this → no kNN and no learned scorer (default 20). */
  minLabels?: number;
  /** Site used for items without one (default: the only site, else ''). */
  defaultSite?: string;
  /** Pre-built indexes by site (e.g. from an OPFS cache). */
  indexes?: Map<string, CategoryIndex>;
  onProgress?: (p: AuditProgress) => void;
  /**
   * Receives each site's fitted model (index, labelled documents, scorer for unlabelled items) so it
   * can be deployed (src/core/audit/artifact.ts). Setting it also fits the full scorer when every item
   * is labelled, since served titles are unlabelled.
   */
  onModel?: (m: SiteModel) => void;
  /**
   * Builds (or loads, e.g. from an OPFS cache) the kNN index over a site's labelled documents.
   * Default: `new KnnIndex(docs)`.
   */
  knnFor?: (site: string, docs: readonly LabelledDoc[]) => KnnIndex | Promise<KnnIndex>;
  signal?: AbortSignal;
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const yieldNow = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('Audit aborted', 'AbortError');
}

/** Resolves a label (id, or "A > B > C" path, or unique leaf name) to a leaf id of the index. */
export function labelResolver(index: CategoryIndex): (label: string) => string | undefined {
  const byPath = new Map<string, string>();
  const byName = new Map<string, string | null>();
  for (const c of index.leaves) {
    byPath.set(c.path.join(' > ').toLowerCase(), c.id);
    const n = c.name.toLowerCase();
    byName.set(n, byName.has(n) ? null : c.id);
  }
  return (label) => {
    if (index.indexOfId(label) >= 0) return label;
    const l = label.trim().toLowerCase();
    return byPath.get(l) ?? byName.get(l) ?? undefined;
  };
}

export async function auditItems(
  items: readonly AuditItem[],
  categoriesBySite: Map<string, Category[]>,
  opts: AuditOptions = {},
): Promise<AuditRow[]> {
  const defaultSite =
    opts.defaultSite ?? (categoriesBySite.size === 1 ? [...categoriesBySite.keys()][0] : '');
  const groups = new Map<string, number[]>();
  items.forEach((it, i) => {
    const s = it.site ?? defaultSite;
    const g = groups.get(s);
    if (g) g.push(i);
    else groups.set(s, [i]);
  });
  const rows: AuditRow[] = new Array(items.length);
  for (const [site, idx] of groups) {
    checkAbort(opts.signal);
    const cats = categoriesBySite.get(site);
    if (!cats?.length && !opts.indexes?.has(site)) {
      for (const i of idx) {
        const it = items[i];
        rows[i] = {
          id: it.id,
          site,
          title: it.title,
          ...(it.label !== undefined ? { originalId: it.label } : {}),
          inferredId: null,
          inferredName: null,
          inferredPath: [],
          confidence: 0,
          match: it.label !== undefined ? false : null,
          alternatives: [],
          error: `no category list for site "${site}"`,
        };
      }
      continue;
    }
    const siteItems = idx.map((i) => items[i]);
    const siteRows = await auditSite(site, siteItems, cats ?? [], opts);
    idx.forEach((i, j) => {
      rows[i] = siteRows[j];
    });
  }
  return rows;
}

async function auditSite(
  site: string,
  items: readonly AuditItem[],
  cats: Category[],
  opts: AuditOptions,
): Promise<AuditRow[]> {
  const k = opts.candidates ?? 30;
  const kn = opts.neighbours ?? 20;
  const folds = Math.max(2, opts.folds ?? 3);
  const maxTrain = opts.maxTrain ?? 4000;
  const minLabels = opts.minLabels ?? 20;
  const progress = (phase: AuditProgress['phase'], done: number, total: number): void =>
    opts.onProgress?.({ site, phase, done, total });

  progress('index', 0, 1);
  const index = opts.indexes?.get(site) ?? CategoryIndex.build(cats);
  progress('index', 1, 1);
  const resolve = labelResolver(index);
  const resolved = items.map((it) => (it.label !== undefined ? resolve(it.label) : undefined));
  const tokens = items.map((it) => tokenize(it.text ? `${it.title} ${it.text}` : it.title));

  const labelled: number[] = [];
  resolved.forEach((l, i) => {
    if (l !== undefined) labelled.push(i);
  });
  let knn: KnnIndex | null = null;
  const docOf = new Int32Array(items.length).fill(-1);
  let prior: FrequencyPrior | null = null;
  if (labelled.length >= minLabels) {
    const docs: LabelledDoc[] = labelled.map((i) => ({
      text: items[i].text ? `${items[i].title} ${items[i].text}` : items[i].title,
      label: resolved[i]!,
    }));
    labelled.forEach((i, d) => {
      docOf[i] = d;
    });
    knn = opts.knnFor ? await opts.knnFor(site, docs) : new KnnIndex(docs);
    const counts = new Map<string, number>();
    for (const d of docs) counts.set(d.label, (counts.get(d.label) ?? 0) + 1);
    prior = { counts, max: Math.max(1, ...counts.values()) };
  }

  const candidatesOf = (i: number): RerankCandidate[] => {
    const lex = index.searchTokens(tokens[i], k);
    const votes = knn ? KnnIndex.vote(knn.neighbours(tokens[i], kn, docOf[i])) : [];
    return buildCandidates(index, tokens[i], lex, votes, prior, resolved[i], kn);
  };

  // Learned scorer, cross-fitted.
  const foldOf = (i: number): number => hash32(items[i].id) % folds;
  let models: Scorer[] | null = null;
  let fullModel: Scorer = Scorer.lexical();
  const cached = new Map<number, RerankCandidate[]>();
  if (knn) {
    const sample =
      labelled.length <= maxTrain
        ? labelled
        : [...labelled].sort((a, b) => hash32(items[a].id) - hash32(items[b].id)).slice(0, maxTrain);
    const train: Array<TrainGroup & { fold: number }> = [];
    for (let s = 0; s < sample.length; s++) {
      if (s % 200 === 0) {
        checkAbort(opts.signal);
        progress('train', s, sample.length);
        await yieldNow();
      }
      const i = sample[s];
      const cands = candidatesOf(i);
      cached.set(i, cands);
      train.push({
        candidates: cands,
        target: cands.findIndex((c) => c.id === resolved[i]),
        fold: foldOf(i),
      });
    }
    models = [];
    for (let f = 0; f < folds; f++) {
      checkAbort(opts.signal);
      models.push(trainScorer(train.filter((g) => g.fold !== f)));
      await yieldNow();
    }
    if (labelled.length < items.length || opts.onModel) fullModel = trainScorer(train);
    progress('train', sample.length, sample.length);
  }
  opts.onModel?.({
    site,
    index,
    labelled: labelled.map((i) => ({
      text: items[i].text ? `${items[i].title} ${items[i].text}` : items[i].title,
      label: resolved[i]!,
    })),
    knn: knn !== null,
    scorer: fullModel,
    candidates: k,
    neighbours: kn,
  });

  const rows: AuditRow[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    if (i % 250 === 0) {
      checkAbort(opts.signal);
      progress('infer', i, items.length);
      await yieldNow();
    }
    const it = items[i];
    const cands = cached.get(i) ?? candidatesOf(i);
    cached.delete(i);
    const scorer = models && resolved[i] !== undefined ? models[foldOf(i)] : fullModel;
    const d = decide(cands, scorer);
    const orig = resolved[i] ?? it.label;
    const origIdx = orig !== undefined ? index.indexOfId(orig) : -1;
    const inferredLeaf = d ? index.leaves[index.indexOfId(d.categoryId)] : undefined;
    rows[i] = {
      id: it.id,
      site,
      title: it.title,
      ...(orig !== undefined ? { originalId: orig } : {}),
      ...(origIdx >= 0 ? { originalName: index.leaves[origIdx].name } : {}),
      inferredId: d?.categoryId ?? null,
      inferredName: inferredLeaf?.name ?? null,
      inferredPath: inferredLeaf?.path ?? [],
      confidence: d?.confidence ?? 0,
      match: orig === undefined ? null : d?.categoryId === orig,
      alternatives: d?.alternatives ?? [],
      ...(d ? {} : { error: 'no candidate category matched the title' }),
    };
  }
  progress('infer', items.length, items.length);
  return rows;
}

export interface Accuracy {
  n: number;
  top1: number;
  top5: number;
}

export interface AuditMeasure extends Accuracy {
  byDepth: Record<string, Accuracy>;
  bySite: Record<string, Accuracy>;
  /** Flag = match === false. Precision: flagged rows whose original label really is wrong. */
  mismatch: {
    flagged: number;
    precision: number | null;
    recall: number | null;
    /** The same for the confident flags only (match === false and confidence ≥ threshold). */
    confident?: { threshold: number; flagged: number; precision: number | null; recall: number | null };
  };
}

/**
 * Accuracy of the rows against `truth` (item id → true leaf id). `depthOf(site, id)` gives the depth
 * of the true leaf for the by-depth breakdown.
 */
export function measure(
  rows: readonly AuditRow[],
  truth: Map<string, string>,
  depthOf?: (site: string, id: string) => number,
  /** Also measure the confident flags (confidence ≥ this). */
  highConfidence?: number,
): AuditMeasure {
  const acc = (): { n: number; t1: number; t5: number } => ({ n: 0, t1: 0, t5: 0 });
  const all = acc();
  const byDepth = new Map<string, ReturnType<typeof acc>>();
  const bySite = new Map<string, ReturnType<typeof acc>>();
  let flagged = 0;
  let flaggedWrong = 0;
  let wrongLabels = 0;
  let wrongFlagged = 0;
  let confFlagged = 0;
  let confFlaggedWrong = 0;
  for (const r of rows) {
    const t = truth.get(r.id);
    if (t === undefined) continue;
    const hit1 = r.inferredId === t ? 1 : 0;
    const hit5 = r.alternatives.slice(0, 5).some((a) => a.categoryId === t) || hit1 ? 1 : 0;
    const dk = depthOf ? String(depthOf(r.site, t)) : '?';
    for (const a of [
      all,
      byDepth.get(dk) ?? byDepth.set(dk, acc()).get(dk)!,
      bySite.get(r.site) ?? bySite.set(r.site, acc()).get(r.site)!,
    ]) {
      a.n++;
      a.t1 += hit1;
      a.t5 += hit5;
    }
    if (r.originalId !== undefined) {
      const wrong = r.originalId !== t;
      if (wrong) wrongLabels++;
      if (r.match === false) {
        flagged++;
        if (wrong) flaggedWrong++;
      }
      if (wrong && r.match === false) wrongFlagged++;
      if (highConfidence !== undefined && r.match === false && r.confidence >= highConfidence) {
        confFlagged++;
        if (wrong) confFlaggedWrong++;
      }
    }
  }
  const fin = (a: ReturnType<typeof acc>): Accuracy => ({
    n: a.n,
    top1: a.n ? a.t1 / a.n : 0,
    top5: a.n ? a.t5 / a.n : 0,
  });
  return {
    ...fin(all),
    byDepth: Object.fromEntries([...byDepth].map(([k, v]) => [k, fin(v)])),
    bySite: Object.fromEntries([...bySite].map(([k, v]) => [k, fin(v)])),
    mismatch: {
      flagged,
      precision: flagged ? flaggedWrong / flagged : null,
      recall: wrongLabels ? wrongFlagged / wrongLabels : null,
      ...(highConfidence !== undefined
        ? {
            confident: {
              threshold: highConfidence,
              flagged: confFlagged,
              precision: confFlagged ? confFlaggedWrong / confFlagged : null,
              recall: wrongLabels ? confFlaggedWrong / wrongLabels : null,
            },
          }
        : {}),
    },
  };
}
