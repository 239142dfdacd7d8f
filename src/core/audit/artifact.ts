/**
 * The audit model artifact: one versioned JSON document with everything needed to give an UNLABELLED
 * title its one leaf category — per site the category index (CSR postings as base64 typed arrays), the
 * labelled titles the kNN index and the built-in judge are rebuilt from, and the reranker's weights —
 * plus provenance (category-list fingerprints, counts, measures). Written from what an audit run fitted
 * (`AuditOptions.onModel`), read by the browser and by the Node server with this same module, so a
 * served prediction equals the notebook's decision for the same title (tested over real titles).
 * The format is documented in docs/model-artifact.md ("Audit model artifact").
 */
import { z } from 'zod';
import type { AuditMeasure, SiteModel } from './audit.ts';
import { type Category, CategoryIndex, type SerializedCategoryIndex } from './categoryIndex.ts';
import { BuiltinJudge, type BuiltinJudgeState, type NbClass, type Verdict } from './judge.ts';
import { KnnIndex, type KnnIndexParts } from './knnIndex.ts';
import { tokenize } from './normalize.ts';
import { buildCandidates, decide, FEATURE_NAMES, type FrequencyPrior, N_FEATURES, Scorer } from './rerank.ts';
import { base64ToBytes, typedToBase64 } from './sparse.ts';

export const AUDIT_ARTIFACT_FORMAT = 'benchtop-audit-model';
export const AUDIT_ARTIFACT_VERSION = 1;
/** Longest title (+ text) a prediction accepts, in characters. */
export const MAX_TITLE = 10_000;
/** Alternatives returned besides the chosen category. */
export const N_ALTERNATIVES = 4;

export interface AuditSiteArtifact {
  /** Site id ('' = the only, unnamed site). */
  id: string;
  /** Fingerprint of the site's category list as indexed (`fnv1a64:` + 16 hex digits). */
  categoryFingerprint: string;
  /** Categories in the list (leaves and inner nodes) and leaves (what can be predicted). */
  categories: number;
  leaves: number;
  index: SerializedCategoryIndex;
  /** Labelled items (title + text) and their leaf, as an index into `index.leaves` (base64 Int32). */
  labelled: { texts: string[]; leaves: string };
  /** Whether the kNN over `labelled` and the category-frequency prior feed the reranker. */
  knn: boolean;
  /** Reranker weights, one per `featureNames` entry. */
  scorer: { featureNames: string[]; weights: number[] };
  /** Whether predictions carry the built-in judge's verdict (needs labelled items). */
  judge: boolean;
  /** Measured on the audit run's labelled items (see audit.ts `measure`), if it had any. */
  measure?: AuditArtifactMeasure;
}

export interface AuditArtifactMeasure {
  n: number;
  top1: number;
  top5: number;
  [k: string]: unknown;
}

export interface AuditArtifact {
  format: 'benchtop-audit-model';
  version: 1;
  name: string;
  createdAt: string;
  /** Site used when a request names none (present when the model has exactly one site). */
  defaultSite?: string;
  options: { candidates: number; neighbours: number };
  sites: AuditSiteArtifact[];
  /** A real request and where it came from, for documentation (OpenAPI). */
  example?: { title: string; site_id: string };
  provenance: {
    notebookId?: string;
    cellId?: string;
    /** Items the audit run processed, and how many had a label that resolved to a leaf. */
    items: number;
    labelled: number;
    measure?: AuditArtifactMeasure;
    benchtopVersion?: string;
  };
}

// ---------------------------------------------------------------------------------------------------
// Building

export interface BuildAuditArtifactInput {
  name: string;
  /** What `auditItems(..., { onModel })` reported, one per site. */
  models: readonly SiteModel[];
  /** The full category lists by site (for the fingerprint and counts); default: the indexed leaves. */
  categoriesBySite?: ReadonlyMap<string, readonly Category[]>;
  /** Items processed by the run (default: the labelled ones). */
  items?: number;
  /** The run's measure overall and by site (audit.ts `measure`). */
  measure?: AuditMeasure;
  /** Include the built-in judge (default true; it needs labelled items). */
  judge?: boolean;
  example?: { title: string; site_id: string };
  notebookId?: string;
  cellId?: string;
  benchtopVersion?: string;
  createdAt?: string;
}

/** FNV-1a 64-bit over each category's id and path, in list order. */
export function categoryFingerprint(cats: readonly Pick<Category, 'id' | 'path'>[]): string {
  let h = 0xcbf29ce484222325n;
  const p = 0x100000001b3n;
  const m = 0xffffffffffffffffn;
  const feed = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      h ^= BigInt(s.charCodeAt(i));
      h = (h * p) & m;
    }
  };
  for (const c of cats) {
    feed(c.id);
    feed('\u0001');
    feed(c.path.join('\u0002'));
    feed('\u0000');
  }
  return `fnv1a64:${h.toString(16).padStart(16, '0')}`;
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

export function buildAuditArtifact(input: BuildAuditArtifactInput): AuditArtifact {
  if (!input.models.length) throw new Error('buildAuditArtifact: no site model (run the audit first)');
  const withJudge = input.judge ?? true;
  const sites: AuditSiteArtifact[] = input.models.map((m) => {
    const leafOf = new Int32Array(m.labelled.length);
    m.labelled.forEach((d, i) => {
      const j = m.index.indexOfId(d.label);
      if (j < 0) throw new Error(`buildAuditArtifact: site "${m.site}": label ${d.label} is no leaf`);
      leafOf[i] = j;
    });
    const cats = input.categoriesBySite?.get(m.site) ?? m.index.leaves;
    const bySite = input.measure?.bySite[m.site];
    return {
      id: m.site,
      categoryFingerprint: categoryFingerprint(cats),
      categories: cats.length,
      leaves: m.index.size,
      index: m.index.toJSON(),
      labelled: { texts: m.labelled.map((d) => d.text), leaves: typedToBase64(leafOf) },
      knn: m.knn,
      scorer: { featureNames: [...FEATURE_NAMES], weights: Array.from(m.scorer.weights) },
      judge: withJudge && m.labelled.length > 0,
      ...(bySite ? { measure: { n: bySite.n, top1: round(bySite.top1), top5: round(bySite.top5) } } : {}),
    };
  });
  const first = input.models.find((m) => m.labelled.length > 0) ?? input.models[0];
  const example =
    input.example ??
    (first.labelled.length
      ? { title: first.labelled[0].text.slice(0, MAX_TITLE), site_id: first.site }
      : undefined);
  const labelled = input.models.reduce((n, m) => n + m.labelled.length, 0);
  const measure = input.measure;
  return {
    format: AUDIT_ARTIFACT_FORMAT,
    version: AUDIT_ARTIFACT_VERSION,
    name: input.name,
    createdAt: input.createdAt ?? new Date().toISOString(),
    ...(sites.length === 1 ? { defaultSite: sites[0].id } : {}),
    options: { candidates: input.models[0].candidates, neighbours: input.models[0].neighbours },
    sites,
    ...(example ? { example } : {}),
    provenance: {
      ...(input.notebookId ? { notebookId: input.notebookId } : {}),
      ...(input.cellId ? { cellId: input.cellId } : {}),
      items: input.items ?? labelled,
      labelled,
      ...(measure
        ? {
            measure: {
              n: measure.n,
              top1: round(measure.top1),
              top5: round(measure.top5),
              byDepth: measure.byDepth,
              mismatch: measure.mismatch,
            },
          }
        : {}),
      ...(input.benchtopVersion ? { benchtopVersion: input.benchtopVersion } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Validation

/** Thrown by `parseAuditArtifact` / `loadAuditArtifact`: each issue names its JSON path. */
export class AuditArtifactError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'AuditArtifactError';
  }
}

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');
const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const measureSchema = z.looseObject({ n: z.number().int().min(0), top1: finite, top5: finite });

const indexSchema = z.object({
  version: z.literal(1),
  leaves: z
    .array(
      z.tuple([z.string(), z.string(), z.array(z.string()).min(1), z.string().nullish()]).rest(z.unknown()),
    )
    .min(1, 'a site needs at least one leaf category'),
  words: z.array(z.string()),
  grams: z.array(z.string()),
  wordIdf: b64,
  gramIdf: b64,
  word: z.tuple([b64, b64, b64]),
  gram: z.tuple([b64, b64, b64]),
  maxDepth: z.number().int().min(1),
});

const siteSchema = z.object({
  id: z.string().max(200),
  categoryFingerprint: z.string(),
  categories: z.number().int().min(0),
  leaves: z.number().int().min(1),
  index: indexSchema,
  labelled: z.object({ texts: z.array(z.string()), leaves: b64 }),
  knn: z.boolean(),
  scorer: z.object({
    featureNames: z.array(z.string()),
    weights: z.array(finite),
  }),
  judge: z.boolean(),
  measure: measureSchema.optional(),
});

export const auditArtifactSchema = z.object({
  format: z.literal(AUDIT_ARTIFACT_FORMAT),
  version: z.literal(AUDIT_ARTIFACT_VERSION),
  name: z.string(),
  createdAt: z.string(),
  defaultSite: z.string().optional(),
  options: z.object({
    candidates: z.number().int().min(1).max(1000),
    neighbours: z.number().int().min(1).max(1000),
  }),
  sites: z.array(siteSchema).min(1, 'at least one site'),
  example: z.object({ title: z.string().min(1).max(MAX_TITLE), site_id: z.string() }).optional(),
  provenance: z.looseObject({
    notebookId: z.string().optional(),
    cellId: z.string().optional(),
    items: z.number().int().min(0),
    labelled: z.number().int().min(0),
    measure: measureSchema.optional(),
    benchtopVersion: z.string().optional(),
  }),
});

const pathOf = (p: readonly PropertyKey[]): string =>
  p.length === 0
    ? '(root)'
    : p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');

/** True when `json` claims to be an audit artifact (its `format`), whether or not it is valid. */
export function isAuditArtifactJson(json: unknown): boolean {
  return (
    json !== null &&
    typeof json === 'object' &&
    (json as { format?: unknown }).format === AUDIT_ARTIFACT_FORMAT
  );
}

function fail(issues: { path: string; message: string }[]): never {
  throw new AuditArtifactError(
    `Invalid audit model artifact: ${issues
      .slice(0, 5)
      .map((i) => `${i.path}: ${i.message}`)
      .join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}.`,
    issues,
  );
}

/** Validates the shape (zod) of an audit artifact given as a JSON string or a parsed value. */
export function parseAuditArtifact(json: unknown): AuditArtifact {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new AuditArtifactError(`Invalid audit model artifact: not JSON (${(e as Error).message}).`);
    }
  }
  if (value && typeof value === 'object') {
    const v = value as { format?: unknown; version?: unknown };
    if (v.format !== AUDIT_ARTIFACT_FORMAT)
      fail([
        { path: 'format', message: `expected "${AUDIT_ARTIFACT_FORMAT}", got ${JSON.stringify(v.format)}` },
      ]);
    if (typeof v.version === 'number' && v.version > AUDIT_ARTIFACT_VERSION)
      fail([
        {
          path: 'version',
          message: `version ${v.version} is newer than this Benchtop understands (${AUDIT_ARTIFACT_VERSION})`,
        },
      ]);
  }
  const r = auditArtifactSchema.safeParse(value);
  if (!r.success) fail(r.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message })));
  return r.data as unknown as AuditArtifact;
}

/** Decodes base64 into 4-byte words, naming `path` when the byte count is not a whole number of words. */
function words(b64s: string, path: string, issues: { path: string; message: string }[]): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(b64s);
  } catch {
    issues.push({ path, message: 'not valid base64' });
    return new Uint8Array(0);
  }
  if (bytes.length % 4 !== 0) {
    issues.push({ path, message: `${bytes.length} bytes, not a whole number of 32-bit values` });
    return new Uint8Array(0);
  }
  return bytes;
}

/**
 * Checks that the index's typed arrays fit together (a corrupt or hand-edited file must fail here, by
 * path, instead of reading out of bounds at prediction time).
 */
function checkIndex(s: AuditSiteArtifact, at: string, issues: { path: string; message: string }[]): void {
  const ix = s.index;
  const n = ix.leaves.length;
  if (s.leaves !== n) issues.push({ path: `${at}.leaves`, message: `says ${s.leaves}, the index has ${n}` });
  const i32 = (b: string, p: string) => new Int32Array(words(b, p, issues).buffer);
  const f32 = (b: string, p: string) => new Float32Array(words(b, p, issues).buffer);
  const idf = [f32(ix.wordIdf, `${at}.index.wordIdf`), f32(ix.gramIdf, `${at}.index.gramIdf`)];
  const vocab = [ix.words.length, ix.grams.length];
  (['word', 'gram'] as const).forEach((kind, k) => {
    const p = `${at}.index.${kind}`;
    if (idf[k].length !== vocab[k])
      issues.push({
        path: `${at}.index.${kind}Idf`,
        message: `${idf[k].length} values for ${vocab[k]} terms`,
      });
    const before = issues.length;
    const offsets = i32(ix[kind][0], `${p}[0]`);
    const docs = i32(ix[kind][1], `${p}[1]`);
    const weights = f32(ix[kind][2], `${p}[2]`);
    if (issues.length > before) return;
    if (offsets.length !== vocab[k] + 1) {
      issues.push({
        path: `${p}[0]`,
        message: `${offsets.length} offsets for ${vocab[k]} terms (expected terms + 1)`,
      });
      return;
    }
    let ok = offsets[0] === 0;
    for (let t = 0; ok && t < vocab[k]; t++) ok = offsets[t + 1] >= offsets[t];
    if (!ok || offsets[vocab[k]] !== docs.length)
      issues.push({ path: `${p}[0]`, message: 'offsets are not a non-decreasing 0 … postings range' });
    if (docs.length !== weights.length)
      issues.push({ path: `${p}[2]`, message: `${weights.length} weights for ${docs.length} postings` });
    for (let i = 0; i < docs.length; i++) {
      if (docs[i] < 0 || docs[i] >= n) {
        issues.push({ path: `${p}[1]`, message: `posting ${i} points at leaf ${docs[i]} of ${n}` });
        break;
      }
    }
  });
  const leaves = i32(s.labelled.leaves, `${at}.labelled.leaves`);
  if (leaves.length !== s.labelled.texts.length)
    issues.push({
      path: `${at}.labelled.leaves`,
      message: `${leaves.length} labels for ${s.labelled.texts.length} texts`,
    });
  for (let i = 0; i < leaves.length; i++) {
    if (leaves[i] < 0 || leaves[i] >= n) {
      issues.push({
        path: `${at}.labelled.leaves`,
        message: `label ${i} points at leaf ${leaves[i]} of ${n}`,
      });
      break;
    }
  }
  const names = s.scorer.featureNames;
  if (names.length !== N_FEATURES || names.some((f, j) => f !== FEATURE_NAMES[j]))
    issues.push({
      path: `${at}.scorer.featureNames`,
      message: `expected ${JSON.stringify(FEATURE_NAMES)} (this Benchtop's reranker features)`,
    });
  if (s.scorer.weights.length !== names.length)
    issues.push({
      path: `${at}.scorer.weights`,
      message: `${s.scorer.weights.length} weights for ${names.length} features`,
    });
  if (s.judge && !s.labelled.texts.length)
    issues.push({ path: `${at}.judge`, message: 'the built-in judge needs labelled items' });
}

// ---------------------------------------------------------------------------------------------------
// Predicting

export interface AuditInput {
  title: string;
  /** Other text of the item (description…), appended to the title. */
  text?: string;
  /** Site whose category list is used; may be left out when the model has a `defaultSite`. */
  site_id?: string;
}

export interface AuditCategoryRef {
  id: string;
  name: string;
  path: string[];
}

export interface AuditPrediction {
  site_id: string;
  /** The one leaf category; null only when no category shares a word or character 3-gram with the title. */
  category: AuditCategoryRef | null;
  /** Softmax probability of `category` among the reranked candidates (0 when none). */
  confidence: number;
  /** The next best leaves (for review, not the answer), best first. */
  alternatives: Array<AuditCategoryRef & { probability: number }>;
  /** The built-in judge's verdict on `category`; null when the model has no judge. */
  verdict: Verdict | null;
  /** One or two sentences: the judge's reason, or the retrieval evidence when there is no judge. */
  reason: string;
}

/** A request the model cannot answer (unknown site, missing title…); `field` names the input. */
export class AuditInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuditInputError';
  }
}

interface LoadedSite {
  id: string;
  index: CategoryIndex;
  knn: KnnIndex | null;
  prior: FrequencyPrior | null;
  scorer: Scorer;
  judge: BuiltinJudge | null;
}

export interface LoadedAuditModel {
  artifact: AuditArtifact;
  /** Site ids, in artifact order. */
  sites: string[];
  predict(input: AuditInput): AuditPrediction;
}

// An id no labelled item has: a served title is never one of the judge's own training items.
const UNSEEN_ID = '\u0000served';

function siteIndex(s: AuditSiteArtifact): CategoryIndex {
  const ix = s.index;
  return CategoryIndex.fromJSON({
    ...ix,
    // JSON turns the absent site of a leaf tuple into null.
    leaves: ix.leaves.map(([id, name, path, site]) => [id, name, path, site ?? undefined]),
  });
}

/** Builds a site's kNN index, prior and judge from its labelled titles: the expensive part of a load. */
function loadSite(s: AuditSiteArtifact): LoadedSite {
  const index = siteIndex(s);
  const leafOf = new Int32Array(base64ToBytes(s.labelled.leaves).buffer);
  const docs = s.labelled.texts.map((text, i) => ({ text, label: index.leaves[leafOf[i]].id }));
  let knn: KnnIndex | null = null;
  let prior: FrequencyPrior | null = null;
  if (s.knn && docs.length) {
    // The same construction as audit.ts, so neighbours and priors are bit-identical to the run's.
    knn = new KnnIndex(docs);
    const counts = new Map<string, number>();
    for (const d of docs) counts.set(d.label, (counts.get(d.label) ?? 0) + 1);
    prior = { counts, max: Math.max(1, ...counts.values()) };
  }
  const judge = s.judge
    ? new BuiltinJudge(
        index,
        docs.map((d, i) => ({ id: String(i), title: d.text, label: d.label })),
      )
    : null;
  return { id: s.id, index, knn, prior, scorer: new Scorer(Float32Array.from(s.scorer.weights)), judge };
}

/**
 * One site's built kNN index, prior and judge as structured-cloneable data: what `buildAuditParts`
 * computes off the serving thread and `assembleAuditModel` turns back into a model without rebuilding
 * anything from the labelled titles. Packed for a cheap receive: numbers in typed arrays (transferred),
 * string lists as one JSON string each. Cloning the judge's Maps and Sets as such cost ~100 ms to
 * deserialise at 100,000 labelled titles, on the receiving (serving) thread, in one piece; packed,
 * receiving is ~1 ms and the Maps are rebuilt in steps that `assembleAuditModel` can pause between.
 */
export interface BuiltAuditSite {
  id: string;
  knn: (Omit<KnnIndexParts, 'terms'> & { terms: string }) | null;
  prior: FrequencyPrior | null;
  judge: PackedJudge | null;
}

/** `BuiltinJudgeState` as typed arrays: class c's token counts are entries offsets[c] … offsets[c+1]. */
interface PackedJudge {
  /** JSON: the vocabulary (token strings; entries index into it; the first `vocabSize` are the judge's vocabulary) and the class labels. */
  vocab: string;
  vocabSize: number;
  labels: string;
  docs: Float64Array;
  totals: Float64Array;
  offsets: Int32Array;
  tokens: Int32Array;
  counts: Float64Array;
  /** JSON: [manufacturer, [[label, count], …]][] (empty for served models: no manufacturers). */
  byManufacturer: string;
  nDocs: number;
}

function packJudge(s: BuiltinJudgeState): PackedJudge {
  const vocab = [...s.vocab];
  const vocabSize = vocab.length;
  const id = new Map(vocab.map((t, i) => [t, i]));
  const labels = [...s.classes.keys()];
  let n = 0;
  for (const c of s.classes.values()) n += c.counts.size;
  const docs = new Float64Array(labels.length);
  const totals = new Float64Array(labels.length);
  const offsets = new Int32Array(labels.length + 1);
  const tokens = new Int32Array(n);
  const counts = new Float64Array(n);
  let k = 0;
  labels.forEach((l, c) => {
    const cls = s.classes.get(l)!;
    docs[c] = cls.docs;
    totals[c] = cls.total;
    for (const [t, v] of cls.counts) {
      // A token counted but absent from the vocabulary (only after leave-one-out subtraction) keeps its string.
      let i = id.get(t);
      if (i === undefined) {
        i = vocab.length;
        vocab.push(t);
        id.set(t, i);
      }
      tokens[k] = i;
      counts[k++] = v;
    }
    offsets[c + 1] = k;
  });
  return {
    vocab: JSON.stringify(vocab),
    vocabSize,
    labels: JSON.stringify(labels),
    docs,
    totals,
    offsets,
    tokens,
    counts,
    byManufacturer: JSON.stringify([...s.byManufacturer].map(([m, c]) => [m, [...c]])),
    nDocs: s.nDocs,
  };
}

/** Rebuilds the judge's Maps, awaiting `pause` after every SLICE entries. */
async function unpackJudge(p: PackedJudge, pause: () => Promise<void>): Promise<BuiltinJudgeState> {
  const vocab = JSON.parse(p.vocab) as string[];
  const labels = JSON.parse(p.labels) as string[];
  const classes = new Map<string, NbClass>();
  let done = 0;
  for (let c = 0; c < labels.length; c++) {
    const counts = new Map<string, number>();
    for (let k = p.offsets[c]; k < p.offsets[c + 1]; k++) {
      counts.set(vocab[p.tokens[k]], p.counts[k]);
      if (++done % SLICE === 0) await pause();
    }
    classes.set(labels[c], { counts, total: p.totals[c], docs: p.docs[c] });
  }
  const set = new Set<string>();
  for (let i = 0; i < p.vocabSize; i++) {
    set.add(vocab[i]);
    if ((i + 1) % SLICE === 0) await pause();
  }
  const byManufacturer = new Map(
    (JSON.parse(p.byManufacturer) as [string, [string, number][]][]).map(([m, c]) => [m, new Map(c)]),
  );
  return { classes, vocab: set, byManufacturer, nDocs: p.nDocs };
}

/** Map entries rebuilt between two pauses of `assembleAuditModel` (~5–10 ms on a busy 2-core machine). */
const SLICE = 10_000;

/**
 * Validates `json` and builds every site's indexes (the seconds-long part of a load at 100,000
 * labelled titles), as data for `assembleAuditModel`. Throws `AuditArtifactError` like `loadAuditArtifact`.
 */
export function buildAuditParts(json: unknown): BuiltAuditSite[] {
  return validateAuditArtifact(json).sites.map((s) => {
    const site = loadSite(s);
    const knn = site.knn?.toParts();
    const judge = site.judge?.toState();
    return {
      id: site.id,
      knn: knn ? { ...knn, terms: JSON.stringify(knn.terms) } : null,
      prior: site.prior,
      judge: judge ? packJudge(judge) : null,
    };
  });
}

/** The ArrayBuffers of `parts` (each once), to transfer instead of copy across threads. */
export function auditPartsBuffers(parts: readonly BuiltAuditSite[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const p of parts) {
    const k = p.knn;
    const j = p.judge;
    const arrays = [
      ...(k
        ? [
            k.idf,
            k.maxWeight,
            k.labelIds,
            k.postings.offsets,
            k.postings.docs,
            k.postings.weights,
            k.forward.offsets,
            k.forward.docs,
            k.forward.weights,
          ]
        : []),
      ...(j ? [j.docs, j.totals, j.offsets, j.tokens, j.counts] : []),
    ];
    for (const a of arrays) if (a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  }
  return [...out];
}

/**
 * The model from an artifact that `buildAuditParts` validated and built (elsewhere, from the same
 * JSON): the category indexes are decoded and the term and count maps rebuilt here, nothing is rebuilt
 * from the labelled titles. Awaits `pause` between steps (slices of SLICE map entries), so a server can
 * let other requests run meanwhile. Answers exactly as `loadAuditArtifact` would.
 */
export async function assembleAuditModel(
  artifact: AuditArtifact,
  parts: readonly BuiltAuditSite[],
  pause: () => Promise<void> = () => Promise.resolve(),
): Promise<LoadedAuditModel> {
  if (parts.length !== artifact.sites.length || parts.some((p, i) => p.id !== artifact.sites[i].id))
    throw new Error('assembleAuditModel: the built parts are not those of this artifact');
  const sites: LoadedSite[] = [];
  for (let i = 0; i < parts.length; i++) {
    const s = artifact.sites[i];
    const p = parts[i];
    const index = siteIndex(s);
    await pause();
    const knn = p.knn
      ? await KnnIndex.fromPartsInSlices(
          { ...p.knn, terms: JSON.parse(p.knn.terms) as string[] },
          pause,
          SLICE,
        )
      : null;
    const state = p.judge ? await unpackJudge(p.judge, pause) : null;
    sites.push({
      id: s.id,
      index,
      knn,
      prior: p.prior,
      scorer: new Scorer(Float32Array.from(s.scorer.weights)),
      judge: state ? BuiltinJudge.fromState(index, state) : null,
    });
  }
  return modelOf(artifact, sites);
}

function lexicalReason(site: LoadedSite, tokens: readonly string[], leaf: AuditCategoryRef): string {
  const pathTokens = new Set(leaf.path.flatMap((p) => tokenize(p)));
  const shared = [...new Set(tokens.filter((t) => pathTokens.has(t)))];
  const evidence = shared.length
    ? `the title shares ${shared.map((w) => `“${w}”`).join(', ')} with the category path`
    : 'the title matches the category by character n-grams only (no shared word)';
  return `Chosen by retrieval over ${site.index.size} categories${site.knn ? ` and ${site.knn.size} labelled titles` : ''}: ${evidence}. No built-in judge was deployed with this model (it needs labelled items).`;
}

/** Validates and loads an audit artifact (string or parsed JSON). Throws `AuditArtifactError`. */
export function loadAuditArtifact(json: unknown): LoadedAuditModel {
  const artifact = validateAuditArtifact(json);
  return modelOf(artifact, artifact.sites.map(loadSite));
}

/** The shape (zod) and the consistency of every site's typed arrays. Throws `AuditArtifactError`. */
export function validateAuditArtifact(json: unknown): AuditArtifact {
  const artifact = parseAuditArtifact(json);
  const issues: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  artifact.sites.forEach((s, i) => {
    if (seen.has(s.id))
      issues.push({ path: `sites[${i}].id`, message: `duplicate site ${JSON.stringify(s.id)}` });
    seen.add(s.id);
    checkIndex(s, `sites[${i}]`, issues);
  });
  if (artifact.defaultSite !== undefined && !seen.has(artifact.defaultSite))
    issues.push({ path: 'defaultSite', message: `no site ${JSON.stringify(artifact.defaultSite)}` });
  if (artifact.example && !seen.has(artifact.example.site_id))
    issues.push({ path: 'example.site_id', message: `no site ${JSON.stringify(artifact.example.site_id)}` });
  if (issues.length) fail(issues);
  return artifact;
}

function modelOf(artifact: AuditArtifact, loaded: readonly LoadedSite[]): LoadedAuditModel {
  const sites = new Map(loaded.map((s) => [s.id, s]));
  const { candidates: k, neighbours: kn } = artifact.options;
  const known = (): string => [...sites.keys()].map((s) => JSON.stringify(s)).join(', ');

  return {
    artifact,
    sites: [...sites.keys()],
    predict(input) {
      const siteId = input.site_id ?? artifact.defaultSite;
      if (siteId === undefined)
        throw new AuditInputError(
          'site_id',
          `site_id is required: this model has several sites (${known()})`,
        );
      const site = sites.get(siteId);
      if (!site)
        throw new AuditInputError(
          'site_id',
          `unknown site ${JSON.stringify(siteId)}; known sites: ${known()}`,
        );
      if (typeof input.title !== 'string' || !input.title.trim())
        throw new AuditInputError('title', 'title is required (a non-empty string)');
      const full = input.text ? `${input.title} ${input.text}` : input.title;
      if (full.length > MAX_TITLE)
        throw new AuditInputError('title', `title (+ text) is longer than ${MAX_TITLE} characters`);
      const tokens = tokenize(full);
      // The same steps as audit.ts for an unlabelled item: no own label, nothing excluded from the kNN.
      const lex = site.index.searchTokens(tokens, k);
      const votes = site.knn ? KnnIndex.vote(site.knn.neighbours(tokens, kn, -1)) : [];
      const cands = buildCandidates(site.index, tokens, lex, votes, site.prior, undefined, kn);
      const d = decide(cands, site.scorer);
      if (!d) {
        return {
          site_id: siteId,
          category: null,
          confidence: 0,
          alternatives: [],
          verdict: null,
          reason: `No category of site ${JSON.stringify(siteId)} shares a word or a character 3-gram with the title.`,
        };
      }
      const [best, ...rest] = d.alternatives;
      const category = { id: best.categoryId, name: best.name, path: best.path };
      let verdict: Verdict | null = null;
      let reason: string;
      if (site.judge) {
        const j = site.judge.judge(
          { id: UNSEEN_ID, title: input.title, ...(input.text ? { text: input.text } : {}) },
          d.categoryId,
        );
        verdict = j.verdict;
        reason = j.reason;
      } else reason = lexicalReason(site, tokens, category);
      return {
        site_id: siteId,
        category,
        confidence: d.confidence,
        alternatives: rest
          .slice(0, N_ALTERNATIVES)
          .map((a) => ({ id: a.categoryId, name: a.name, path: a.path, probability: a.probability })),
        verdict,
        reason,
      };
    },
  };
}
