/**
 * Audit cell: checks the category label of every item of one table against a category list (another
 * table). For each item it infers one leaf category of the item's site (src/core/audit/audit.ts),
 * optionally asks the built-in judge for a second opinion, and writes the result as a table
 * (`name`), plus a view `<name>_flagged` of the rows whose label disagrees with a confident inference.
 */
import { tableToIPC } from 'apache-arrow';
import { buildArrowTable } from '../../workers/ingest/arrow.ts';
import {
  type AuditItem,
  type AuditProgress,
  type AuditRow,
  auditItems,
  labelResolver,
  measure,
} from '../core/audit/audit.ts';
import { type Category, CategoryIndex } from '../core/audit/categoryIndex.ts';
import { BuiltinJudge, type JudgeItem } from '../core/audit/judge.ts';
import type { CellKindDef } from '../core/cells/types.ts';
import { quoteIdent } from '../core/data/tableName.ts';
import { arrowToRows } from '../ui/components/arrowRows.ts';

export interface AuditConfig extends Record<string, unknown> {
  items: string;
  idColumn: string;
  titleColumn: string;
  labelColumn?: string;
  siteColumn?: string;
  categories: string;
  categoryIdColumn: string;
  categoryNameColumn: string;
  /** Full path "A > B > C"; without it every category row is a leaf. */
  pathColumn?: string;
  categorySiteColumn?: string;
  /** Output table name. */
  name: string;
  judge: 'none' | 'builtin';
}

/** Confidence at or above which a disagreement is flagged. */
export const HIGH_CONFIDENCE = 0.8;

const STRING_KEYS = [
  'items',
  'idColumn',
  'titleColumn',
  'categories',
  'categoryIdColumn',
  'categoryNameColumn',
  'name',
] as const;
const OPTIONAL_KEYS = ['labelColumn', 'siteColumn', 'pathColumn', 'categorySiteColumn'] as const;

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

const str = (v: unknown): string | undefined =>
  v === null || v === undefined ? undefined : typeof v === 'string' ? v : String(v);

/** Splits "A > B > C" into trimmed, non-empty segments. */
export function splitPath(p: string): string[] {
  return p
    .split('>')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Category rows → per-site category lists; a leaf is a path that is no prefix of another path. */
export function categoriesBySite(
  rows: ReadonlyArray<{ id: string; name: string; path?: string; site?: string }>,
): Map<string, Category[]> {
  const out = new Map<string, Category[]>();
  const bySite = new Map<string, typeof rows>();
  for (const r of rows) {
    const s = r.site ?? '';
    const g = bySite.get(s) as Array<(typeof rows)[number]> | undefined;
    if (g) g.push(r);
    else bySite.set(s, [r]);
  }
  for (const [site, rs] of bySite) {
    const paths = rs.map((r) => (r.path !== undefined ? splitPath(r.path) : [r.name]));
    const prefixes = new Set<string>();
    for (const p of paths) for (let i = 1; i < p.length; i++) prefixes.add(p.slice(0, i).join(' > '));
    const hasPath = rs.some((r) => r.path !== undefined);
    const seen = new Set<string>();
    const cats: Category[] = [];
    rs.forEach((r, i) => {
      if (seen.has(r.id)) return;
      seen.add(r.id);
      const path = paths[i].length ? paths[i] : [r.name];
      cats.push({
        id: r.id,
        name: r.name,
        path,
        leaf: hasPath ? !prefixes.has(path.join(' > ')) : true,
        ...(site ? { site } : {}),
      });
    });
    out.set(site, cats);
  }
  return out;
}

function parse(config: unknown): AuditConfig {
  const c = config as Record<string, unknown> | null;
  if (!c || typeof c !== 'object') throw new Error('audit cell: config must be an object');
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
  if (judge !== 'none' && judge !== 'builtin')
    throw new Error('audit cell: "judge" must be "none" or "builtin"');
  out.judge = judge;
  return out as AuditConfig;
}

function uniqueName(base: string, names: ReadonlySet<string>): string {
  if (!names.has(base)) return base;
  for (let i = 2; ; i++) if (!names.has(`${base}_${i}`)) return `${base}_${i}`;
}

const yieldNow = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

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
    const col = (n: string) => `CAST(${quoteIdent(n)} AS VARCHAR)`;
    const sites = Boolean(c.siteColumn && c.categorySiteColumn);

    // Categories.
    const catSql = `SELECT ${[
      col(c.categoryIdColumn),
      col(c.categoryNameColumn),
      c.pathColumn ? col(c.pathColumn) : 'NULL',
      sites ? col(c.categorySiteColumn!) : 'NULL',
    ].join(', ')} FROM ${quoteIdent(c.categories)} WHERE ${quoteIdent(c.categoryIdColumn)} IS NOT NULL`;
    const catRes = arrowToRows((await ctx.data.query(catSql, ctx.cellId)).arrow);
    const catRows = catRes.rows.map((r) => ({
      id: str(r[0])!,
      name: str(r[1]) ?? str(r[0])!,
      ...(c.pathColumn && r[2] !== null ? { path: str(r[2])! } : {}),
      ...(sites && r[3] !== null ? { site: str(r[3])! } : {}),
    }));
    if (!catRows.length) throw new Error(`The categories table "${c.categories}" has no rows`);
    const bySite = categoriesBySite(catRows);
    const indexes = new Map<string, CategoryIndex>();
    for (const [site, cats] of bySite) indexes.set(site, CategoryIndex.build(cats));
    if (ctx.signal.aborted) throw ctx.signal.reason;

    // Items.
    const itemSql = `SELECT ${[
      col(c.idColumn),
      col(c.titleColumn),
      c.labelColumn ? col(c.labelColumn) : 'NULL',
      sites ? col(c.siteColumn!) : 'NULL',
    ].join(', ')} FROM ${quoteIdent(c.items)}`;
    const itemRes = arrowToRows((await ctx.data.query(itemSql, ctx.cellId)).arrow);
    const items: AuditItem[] = itemRes.rows.map((r, i) => {
      const label = str(r[2])?.trim();
      const site = str(r[3]);
      return {
        id: str(r[0]) ?? `#${i}`,
        title: str(r[1]) ?? '',
        ...(label ? { label } : {}),
        ...(site !== undefined ? { site } : {}),
      };
    });

    emit(ctx.cellId, null);
    let rows: AuditRow[];
    try {
      rows = await auditItems(items, bySite, {
        indexes,
        signal: ctx.signal,
        onProgress: (p) => emit(ctx.cellId, p),
      });
    } finally {
      emit(ctx.cellId, null);
    }

    // Labels that resolve to a leaf: the truth for measuring, and the judge's training data.
    const defaultSite = bySite.size === 1 ? [...bySite.keys()][0] : '';
    const resolvers = new Map([...indexes].map(([s, idx]) => [s, labelResolver(idx)]));
    const truth = new Map<string, string>();
    const resolvedOf = items.map((it) => {
      if (it.label === undefined) return undefined;
      const r = resolvers.get(it.site ?? defaultSite)?.(it.label);
      if (r !== undefined) truth.set(it.id, r);
      return r;
    });

    const verdicts: Array<string | null> = new Array(rows.length).fill(null);
    const reasons: Array<string | null> = new Array(rows.length).fill(null);
    if (c.judge === 'builtin') {
      const judges = new Map<string, BuiltinJudge>();
      for (const [site, idx] of indexes) {
        const labelled: JudgeItem[] = [];
        items.forEach((it, i) => {
          if ((it.site ?? defaultSite) === site && resolvedOf[i] !== undefined)
            labelled.push({ id: it.id, title: it.title, label: resolvedOf[i] });
        });
        judges.set(site, new BuiltinJudge(idx, labelled));
      }
      for (let i = 0; i < rows.length; i++) {
        if (i % 200 === 0) {
          if (ctx.signal.aborted) throw ctx.signal.reason;
          await yieldNow();
        }
        const r = rows[i];
        const j = judges.get(r.site);
        if (!j || r.inferredId === null) continue;
        const it = items[i];
        const res = j.judge(
          { id: it.id, title: it.title, ...(resolvedOf[i] ? { label: resolvedOf[i] } : {}) },
          r.inferredId,
        );
        verdicts[i] = res.verdict;
        reasons[i] = res.reason;
      }
    }

    // Built buffer by buffer (arrow's row builders compile code with `new Function`, which the CSP forbids).
    const table = buildArrowTable([
      { name: 'id', type: 'VARCHAR', values: rows.map((r) => r.id) },
      { name: 'title', type: 'VARCHAR', values: rows.map((r) => r.title) },
      { name: 'original_id', type: 'VARCHAR', values: rows.map((r) => r.originalId ?? null) },
      { name: 'original_name', type: 'VARCHAR', values: rows.map((r) => r.originalName ?? null) },
      { name: 'inferred_id', type: 'VARCHAR', values: rows.map((r) => r.inferredId) },
      { name: 'inferred_name', type: 'VARCHAR', values: rows.map((r) => r.inferredName) },
      { name: 'confidence', type: 'DOUBLE', values: rows.map((r) => r.confidence) },
      { name: 'match', type: 'BOOLEAN', values: rows.map((r) => r.match) },
      { name: 'alternatives', type: 'VARCHAR', values: rows.map((r) => JSON.stringify(r.alternatives)) },
      { name: 'verdict', type: 'VARCHAR', values: verdicts },
      { name: 'reason', type: 'VARCHAR', values: reasons },
    ]);
    const bytes = tableToIPC(table, 'stream');
    const info = await ctx.data.registerFile({
      table: c.name,
      fileName: `${c.name}.arrow`,
      bytes,
      format: 'arrow',
    });
    const flaggedName = `${c.name}_flagged`;
    await ctx.data.query(
      `CREATE OR REPLACE VIEW ${quoteIdent(flaggedName)} AS SELECT * FROM ${quoteIdent(c.name)} WHERE NOT match AND confidence >= ${HIGH_CONFIDENCE}`,
      ctx.cellId,
    );

    const mismatches = rows.filter((r) => r.match === false).length;
    const highConfidenceMismatches = rows.filter(
      (r) => r.match === false && r.confidence >= HIGH_CONFIDENCE,
    ).length;
    const labelled = rows.filter((r) => r.match !== null).length;
    const depth = new Map<string, number>();
    for (const [site, idx] of indexes)
      for (const l of idx.leaves) depth.set(`${site}\0${l.id}`, l.path.length);
    const m = truth.size ? measure(rows, truth, (site, id) => depth.get(`${site}\0${id}`) ?? 0) : undefined;
    return {
      tables: [info],
      meta: {
        rows: rows.length,
        labelled,
        mismatches,
        highConfidenceMismatches,
        matchRate: labelled ? (labelled - mismatches) / labelled : null,
        categories: [...indexes.values()].reduce((n, idx) => n + idx.size, 0),
        flagged: { name: flaggedName, columns: info.columns, rowCount: highConfidenceMismatches },
        ...(m ? { measure: m } : {}),
      },
    };
  },
};
