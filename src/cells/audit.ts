/**
 * Audit cell: checks the category label of every item of one table against a category list (another
 * table). The data worker hands both tables over as Arrow; the audit worker (workers/audit.worker.ts)
 * builds or loads the category and kNN indexes (OPFS cache), infers one leaf category per item of the
 * item's site (src/core/audit/audit.ts), asks the chosen judge for a second opinion and measures
 * accuracy; the result comes back as Arrow and becomes the table `name`, plus a view
 * `<name>_flagged` of the rows whose label disagrees with a confident inference.
 */
import type { AuditProgress, AuditSummary, JudgeScope, JudgeSpec } from '../../workers/audit.api.ts';
import { runAuditInWorker } from '../core/audit/auditClient.ts';
import type { CellKindDef } from '../core/cells/types.ts';
import { quoteIdent } from '../core/data/tableName.ts';
import { getApiKey, isEndpointAllowed, NeedsEndpointConsentError } from './auditLlm.ts';

export type AuditJudge = 'none' | 'builtin' | 'llm';

export interface AuditConfig extends Record<string, unknown> {
  items: string;
  idColumn: string;
  titleColumn: string;
  labelColumn?: string;
  siteColumn?: string;
  /** A separately checked label for a sample of items: measures (and the flag's precision) use it. */
  truthColumn?: string;
  categories: string;
  categoryIdColumn: string;
  categoryNameColumn: string;
  /** Full path "A > B > C"; without it every category row is a leaf. */
  pathColumn?: string;
  categorySiteColumn?: string;
  /** Output table name. */
  name: string;
  judge: AuditJudge;
  /** Which items the judge sees (default: all for the built-in judge, mismatches for a language model). */
  judgeScope?: JudgeScope;
  /** Language-model judge: OpenAI-compatible endpoint and model. The API key is NOT here (browser settings). */
  llmUrl?: string;
  llmModel?: string;
  /** Per-request timeout in seconds (default 30). */
  llmTimeoutS?: number;
  /** Retries on 429/5xx/timeouts (default 2). */
  llmRetries?: number;
  /** Requests in flight at once (default 4). */
  llmConcurrency?: number;
}

/** Confidence at or above which a disagreement is flagged. */
export const HIGH_CONFIDENCE = 0.8;

/** What the audit cell's run leaves in `result.meta`. */
export interface AuditMeta extends AuditSummary {
  name: string;
  flagged: { name: string; columns: { name: string; type: string }[]; rowCount: number };
}

const STRING_KEYS = [
  'items',
  'idColumn',
  'titleColumn',
  'categories',
  'categoryIdColumn',
  'categoryNameColumn',
  'name',
] as const;
const OPTIONAL_KEYS = [
  'labelColumn',
  'siteColumn',
  'truthColumn',
  'pathColumn',
  'categorySiteColumn',
  'llmModel',
] as const;
const NUMBER_KEYS = { llmTimeoutS: [0.1, 600], llmRetries: [0, 10], llmConcurrency: [1, 32] } as const;

// Progress of running audits, by cell id, for the view.
type ProgressListener = (p: AuditProgress | null) => void;
const listeners = new Map<string, Set<ProgressListener>>();
export function onAuditProgress(cellId: string, fn: ProgressListener): () => void {
  let s = listeners.get(cellId);
  if (!s) {
    s = new Set();
    listeners.set(cellId, s);
  }
  s.add(fn);
  return () => s.delete(fn);
}
function emit(cellId: string, p: AuditProgress | null): void {
  for (const fn of listeners.get(cellId) ?? []) fn(p);
}

function parse(config: unknown): AuditConfig {
  const c = config as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') throw new Error('audit cell: config must be an object');
  // Only known keys are kept: anything else (an API key smuggled into a shared notebook, say) is dropped.
  const out: Record<string, unknown> = {};
  for (const k of STRING_KEYS) {
    if (typeof c[k] !== 'string') throw new Error(`audit cell: "${k}" must be a string`);
    out[k] = c[k];
  }
  for (const k of OPTIONAL_KEYS) {
    if (c[k] === undefined || c[k] === null || c[k] === '') continue;
    if (typeof c[k] !== 'string') throw new Error(`audit cell: "${k}" must be a string`);
    out[k] = c[k];
  }
  const judge = c.judge ?? 'none';
  if (judge !== 'none' && judge !== 'builtin' && judge !== 'llm')
    throw new Error('audit cell: "judge" must be "none", "builtin" or "llm"');
  out.judge = judge;
  if (c.judgeScope !== undefined && c.judgeScope !== null) {
    if (c.judgeScope !== 'all' && c.judgeScope !== 'mismatches')
      throw new Error('audit cell: "judgeScope" must be "all" or "mismatches"');
    out.judgeScope = c.judgeScope;
  }
  if (c.llmUrl !== undefined && c.llmUrl !== null && c.llmUrl !== '') {
    if (typeof c.llmUrl !== 'string') throw new Error('audit cell: "llmUrl" must be a string');
    let u: URL;
    try {
      u = new URL(c.llmUrl);
    } catch {
      throw new Error(`audit cell: "llmUrl" is not a URL: ${JSON.stringify(c.llmUrl)}`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new Error(`audit cell: "llmUrl" must be an http(s) URL, not ${u.protocol}`);
    if (u.username || u.password)
      throw new Error(
        'audit cell: "llmUrl" must not contain credentials (the API key is kept in this browser)',
      );
    out.llmUrl = c.llmUrl;
  }
  for (const [k, [lo, hi]] of Object.entries(NUMBER_KEYS)) {
    const v = c[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
      throw new Error(`audit cell: "${k}" must be a number from ${lo} to ${hi}`);
    out[k] = v;
  }
  return out as AuditConfig;
}

function uniqueName(base: string, names: ReadonlySet<string>): string {
  if (!names.has(base)) return base;
  for (let i = 2; ; i++) if (!names.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** The judge as the worker wants it; asks for consent / the key where needed. */
async function judgeSpec(c: AuditConfig): Promise<JudgeSpec> {
  switch (c.judge) {
    case 'none':
      return { kind: 'none' };
    case 'builtin':
      return { kind: 'builtin', scope: c.judgeScope ?? 'all' };
    case 'llm': {
      if (!c.llmUrl || !c.llmModel)
        throw new Error(
          'Enter the URL of an OpenAI-compatible chat-completions endpoint and a model name for the language-model judge',
        );
      if (!(await isEndpointAllowed(c.llmUrl))) throw new NeedsEndpointConsentError(c.llmUrl);
      const apiKey = await getApiKey(c.llmUrl);
      return {
        kind: 'llm',
        scope: c.judgeScope ?? 'mismatches',
        url: c.llmUrl,
        model: c.llmModel,
        ...(apiKey ? { apiKey } : {}),
        timeoutMs: Math.round((c.llmTimeoutS ?? 30) * 1000),
        retries: c.llmRetries ?? 2,
        concurrency: c.llmConcurrency ?? 4,
        minIntervalMs: 50,
      };
    }
    default: {
      const never: never = c.judge;
      throw new Error(`audit cell: unknown judge ${String(never)}`);
    }
  }
}

export const auditCell: CellKindDef<AuditConfig> = {
  kind: 'audit',
  title: 'Label audit',
  description:
    'Check item categories against a category list: infer one leaf per item and flag disagreements',
  create: (names) => ({
    items: '',
    idColumn: '',
    titleColumn: '',
    categories: '',
    categoryIdColumn: '',
    categoryNameColumn: '',
    name: uniqueName('audit', names),
    judge: 'none',
  }),
  parse,
  outputs: (c) => (c.name ? [c.name] : []),
  inputs: (c) => [c.items, c.categories].filter((n) => n.length > 0),
  async run(config, ctx) {
    const c = config;
    if (!c.items || !c.categories) throw new Error('Choose the items table and the categories table');
    if (!c.idColumn || !c.titleColumn) throw new Error('Choose the id and title columns of the items');
    if (!c.categoryIdColumn || !c.categoryNameColumn)
      throw new Error('Choose the id and name columns of the categories');
    if (!c.name) throw new Error('Name the output table');
    const judge = await judgeSpec(c);
    const col = (n: string | undefined, as: string) =>
      `${n ? `CAST(${quoteIdent(n)} AS VARCHAR)` : 'CAST(NULL AS VARCHAR)'} AS ${as}`;
    const sites = Boolean(c.siteColumn && c.categorySiteColumn);
    const truth = Boolean(c.truthColumn);

    // Both tables go to the audit worker as Arrow bytes: the main thread never holds their rows.
    const catSql = `SELECT ${[
      col(c.categoryIdColumn, 'id'),
      col(c.categoryNameColumn, 'name'),
      col(c.pathColumn, 'path'),
      col(sites ? c.categorySiteColumn : undefined, 'site'),
    ].join(', ')} FROM ${quoteIdent(c.categories)} WHERE ${quoteIdent(c.categoryIdColumn)} IS NOT NULL`;
    const categories = await ctx.data.query(catSql, ctx.cellId);
    if (!categories.rowCount) throw new Error(`The categories table "${c.categories}" has no rows`);
    const itemSql = `SELECT ${[
      col(c.idColumn, 'id'),
      col(c.titleColumn, 'title'),
      col(c.labelColumn, 'label'),
      col(sites ? c.siteColumn : undefined, 'site'),
      col(c.truthColumn, 'truth'),
    ].join(', ')} FROM ${quoteIdent(c.items)}`;
    const items = await ctx.data.query(itemSql, ctx.cellId);
    if (ctx.signal.aborted) throw ctx.signal.reason;

    emit(ctx.cellId, null);
    let result: Awaited<ReturnType<typeof runAuditInWorker>>;
    try {
      result = await runAuditInWorker(
        {
          runId: ctx.cellId,
          categories: categories.arrow,
          items: items.arrow,
          sites,
          truth,
          judge,
          highConfidence: HIGH_CONFIDENCE,
          keepModel: true,
        },
        (p) => emit(ctx.cellId, p),
        ctx.signal,
      );
    } finally {
      emit(ctx.cellId, null);
    }

    const info = await ctx.data.registerFile({
      table: c.name,
      fileName: `${c.name}.arrow`,
      bytes: result.arrow,
      format: 'arrow',
    });
    const flaggedName = `${c.name}_flagged`;
    await ctx.data.query(
      `CREATE OR REPLACE VIEW ${quoteIdent(flaggedName)} AS SELECT * FROM ${quoteIdent(c.name)} WHERE NOT match AND confidence >= ${HIGH_CONFIDENCE}`,
      ctx.cellId,
    );
    const meta: AuditMeta = {
      ...result.summary,
      name: c.name,
      flagged: {
        name: flaggedName,
        columns: info.columns,
        rowCount: result.summary.highConfidenceMismatches,
      },
    };
    return { tables: [info], meta: meta as unknown as Record<string, unknown> };
  },
};
