/**
 * A real label-audit model for the server tests: the first `n` Amazon UK titles of ../shared/data/taxonomy
 * with their category paths on site "amazon" (12 % held out without a label: those are what a served
 * request looks like), plus a small hand-made "toys" site without labels. Built with auditItems(…,
 * { onModel }) and buildAuditArtifact, exactly as the notebook does.
 */
import {
  type AuditItem,
  type AuditRow,
  auditItems,
  measure,
  type SiteModel,
} from '../../src/core/audit/audit.ts';
import { type AuditArtifact, buildAuditArtifact } from '../../src/core/audit/artifact.ts';
import type { Category } from '../../src/core/audit/categoryIndex.ts';
import { amazonCategories, loadAmazon } from '../../src/core/audit/__tests__/taxonomyData.ts';

export { taxonomyAvailable } from '../../src/core/audit/__tests__/taxonomyData.ts';

export const TOY_CATEGORIES: Category[] = [
  { id: 't1', name: 'Toys', path: ['Toys'], leaf: false },
  { id: 't2', name: 'Model Trains', path: ['Toys', 'Model Trains'], leaf: true },
  { id: 't3', name: 'Board Games', path: ['Toys', 'Board Games'], leaf: true },
  { id: 't4', name: 'Garden Tools', path: ['Garden', 'Garden Tools'], leaf: true },
];

export const heldOut = (id: string): boolean => {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) % 100 < 12;
};

export interface AuditFixture {
  artifact: AuditArtifact;
  items: AuditItem[];
  rows: AuditRow[];
}

export async function buildAmazonAudit(n = 1500): Promise<AuditFixture> {
  const data = (await loadAmazon()).slice(0, n);
  const amazon = amazonCategories(data.map((d) => d.path));
  const items: AuditItem[] = [
    ...data.map((d) => ({
      id: d.id,
      title: d.title,
      site: 'amazon',
      ...(d.path && !heldOut(d.id) ? { label: d.path } : {}),
    })),
    { id: 'toy-1', title: 'Wooden model train set with tracks', site: 'toys' },
  ];
  const models: SiteModel[] = [];
  const bySite = new Map([
    ['amazon', amazon],
    ['toys', TOY_CATEGORIES],
  ]);
  const rows = await auditItems(items, bySite, { onModel: (m) => models.push(m) });
  const truth = new Map(items.filter((i) => i.label).map((i) => [i.id, i.label!]));
  const artifact = buildAuditArtifact({
    name: 'Amazon audit',
    models,
    categoriesBySite: bySite,
    items: items.length,
    measure: measure(rows, truth),
  });
  return { artifact, items, rows };
}
