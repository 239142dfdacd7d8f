/**
 * Category tables → per-site category lists (pure; used by the audit worker and its tests).
 * A category row has an id, a name, optionally a full path "A > B > C" and a site. With paths, a leaf
 * is a path that is no prefix of another path of the same site; without, every row is a leaf.
 */
import type { Category } from './categoryIndex.ts';

export interface CategoryRow {
  id: string;
  name: string;
  path?: string;
  site?: string;
}

/** Splits "A > B > C" into trimmed, non-empty segments. */
export function splitPath(p: string): string[] {
  return p
    .split('>')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Category rows → per-site category lists (first row of a duplicated id wins). */
export function categoriesBySite(rows: ReadonlyArray<CategoryRow>): Map<string, Category[]> {
  const out = new Map<string, Category[]>();
  const bySite = new Map<string, CategoryRow[]>();
  for (const r of rows) {
    const s = r.site ?? '';
    const g = bySite.get(s);
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
